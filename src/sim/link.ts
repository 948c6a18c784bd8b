// One direction of a virtual link between two addresses: the conditions a packet meets on the way
// (delay, jitter, loss, duplication, reordering, bandwidth) and the state that makes it behave like
// a queue, deciding when (and whether) each packet arrives.
//
// A link is FIFO: jitter varies each packet's latency but never lets a later packet overtake an
// earlier one (a packet that draws less jitter waits behind the one before it, still within
// delay + jitter of its send). Reordering comes only from the `reorder` condition, so a test chooses
// whether and how often it happens.
import { emptyStats, type TrafficStats } from './traffic-stats.js';

export interface LinkConditions {
  /** One-way latency every packet takes at least. */
  delayMs: number;
  /** Each packet's latency is delayMs plus a uniform draw from [0, jitterMs). */
  jitterMs: number;
  /** Probability (0..1) that a packet is lost. */
  loss: number;
  /** Probability (0..1) that a packet that gets through arrives twice. */
  duplicate: number;
  /** Probability (0..1) that a packet is held back, by up to reorderDelayMs, so later ones overtake it. */
  reorder: number;
  /** Most extra delay of a held-back packet; default delayMs + jitterMs, at least 1 ms. */
  reorderDelayMs?: number;
  /** Bytes per second the link carries; packets queue behind each other without limit. Unlimited if absent. */
  bandwidth?: number;
}

export const PERFECT_LINK: Readonly<LinkConditions> = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
});

/** Throws a RangeError naming the first field that is not a valid condition. */
export function checkConditions(c: LinkConditions): void {
  const fail = (field: keyof LinkConditions, allowed: string) => {
    throw new RangeError(`link condition ${field} must be ${allowed}, got ${String(c[field])}`);
  };
  for (const field of ['delayMs', 'jitterMs'] as const) {
    if (!(Number.isFinite(c[field]) && c[field] >= 0)) fail(field, 'a finite number >= 0');
  }
  for (const field of ['loss', 'duplicate', 'reorder'] as const) {
    if (!(c[field] >= 0 && c[field] <= 1)) fail(field, 'a probability in 0..1');
  }
  if (c.reorderDelayMs !== undefined && !(Number.isFinite(c.reorderDelayMs) && c.reorderDelayMs > 0)) {
    fail('reorderDelayMs', 'a finite number > 0');
  }
  if (c.bandwidth !== undefined && !(c.bandwidth > 0)) fail('bandwidth', 'a number of bytes per second > 0');
}

export class Link {
  readonly stats: TrafficStats = emptyStats();
  /** Arrival time of the last packet that kept its place in the queue. */
  private lastArrival = -Infinity;
  /** When the link finishes putting the queued packets on the wire (bandwidth only). */
  private busyUntil = -Infinity;

  /**
   * Decides the fate of one packet of `bytes` sent at `now`: the arrival times of the copies that
   * get through (none if lost, two if duplicated). Counts lost, duplicated and reordered.
   */
  transmit(bytes: number, now: number, c: LinkConditions, random: () => number): number[] {
    if (c.loss > 0 && random() < c.loss) {
      this.stats.lost += 1;
      return [];
    }
    let departure = now;
    if (c.bandwidth !== undefined) {
      departure = Math.max(now, this.busyUntil) + (bytes * 1000) / c.bandwidth;
      this.busyUntil = departure;
    }
    const first = this.arrival(departure, c, random);
    if (!(c.duplicate > 0 && random() < c.duplicate)) return [first];
    this.stats.duplicated += 1;
    return [first, this.arrival(departure, c, random)];
  }

  private arrival(departure: number, c: LinkConditions, random: () => number): number {
    const drawn = departure + c.delayMs + (c.jitterMs > 0 ? random() * c.jitterMs : 0);
    const inOrder = Math.max(drawn, this.lastArrival);
    if (c.reorder > 0 && random() < c.reorder) {
      this.stats.reordered += 1;
      const most = c.reorderDelayMs ?? Math.max(1, c.delayMs + c.jitterMs);
      // (1 - u) is in (0, 1]: a held-back packet is always later than its place in the queue, and it
      // does not move lastArrival, so the packets after it keep their times and overtake it.
      return inOrder + (1 - random()) * most;
    }
    this.lastArrival = inOrder;
    return inOrder;
  }
}
