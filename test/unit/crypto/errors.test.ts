// Every way the crypto layer refuses input, as one table: each case names the call, the bad input
// and the KithError code it must throw; then the inputs on which verify() must return false.
import { describe, expect, it } from 'vitest';
import {
  type AeadImpl,
  chacha20poly1305Noble,
  chacha20poly1305Node,
  xchacha20poly1305Noble,
  xchacha20poly1305Node,
} from '../../../src/crypto/aead.js';
import { concatBytes, fromBase64url, fromHex, utf8 } from '../../../src/crypto/bytes.js';
import { ed25519Noble, ed25519Node } from '../../../src/crypto/ed25519.js';
import { hkdfSha256Noble, hkdfSha256Node } from '../../../src/crypto/hkdf.js';
import { x25519Noble, x25519Node } from '../../../src/crypto/x25519.js';
import { type ErrorCode, KithError } from '../../../src/errors.js';

interface Case {
  call: string;
  input: string;
  code: ErrorCode;
  run: () => unknown;
}

const bytes = (length: number, fill = 1) => new Uint8Array(length).fill(fill);
const flip = (b: Uint8Array, index: number) => {
  const out = b.slice();
  out[(index + out.length) % out.length] = (out.at(index) ?? 0) ^ 0x01;
  return out;
};

const cases: Case[] = [];

for (const impl of [ed25519Node, ed25519Noble]) {
  for (const length of [0, 31, 33, 64]) {
    const seed = bytes(length);
    cases.push(
      {
        call: `ed25519${impl.name}.publicKey`,
        input: `${length}-byte seed`,
        code: 'CRYPTO_BAD_KEY',
        run: () => impl.publicKey(seed),
      },
      {
        call: `ed25519${impl.name}.sign`,
        input: `${length}-byte seed`,
        code: 'CRYPTO_BAD_KEY',
        run: () => impl.sign(seed, bytes(3)),
      },
    );
  }
}

// RFC 7748 §6.1 and libsodium's blocklist: u-coordinates of small order, and the non-canonical or
// top-bit-set encodings of the same points, all of which make the shared secret all-zero.
const smallOrderU = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
];

for (const impl of [x25519Node, x25519Noble]) {
  const name = `x25519${impl.name}`;
  for (const length of [0, 31, 33]) {
    cases.push(
      {
        call: `${name}.publicKey`,
        input: `${length}-byte secret`,
        code: 'CRYPTO_BAD_KEY',
        run: () => impl.publicKey(bytes(length)),
      },
      {
        call: `${name}.sharedSecret`,
        input: `${length}-byte secret`,
        code: 'CRYPTO_BAD_KEY',
        run: () => impl.sharedSecret(bytes(length), bytes(32, 9)),
      },
      {
        call: `${name}.sharedSecret`,
        input: `${length}-byte peer key`,
        code: 'CRYPTO_BAD_KEY',
        run: () => impl.sharedSecret(bytes(32), bytes(length, 9)),
      },
    );
  }
  for (const u of smallOrderU) {
    cases.push({
      call: `${name}.sharedSecret`,
      input: `small-order peer key ${u}`,
      code: 'CRYPTO_WEAK_SHARED_SECRET',
      run: () => impl.sharedSecret(bytes(32, 0x42), fromHex(u)),
    });
  }
}

const aeads: [string, AeadImpl][] = [
  ['chacha20poly1305Node', chacha20poly1305Node],
  ['chacha20poly1305Noble', chacha20poly1305Noble],
  ['xchacha20poly1305Node', xchacha20poly1305Node],
  ['xchacha20poly1305Noble', xchacha20poly1305Noble],
];

for (const [name, impl] of aeads) {
  const key = bytes(32, 7);
  const nonce = bytes(impl.nonceLength, 3);
  const aad = utf8('header');
  const sealed = impl.seal(key, nonce, utf8('attack at dawn'), aad);
  const sealedEmpty = impl.seal(key, nonce, new Uint8Array(0), aad);
  const otherNonceLength = impl.nonceLength === 12 ? 24 : 12;
  const auth = (input: string, run: () => unknown): Case => ({
    call: `${name}.open`,
    input,
    code: 'CRYPTO_AUTH_FAILED',
    run,
  });
  cases.push(
    {
      call: `${name}.seal`,
      input: '16-byte key',
      code: 'CRYPTO_BAD_KEY',
      run: () => impl.seal(bytes(16), nonce, bytes(1)),
    },
    {
      call: `${name}.seal`,
      input: '33-byte key',
      code: 'CRYPTO_BAD_KEY',
      run: () => impl.seal(bytes(33), nonce, bytes(1)),
    },
    {
      call: `${name}.open`,
      input: '31-byte key',
      code: 'CRYPTO_BAD_KEY',
      run: () => impl.open(bytes(31), nonce, sealed, aad),
    },
    {
      call: `${name}.seal`,
      input: `${impl.nonceLength - 1}-byte nonce`,
      code: 'CRYPTO_BAD_INPUT',
      run: () => impl.seal(key, bytes(impl.nonceLength - 1), bytes(1)),
    },
    {
      call: `${name}.seal`,
      input: `${otherNonceLength}-byte nonce (the other construction's)`,
      code: 'CRYPTO_BAD_INPUT',
      run: () => impl.seal(key, bytes(otherNonceLength), bytes(1)),
    },
    {
      call: `${name}.open`,
      input: `${impl.nonceLength + 1}-byte nonce`,
      code: 'CRYPTO_BAD_INPUT',
      run: () => impl.open(key, bytes(impl.nonceLength + 1), sealed, aad),
    },
    {
      call: `${name}.open`,
      input: '15-byte sealed',
      code: 'CRYPTO_BAD_INPUT',
      run: () => impl.open(key, nonce, bytes(15), aad),
    },
    {
      call: `${name}.open`,
      input: 'empty sealed',
      code: 'CRYPTO_BAD_INPUT',
      run: () => impl.open(key, nonce, bytes(0), aad),
    },
    auth('flipped bit in ciphertext', () => impl.open(key, nonce, flip(sealed, 0), aad)),
    auth('flipped bit in tag', () => impl.open(key, nonce, flip(sealed, -1), aad)),
    auth('flipped bit in tag of an empty message', () => impl.open(key, nonce, flip(sealedEmpty, 5), aad)),
    auth('sealed truncated by one byte', () => impl.open(key, nonce, sealed.subarray(0, -1), aad)),
    auth('sealed with a byte appended', () => impl.open(key, nonce, concatBytes(sealed, bytes(1)), aad)),
    auth('flipped bit in aad', () => impl.open(key, nonce, sealed, flip(aad, 2))),
    auth('aad missing', () => impl.open(key, nonce, sealed)),
    auth('wrong key', () => impl.open(flip(key, 31), nonce, sealed, aad)),
    auth('wrong nonce', () => impl.open(key, flip(nonce, -1), sealed, aad)),
  );
}

