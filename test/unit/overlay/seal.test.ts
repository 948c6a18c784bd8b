import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, utf8 } from '../../../src/crypto/bytes.js';
import { xchacha20poly1305 } from '../../../src/crypto/aead.js';
import { hkdfSha256 } from '../../../src/crypto/hkdf.js';
import { seededRng } from '../../../src/crypto/random.js';
import { generateX25519, x25519 } from '../../../src/crypto/x25519.js';
import { open, seal, SEAL_OVERHEAD } from '../../../src/overlay/seal.js';

const rng = seededRng(utf8('seal test'));
const alice = generateX25519(rng);
const bob = generateX25519(rng);
const destination = rng(32);
const plaintext = utf8('an INVITE plaintext of some length, not a multiple of anything');

// RFC 7748 §6.1 / the libsodium blocklist: u-coordinates of small order, canonical and with the
// unused top bit set, plus p and p + 1 (non-canonical encodings of 0 and 1).
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
].map(fromHex);

describe('sealed ROUTE bodies', () => {
  it('round-trips any plaintext (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 900 - SEAL_OVERHEAD }), (p) => {
        const sealed = seal(p, bob.publicKey, destination, rng);
        expect(sealed.length).toBe(p.length + SEAL_OVERHEAD);
        expect(open(sealed, bob, destination)).toEqual(p);
      }),
      { numRuns: 200 },
    );
  });

  it('is the construction the spec describes', () => {
    const sealed = seal(plaintext, bob.publicKey, destination, seededRng(utf8('same')));
    const ephemeralSecret = seededRng(utf8('same'))(32);
    const ephemeral = x25519.publicKey(ephemeralSecret);
    expect(sealed.subarray(0, 32)).toEqual(ephemeral);
    const okm = hkdfSha256(
      x25519.sharedSecret(ephemeralSecret, bob.publicKey),
      concatBytes(ephemeral, bob.publicKey),
      utf8('kith seal v1'),
      56,
    );
    const expected = xchacha20poly1305.seal(okm.subarray(0, 32), okm.subarray(32), plaintext, destination);
    expect(sealed.subarray(32)).toEqual(expected);
  });

  it('two seals of the same plaintext differ', () => {
    const a = seal(plaintext, bob.publicKey, destination, rng);
    const b = seal(plaintext, bob.publicKey, destination, rng);
    expect(a).not.toEqual(b);
    expect(a.subarray(0, 32)).not.toEqual(b.subarray(0, 32));
    expect(a.subarray(32)).not.toEqual(b.subarray(32));
  });

  it('only the recipient opens it, and only under the destination ID it was sealed for', () => {
    const sealed = seal(plaintext, bob.publicKey, destination, rng);
    expect(open(sealed, alice, destination)).toBeNull();
    // Bob's secret with a wrong public key: the salt binds the recipient's public key too.
    expect(open(sealed, { publicKey: alice.publicKey, secretKey: bob.secretKey }, destination)).toBeNull();
    const other = destination.slice();
    other[31] = (other[31] as number) ^ 1;
    expect(open(sealed, bob, other)).toBeNull();
    expect(open(sealed, bob, new Uint8Array(0))).toBeNull();
    expect(open(sealed, bob, destination)).toEqual(plaintext);
  });

  it('any flipped bit makes it fail, including the ephemeral key bit X25519 ignores', () => {
    const sealed = seal(plaintext.subarray(0, 20), bob.publicKey, destination, rng);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const m = sealed.slice();
      m[bit >> 3] = (m[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(open(m, bob, destination)).toBeNull();
    }
  });

  it('every truncation fails', () => {
    const sealed = seal(plaintext, bob.publicKey, destination, rng);
    for (let len = 0; len < sealed.length; len++)
      expect(open(sealed.subarray(0, len), bob, destination)).toBeNull();
  });

  it('an empty plaintext seals to exactly the overhead and opens', () => {
    const sealed = seal(new Uint8Array(0), bob.publicKey, destination, rng);
    expect(sealed.length).toBe(SEAL_OVERHEAD);
    expect(open(sealed, bob, destination)).toEqual(new Uint8Array(0));
  });

  it('a low-order point as the ephemeral key gives null, not a throw', () => {
    const sealed = seal(plaintext, bob.publicKey, destination, rng);
    for (const point of LOW_ORDER) {
      const forged = sealed.slice();
      forged.set(point);
      expect(open(forged, bob, destination)).toBeNull();
    }
  });

  it('refuses to seal to a low-order recipient key', () => {
    for (const point of LOW_ORDER)
      expect(() => seal(plaintext, point, destination, rng)).toThrow(/all-zero shared secret/);
  });

  it('never throws on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(open(b, bob, destination)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('throws RangeError on a malformed key pair or destination, which are caller bugs', () => {
    const sealed = seal(plaintext, bob.publicKey, destination, rng);
    expect(() => open(sealed, { ...bob, secretKey: new Uint8Array(31) }, destination)).toThrow(RangeError);
    expect(() => open(sealed, { ...bob, publicKey: new Uint8Array(33) }, destination)).toThrow(RangeError);
    expect(() => seal(plaintext, new Uint8Array(31), destination, rng)).toThrow(RangeError);
    expect(() => seal(plaintext, bob.publicKey, new Uint8Array(31), rng)).toThrow(RangeError);
  });
});
