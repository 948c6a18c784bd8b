// Ed25519 (RFC 8032): the §7.1 known answers, and node:crypto against @noble on random inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../src/crypto/bytes.js';
import { ed25519, ed25519Noble, ed25519Node, generateEd25519 } from '../../../src/crypto/ed25519.js';
import { seededRng } from '../../../src/crypto/random.js';

const impls = [ed25519Node, ed25519Noble];

// RFC 8032 §7.1, TEST 1 to TEST 3.
const vectors = [
  {
    test: 'TEST 1',
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    test: 'TEST 2',
    secretKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    test: 'TEST 3',
    secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const message = fc.uint8Array({ maxLength: 300 });

describe.each(impls)('ed25519 $name', (impl) => {
  it.each(vectors)('matches RFC 8032 §7.1 $test', (v) => {
    const secretKey = fromHex(v.secretKey);
    const msg = fromHex(v.message);
    const signature = fromHex(v.signature);
    expect(impl.publicKey(secretKey)).toEqual(fromHex(v.publicKey));
    expect(impl.sign(secretKey, msg)).toEqual(signature);
    expect(impl.verify(fromHex(v.publicKey), msg, signature)).toBe(true);
  });

  it('rejects the vector signatures on another message', () => {
    for (const v of vectors) {
      expect(impl.verify(fromHex(v.publicKey), fromHex('00'), fromHex(v.signature))).toBe(false);
    }
  });

  it('returns plain Uint8Arrays', () => {
    const seed = new Uint8Array(32);
    expect(Object.getPrototypeOf(impl.publicKey(seed))).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(impl.sign(seed, new Uint8Array(1)))).toBe(Uint8Array.prototype);
  });
});

describe('ed25519 node against noble', () => {
  it('derives the same public keys and signatures, and each verifies the other', () => {
    fc.assert(
      fc.property(bytes32, message, (seed, msg) => {
        const publicKey = ed25519Node.publicKey(seed);
        expect(ed25519Noble.publicKey(seed)).toEqual(publicKey);
        const signature = ed25519Node.sign(seed, msg);
        expect(ed25519Noble.sign(seed, msg)).toEqual(signature);
        expect(ed25519Node.verify(publicKey, msg, signature)).toBe(true);
        expect(ed25519Noble.verify(publicKey, msg, signature)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('agree on rejecting any single flipped bit in key, message or signature', () => {
    const seed = fromHex(vectors[2]?.secretKey ?? '');
    const publicKey = ed25519.publicKey(seed);
    const msg = fromHex('af82');
    const signature = ed25519.sign(seed, msg);
    const parts = [publicKey, msg, signature];
    fc.assert(
      fc.property(fc.nat(2), fc.nat(), (which, bit) => {
        const tampered = parts.map((p) => p.slice());
        const target = tampered[which] as Uint8Array;
        const index = bit % (target.length * 8);
        target[index >> 3] = (target[index >> 3] ?? 0) ^ (1 << (index & 7));
        const [k, m, s] = tampered as [Uint8Array, Uint8Array, Uint8Array];
        expect(ed25519Node.verify(k, m, s)).toBe(false);
        expect(ed25519Noble.verify(k, m, s)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ed25519 node key reuse', () => {
  it('signs with the current contents of a seed array that was refilled in place', () => {
    const seed = fromHex(vectors[0]?.secretKey ?? '');
    expect(ed25519Node.sign(seed, new Uint8Array(0))).toEqual(fromHex(vectors[0]?.signature ?? ''));
    seed.set(fromHex(vectors[1]?.secretKey ?? ''));
    expect(ed25519Node.publicKey(seed)).toEqual(fromHex(vectors[1]?.publicKey ?? ''));
    expect(ed25519Node.sign(seed, fromHex('72'))).toEqual(fromHex(vectors[1]?.signature ?? ''));
  });
});

describe('generateEd25519', () => {
  it('draws the seed from the given rng and derives its public key', () => {
    const pair = generateEd25519(seededRng(new Uint8Array([1])));
    expect(pair.secretKey).toEqual(seededRng(new Uint8Array([1]))(32));
    expect(pair.publicKey).toEqual(ed25519Noble.publicKey(pair.secretKey));
  });

  it('uses the system rng by default', () => {
    expect(generateEd25519().secretKey).not.toEqual(generateEd25519().secretKey);
  });
});
