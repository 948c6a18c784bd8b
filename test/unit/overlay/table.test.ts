import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import {
  compareDistance,
  randomIdInBucket,
  RoutingTable,
  sharedPrefixBits,
} from '../../../src/overlay/table.js';

const rng = seededRng(utf8('table'));
const id = () => rng(32);
const withPrefix = (self: Uint8Array, bits: number) => randomIdInBucket(self, bits, rng(32));

/** XOR distance as a bigint, the definition the fast comparisons must agree with. */
function distance(a: Uint8Array, b: Uint8Array): bigint {
  let d = 0n;
  for (let i = 0; i < 32; i++) d = (d << 8n) | BigInt(((a[i] as number) ^ (b[i] as number)) & 0xff);
  return d;
}

describe('XOR distance', () => {
  it('counts shared prefix bits', () => {
    const a = new Uint8Array(32);
    expect(sharedPrefixBits(a, a)).toBe(256);
    const b = new Uint8Array(32);
    b[0] = 0x80;
    expect(sharedPrefixBits(a, b)).toBe(0);
    b[0] = 0x01;
    expect(sharedPrefixBits(a, b)).toBe(7);
    b[0] = 0;
    b[31] = 1;
    expect(sharedPrefixBits(a, b)).toBe(255);
  });

  it('orders by the bigint XOR distance (property)', () => {
    const bytes = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(bytes, bytes, bytes, (t, a, b) => {
        const expected = Math.sign(Number(distance(a, t) - distance(b, t)));
        expect(Math.sign(compareDistance(t, a, b))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('makes random IDs in a chosen bucket', () => {
    const self = id();
    for (const bucket of [0, 1, 7, 8, 100, 255])
      expect(sharedPrefixBits(self, withPrefix(self, bucket))).toBe(bucket);
  });
});

describe('routing table', () => {
  it('keeps at most k per bucket, oldest first, and reports the oldest when full', () => {
    const self = id();
    const t = new RoutingTable<{ id: Uint8Array; n: number }>(self, 3);
    const same = [0, 1, 2, 3].map((n) => ({ id: withPrefix(self, 4), n }));
    expect(same.slice(0, 3).map((e) => t.add(e).status)).toEqual(['added', 'added', 'added']);
    const full = t.add(same[3] as { id: Uint8Array; n: number });
    expect(full).toEqual({ status: 'full', oldest: same[0] });
    // Seeing the oldest again refreshes it: now the second is the oldest.
    expect(t.add(same[0] as { id: Uint8Array; n: number }).status).toBe('updated');
    expect(t.add(same[3] as { id: Uint8Array; n: number })).toEqual({ status: 'full', oldest: same[1] });
    t.replace(same[1] as { id: Uint8Array; n: number }, same[3] as { id: Uint8Array; n: number });
    expect(t.get((same[3] as { id: Uint8Array }).id)).toBe(same[3]);
    expect(t.get((same[1] as { id: Uint8Array }).id)).toBeUndefined();
    expect(t.size).toBe(3);
    expect(t.add({ id: self, n: 9 }).status).toBe('self');
  });

  it('finds the n closest to any target, as a full sort by distance would', () => {
    const self = id();
    const t = new RoutingTable<{ id: Uint8Array }>(self, 8);
    const all: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const e = { id: id() };
      if (t.add(e).status === 'added') all.push(e.id);
    }
    for (let i = 0; i < 20; i++) {
      const target = id();
      const expected = [...all].sort((a, b) => Number(distance(a, target) - distance(b, target))).slice(0, 5);
      expect(t.closest(target, 5).map((e) => e.id)).toEqual(expected);
    }
  });

  it('stays bounded by k per bucket whatever is added', () => {
    const self = id();
    const t = new RoutingTable<{ id: Uint8Array }>(self, 8);
    for (let i = 0; i < 20_000; i++) t.add({ id: id() });
    expect(t.size).toBeLessThanOrEqual(8 * 256);
    // Random IDs fill the far buckets only: about log2(20000) used buckets.
    expect(t.usedBuckets().length).toBeLessThan(24);
    for (const b of t.usedBuckets())
      expect(t.entries().filter((e) => sharedPrefixBits(self, e.id) === b).length).toBeLessThanOrEqual(8);
  });
});
