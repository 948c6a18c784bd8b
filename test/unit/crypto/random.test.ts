// The system rng and the seeded, reproducible test rng.
import { chacha20 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../../../src/crypto/bytes.js';
import { sha256Noble } from '../../../src/crypto/hash.js';
import { seededRng, systemRng } from '../../../src/crypto/random.js';

describe('systemRng', () => {
  it('returns plain Uint8Arrays of the exact length, different each time', () => {
    const a = systemRng(32);
    expect(a).toHaveLength(32);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(a).not.toEqual(systemRng(32));
    expect(systemRng(0)).toHaveLength(0);
  });
});

describe('seededRng', () => {
  it('is the ChaCha20 keystream under SHA-256(seed) with a zero nonce', () => {
    const seed = utf8('kith');
    const expected = chacha20(sha256Noble(seed), new Uint8Array(12), new Uint8Array(200));
    expect(seededRng(seed)(200)).toEqual(expected);
  });

  it('gives the same stream for the same seed however the reads are split', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.nat(150), { maxLength: 8 }),
        (seed, lengths) => {
          const split = seededRng(seed);
          const parts = lengths.map((length) => split(length));
          expect(parts.map((part) => part.length)).toEqual(lengths);
          const total = lengths.reduce((a, b) => a + b, 0);
          expect(concatBytes(...parts)).toEqual(seededRng(seed)(total));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('gives different streams for different seeds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        fc.pre(a.length !== b.length || a.some((x, i) => x !== b[i]));
        expect(seededRng(a)(32)).not.toEqual(seededRng(b)(32));
      }),
      { numRuns: 100 },
    );
  });
});
