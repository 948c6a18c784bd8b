// HKDF-SHA256 (RFC 5869): the Appendix A.1-A.3 known answers, and node against @noble on random inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../src/crypto/bytes.js';
import { hkdfSha256Noble, hkdfSha256Node } from '../../../src/crypto/hkdf.js';

const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

const cases = [
  {
    test: 'A.1 (test case 1)',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: range(0x00, 0x0c),
    info: range(0xf0, 0xf9),
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    test: 'A.2 (test case 2)',
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    test: 'A.3 (test case 3)',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

describe.each([
  { name: 'node', hkdf: hkdfSha256Node },
  { name: 'noble', hkdf: hkdfSha256Noble },
])('hkdfSha256 $name', ({ hkdf }) => {
  it.each(cases)('matches RFC 5869 $test', (c) => {
    const okm = fromHex(c.okm);
    expect(hkdf(c.ikm, c.salt, c.info, okm.length)).toEqual(okm);
  });

  it('gives exactly the requested length at both ends of 1..8160', () => {
    const ikm = new Uint8Array(32);
    expect(hkdf(ikm, ikm, ikm, 1)).toHaveLength(1);
    expect(hkdf(ikm, ikm, ikm, 8160)).toHaveLength(8160);
  });
});

describe('hkdfSha256 node against noble', () => {
  it('agree on random inputs, including info longer than 1024 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 1100 }),
        fc.integer({ min: 1, max: 8160 }),
        (ikm, salt, info, length) => {
          expect(hkdfSha256Node(ikm, salt, info, length)).toEqual(hkdfSha256Noble(ikm, salt, info, length));
        },
      ),
      { numRuns: 200 },
    );
  });
});
