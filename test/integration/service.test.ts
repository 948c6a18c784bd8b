import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { kith, startKith, testConfig, withTimeout } from '../helpers/kith.js';
import { hasCommand, needs } from '../helpers/needs.js';
import { tmpDir } from '../helpers/tmp.js';

interface Notification {
  pid: number | null;
  data: string;
}

/** A fake systemd notify socket; collects what arrives, with the sender PID from SO_PASSCRED. */
async function notifyListener(dir: string) {
  const path = join(dir, 'notify.sock');
  const proc: ChildProcess = spawn('python3', [resolve('test/helpers/notify-listener.py'), path], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const received: Notification[] = [];
  const waiters: (() => void)[] = [];
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  await withTimeout(
    new Promise<void>((res) => {
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as Notification | { listening: string };
        if ('listening' in msg) res();
        else {
          received.push(msg);
          for (const w of waiters.splice(0)) w();
        }
      });
    }),
    10_000,
    'notify listener did not start',
  );
  return {
    path,
    received,
    /** Waits until some datagram contains `text` (bounded). */
    async waitFor(text: string): Promise<Notification> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const hit = received.find((n) => n.data.split('\n').includes(text) || n.data.includes(text));
        if (hit) return hit;
        if (Date.now() > deadline)
          throw new Error(`no "${text}" notification; got ${JSON.stringify(received)}`);
        await new Promise<void>((res) => {
          waiters.push(res);
          setTimeout(res, 200);
        });
      }
    },
    close: () => proc.stdin?.end(),
  };
}

