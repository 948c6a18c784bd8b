// The keyed functions the channel's unencrypted fields use: a 16-byte MAC and a key derivation,
// both HMAC-BLAKE2s (RFC 2104; truncation per RFC 2104 §5), the same hash as the Noise suite.
// WireGuard uses keyed BLAKE2s here; Node has no keyed BLAKE2s, while HMAC-BLAKE2s runs on
// OpenSSL at ~0.6 M/s (crypto/hash.ts), which matters when mac1 is checked on every packet of
// a flood.
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { hmacBlake2s } from '../crypto/hash.js';

export function mac16(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return hmacBlake2s(key, parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts)).subarray(
    0,
    16,
  );
}

/** A 32-byte key for one purpose, from a secret or public value and a label naming the purpose. */
export function deriveKey(from: Uint8Array, label: string): Uint8Array {
  return hmacBlake2s(from, utf8(label));
}
