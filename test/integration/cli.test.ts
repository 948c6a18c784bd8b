import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kith, type RunningKith, startKith } from '../helpers/kith.js';
import { tmpDir } from '../helpers/tmp.js';

describe('kith command line', () => {
  it.each([
    [['bogus'], "error: unknown command 'bogus'"],
    [['status', '--bogus'], "error: unknown option '--bogus'"],
    [['contacts', 'show'], "error: missing required argument 'contact'"],
    [['card', 'import'], "error: missing required argument 'file'"],
    [['contacts', 'show', 'a', 'b'], 'error: too many arguments'],
  ])('rejects %j with what was expected and exit status 2', async (args, message) => {
    const res = await kith(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stderr).toContain('(add --help for usage)');
  });

  it.each([[[]], [['status']], [['contacts']], [['contacts', 'remove']], [['card', 'import']], [['run']]])(
    'prints help for %j',
    async (args) => {
      const res = await kith([...args, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^Usage: kith/);
    },
  );

  it('prints its version', async () => {
    const res = await kith(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('says so when no service is running', async () => {
    const socket = join(tmpDir(), 'none.sock');
    const res = await kith(['status'], { env: { KITH_SOCKET: socket } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`kith: no Kith service is running (nothing answers on ${socket})`);
  });

  describe('with two devices exchanging cards', () => {
    let dir: string;
    let ada: RunningKith;
    let bo: RunningKith;

    beforeAll(async () => {
      dir = tmpDir();
      [ada, bo] = await Promise.all([
        startKith(join(dir, 'ada'), { config: '[device]\nname = "Ada"' }),
        startKith(join(dir, 'bo'), { config: '[device]\nname = "Bo"' }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([ada?.stop(), bo?.stop()]);
    });

    const on = (device: () => RunningKith, args: string[], input?: string) =>
      kith(['--socket', device().socket, ...args], input === undefined ? {} : { input });

    it('exports a card to stdout and to a file that is never overwritten', async () => {
      const out = await on(() => ada, ['card', 'export']);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^kith-card:[A-Za-z0-9_-]+\n$/);
      const file = join(dir, 'ada.card');
      const written = await on(() => ada, ['card', 'export', '--out', file]);
      expect(written.code).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(out.stdout);
      expect(written.stderr).toMatch(/^Wrote the card of Ada \(fingerprint [0-9a-f ]+\) to /);
      const again = await on(() => ada, ['card', 'export', '--out', file]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already exists; not overwriting it');
    });

    it('imports only after confirmation, showing the fingerprint', async () => {
      const file = join(dir, 'ada-2.card');
      await on(() => ada, ['card', 'export', '--out', file]);
      const adaStatus = JSON.parse((await on(() => ada, ['status', '--json'])).stdout);

      const declined = await on(() => bo, ['card', 'import', file], 'n\n');
      expect(declined.code).toBe(1);
      expect(declined.stderr).toContain(`Fingerprint: ${adaStatus.identity.fingerprint}`);
      expect(declined.stderr).toContain('kith: not imported');
      const noAnswer = await on(() => bo, ['card', 'import', file], '');
      expect(noAnswer.code).toBe(1);
      expect(JSON.parse((await on(() => bo, ['contacts', 'list', '--json'])).stdout).contacts).toEqual([]);

      const accepted = await on(() => bo, ['card', 'import', file], 'y\n');
      expect(accepted.code, accepted.stderr).toBe(0);
      expect(accepted.stdout).toContain('Imported:');
      const list = JSON.parse((await on(() => bo, ['contacts', 'list', '--json'])).stdout);
      expect(list.contacts).toHaveLength(1);
      expect(list.contacts[0]).toMatchObject({
        name: 'Ada',
        fingerprint: adaStatus.identity.fingerprint,
        verified: false,
      });
      expect((await on(() => bo, ['status', '--json'])).stdout).toContain('"contacts": 1');

      const dup = await on(() => bo, ['card', 'import', file, '--yes']);
      expect(dup.code).toBe(1);
      expect(dup.stderr).toContain('kith: this card is already a contact, named "Ada"');
      const self = await on(() => ada, ['card', 'import', file, '--yes']);
      expect(self.code).toBe(1);
      expect(self.stderr).toContain("is this device's own card");
    });

    it('imports with --yes and a local name, shows and removes contacts', async () => {
      const file = join(dir, 'bo.card');
      await on(() => bo, ['card', 'export', '--out', file]);
      const imported = await on(() => ada, ['card', 'import', file, '--yes', '--name', 'Bobby']);
      expect(imported.code, imported.stderr).toBe(0);
      const shown = await on(() => ada, ['contacts', 'show', 'bobby']);
      expect(shown.stdout).toContain('Name:        Bobby (calls themselves "Bo")');
      const fp = JSON.parse((await on(() => ada, ['contacts', 'show', 'Bobby', '--json'])).stdout)
        .fingerprint as string;
      expect((await on(() => ada, ['contacts', 'show', fp.slice(0, 9)])).code).toBe(0);
      const list = await on(() => ada, ['contacts', 'list']);
      expect(list.stdout).toMatch(
        /^NAME\s+FINGERPRINT\s+VERIFIED\s+ADDED\nBobby\s+[0-9a-f ]+\s+no\s+\d{4}-\d\d-\d\d\n$/,
      );

      const kept = await on(() => ada, ['contacts', 'remove', 'Bobby'], 'no\n');
      expect(kept.code).toBe(1);
      const removed = await on(() => ada, ['contacts', 'remove', 'Bobby', '--yes']);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toBe('Removed Bobby.\n');
      const missing = await on(() => ada, ['contacts', 'show', 'Bobby']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('kith: no contact named or with a fingerprint starting "Bobby"');
      expect((await on(() => ada, ['contacts', 'list'])).stdout).toContain('No contacts yet.');
    });

    it('rejects bad card files with a specific error', async () => {
      const cases: [string, string | null, string][] = [
        ['missing.card', null, 'cannot read'],
        ['text.card', 'hello there\n', 'not a Kith contact card'],
        ['b64.card', 'kith-card:!!!\n', 'not valid base64url'],
        ['short.card', 'kith-card:AQRBZGE\n', 'contact card is 5 bytes, expected'],
        ['big.card', 'x'.repeat(10_000), 'a card file is at most'],
      ];
      const good = (await on(() => ada, ['card', 'export'])).stdout.trim();
      const flipped = `${good.slice(0, -3)}${good.at(-3) === 'A' ? 'B' : 'A'}${good.slice(-2)}`;
      cases.push(['flipped.card', flipped, 'contact card signature does not verify']);
      cases.push([
        'v2.card',
        `kith-card:Ag${good.slice('kith-card:AQ'.length)}`,
        'contact card version 2 is not supported',
      ]);
      for (const [name, content, message] of cases) {
        const file = join(dir, name);
        if (content !== null) writeFileSync(file, content);
        const res = await on(() => bo, ['card', 'import', file, '--yes']);
        expect(res.code, name).toBe(1);
        expect(res.stderr, name).toContain(message);
      }
    });
  });
});
