// The compact routing model (src/sim/route-model.ts) against the rules it claims to follow
// (docs/overlay-protocol.md "Behaviour" → "Routing") and against brute force: bucket ranges,
// table contents, greedy hops, the retransmission schedule, delivery under loss, memory bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { compareDistance, ID_BITS, sharedPrefixBits } from '../../../src/overlay/table.js';
import { DEFAULT_OVERLAY_TIMERS } from '../../../src/overlay/timers.js';
import {
  estimateModelBytes,
  RandomStream,
  retrySchedule,
  RouteModel,
  runRoutes,
  type HopTrace,
  type RouteOutcome,
  type RouteParams,
} from '../../../src/sim/route-model.js';

const model = (nodes: number, seed: string, extra: { offline?: number; stale?: number; k?: number } = {}) =>
  new RouteModel({ nodes, rng: seededRng(utf8(seed)), ...extra });

/** The listed neighbours of `from` strictly closer to `to`, closest first, by the definition. */
function closerByDefinition(m: RouteModel, from: number, to: number): number[] {
  const target = m.id(to);
  return [...m.table(from)]
    .filter((e) => e >= 0 && compareDistance(target, m.id(e), m.id(from)) < 0)
    .sort((a, b) => compareDistance(target, m.id(a), m.id(b)));
}

/**
 * The deepest non-empty bucket of x: the node sharing the longest prefix with x is next to it in
 * ID order, and every deeper bucket is empty (the brute-force test checks all 256).
 */
function deepestBucket(m: RouteModel, x: number): number {
  const near = [x - 1, x + 1].filter((y) => y >= 0 && y < m.size);
  return Math.max(...near.map((y) => sharedPrefixBits(m.id(x), m.id(y))));
}

/** Routes `count` messages between online pairs and hands each one's trace to `check`. */
function routeMany(
  m: RouteModel,
  count: number,
  params: Omit<RouteParams, 'random'>,
  seed: string,
  check: (source: number, destination: number, hops: HopTrace[], outcome: RouteOutcome) => void,
): void {
  const random = new RandomStream(seededRng(utf8(seed)));
  const online = Array.from({ length: m.size }, (_, i) => i).filter((i) => m.isOnline(i));
  for (let n = 0; n < count; n++) {
    const source = online[random.below(online.length)] as number;
    const destination = online[random.below(online.length)] as number;
    if (source === destination) continue;
    const hops: HopTrace[] = [];
    const outcome = m.route(source, destination, { ...params, random }, (h) => hops.push(h));
    check(source, destination, hops, outcome);
  }
}

