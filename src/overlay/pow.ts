// The proof of work a HELLO carries (docs/overlay-protocol.md "Unlinked packets", HELLO; DESIGN §3
// "Overlay (DRP)": REGISTER carries a PoW with D leading zero bits, D rising under load), in the
// hashcash form (Back, "Hashcash - A Denial of Service Counter-Measure", 2002): the sender searches
// for a nonce, the receiver checks it with one SHA-256.
//
//   SHA-256("kith pow v1\0" ‖ timestamp u64 ‖ sender ID (32) ‖ nonce (8)) has >= difficulty leading zero bits
//
// The input is 12 + 8 + 32 + 8 = 60 bytes, fixed but for the nonce, which the solver changes in
// place rather than building the input again for every try.
import { hash } from 'node:crypto';
import { plainBytes, utf8 } from '../crypto/bytes.js';
import type { Rng } from '../crypto/random.js';

/**
 * What a node asks for when calm: 2^14 hashes on average, a median of 14-33 ms per solve on a loaded
 * 2-core machine (test/bench/overlay-crypto.ts), once per 5-minute window.
 */
export const DEFAULT_DIFFICULTY = 14;
/** The spec: a sender whose HELLO goes unanswered retries with 2 more bits, up to 24. */
export const MAX_DIFFICULTY = 24;

const CONTEXT = utf8('kith pow v1\0');
const ID_BYTES = 32;
const NONCE_BYTES = 8;
const TIMESTAMP_AT = CONTEXT.length;
const ID_AT = TIMESTAMP_AT + 8;
const NONCE_AT = ID_AT + ID_BYTES;
const INPUT_BYTES = NONCE_AT + NONCE_BYTES;
const HASH_BITS = 256;

/** Writes the input for (timestamp, id) into `input`, leaving the nonce bytes as they are. */
function fillInput(input: Uint8Array, timestamp: number, id: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError(`timestamp must be a whole number of ms in 0..2^53-1, got ${timestamp}`);
  if (id.length !== ID_BYTES) throw new RangeError(`ID must be ${ID_BYTES} bytes, got ${id.length}`);
  input.set(CONTEXT);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  view.setUint32(TIMESTAMP_AT, Math.floor(timestamp / 2 ** 32));
  view.setUint32(TIMESTAMP_AT + 4, timestamp >>> 0);
  input.set(id, ID_AT);
  return input;
}

// One input buffer for checks: a receiver under a flood checks a PoW per HELLO, and with a fresh
// input each time a check ran at 0.58 of a raw SHA-256's rate, against 0.72-0.99 reusing one
// (test/bench/overlay-crypto.ts). Safe to share: nothing runs between filling it and hashing it.
const scratch = new Uint8Array(INPUT_BYTES);

// node:crypto's one-shot hash() skips the Hash object createHash builds: measured 1.2 µs against
// 2.1 µs per 60-byte input here, which is most of a solve's time and of a flooded receiver's check.
function sha256(input: Uint8Array): Uint8Array {
  return hash('sha256', input, 'buffer');
}

/** SHA-256("kith pow v1\0" ‖ timestamp u64 ‖ id(32) ‖ nonce(8)). Throws RangeError on bad lengths. */
export function powHash(timestamp: number, id: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES)
    throw new RangeError(`nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
  fillInput(scratch, timestamp, id).set(nonce, NONCE_AT);
  return plainBytes(sha256(scratch));
}

export function leadingZeroBits(digest: Uint8Array): number {
  for (let i = 0; i < digest.length; i++) {
    const byte = digest[i] as number;
    if (byte !== 0) return i * 8 + Math.clz32(byte) - 24;
  }
  return digest.length * 8;
}

/** At least `bits` leading zero bits, looking only at the bytes that decide it. */
function meets(digest: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (digest[i] !== 0) return false;
  const rest = bits & 7;
  return rest === 0 || (digest[whole] as number) >> (8 - rest) === 0;
}

/** Whether the nonce meets `difficulty`; false (never a throw) for anything malformed, as it checks packets. */
export function checkPow(timestamp: number, id: Uint8Array, nonce: Uint8Array, difficulty: number): boolean {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) return false;
  if (id.length !== ID_BYTES || nonce.length !== NONCE_BYTES) return false;
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > HASH_BITS) return false;
  fillInput(scratch, timestamp, id).set(nonce, NONCE_AT);
  return meets(sha256(scratch), difficulty);
}

/**
 * Tries nonces counting up from a random start; returns the first that meets `difficulty`, or null
 * after maxTries. Each try succeeds with probability 2^-difficulty, so the default of 32 × 2^d
 * tries fails with probability about e^-32. It runs synchronously: a caller that must not block
 * (difficulty 24 is ~16 M hashes) calls it repeatedly with a small maxTries, which finds a solution
 * after as many tries in total, since every try is an independent draw.
 */
export function solvePow(
  timestamp: number,
  id: Uint8Array,
  difficulty: number,
  rng: Rng,
  maxTries: number = 32 * 2 ** difficulty,
): Uint8Array | null {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > HASH_BITS)
    throw new RangeError(`difficulty must be 0..${HASH_BITS}, got ${difficulty}`);
  const input = fillInput(new Uint8Array(INPUT_BYTES), timestamp, id);
  const nonce = input.subarray(NONCE_AT);
  nonce.set(rng(NONCE_BYTES));
  for (let tries = 0; tries < maxTries; tries++) {
    if (meets(sha256(input), difficulty)) return nonce.slice();
    // Big-endian increment of the 8 nonce bytes, wrapping at 2^64.
    for (let i = NONCE_BYTES - 1; i >= 0; i--) {
      nonce[i] = ((nonce[i] as number) + 1) & 0xff;
      if (nonce[i] !== 0) break;
    }
  }
  return null;
}
