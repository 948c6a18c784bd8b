// The clock that protocol code is given instead of reading time itself (DESIGN §1), so the same
// code runs in real time on the device and in virtual time in a simulation of many nodes.

/** Cancels a scheduled call; calling it after the call ran, or twice, does nothing. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds on a monotonic clock (never jumps back); for timers and ages. */
  now(): number;
  /** Milliseconds since the Unix epoch; only for values two devices must agree on (epochs). */
  wallTime(): number;
  /** Calls `fn` once, `ms` milliseconds from now. */
  schedule(ms: number, fn: () => void): Cancel;
}

/** The real clock: performance.now() for monotonic time, Date.now() for wall time. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallTime: () => Date.now(),
  schedule(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    // Protocol timers never keep a process alive on their own; the owner of the socket does.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
