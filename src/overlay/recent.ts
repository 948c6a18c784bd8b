// A bounded set of recently seen keys with an age limit: the replay caches of HELLOs, INVITE IDs
// and ROUTE message IDs. Bounded so that a flood of fresh keys costs memory only up to `max`; when
// full the oldest key goes, which at worst lets a replay older than the flood through, and each
// caller pairs this with a timestamp window so such a replay is also stale.
import type { Clock } from '../net/clock.js';

export class RecentSet {
  readonly #seen = new Map<string, number>();
  readonly #clock: Clock;
  readonly #max: number;
  readonly #ageMs: number;

  constructor(clock: Clock, max: number, ageMs: number) {
    this.#clock = clock;
    this.#max = max;
    this.#ageMs = ageMs;
  }

  has(key: string): boolean {
    const at = this.#seen.get(key);
    if (at === undefined) return false;
    if (this.#clock.now() - at > this.#ageMs) {
      this.#seen.delete(key);
      return false;
    }
    return true;
  }

  /** Records `key`; false when it was already there (a replay). */
  add(key: string): boolean {
    if (this.has(key)) return false;
    if (this.#seen.size >= this.#max) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(key, this.#clock.now());
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}
