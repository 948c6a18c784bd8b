// SHA-256 / SHA-512 (FIPS 180-2 Appendix B), BLAKE2s-256 (RFC 7693 Appendix B) and HMAC-SHA256
// (RFC 4231 §4.3) known answers, and node:crypto against @noble on random inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../../src/crypto/bytes.js';
import {
  blake2sNoble,
  blake2sNode,
  type HashFn,
  type HmacFn,
  hmacBlake2sNoble,
  hmacBlake2sNode,
  hmacSha256Noble,
  hmacSha256Node,
  sha256Noble,
  sha256Node,
  sha512Noble,
  sha512Node,
} from '../../../src/crypto/hash.js';

const abc = utf8('abc');

const hashes: { name: string; node: HashFn; noble: HashFn; abc: string }[] = [
  {
    // FIPS 180-2 Appendix B.1.
    name: 'sha256',
    node: sha256Node,
    noble: sha256Noble,
    abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  },
  {
    // FIPS 180-2 Appendix C.1.
    name: 'sha512',
    node: sha512Node,
    noble: sha512Noble,
    abc: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  },
  {
    // RFC 7693 Appendix B.
    name: 'blake2s',
    node: blake2sNode,
    noble: blake2sNoble,
    abc: '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
  },
];

const hmacs: { name: string; node: HmacFn; noble: HmacFn }[] = [
  { name: 'hmacSha256', node: hmacSha256Node, noble: hmacSha256Noble },
  { name: 'hmacBlake2s', node: hmacBlake2sNode, noble: hmacBlake2sNoble },
];

describe.each(hashes)('$name', ({ node, noble, abc: digest }) => {
  it.each([
    ['node', node],
    ['noble', noble],
  ])('%s hashes "abc" to the known answer', (_, fn) => {
    const out = fn(abc);
    expect(out).toEqual(fromHex(digest));
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
  });

  it('node and noble agree on random messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (message) => {
        expect(node(message)).toEqual(noble(message));
      }),
      { numRuns: 200 },
    );
  });
});

describe('hmacSha256', () => {
  it.each([
    ['node', hmacSha256Node],
    ['noble', hmacSha256Noble],
  ])('%s matches RFC 4231 test case 2', (_, fn) => {
    expect(fn(utf8('Jefe'), utf8('what do ya want for nothing?'))).toEqual(
      fromHex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'),
    );
  });
});

describe.each(hmacs)('$name node against noble', ({ node, noble }) => {
  // Keys up to 100 bytes cross the 64-byte block size, where HMAC hashes the key first.
  it('agree on random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
        expect(node(key, message)).toEqual(noble(key, message));
      }),
      { numRuns: 200 },
    );
  });
});