describe('RouteModel layout', () => {
  it('sorts distinct IDs and is reproducible from its seed', () => {
    const a = model(3000, 'layout');
    for (let i = 1; i < a.size; i++) expect(Buffer.compare(a.id(i - 1), a.id(i))).toBe(-1);
    const b = model(3000, 'layout');
    expect(b.ids).toEqual(a.ids);
    expect(b.entries).toEqual(a.entries);
    expect(model(3000, 'other').ids).not.toEqual(a.ids);
  });

  it('finds every bucket range as brute force over all pairs does (N = 300)', () => {
    const m = model(300, 'buckets');
    for (let x = 0; x < m.size; x++) {
      const members: number[][] = Array.from({ length: ID_BITS }, () => []);
      for (let y = 0; y < m.size; y++) if (y !== x) members[sharedPrefixBits(m.id(x), m.id(y))]?.push(y);
      for (let bucket = 0; bucket < ID_BITS; bucket++) {
        const want = members[bucket] as number[];
        const [lo, hi] = m.bucketRange(x, bucket);
        // Contiguous: the members are exactly the indexes lo .. hi - 1.
        expect(hi - lo).toBe(want.length);
        if (want.length > 0) expect([want[0], want[want.length - 1]]).toEqual([lo, hi - 1]);
      }
    }
  });

  it('fills each bucket with min(k, range) distinct members of its range, grouped by bucket', () => {
    const m = model(300, 'tables');
    for (let x = 0; x < m.size; x++) {
      const table = [...m.table(x)];
      const buckets = table.map((e) => sharedPrefixBits(m.id(x), m.id(e)));
      // Grouped shallow to deep, as the walk fills them.
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1] as number);
      expect(new Set(table).size).toBe(table.length);
      let held = 0;
      const deepest = deepestBucket(m, x);
      for (let bucket = 0; bucket <= deepest; bucket++) {
        const [lo, hi] = m.bucketRange(x, bucket);
        const inRange = table.filter((e) => e >= lo && e < hi).length;
        expect(inRange).toBe(Math.min(m.k, hi - lo));
        expect(buckets.filter((b) => b === bucket).length).toBe(inRange);
        held += inRange;
      }
      expect(held).toBe(table.length);
    }
  });

  it('samples uniformly: each member of a large bucket is listed about k / size of the time', () => {
    // Bucket 0 of every node in the lower half is the upper half (about N/2 nodes); each upper
    // node should be picked by about lowerHalf * k / upperHalf tables.
    const m = model(4000, 'uniform');
    const [mid] = m.bucketRange(0, 0);
    const picks = new Map<number, number>();
    for (let x = 0; x < mid; x++) {
      for (const e of m.table(x)) if (e >= mid) picks.set(e, (picks.get(e) ?? 0) + 1);
    }
    const expected = (mid * m.k) / (m.size - mid);
    const counts = Array.from({ length: m.size - mid }, (_, i) => picks.get(mid + i) ?? 0);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeCloseTo(expected, 6);
    // Binomial spread: the variance is about the mean (k << bucket size); a skewed sampler
    // (always the range's first members, say) would blow this up.
    const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length;
    expect(variance).toBeLessThan(1.5 * expected);
    expect(variance).toBeGreaterThan(0.5 * expected);
  });

  it('lists offline nodes in proportion when stale = 1, and none when stale = 0', () => {
    const stale = model(5000, 'churn', { offline: 0.1, stale: 1 });
    const repaired = model(5000, 'churn', { offline: 0.1, stale: 0 });
    for (const m of [stale, repaired]) {
      expect(m.onlineCount).toBe(4500);
      let offlineHolders = 0;
      for (let x = 0; x < m.size; x++) if (!m.isOnline(x) && m.table(x).length > 0) offlineHolders += 1;
      expect(offlineHolders).toBe(0);
    }
    const listedOffline = (m: RouteModel) => {
      const live = [...m.entries].filter((e) => e >= 0);
      return live.filter((e) => !m.isOnline(e)).length / live.length;
    };
    expect(listedOffline(stale)).toBeGreaterThan(0.08);
    expect(listedOffline(stale)).toBeLessThan(0.12);
    expect(listedOffline(repaired)).toBe(0);
  });

  it('bounds the tables: at most k per non-empty bucket, and the estimate covers the arrays', () => {
    for (const nodes of [300, 5000]) {
      const m = model(nodes, `memory ${nodes}`);
      let bound = 0;
      for (let x = 0; x < m.size; x++) {
        let used = 0;
        const deepest = deepestBucket(m, x);
        for (let bucket = 0; bucket <= deepest; bucket++) {
          const [lo, hi] = m.bucketRange(x, bucket);
          if (hi > lo) used += 1;
        }
        expect(m.table(x).length).toBeLessThanOrEqual(m.k * used);
        bound += m.k * used;
      }
      expect(m.entries.length).toBeLessThanOrEqual(bound);
      expect(m.entries.length).toBeLessThanOrEqual(nodes * m.k * (Math.log2(nodes / m.k) + 3));
      expect(m.tableBytes).toBe(4 * m.entries.length + 4 * (nodes + 1));
      expect(m.bytes).toBeLessThanOrEqual(estimateModelBytes(nodes));
    }
  });

  it('refuses impossible parameters', () => {
    const rng = seededRng(utf8('bad'));
    expect(() => new RouteModel({ nodes: 1, rng })).toThrow(RangeError);
    expect(() => new RouteModel({ nodes: 10, rng, k: 0 })).toThrow(RangeError);
    expect(() => new RouteModel({ nodes: 10, rng, offline: 1 })).toThrow(RangeError);
    expect(() => new RouteModel({ nodes: 10, rng, stale: 2 })).toThrow(RangeError);
    const m = model(100, 'bad');
    const random = new RandomStream(rng);
    expect(() => m.route(1, 1, { loss: 0, latencyMs: 40, random })).toThrow(RangeError);
    expect(() => m.route(1, 2, { loss: 0, latencyMs: 200, random })).toThrow(RangeError);
  });
});

