// The health check behind the systemd watchdog (DESIGN §2): WATCHDOG=1 is sent only while it
// passes, so a service whose event loop is stuck or whose database no longer takes writes is
// killed and restarted by systemd instead of sitting there looking alive.
//
// Two probes:
// - event loop: the longest delay seen since the last check (perf_hooks histogram) stays under
//   the configured bound;
// - database: a committed write. Every check takes the write lock (BEGIN IMMEDIATE, then roll
//   back: no disk I/O), and every ALIVE_WRITE_INTERVAL_MS a real, synced write records
//   service.alive_at, which also tells after a crash when the service was last known good.
//   Writing on every 15 s watchdog tick would cost an SD card ~8 GB a year for nothing.
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { errorMessage } from '../errors.js';
import type { Store } from '../store/store.js';

export const ALIVE_WRITE_INTERVAL_MS = 10 * 60_000;

export interface HealthReport {
  ok: boolean;
  reason: string | null;
  /** Longest event-loop delay since the previous check. */
  eventLoopDelayMs: number;
  checkedAt: number;
}

export class Health {
  readonly #store: Store;
  readonly #maxDelayMs: number;
  readonly #now: () => number;
  readonly #histogram: IntervalHistogram;
  #lastAliveWrite = Number.NEGATIVE_INFINITY;
  #last: HealthReport;

  constructor(store: Store, maxEventLoopDelayMs: number, now: () => number = Date.now) {
    this.#store = store;
    this.#maxDelayMs = maxEventLoopDelayMs;
    this.#now = now;
    this.#histogram = monitorEventLoopDelay({ resolution: 20 });
    this.#histogram.enable();
    this.#last = { ok: true, reason: null, eventLoopDelayMs: 0, checkedAt: now() };
  }

  get last(): HealthReport {
    return this.#last;
  }

  check(): HealthReport {
    const now = this.#now();
    const delayMs = Math.round(this.#histogram.max / 1e6);
    this.#histogram.reset();
    const reason =
      delayMs > this.#maxDelayMs
        ? `event loop stalled for ${delayMs} ms (limit ${this.#maxDelayMs} ms)`
        : this.#probeDatabase(now);
    this.#last = { ok: reason === null, reason, eventLoopDelayMs: delayMs, checkedAt: now };
    return this.#last;
  }

  #probeDatabase(now: number): string | null {
    try {
      if (now - this.#lastAliveWrite >= ALIVE_WRITE_INTERVAL_MS) {
        this.#store.settings.set('service.alive_at', now);
        this.#lastAliveWrite = now;
      } else {
        this.#store.db.exec('BEGIN IMMEDIATE; ROLLBACK');
      }
      return null;
    } catch (err) {
      return `database write failed: ${errorMessage(err)}`;
    }
  }

  stop(): void {
    this.#histogram.disable();
  }
}
