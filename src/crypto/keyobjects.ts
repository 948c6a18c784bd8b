// Raw 32-byte Ed25519 / X25519 keys as node:crypto KeyObjects and back, through the OKP JSON Web
// Key form (RFC 8037 §2). Only ed25519.ts and x25519.ts use it.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { equalBytes, fromBase64url, toBase64url } from './bytes.js';

export type OkpCurve = 'Ed25519' | 'X25519';

// JWK rather than the fixed PKCS#8 / SPKI DER prefixes of RFC 8410: OpenSSL 3's DER decoder made
// each import cost more than the operation itself. Measured here (Node 20.20, OpenSSL 3.0.19),
// imports per second: PKCS#8 DER 1.9 k vs private JWK 20 k, SPKI DER 10 k vs public JWK 136 k.
//
// A private import also derives the public half (a base-point multiplication, as costly as a
// signature), so private KeyObjects are kept per secret-key array. Comparing the array's contents
// with a private copy means a caller that wipes or refills the array gets a fresh import, never a
// stale key; the WeakMap lets both go once the array is unreachable.
interface Cached {
  secret: Uint8Array;
  key: KeyObject;
}

const privateKeys: Record<OkpCurve, WeakMap<Uint8Array, Cached>> = {
  Ed25519: new WeakMap(),
  X25519: new WeakMap(),
};

export function privateKeyObject(crv: OkpCurve, secret: Uint8Array): KeyObject {
  const cached = privateKeys[crv].get(secret);
  if (cached && equalBytes(cached.secret, secret)) return cached.key;
  // Node imports a private OKP JWK from `d` alone and derives the public half itself; `x` is only
  // required to be a string.
  const key = createPrivateKey({ key: { kty: 'OKP', crv, d: toBase64url(secret), x: '' }, format: 'jwk' });
  privateKeys[crv].set(secret, { secret: secret.slice(), key });
  return key;
}

export function publicKeyObject(crv: OkpCurve, publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: toBase64url(publicKey) }, format: 'jwk' });
}

/** The raw public key of a private KeyObject. */
export function rawPublicKey(privateKey: KeyObject): Uint8Array {
  return fromBase64url(privateKey.export({ format: 'jwk' }).x ?? '');
}
