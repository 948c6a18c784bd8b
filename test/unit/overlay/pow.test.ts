import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import {
  checkPow,
  DEFAULT_DIFFICULTY,
  leadingZeroBits,
  MAX_DIFFICULTY,
  powHash,
  solvePow,
} from '../../../src/overlay/pow.js';

const rng = seededRng(utf8('pow test'));
const id = rng(32);
const timestamp = 1_700_000_000_000;

describe('proof of work', () => {
  it('hashes the context, timestamp, ID and nonce as the spec says', () => {
    const nonce = rng(8);
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(timestamp));
    const expected = createHash('sha256')
      .update('kith pow v1\0')
      .update(ts)
      .update(id)
      .update(nonce)
      .digest();
    expect(powHash(timestamp, id, nonce)).toEqual(new Uint8Array(expected));
  });

  const table: [string, number][] = [
    ['80', 0],
    ['ff', 0],
    ['40', 1],
    ['01', 7],
    ['0080', 8],
    ['0001', 15],
    ['000000ff', 24],
    ['0000000f', 28],
    ['00'.repeat(31) + '01', 255],
    ['00'.repeat(32), 256],
    ['', 0],
  ];
  it.each(table)('leadingZeroBits(%s) is %i', (hex, bits) => {
    expect(leadingZeroBits(fromHex(hex))).toBe(bits);
  });

  it.each([0, 1, 4, 8, 11, 12, 16])('solves then checks at difficulty %i', (d) => {
    const nonce = solvePow(timestamp, id, d, rng);
    if (nonce === null) throw new Error('no solution');
    expect(nonce.length).toBe(8);
    expect(leadingZeroBits(powHash(timestamp, id, nonce))).toBeGreaterThanOrEqual(d);
    expect(checkPow(timestamp, id, nonce, d)).toBe(true);
  });

  it('a solution for difficulty d mostly fails d + 8', () => {
    const rng = seededRng(utf8('pow d + 8'));
    const d = 4;
    let alsoHarder = 0;
    const solves = 200;
    for (let i = 0; i < solves; i++) {
      const nonce = solvePow(timestamp, id, d, rng) as Uint8Array;
      expect(checkPow(timestamp, id, nonce, d)).toBe(true);
      if (checkPow(timestamp, id, nonce, d + 8)) alsoHarder++;
    }
    // Each passes d + 8 with probability 2^-8: about 0.8 of 200; 8 or more has probability ~1e-5.
    expect(alsoHarder).toBeLessThan(8);
  });

  it('a solution is bound to its timestamp and ID', () => {
    const rng = seededRng(utf8('pow binding'));
    const d = 12;
    const nonce = solvePow(timestamp, id, d, rng) as Uint8Array;
    expect(checkPow(timestamp, id, nonce, d)).toBe(true);
    // Each check below passes by chance with probability 2^-12; the seeded rng makes this exact.
    expect(checkPow(timestamp + 1, id, nonce, d)).toBe(false);
    const otherId = id.slice();
    otherId[0] = (otherId[0] as number) ^ 1;
    expect(checkPow(timestamp, otherId, nonce, d)).toBe(false);
    const otherNonce = nonce.slice();
    otherNonce[7] = (otherNonce[7] as number) ^ 0x80;
    expect(checkPow(timestamp, id, otherNonce, d)).toBe(false);
  });

  it('gives up with null after maxTries', () => {
    expect(solvePow(timestamp, id, MAX_DIFFICULTY, rng, 10)).toBeNull();
    expect(solvePow(timestamp, id, 64, rng, 1000)).toBeNull();
    expect(solvePow(timestamp, id, 1, rng, 0)).toBeNull();
  });

  it('counts nonces up from the random start, wrapping at 2^64', () => {
    // The first try is the rng's 8 bytes; with difficulty 0 it is the answer.
    const start = fromHex('ffffffffffffffff');
    expect(solvePow(timestamp, id, 0, () => start.slice())).toEqual(start);
    // Walking from 2^64 - 1, the solver's answer is the first nonce at or after it (mod 2^64)
    // that meets the difficulty; search the same sequence by hand.
    const d = 6;
    const found = solvePow(timestamp, id, d, () => start.slice()) as Uint8Array;
    const n = new Uint8Array(8).fill(0xff);
    let expected: Uint8Array | null = null;
    for (let i = 0; i < 100_000 && !expected; i++) {
      if (checkPow(timestamp, id, n, d)) expected = n.slice();
      for (let j = 7; j >= 0; j--) {
        n[j] = ((n[j] as number) + 1) & 0xff;
        if (n[j] !== 0) break;
      }
    }
    expect(found).toEqual(expected);
  });

  it('checkPow is false, never a throw, for malformed input', () => {
    const nonce = solvePow(timestamp, id, 0, rng) as Uint8Array;
    expect(checkPow(timestamp, id, nonce, 0)).toBe(true);
    expect(checkPow(timestamp, id.subarray(1), nonce, 0)).toBe(false);
    expect(checkPow(timestamp, id, nonce.subarray(1), 0)).toBe(false);
    expect(checkPow(-1, id, nonce, 0)).toBe(false);
    expect(checkPow(2 ** 53, id, nonce, 0)).toBe(false);
    expect(checkPow(timestamp, id, nonce, 257)).toBe(false);
    expect(checkPow(timestamp, id, nonce, -1)).toBe(false);
  });

  it('throws RangeError on a malformed hash or solve request (caller bugs)', () => {
    expect(() => powHash(timestamp, id, new Uint8Array(7))).toThrow(RangeError);
    expect(() => powHash(timestamp, new Uint8Array(31), new Uint8Array(8))).toThrow(RangeError);
    expect(() => powHash(1.5, id, new Uint8Array(8))).toThrow(RangeError);
    expect(() => solvePow(timestamp, id, 257, rng)).toThrow(RangeError);
    expect(() => solvePow(timestamp, id, -1, rng)).toThrow(RangeError);
  });

  it('orders its constants as the spec does', () => {
    expect(DEFAULT_DIFFICULTY).toBe(14);
    expect(MAX_DIFFICULTY).toBe(24);
  });
});
