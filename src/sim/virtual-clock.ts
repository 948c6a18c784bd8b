// The Clock of a simulation: virtual time that moves only when a test tells it to, so protocol code
// built on Clock runs thousands of nodes through hours of timers in moments, the same way every run.
//
// Exceptions thrown by a scheduled call are not caught: they propagate out of advance()/runUntil()/
// runUntilIdle() so the test that drove the clock sees them, as an uncaught exception in a timer
// would crash the real process. The clock stays usable: time stands at the failed call's time, the
// call is gone, everything else stays queued.
import type { Cancel, Clock } from '../net/clock.js';
import { TimerQueue } from './timer-queue.js';

/** 2025-01-01T00:00:00Z: a fixed wall-clock start, so wall times repeat from run to run too. */
export const DEFAULT_EPOCH_MS = Date.UTC(2025, 0, 1);
/** Enough for a sizeable simulation; a runaway loop of zero-delay calls hits it in well under a second. */
export const DEFAULT_MAX_STEPS = 1_000_000;
/** Ten virtual minutes: long past any single exchange, short enough that periodic timers end the run. */
export const DEFAULT_MAX_MS = 600_000;

export interface RunLimits {
  /** Most virtual milliseconds to run before giving up (runUntil, runUntilIdle). */
  maxMs?: number;
  /** Most scheduled calls to run before giving up. */
  maxSteps?: number;
}

/** A run hit its bound: a test fails with this instead of hanging. */
export class SimLimitError extends Error {
  /** steps: too many calls; time: too much virtual time; idle: nothing left to run, condition false. */
  readonly limit: 'steps' | 'time' | 'idle';

  constructor(limit: 'steps' | 'time' | 'idle', message: string) {
    super(message);
    this.name = 'SimLimitError';
    this.limit = limit;
  }
}

export class VirtualClock implements Clock {
  private readonly queue = new TimerQueue();
  private readonly epochMs: number;
  private time = 0;
  private running = false;

  constructor(options: { epochMs?: number } = {}) {
    this.epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
  }

  now(): number {
    return this.time;
  }

  wallTime(): number {
    return this.epochMs + this.time;
  }

  /** Calls `fn` once, `ms` virtual milliseconds from now (a negative delay means now, as with setTimeout). */
  schedule(ms: number, fn: () => void): Cancel {
    return this.scheduleAt(this.time + finiteMs(ms, 'schedule delay'), fn);
  }

  /**
   * Calls `fn` once at virtual time `time` (now, if that has passed). Calls at the same time run in
   * the order they were scheduled. For code that computes absolute times (the network's FIFO links),
   * where now + (time - now) could round to just before an earlier call's time.
   */
  scheduleAt(time: number, fn: () => void): Cancel {
    return this.queue.push(Math.max(this.time, finiteMs(time, 'schedule time')), fn);
  }

  /** Scheduled calls not yet run or cancelled: 0 after a clean shutdown (leak check). */
  get pending(): number {
    return this.queue.size;
  }

  /**
   * Moves time forward by `ms`, running every call due by then in (time, scheduling) order,
   * including calls scheduled along the way that fall due within the window.
   */
  advance(ms: number, limits: { maxSteps?: number } = {}): void {
    const delta = finiteMs(ms, 'advance');
    if (delta < 0) throw new RangeError(`advance: cannot go back in time (${ms} ms)`);
    const target = this.time + delta;
    const maxSteps = limits.maxSteps ?? DEFAULT_MAX_STEPS;
    this.drive(() => {
      let steps = 0;
      for (let next = this.queue.peekTime(); next !== undefined && next <= target;) {
        if (steps >= maxSteps) {
          throw new SimLimitError(
            'steps',
            `advance(${ms}): still running after ${maxSteps} calls at ${this.time} virtual ms ` +
              `(${this.pending} pending; pass a larger maxSteps or find the loop)`,
          );
        }
        this.step();
        steps += 1;
        next = this.queue.peekTime();
      }
      this.time = target;
    });
  }

  /**
   * Runs calls in order until `done()` is true (checked before the first call and after each).
   * Throws SimLimitError if the queue empties first, or the next call lies beyond `maxMs` from the
   * start, or `maxSteps` calls have run. Time stops at the call that made `done()` true.
   */
  runUntil(done: () => boolean, limits: RunLimits = {}): void {
    this.run('runUntil', done, limits);
  }

  /** Runs calls in order until none is pending; throws SimLimitError at the bounds, as runUntil does. */
  runUntilIdle(limits: RunLimits = {}): void {
    this.run('runUntilIdle', () => this.queue.size === 0, limits);
  }

  private run(name: string, done: () => boolean, limits: RunLimits): void {
    const maxMs = finiteMs(limits.maxMs ?? DEFAULT_MAX_MS, `${name} maxMs`);
    const maxSteps = limits.maxSteps ?? DEFAULT_MAX_STEPS;
    const start = this.time;
    const deadline = start + maxMs;
    let steps = 0;
    const fail = (limit: SimLimitError['limit'], why: string) =>
      new SimLimitError(
        limit,
        `${name}: ${why} (at ${this.time} virtual ms, ${steps} calls run, ${this.pending} pending)`,
      );
    this.drive(() => {
      while (!done()) {
        const next = this.queue.peekTime();
        if (next === undefined) throw fail('idle', 'nothing left to run and the condition is still false');
        if (next > deadline) {
          throw fail('time', `not done within ${maxMs} virtual ms of ${start}; next call at ${next}`);
        }
        if (steps >= maxSteps) throw fail('steps', `not done after ${maxSteps} calls`);
        this.step();
        steps += 1;
      }
    });
  }

  private step(): void {
    const call = this.queue.take();
    if (call === undefined) return;
    this.time = call.time;
    call.fn();
  }

  /** Runs one drive loop; a scheduled call that drives the clock itself would run calls out of order. */
  private drive(loop: () => void): void {
    if (this.running) throw new Error('VirtualClock: advance/runUntil called from inside a scheduled call');
    this.running = true;
    try {
      loop();
    } finally {
      this.running = false;
    }
  }
}

function finiteMs(ms: number, what: string): number {
  // A NaN or infinite time is a bug in the caller; the real clock would hide it, the simulation should not.
  if (!Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number of ms, got ${ms}`);
  return ms;
}
