// X25519 (RFC 7748): the §5.2 and §6.1 known answers, and node:crypto against @noble on random inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { generateX25519, x25519Noble, x25519Node } from '../../../src/crypto/x25519.js';

const impls = [x25519Node, x25519Noble];

// RFC 7748 §5.2, the two single scalar multiplications (the second u has its top bit set, which
// implementations must mask).
const scalarMults = [
  {
    scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
    u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
    out: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  },
  {
    scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
    u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    out: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  },
];

// RFC 7748 §6.1.
const alice = {
  secretKey: fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
  publicKey: fromHex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
};
const bob = {
  secretKey: fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
  publicKey: fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
};
const shared = fromHex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe.each(impls)('x25519 $name', (impl) => {
  it.each(scalarMults)('matches RFC 7748 §5.2 for u = $u', (v) => {
    expect(impl.sharedSecret(fromHex(v.scalar), fromHex(v.u))).toEqual(fromHex(v.out));
  });

  it('matches the RFC 7748 §6.1 Alice and Bob exchange', () => {
    expect(impl.publicKey(alice.secretKey)).toEqual(alice.publicKey);
    expect(impl.publicKey(bob.secretKey)).toEqual(bob.publicKey);
    expect(impl.sharedSecret(alice.secretKey, bob.publicKey)).toEqual(shared);
    expect(impl.sharedSecret(bob.secretKey, alice.publicKey)).toEqual(shared);
  });

  it('returns plain Uint8Arrays', () => {
    expect(Object.getPrototypeOf(impl.publicKey(alice.secretKey))).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(impl.sharedSecret(alice.secretKey, bob.publicKey))).toBe(
      Uint8Array.prototype,
    );
  });
});

describe('x25519 node against noble', () => {
  it('derives the same public keys and shared secrets, symmetric between the two sides', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (a, b) => {
        const publicA = x25519Node.publicKey(a);
        const publicB = x25519Node.publicKey(b);
        expect(x25519Noble.publicKey(a)).toEqual(publicA);
        expect(x25519Noble.publicKey(b)).toEqual(publicB);
        const secret = x25519Node.sharedSecret(a, publicB);
        expect(x25519Noble.sharedSecret(a, publicB)).toEqual(secret);
        expect(x25519Node.sharedSecret(b, publicA)).toEqual(secret);
      }),
      { numRuns: 100 },
    );
  });

  it('agree on arbitrary 32-byte peer keys, including twist points and unmasked top bits', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (secret, peer) => {
        expect(x25519Node.sharedSecret(secret, peer)).toEqual(x25519Noble.sharedSecret(secret, peer));
      }),
      { numRuns: 100 },
    );
  });
});

describe('x25519 node key reuse', () => {
  it('uses the current contents of a secret-key array that was refilled in place', () => {
    const secret = alice.secretKey.slice();
    expect(x25519Node.sharedSecret(secret, bob.publicKey)).toEqual(shared);
    secret.set(bob.secretKey);
    expect(x25519Node.publicKey(secret)).toEqual(bob.publicKey);
    expect(x25519Node.sharedSecret(secret, alice.publicKey)).toEqual(shared);
    secret.fill(0);
    expect(x25519Node.publicKey(secret)).toEqual(x25519Noble.publicKey(new Uint8Array(32)));
  });
});

describe('generateX25519', () => {
  it('draws the secret from the given rng and derives its public key', () => {
    const pair = generateX25519(seededRng(new Uint8Array([2])));
    expect(pair.secretKey).toEqual(seededRng(new Uint8Array([2]))(32));
    expect(pair.publicKey).toEqual(x25519Noble.publicKey(pair.secretKey));
  });

  it('uses the system rng by default', () => {
    expect(generateX25519().secretKey).not.toEqual(generateX25519().secretKey);
  });
});
