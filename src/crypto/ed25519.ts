// Ed25519 signatures (RFC 8032 §5.1) from node:crypto (OpenSSL) and from @noble/curves (independent
// cross-check). Secret keys are the 32-byte seed of RFC 8032 §5.1.5.
import { type KeyObject, sign, verify } from 'node:crypto';
import { ed25519 as noble } from '@noble/curves/ed25519.js';
import { KithError } from '../errors.js';
import { plainBytes, toHex } from './bytes.js';
import { privateKeyObject, publicKeyObject, rawPublicKey } from './keyobjects.js';
import { type Rng, systemRng } from './random.js';

export interface Ed25519Impl {
  readonly name: 'node' | 'noble';
  publicKey(seed: Uint8Array): Uint8Array;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** Never throws: it faces attacker input, so anything malformed is simply not a valid signature. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

const SEED_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;

// OpenSSL verifies cofactorless and accepts any decodable A, so for these keys it accepts forgeries
// such as R = identity, S = 0 on many messages. @noble in strict mode rejects them; rejecting them
// here too keeps the two in agreement. The eight points of order dividing 8 in canonical encoding,
// plus the "negative zero" x encodings of the two with x = 0 (RFC 8032 §5.1.3 step 4 rejects those).
const SMALL_ORDER_KEYS = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
]);

/** RFC 8032 §5.1.3 step 1: y (the low 255 bits) must be below p = 2^255 - 19; OpenSSL reduces it instead. */
function hasCanonicalY(publicKey: Uint8Array): boolean {
  if (((publicKey[31] ?? 0) & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (publicKey[i] !== 0xff) return true;
  return (publicKey[0] ?? 0) < 0xed;
}

function checkSeed(seed: Uint8Array): void {
  if (seed.length !== SEED_LENGTH) {
    throw new KithError('CRYPTO_BAD_KEY', `Ed25519 seed must be ${SEED_LENGTH} bytes, got ${seed.length}`);
  }
}

function nodePrivateKey(seed: Uint8Array): KeyObject {
  checkSeed(seed);
  return privateKeyObject('Ed25519', seed);
}

function hasSignatureShape(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return publicKey.length === PUBLIC_KEY_LENGTH && signature.length === SIGNATURE_LENGTH;
}

// Remaining difference, by design of the libraries: OpenSSL checks [S]B = R + [k]A, @noble the
// cofactored [8][S]B = [8]R + [8][k]A (RFC 8032 §5.1.7 allows either). They can disagree only on a
// key or signature whose signer deliberately put a small-order component into A or R; honest
// signatures get the same answer from both.
export const ed25519Node: Ed25519Impl = {
  name: 'node',
  publicKey(seed) {
    return rawPublicKey(nodePrivateKey(seed));
  },
  sign(seed, message) {
    return plainBytes(sign(null, message, nodePrivateKey(seed)));
  },
  verify(publicKey, message, signature) {
    if (!hasSignatureShape(publicKey, signature)) return false;
    if (!hasCanonicalY(publicKey) || SMALL_ORDER_KEYS.has(toHex(publicKey))) return false;
    try {
      return verify(null, message, publicKeyObject('Ed25519', publicKey), signature);
    } catch {
      return false;
    }
  },
};

export const ed25519Noble: Ed25519Impl = {
  name: 'noble',
  publicKey(seed) {
    checkSeed(seed);
    return noble.getPublicKey(seed);
  },
  sign(seed, message) {
    checkSeed(seed);
    return noble.sign(message, seed);
  },
  verify(publicKey, message, signature) {
    if (!hasSignatureShape(publicKey, signature)) return false;
    try {
      // zip215: false is RFC 8032's strict decoding (canonical A and R, S < L, small-order A refused).
      return noble.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

// Measured by test/bench/crypto.ts on a loaded 2-core machine: node signs 18-28 k/s against noble's
// 0.85-1.6 k/s and verifies 5.4-8.3 k/s against 0.42-0.67 k/s.
export const ed25519: Ed25519Impl = ed25519Node;

export function generateEd25519(rng: Rng = systemRng): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const secretKey = rng(SEED_LENGTH);
  return { publicKey: ed25519.publicKey(secretKey), secretKey };
}
