// `kith contacts list|show|remove`: the people this device can call.
import type { Command } from 'commander';
import { KithError } from '../errors.js';
import { request } from './control-client.js';
import { fields, table } from './format.js';
import { confirm } from './prompt.js';
import { resolveSocket } from './socket.js';

export interface ContactJson {
  id: number;
  name: string;
  cardName: string;
  fingerprint: string;
  ed25519Public: string;
  x25519Public: string;
  verified: boolean;
  paired: boolean;
  addedAt: string;
  endpoint: string | null;
}

export function describeContact(c: ContactJson): string {
  return fields([
    ['Name', c.name === c.cardName ? c.name : `${c.name} (calls themselves "${c.cardName}")`],
    ['Fingerprint', c.fingerprint],
    ['Verified', c.verified ? 'yes, paired in person' : 'no, imported from a card file'],
    ['Ed25519', c.ed25519Public],
    ['X25519', c.x25519Public],
    ['Endpoint', c.endpoint ?? '(none: set one with `kith contacts set-endpoint`)'],
    ['Added', c.addedAt],
  ]);
}

export function contactsCommand(program: Command): void {
  const contacts = program.command('contacts').description('list, show or remove contacts');

  contacts
    .command('list')
    .description('list all contacts')
    .option('--json', 'print JSON, for scripts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const result = (await request(resolveSocket(cmd.optsWithGlobals()), 'contacts.list')) as {
        contacts: ContactJson[];
        corruptIds: number[];
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      if (result.contacts.length === 0) {
        process.stdout.write('No contacts yet. Add one with `kith card import FILE`.\n');
      } else {
        const rows = result.contacts.map((c) => [
          c.name,
          c.fingerprint,
          c.verified ? 'yes' : 'no',
          c.addedAt.slice(0, 10),
        ]);
        process.stdout.write(`${table(['NAME', 'FINGERPRINT', 'VERIFIED', 'ADDED'], rows)}\n`);
      }
      if (result.corruptIds.length > 0) {
        process.stderr.write(
          `warning: ${result.corruptIds.length} corrupt contact row(s) skipped: ids ${result.corruptIds.join(', ')}\n`,
        );
      }
    });

  contacts
    .command('show')
    .description('show one contact, by name or fingerprint prefix')
    .argument('<contact>', 'contact name, or at least 4 hex digits of its fingerprint')
    .option('--json', 'print JSON, for scripts')
    .action(async (query: string, opts: { json?: boolean }, cmd: Command) => {
      const c = (await request(resolveSocket(cmd.optsWithGlobals()), 'contacts.show', {
        query,
      })) as ContactJson;
      process.stdout.write(opts.json ? `${JSON.stringify(c, null, 2)}\n` : `${describeContact(c)}\n`);
    });

  contacts
    .command('set-endpoint')
    .description('set where a contact can be reached, until the overlay finds contacts by itself')
    .argument('<contact>', 'contact name, or at least 4 hex digits of its fingerprint')
    .argument('[endpoint]', 'IPV4:PORT or [IPV6]:PORT (the port `kith status` shows on their device)')
    .option('--clear', 'forget the endpoint instead')
    .action(async (query: string, endpoint: string | undefined, opts: { clear?: boolean }, cmd: Command) => {
      if (!endpoint && !opts.clear) {
        throw new KithError('CLI_USAGE', 'give an endpoint (HOST:PORT) or --clear');
      }
      if (endpoint && opts.clear)
        throw new KithError('CLI_USAGE', 'give either an endpoint or --clear, not both');
      const c = (await request(resolveSocket(cmd.optsWithGlobals()), 'contacts.set-endpoint', {
        query,
        endpoint: endpoint ?? null,
      })) as ContactJson;
      process.stdout.write(
        c.endpoint ? `${c.name} is reachable at ${c.endpoint}.\n` : `Forgot the endpoint of ${c.name}.\n`,
      );
    });

  contacts
    .command('remove')
    .description('remove a contact (they can no longer call this device)')
    .argument('<contact>', 'contact name, or at least 4 hex digits of its fingerprint')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (query: string, opts: { yes?: boolean }, cmd: Command) => {
      const socket = resolveSocket(cmd.optsWithGlobals());
      const c = (await request(socket, 'contacts.show', { query })) as ContactJson;
      if (!opts.yes) await confirm(`Remove ${c.name} (${c.fingerprint})?`, 'not removed');
      await request(socket, 'contacts.remove', { query: c.fingerprint });
      process.stdout.write(`Removed ${c.name}.\n`);
    });
}
