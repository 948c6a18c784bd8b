// `kith card export|import`: contact cards as files, the way contacts are added until in-person
// pairing exists. Import shows the card's fingerprint and asks, because a card file can come
// from anyone: only the owner comparing fingerprints makes it trustworthy.
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KithError } from '../errors.js';
import { CARD_TEXT_MAX } from '../wire/card.js';
import { type ContactJson, describeContact } from './contacts.js';
import { request } from './control-client.js';
import { fields } from './format.js';
import { confirm } from './prompt.js';
import { resolveSocket } from './socket.js';

/** A card file is one short line; anything much larger is refused before it is read whole. */
const CARD_FILE_MAX = CARD_TEXT_MAX + 1024;

export function cardCommand(program: Command): void {
  const card = program
    .command('card')
    .description("export this device's contact card, or import someone else's");

  card
    .command('export')
    .description("write this device's signed contact card (to stdout, or to a file)")
    .option('-o, --out <file>', 'write to FILE instead of stdout (never overwrites)')
    .action(async (opts: { out?: string }, cmd: Command) => {
      const result = (await request(resolveSocket(cmd.optsWithGlobals()), 'card.export')) as {
        name: string;
        fingerprint: string;
        text: string;
      };
      if (!opts.out) {
        process.stdout.write(result.text);
        return;
      }
      try {
        writeFileSync(opts.out, result.text, { flag: 'wx', mode: 0o644 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new KithError(
          'CLI_INPUT',
          code === 'EEXIST'
            ? `${opts.out} already exists; not overwriting it`
            : `cannot write ${opts.out}: ${code}`,
        );
      }
      process.stderr.write(
        `Wrote the card of ${result.name} (fingerprint ${result.fingerprint}) to ${opts.out}\n`,
      );
    });

  card
    .command('import')
    .description('add a contact from their card file, after you compare its fingerprint')
    .argument('<file>', 'card file written by `kith card export` on the other device')
    .option('-n, --name <name>', 'local name for the contact (default: the name on the card)')
    .option('-y, --yes', 'do not ask for confirmation (for scripts that compared the fingerprint already)')
    .action(async (file: string, opts: { name?: string; yes?: boolean }, cmd: Command) => {
      const socket = resolveSocket(cmd.optsWithGlobals());
      const text = readCardFile(file);
      const info = (await request(socket, 'card.inspect', { text })) as {
        name: string;
        fingerprint: string;
        self: boolean;
        existingContact: string | null;
      };
      if (info.self) throw new KithError('CONTACT_IS_SELF', `${file} is this device's own card`);
      if (info.existingContact) {
        throw new KithError(
          'CONTACT_EXISTS',
          `this card is already a contact, named "${info.existingContact}"`,
        );
      }
      process.stderr.write(
        `${fields([
          ['Card of', info.name],
          ['Fingerprint', info.fingerprint],
        ])}\nCompare this fingerprint with the one \`kith status\` shows on ${info.name}'s device.\n`,
      );
      if (!opts.yes) await confirm(`Import ${opts.name ?? info.name} as a contact?`, 'not imported');
      const contact = (await request(socket, 'card.import', { text, name: opts.name })) as ContactJson;
      process.stdout.write(`Imported:\n${describeContact(contact)}\n`);
    });
}

function readCardFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new KithError('CLI_INPUT', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new KithError('CLI_INPUT', `${file} is not a regular file`);
    if (stat.size > CARD_FILE_MAX) {
      throw new KithError(
        'CLI_INPUT',
        `${file} is ${stat.size} bytes; a card file is at most ${CARD_FILE_MAX}`,
      );
    }
    const buf = Buffer.alloc(stat.size);
    const n = readSync(fd, buf, 0, stat.size, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
