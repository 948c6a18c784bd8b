// Hash functions and HMAC (RFC 2104): SHA-256 and SHA-512 (FIPS 180-4), BLAKE2s-256 (RFC 7693),
// each from node:crypto (OpenSSL, the default) and from @noble/hashes as an independent
// implementation the tests cross-check against. Measured by test/bench/crypto.ts on 64 B: SHA-256
// node 0.53-0.91 M/s against noble's 0.27-0.51 M/s, BLAKE2s 0.59-0.86 M/s against 0.27-0.32 M/s.
import { createHmac, hash } from 'node:crypto';
import { blake2s as nobleBlake2s } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { plainBytes } from './bytes.js';

export type HashFn = (message: Uint8Array) => Uint8Array;
export type HmacFn = (key: Uint8Array, message: Uint8Array) => Uint8Array;

// The one-shot crypto.hash skips the Hash object that createHash builds, measurably faster on the
// short inputs (PoW, Noise) that dominate here.
const nodeHash =
  (algorithm: string): HashFn =>
  (message) =>
    plainBytes(hash(algorithm, message, 'buffer'));

const nodeHmac =
  (algorithm: string): HmacFn =>
  (key, message) =>
    plainBytes(createHmac(algorithm, key).update(message).digest());

export const sha256Node: HashFn = nodeHash('sha256');
export const sha256Noble: HashFn = (message) => nobleSha256(message);
export const sha256: HashFn = sha256Node;

export const sha512Node: HashFn = nodeHash('sha512');
export const sha512Noble: HashFn = (message) => nobleSha512(message);
export const sha512: HashFn = sha512Node;

export const blake2sNode: HashFn = nodeHash('blake2s256');
export const blake2sNoble: HashFn = (message) => nobleBlake2s(message);
export const blake2s: HashFn = blake2sNode;

export const hmacSha256Node: HmacFn = nodeHmac('sha256');
export const hmacSha256Noble: HmacFn = (key, message) => hmac(nobleSha256, key, message);
export const hmacSha256: HmacFn = hmacSha256Node;

// HMAC-BLAKE2s is what the Noise HKDF uses (Noise spec §4.3), not BLAKE2s's own keyed mode.
export const hmacBlake2sNode: HmacFn = nodeHmac('blake2s256');
export const hmacBlake2sNoble: HmacFn = (key, message) => hmac(nobleBlake2s, key, message);
export const hmacBlake2s: HmacFn = hmacBlake2sNode;
