// Token buckets per source address for handshake processing (WireGuard's ratelimiter idea): a
// source may make us do at most `rate` handshakes per second after a burst of `burst`. The table
// is bounded: when full, the stalest entry goes, so spoofed sources cannot grow memory.
import type { Clock } from '../net/clock.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #clock: Clock;
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxEntries: number;

  constructor(clock: Clock, ratePerSecond: number, burst: number, maxEntries = 4096) {
    this.#clock = clock;
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#maxEntries = maxEntries;
  }

  /** Takes a token for `key`; false when the key is over its rate. */
  allow(key: string): boolean {
    const now = this.#clock.now();
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key); // re-inserted below: Map order is then least recently used first
      bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    } else {
      if (this.#buckets.size >= this.#maxEntries) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      bucket = { tokens: this.#burst, at: now };
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.#buckets.size;
  }
}

/** A sliding estimate of events per second over the last second (for "under load"). */
export class RateMeter {
  readonly #clock: Clock;
  #windowStart = 0;
  #count = 0;
  #previous = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#windowStart = clock.now();
  }

  /** Records one event and returns the current rate estimate (events/s). */
  mark(): number {
    this.#roll();
    this.#count += 1;
    return this.rate();
  }

  rate(): number {
    this.#roll();
    const elapsed = (this.#clock.now() - this.#windowStart) / 1000;
    // Weighted like a sliding window: the previous second counts for the part not yet covered.
    return this.#count + this.#previous * Math.max(0, 1 - elapsed);
  }

  #roll(): void {
    const now = this.#clock.now();
    const seconds = Math.floor((now - this.#windowStart) / 1000);
    if (seconds <= 0) return;
    this.#previous = seconds === 1 ? this.#count : 0;
    this.#count = 0;
    this.#windowStart += seconds * 1000;
  }
}
