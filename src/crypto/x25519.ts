// X25519 Diffie-Hellman (RFC 7748 §5, §6.1) from node:crypto (OpenSSL) and from @noble/curves
// (independent cross-check). Both refuse small-order peer keys identically.
import { diffieHellman, type KeyObject } from 'node:crypto';
import { x25519 as noble } from '@noble/curves/ed25519.js';
import { KithError } from '../errors.js';
import { plainBytes } from './bytes.js';
import { privateKeyObject, publicKeyObject, rawPublicKey } from './keyobjects.js';
import { type Rng, systemRng } from './random.js';

export interface X25519Impl {
  readonly name: 'node' | 'noble';
  publicKey(secret: Uint8Array): Uint8Array;
  sharedSecret(secret: Uint8Array, peerPublic: Uint8Array): Uint8Array;
}

const KEY_LENGTH = 32;

function checkKey(what: string, key: Uint8Array): void {
  if (key.length !== KEY_LENGTH) {
    throw new KithError('CRYPTO_BAD_KEY', `X25519 ${what} must be ${KEY_LENGTH} bytes, got ${key.length}`);
  }
}

// Both libraries refuse to return RFC 7748 §6.1's all-zero output (OpenSSL fails the derivation,
// @noble rejects the small-order u before the ladder), each with its own error. With lengths checked
// first, that is the only way either can fail, so the failure is translated, not inspected.
function weak(cause: unknown): KithError {
  return new KithError('CRYPTO_WEAK_SHARED_SECRET', undefined, { cause });
}

function nodePrivateKey(secret: Uint8Array): KeyObject {
  checkKey('secret key', secret);
  return privateKeyObject('X25519', secret);
}

export const x25519Node: X25519Impl = {
  name: 'node',
  publicKey(secret) {
    return rawPublicKey(nodePrivateKey(secret));
  },
  sharedSecret(secret, peerPublic) {
    const privateKey = nodePrivateKey(secret);
    checkKey('public key', peerPublic);
    const publicKey = publicKeyObject('X25519', peerPublic);
    try {
      return plainBytes(diffieHellman({ privateKey, publicKey }));
    } catch (cause) {
      throw weak(cause);
    }
  },
};

export const x25519Noble: X25519Impl = {
  name: 'noble',
  publicKey(secret) {
    checkKey('secret key', secret);
    return noble.getPublicKey(secret);
  },
  sharedSecret(secret, peerPublic) {
    checkKey('secret key', secret);
    checkKey('public key', peerPublic);
    try {
      return noble.getSharedSecret(secret, peerPublic);
    } catch (cause) {
      throw weak(cause);
    }
  },
};

// Measured by test/bench/crypto.ts: node 15-22 k shared secrets/s against noble's 0.5-0.9 k/s.
export const x25519: X25519Impl = x25519Node;

export function generateX25519(rng: Rng = systemRng): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const secretKey = rng(KEY_LENGTH);
  return { publicKey: x25519.publicKey(secretKey), secretKey };
}
