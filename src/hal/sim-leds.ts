// The simulator's LEDs (DESIGN §2): their state for the web front panel and tests, with a
// notification on every change so the panel pushes updates. It never fails. No timers.
import type { KithError } from '../errors.js';
import type { LedId, Leds } from './leds.js';

export class SimLeds implements Leds {
  private readonly lit: Record<LedId, boolean> = { green: false, red: false };
  private readonly listeners = new Set<() => void>();
  private closed = false;

  set(led: LedId, on: boolean): void {
    if (this.closed || !Object.hasOwn(this.lit, led) || this.lit[led] === on) return;
    this.lit[led] = on;
    for (const listener of [...this.listeners]) listener();
  }

  /** Simulated LEDs never fail. */
  onError(_listener: (err: KithError) => void): void {}

  /** Like the real drivers: the LEDs go off; listeners hear nothing more. */
  close(): void {
    this.listeners.clear();
    this.lit.green = false;
    this.lit.red = false;
    this.closed = true;
  }

  /** Which LEDs are lit now (a copy). */
  state(): Record<LedId, boolean> {
    return { ...this.lit };
  }

  /** Calls `listener` after each change; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
