// Randomness: the system CSPRNG for real keys and nonces, and a seeded, reproducible stream for
// tests and simulations. Protocol code takes an Rng parameter so either can be passed in.
import { randomBytes } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { plainBytes } from './bytes.js';
import { sha256 } from './hash.js';

export type Rng = (length: number) => Uint8Array;

export const systemRng: Rng = (length) => plainBytes(randomBytes(length));

const BLOCK_LENGTH = 64;

/**
 * A deterministic stream for tests and simulations: the ChaCha20 keystream (RFC 8439 §2.4) keyed by
 * SHA-256(seed) with an all-zero nonce. Consecutive calls continue one stream, so rng(10) then rng(22)
 * equals rng(32). NOT for keys on a device: anyone who knows the seed knows every output. It stops
 * (throws) after 2^32 blocks (256 GiB), where RFC 8439's 32-bit block counter ends.
 */
export function seededRng(seed: Uint8Array): Rng {
  const key = sha256(seed);
  const nonce = new Uint8Array(12);
  let nextBlock = 0;
  let spare: Uint8Array = new Uint8Array(0);
  return (length) => {
    const out = new Uint8Array(length);
    const fromSpare = Math.min(length, spare.length);
    out.set(spare.subarray(0, fromSpare));
    spare = spare.subarray(fromSpare);
    const missing = length - fromSpare;
    if (missing > 0) {
      const blocks = Math.ceil(missing / BLOCK_LENGTH);
      const stream = chacha20(key, nonce, new Uint8Array(blocks * BLOCK_LENGTH), undefined, nextBlock);
      nextBlock += blocks;
      out.set(stream.subarray(0, missing), fromSpare);
      spare = stream.subarray(missing);
    }
    return out;
  };
}