for (const [name, hkdf] of [
  ['hkdfSha256Node', hkdfSha256Node],
  ['hkdfSha256Noble', hkdfSha256Noble],
] as const) {
  for (const length of [0, -1, 8161, 1.5, Number.NaN]) {
    cases.push({
      call: name,
      input: `length ${length}`,
      code: 'CRYPTO_BAD_INPUT',
      run: () => hkdf(bytes(32), bytes(0), bytes(0), length),
    });
  }
}

for (const text of ['abc', 'zz', '0x00', ' 00', '00 ', 'é0']) {
  cases.push({
    call: 'fromHex',
    input: JSON.stringify(text),
    code: 'CRYPTO_BAD_INPUT',
    run: () => fromHex(text),
  });
}
// 'AB' and 'AAB' carry non-zero bits beyond the last byte (canonical: 'AA', 'AAA'); 'A' is one
// char too many; '+', '/' and '=' belong to plain base64 (RFC 4648 §4), not base64url (§5).
for (const text of ['AA==', 'AA=', 'A', 'AAAAA', 'AB', 'AAB', 'A+', 'A/', 'AA AA', 'AA\n', 'Zm9v.']) {
  cases.push({
    call: 'fromBase64url',
    input: JSON.stringify(text),
    code: 'CRYPTO_BAD_INPUT',
    run: () => fromBase64url(text),
  });
}

function thrownCode(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return err instanceof KithError ? err.code : `a non-KithError: ${String(err)}`;
  }
  return 'nothing thrown';
}

describe('crypto errors', () => {
  it.each(cases)('$call rejects $input with $code', ({ run, code }) => {
    expect(thrownCode(run)).toBe(code);
  });
});

// The last signature of RFC 8032 §7.1 (TEST 3) and variations of it.
const seed = fromHex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7');
const publicKey = fromHex('fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025');
const message = fromHex('af82');
const signature = ed25519Noble.sign(seed, message);
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const littleEndian = (n: bigint) =>
  Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const fromLittleEndian = (b: Uint8Array) => b.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
const sPlusL = concatBytes(
  signature.subarray(0, 32),
  littleEndian(fromLittleEndian(signature.subarray(32)) + L),
);
// R = identity, S = 0: valid under a cofactorless check for every message if A is the identity.
const identity = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
const trivialSignature = concatBytes(identity, new Uint8Array(32));

const rejected: { input: string; key: Uint8Array; sig: Uint8Array }[] = [
  { input: '31-byte public key', key: publicKey.subarray(1), sig: signature },
  { input: '33-byte public key', key: concatBytes(publicKey, bytes(1)), sig: signature },
  { input: 'empty public key and signature', key: new Uint8Array(0), sig: new Uint8Array(0) },
  { input: '63-byte signature', key: publicKey, sig: signature.subarray(1) },
  { input: '65-byte signature', key: publicKey, sig: concatBytes(signature, bytes(1)) },
  // y = 2 has no x on the curve (RFC 8032 §5.1.3 step 3 finds no square root).
  { input: 'public key that is not a point', key: fromHex(`02${'00'.repeat(31)}`), sig: signature },
  { input: 'S + L in place of S', key: publicKey, sig: sPlusL },
  { input: 'S = 2^256 - 1', key: publicKey, sig: concatBytes(signature.subarray(0, 32), bytes(32, 0xff)) },
  {
    input: 'R not a point',
    key: publicKey,
    sig: concatBytes(fromHex(`02${'00'.repeat(31)}`), signature.subarray(32)),
  },
  { input: 'identity public key, trivial signature', key: identity, sig: trivialSignature },
  {
    input: 'identity public key encoded as y = p + 1, trivial signature',
    key: fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
    sig: trivialSignature,
  },
  {
    input: 'identity public key with the x sign bit set, trivial signature',
    key: fromHex('0100000000000000000000000000000000000000000000000000000000000080'),
    sig: trivialSignature,
  },
  {
    input: 'order-2 public key, trivial signature',
    key: fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
    sig: trivialSignature,
  },
];

describe.each([ed25519Node, ed25519Noble])('ed25519 $name verify', (impl) => {
  it('accepts the unmodified signature', () => {
    expect(impl.verify(publicKey, message, signature)).toBe(true);
  });

  it.each(rejected)('returns false, without throwing, for $input', ({ key, sig }) => {
    for (const msg of [message, new Uint8Array(0), utf8('any message at all')]) {
      expect(impl.verify(key, msg, sig)).toBe(false);
    }
  });
});