describe('RouteModel routing', () => {
  const schedule = retrySchedule(DEFAULT_OVERLAY_TIMERS);

  it('retransmits after 350 ms x 1.5^n, capped at the maximum wait, 6 tries in all', () => {
    expect(schedule).toEqual([0, 350, 875, 1662.5, 2843.75, 4615.625, 7273.4375]);
    const capped = retrySchedule({ ...DEFAULT_OVERLAY_TIMERS, routeMaxRetryMs: 600 });
    expect(capped).toEqual([0, 350, 875, 1475, 2075, 2675, 3275]);
  });

  it('follows the rules on every hop: strictly closer, best first, the tries per neighbour, the schedule (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 600 }),
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.constantFrom(0, 0.05, 0.3),
        fc.constantFrom(0, 0.2),
        (nodes, seed, loss, offline) => {
          const m = model(nodes, seed, { offline, stale: 1 });
          routeMany(m, 40, { loss, latencyMs: 40 }, seed, (_source, destination, hops) => {
            const target = m.id(destination);
            const sessions = new Map<number, HopTrace[]>();
            for (const h of hops) {
              // Every transmission goes to a node strictly closer to the destination.
              expect(compareDistance(target, m.id(h.to), m.id(h.from))).toBeLessThan(0);
              if (!m.isOnline(h.to)) expect(h.arrived).toBe(false);
              if (h.acked) expect(h.arrived).toBe(true);
              sessions.set(h.from, [...(sessions.get(h.from) ?? []), h]);
            }
            for (const [from, tries] of sessions) {
              // One forwarding session per node (a duplicate is acked, not forwarded again).
              expect(tries.map((t) => t.attempt)).toEqual(tries.map((_, i) => i));
              expect(tries.length).toBeLessThanOrEqual(6);
              const acked = tries.findIndex((t) => t.acked);
              if (acked === -1) expect(tries.length).toBe(6);
              else expect(acked).toBe(tries.length - 1);
              const best = closerByDefinition(m, from, destination);
              tries.forEach((t, n) => {
                expect(t.to).toBe(
                  best[Math.floor(n / DEFAULT_OVERLAY_TIMERS.routeTriesPerNeighbour) % best.length],
                );
                expect(t.sentAtMs - (tries[0] as HopTrace).sentAtMs).toBe(schedule[n]);
              });
            }
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('delivers everything without loss or churn, in at most ceil(log2 N) + 2 hops, one latency each', () => {
    const nodes = 5000;
    const m = model(nodes, 'lossless');
    const bound = Math.ceil(Math.log2(nodes)) + 2;
    let delivered = 0;
    routeMany(m, 3000, { loss: 0, latencyMs: 40 }, 'lossless', (_s, _d, hops, outcome) => {
      expect(outcome.delivered).toBe(true);
      if (!outcome.delivered) return;
      delivered += 1;
      expect(outcome.hops).toBeGreaterThanOrEqual(1);
      expect(outcome.hops).toBeLessThanOrEqual(bound);
      expect(outcome.timeMs).toBe(40 * outcome.hops);
      expect(outcome.transmissions).toBe(outcome.hops);
      expect(hops.every((h) => h.acked && h.attempt === 0)).toBe(true);
    });
    expect(delivered).toBeGreaterThan(2900);
  });

  it('delivers at least 99.9 % of 5,000 messages at 5 % loss (N = 5,000)', () => {
    const m = model(5000, 'lossy');
    const result = runRoutes(m, { messages: 5000, loss: 0.05, latencyMs: 40, rng: seededRng(utf8('lossy')) });
    expect(result.messages).toBe(5000);
    expect(result.deliveredFraction).toBeGreaterThanOrEqual(0.999);
    expect(result.delivered + result.failures.stuck + result.failures.tries + result.failures.ttl).toBe(5000);
    // Losses cost retransmission waits: some deliveries take longer than their hops' latency.
    expect(result.timeMs.max).toBeGreaterThan(40 * result.hops.max);
    expect(result.transmissionsPerMessage).toBeGreaterThan(result.hops.median);
  });

  it('counts a message delivered when any copy arrives, and copies come from lost acks', () => {
    const m = model(3000, 'copies');
    let lostAckThenForwarded = 0;
    let delivered = 0;
    routeMany(m, 2000, { loss: 0.3, latencyMs: 40 }, 'copies', (_s, destination, hops, outcome) => {
      const froms = new Set(hops.map((h) => h.from));
      for (const h of hops)
        if (h.arrived && !h.acked && (froms.has(h.to) || h.to === destination)) lostAckThenForwarded += 1;
      if (!outcome.delivered) return;
      delivered += 1;
      expect(outcome.forwarders).toBeGreaterThanOrEqual(outcome.hops);
      expect(hops.some((h) => h.to === destination && h.arrived)).toBe(true);
    });
    expect(lostAckThenForwarded).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(1900);
    const result = runRoutes(m, { messages: 2000, loss: 0.3, latencyMs: 40, rng: seededRng(utf8('copies')) });
    expect(result.extraForwardersPerDelivered).toBeGreaterThan(0);
  });

  it('drops a copy whose TTL is used up', () => {
    const m = model(3000, 'ttl');
    const result = runRoutes(m, {
      messages: 500,
      loss: 0,
      latencyMs: 40,
      ttl: 1,
      rng: seededRng(utf8('ttl')),
    });
    expect(result.failures.ttl).toBeGreaterThan(0);
    expect(result.hops.max).toBe(1);
    expect(result.delivered + result.failures.ttl).toBe(500);
  });

  it('names the cause: stuck without a live closer neighbour, tries when the losses won', () => {
    const churn = model(2000, 'stuck', { offline: 0.6, stale: 1 });
    const stuck = runRoutes(churn, { messages: 2000, loss: 0, latencyMs: 40, rng: seededRng(utf8('stuck')) });
    expect(stuck.failures.stuck).toBeGreaterThan(0);
    expect(stuck.failures.tries).toBeGreaterThan(0);
    const noisy = model(2000, 'tries');
    const tries = runRoutes(noisy, {
      messages: 2000,
      loss: 0.6,
      latencyMs: 40,
      rng: seededRng(utf8('tries')),
    });
    expect(tries.failures.tries).toBeGreaterThan(0);
    expect(tries.failures.stuck).toBe(0);
  });

  it("gives up after the list when asked to ('give-up'), so it never does better than 'start-over'", () => {
    const m = model(2000, 'after', { offline: 0.2, stale: 1 });
    const run = (afterLastNeighbour: 'give-up' | 'start-over') =>
      runRoutes(m, {
        messages: 2000,
        loss: 0.2,
        latencyMs: 40,
        afterLastNeighbour,
        rng: seededRng(utf8('after')),
      });
    const giveUp = run('give-up');
    const startOver = run('start-over');
    expect(giveUp.deliveredFraction).toBeLessThan(startOver.deliveredFraction);
    expect(giveUp.transmissionsPerMessage).toBeLessThan(startOver.transmissionsPerMessage);
  });
});

describe('RandomStream', () => {
  it('draws below n, and chance(0) / chance(1) are never / always', () => {
    const random = new RandomStream(seededRng(utf8('stream')));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), (n) => {
        const x = random.below(n);
        return Number.isInteger(x) && x >= 0 && x < n;
      }),
    );
    for (let i = 0; i < 1000; i++) {
      expect(random.chance(0)).toBe(false);
      expect(random.chance(1)).toBe(true);
    }
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (random.chance(0.05)) hits += 1;
    expect(hits).toBeGreaterThan(800);
    expect(hits).toBeLessThan(1200);
  });

  it('accepts an Rng whose output is not 4-byte aligned', () => {
    const inner = seededRng(utf8('unaligned'));
    const random = new RandomStream((length) => inner(length + 1).subarray(1));
    for (let i = 0; i < 20_000; i++) expect(random.below(10)).toBeLessThan(10);
  });
});
