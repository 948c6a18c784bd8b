import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kith, type RunningKith, startKith } from '../helpers/kith.js';
import { tmpDir } from '../helpers/tmp.js';

describe('encrypted channel between two kith run processes on 127.0.0.1', () => {
  let dir: string;
  let ada: RunningKith;
  let bo: RunningKith;
  const on = (device: RunningKith, args: string[]) => kith(['--socket', device.socket, ...args]);

  beforeAll(async () => {
    dir = tmpDir();
    [ada, bo] = await Promise.all([
      startKith(join(dir, 'ada'), { config: '[device]\nname = "Ada"' }),
      startKith(join(dir, 'bo'), { config: '[device]\nname = "Bo"' }),
    ]);
    // Exchange cards both ways, as two owners would.
    for (const [from, to] of [
      [ada, bo],
      [bo, ada],
    ] as const) {
      const file = join(dir, `${from === ada ? 'ada' : 'bo'}.card`);
      writeFileSync(file, (await on(from, ['card', 'export'])).stdout);
      const imported = await on(to, ['card', 'import', file, '--yes']);
      expect(imported.code, imported.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await Promise.all([ada?.stop(), bo?.stop()]);
  });

  it('needs an endpoint or the overlay before it can reach a contact', async () => {
    const res = await on(ada, ['ping', 'Bo']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('kith: no address is known and this device has no overlay neighbours');
  });

  it('rejects a malformed endpoint with what was expected', async () => {
    const res = await on(ada, ['contacts', 'set-endpoint', 'Bo', 'localhost:80']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('"localhost:80" is not an endpoint; expected IPV4:PORT or [IPV6]:PORT');
    const usage = await on(ada, ['contacts', 'set-endpoint', 'Bo']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give an endpoint (HOST:PORT) or --clear');
  });

  it('handshakes and pings once one side knows the other’s address', async () => {
    const set = await on(ada, ['contacts', 'set-endpoint', 'Bo', bo.udp]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`Bo is reachable at ${bo.udp}.\n`);

    const first = await on(ada, ['ping', 'Bo', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const [result] = JSON.parse(first.stdout);
    expect(result).toMatchObject({ name: 'Bo', endpoint: bo.udp });
    expect(result.handshakeMs).toBeGreaterThan(0);
    expect(result.rttMs).toBeGreaterThan(0);

    // Bo never learned Ada's address by hand: the authenticated handshake taught it (roaming).
    const back = await on(bo, ['ping', 'Ada', '--count', '3']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.match(/^reply from Ada at 127\.0\.0\.1:\d+: rtt [\d.]+ ms$/gm)).toHaveLength(3);
    expect(back.stdout).not.toContain('handshake');

    const status = JSON.parse((await on(ada, ['status', '--json'])).stdout);
    expect(status.network.udp).toBe(ada.udp);
    expect(status.channels.open).toEqual([
      expect.objectContaining({ name: 'Bo', endpoint: bo.udp, state: 'open', handshakes: 1, drops: {} }),
    ]);
    const human = (await on(ada, ['status'])).stdout;
    expect(human).toMatch(
      /CHANNEL\s+ADDRESS\s+STATE\s+AGE\s+RTT\s+IN\/OUT\s+DROPS\nBo\s+127\.0\.0\.1:\d+\s+open/,
    );
  });

  it('refuses a ping to a contact that is gone', async () => {
    const res = await on(ada, ['ping', 'Nobody']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no contact named or with a fingerprint starting "Nobody"');
  });
});