describe('kith run', () => {
  it('serves status on the control socket and stops cleanly on SIGTERM', async () => {
    const dir = tmpDir();
    const service = await startKith(dir);
    expect(statSync(service.socket).mode & 0o777).toBe(0o660);
    const res = await kith(['--socket', service.socket, 'status', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const status = JSON.parse(res.stdout);
    expect(status).toMatchObject({
      pid: service.proc.pid,
      identity: { name: 'Kith', fingerprint: expect.stringMatching(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/) },
      store: { dataDir: service.dataDir, schemaVersion: MIGRATIONS.length, contacts: 0, corruptContacts: 0 },
      health: { ok: true, reason: null },
      previousRunUnclean: false,
    });
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.uptimeSeconds).toBeGreaterThanOrEqual(0);
    const created = service.logs.find((l) => l.msg === 'identity created');
    expect(created?.fingerprint).toBe(status.identity.fingerprint);

    // Human output carries the same facts.
    const human = await kith(['--socket', service.socket, 'status']);
    expect(human.stdout).toMatch(new RegExp(`^Fingerprint: +${status.identity.fingerprint}$`, 'm'));
    expect(human.stdout).toMatch(/Contacts:\s+0/);

    expect(await service.stop()).toEqual({ code: 0, signal: null });
    expect(existsSync(service.socket)).toBe(false);
    expect(existsSync(join(service.dataDir, 'kith.pid'))).toBe(false);
    expect(service.logs.map((l) => l.msg)).toContain('stopped');
    // The database was closed: it opens with an exclusive lock, and the run was recorded as clean.
    const db = openDatabase(join(service.dataDir, 'kith.db'));
    expect(db.prepare("SELECT value FROM settings WHERE key = 'service.running'").get()).toEqual({
      value: 'false',
    });
    db.close();
  });

  it('keeps its identity across restarts and notices an unclean end', async () => {
    const dir = tmpDir();
    const first = await startKith(dir);
    const fp = JSON.parse((await kith(['-s', first.socket, 'status', '--json'])).stdout).identity.fingerprint;
    first.proc.kill('SIGKILL');
    await first.exited;
    // A stale socket file is left behind by SIGKILL; the next start must clear it.
    expect(existsSync(first.socket)).toBe(true);
    const second = await startKith(dir);
    const status = JSON.parse((await kith(['-s', second.socket, 'status', '--json'])).stdout);
    expect(status.identity.fingerprint).toBe(fp);
    expect(status.previousRunUnclean).toBe(true);
    expect(second.logs.some((l) => l.msg === 'identity created')).toBe(false);
    expect(second.logs.some((l) => String(l.msg).startsWith('previous run did not stop cleanly'))).toBe(true);
    await second.stop();
  });

  it('refuses a second instance on the same data directory without touching it', async () => {
    const dir = tmpDir();
    const first = await startKith(dir);
    const config = testConfig(join(dir, 'others'));
    const second = await kith([
      'run',
      '--config',
      config,
      '--data-dir',
      first.dataDir,
      '--runtime-dir',
      join(dir, 'run2'),
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `kith: data directory ${first.dataDir} is in use by another Kith process (pid ${first.proc.pid}); refusing to start a second one`,
    );
    // A second instance on another data directory but the same socket is refused too.
    const third = await kith([
      'run',
      '--config',
      config,
      '--data-dir',
      join(dir, 'other'),
      '--runtime-dir',
      join(dir, 'run'),
    ]);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('is serving');
    // The first is unharmed.
    expect((await kith(['-s', first.socket, 'status', '--json'])).code).toBe(0);
    expect(await first.stop()).toEqual({ code: 0, signal: null });
  });

  it('stops on SIGINT too', async () => {
    const service = await startKith(tmpDir());
    service.proc.kill('SIGINT');
    expect(await withTimeout(service.exited, 15_000, 'no exit after SIGINT')).toEqual({
      code: 0,
      signal: null,
    });
  });

  it('runs a board whose hardware is missing: each part is reported, the service carries on', async () => {
    // This machine has no gpio-keys device, no sysfs GPIO for onoff, no /dev/i2c-0.
    const service = await startKith(tmpDir(), { args: ['--board', 'nanopi-neo-air'] });
    expect(service.logs.find((l) => l.msg === 'kith ready')?.board).toBe('nanopi-neo-air');
    await new Promise((r) => setTimeout(r, 500));
    const failed = service.logs.filter((l) => String(l.msg).endsWith('the device carries on without it'));
    expect(failed.map((l) => l.part).sort()).toEqual(expect.arrayContaining(['buttons', 'display']));
    const status = await kith(['-s', service.socket, 'status', '--json']);
    expect(status.code).toBe(0);
    expect(await service.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses an unknown board with the boards there are', async () => {
    const dir = tmpDir();
    const res = await kith([
      'run',
      '--config',
      testConfig(dir),
      '--data-dir',
      join(dir, 'd'),
      '--board',
      'toaster',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'toaster.json does not exist; known boards: nanopi-neo-air, raspberry-pi, sim',
    );
    expect(existsSync(join(dir, 'd'))).toBe(false); // refused before anything was created
  });

  it('exits with a clear message and status 78 on an invalid config', async () => {
    const dir = tmpDir();
    const res = await kith(['run', '--config', join(dir, 'missing.toml'), '--data-dir', join(dir, 'd')]);
    expect(res.code).toBe(78);
    expect(res.stderr).toContain(`config file ${join(dir, 'missing.toml')} does not exist`);
  });

  const hasPython = needs('python3 (the notify socket listener)', hasCommand('python3'));
  describe.runIf(hasPython)('systemd notify', () => {
    const cleanups: (() => void)[] = [];
    afterAll(() => {
      for (const c of cleanups) c();
    });

    it('sends READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 from its own PID', async () => {
      const dir = tmpDir();
      const listener = await notifyListener(dir);
      cleanups.push(listener.close);
      const service = await startKith(dir, {
        env: { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '400000' },
      });
      const pid = service.proc.pid;
      const ready = await listener.waitFor('READY=1');
      expect(ready.pid).toBe(pid);
      expect(ready.data).toMatch(/^READY=1\nSTATUS=ready: 0 contacts, identity [0-9a-f]{4} [0-9a-f]{4}$/);
      // WATCHDOG=1 every 200 ms (half of WATCHDOG_USEC): wait for at least three.
      const deadline = Date.now() + 10_000;
      while (listener.received.filter((n) => n.data === 'WATCHDOG=1').length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const pings = listener.received.filter((n) => n.data === 'WATCHDOG=1');
      expect(pings.length).toBeGreaterThanOrEqual(3);
      for (const p of pings) expect(p.pid).toBe(pid);
      expect(listener.received.some((n) => n.data.startsWith('STATUS=') && n.pid === pid)).toBe(true);
      expect(service.logs.find((l) => l.msg === 'kith ready')?.watchdogMs).toBe(200);

      await service.stop();
      const stopping = await listener.waitFor('STOPPING=1');
      expect(stopping.pid).toBe(pid);
      expect(stopping.data).toBe('STOPPING=1\nSTATUS=stopping: SIGTERM');
      // Nothing but STOPPING comes after it.
      const after = listener.received.slice(listener.received.indexOf(stopping) + 1);
      expect(after).toEqual([]);
    });

    it('ignores a watchdog meant for another PID, and an abstract notify socket, without failing', async () => {
      const dir = tmpDir();
      const listener = await notifyListener(dir);
      cleanups.push(listener.close);
      const service = await startKith(dir, {
        env: { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '400000', WATCHDOG_PID: '1' },
      });
      await listener.waitFor('READY=1');
      await new Promise((r) => setTimeout(r, 600));
      expect(listener.received.filter((n) => n.data === 'WATCHDOG=1')).toEqual([]);
      await service.stop();

      const abstract = await startKith(tmpDir(), { env: { NOTIFY_SOCKET: '@kith-test-notify' } });
      expect(abstract.logs.some((l) => String(l.msg).includes('is not a filesystem path'))).toBe(true);
      expect(await abstract.stop()).toEqual({ code: 0, signal: null });
    });
  });
});
