import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Health } from '../../../src/service/health.js';
import { createNotifier, watchdogInterval } from '../../../src/service/notify.js';
import { startWatchdog } from '../../../src/service/watchdog.js';
import { openStore } from '../../../src/store/store.js';
import { tmpDir } from '../../helpers/tmp.js';

describe('watchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function fakeNotifier() {
    const sent: string[] = [];
    return {
      sent,
      watchdogIntervalMs: 1000,
      watchdog: () => sent.push('WATCHDOG=1'),
      status: (s: string) => sent.push(`STATUS=${s}`),
    };
  }

  it('pings only while healthy, and says why when not', () => {
    const reports = [true, true, false, false, true];
    const notifier = fakeNotifier();
    const unhealthy: string[] = [];
    const w = startWatchdog({
      health: {
        check: () => {
          const ok = reports.shift() ?? true;
          return {
            ok,
            reason: ok ? null : 'database write failed: disk I/O error',
            eventLoopDelayMs: 1,
            checkedAt: 0,
          };
        },
      },
      notifier,
      readyStatus: () => 'ready: 2 contacts',
      onUnhealthy: (r) => unhealthy.push(r),
    });
    vi.advanceTimersByTime(4000);
    w.stop();
    vi.advanceTimersByTime(5000);
    expect(notifier.sent).toEqual([
      'WATCHDOG=1',
      'STATUS=ready: 2 contacts',
      'WATCHDOG=1',
      'STATUS=unhealthy: database write failed: disk I/O error',
      'WATCHDOG=1',
      'STATUS=ready: 2 contacts',
    ]);
    expect(unhealthy).toHaveLength(2);
  });
});

describe('health', () => {
  it('fails on a stalled event loop and on a database that no longer takes writes', async () => {
    const store = openStore({ dataDir: tmpDir() });
    const health = new Health(store, 50);
    expect(health.check()).toMatchObject({ ok: true, reason: null });
    expect(store.settings.get('service.alive_at')).toBeTypeOf('number');
    // Let the monitor take its first samples (its first tick only sets a reference point), then
    // block the event loop for ~300 ms and let the histogram see the delay.
    await new Promise((r) => setTimeout(r, 60));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // busy on purpose
    }
    await new Promise((r) => setTimeout(r, 30));
    const stalled = health.check();
    expect(stalled.ok).toBe(false);
    expect(stalled.reason).toMatch(/^event loop stalled for \d+ ms \(limit 50 ms\)$/);
    expect(stalled.eventLoopDelayMs).toBeGreaterThan(200);
    // The next check, without a stall, passes again.
    await new Promise((r) => setTimeout(r, 30));
    expect(health.check().ok).toBe(true);
    store.close();
    const closed = health.check();
    expect(closed.ok).toBe(false);
    expect(closed.reason).toMatch(/^database write failed: /);
    health.stop();
  });
});

describe('notify', () => {
  it('derives the watchdog interval from WATCHDOG_USEC and WATCHDOG_PID', () => {
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 10)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '11' }, 10)).toBeNull();
    expect(watchdogInterval({}, 10)).toBeNull();
    expect(watchdogInterval({ WATCHDOG_USEC: '0' }, 10)).toBeNull();
    expect(watchdogInterval({ WATCHDOG_USEC: 'soon' }, 10)).toBeNull();
    expect(watchdogInterval({ WATCHDOG_USEC: '1' }, 10)).toBe(1);
  });

  it('is a silent no-op outside systemd, and refuses non-path sockets with a reason', () => {
    const errors: string[] = [];
    const off = createNotifier({ env: {}, onError: (m) => errors.push(m) });
    expect(off.enabled).toBe(false);
    off.ready('x');
    off.watchdog();
    off.stopping('x');
    off.close();
    expect(errors).toEqual([]);
    for (const address of ['@abstract', 'vsock:2:1234']) {
      const n = createNotifier({ env: { NOTIFY_SOCKET: address }, onError: (m) => errors.push(m) });
      expect(n.enabled).toBe(false);
    }
    expect(errors).toEqual([
      'NOTIFY_SOCKET=@abstract is not a filesystem path; systemd notifications are off',
      'NOTIFY_SOCKET=vsock:2:1234 is not a filesystem path; systemd notifications are off',
    ]);
  });
});
