// What an attacker can put on the wire against the overlay (docs/overlay-protocol.md "Packets"):
// HELLOs with a chosen proof of work, timestamp and signature, linked packets MACed under a chosen
// key, and a byte search for what a router of a ROUTE may read. The security and flood tests use
// these; the node's own encoders build every packet, so the bytes are exactly the spec's.
import { mac16 } from '../../src/channel/mac.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { ed25519, generateEd25519 } from '../../src/crypto/ed25519.js';
import type { Rng } from '../../src/crypto/random.js';
import { generateX25519 } from '../../src/crypto/x25519.js';
import { signHello } from '../../src/overlay/hello.js';
import { checkPow, solvePow } from '../../src/overlay/pow.js';
import type { KeyPair } from '../../src/store/identity.js';
import {
  decodeLinkedBody,
  decodeLinkedFrame,
  encodeHello,
  encodeLinked,
  HELLO_SIGNATURE_CONTEXT,
  type HelloFields,
  helloSigned,
  type LinkedMessage,
} from '../../src/wire/overlay.js';

export interface HelloSpec {
  /** The signer and sender ID; a fresh identity when absent. */
  identity?: KeyPair;
  timestamp: number;
  /** The difficulty the HELLO claims. */
  difficulty: number;
  /**
   * 'valid': a nonce meeting the claimed difficulty (solved here, so keep it small); 'invalid': one
   * that misses it; or a nonce found beforehand (one solution serves every HELLO of that ID and
   * timestamp, as the spec says, so a flood reuses it with fresh ephemeral keys).
   */
  pow: 'valid' | 'invalid' | Uint8Array;
  /** 'valid', 'random' (64 random bytes) or 'other-key' (a real signature by someone else). */
  signature: 'valid' | 'random' | 'other-key';
  ephemeral?: Uint8Array;
  linkIndex?: number;
  flags?: number;
}

export interface ForgedHello {
  packet: Uint8Array;
  id: Uint8Array;
  identity: KeyPair;
}

/** A nonce whose PoW hash misses `difficulty` (at least 1); bounded: 64 misses in a row are 2^-64 likely. */
export function missingNonce(timestamp: number, id: Uint8Array, difficulty: number, rng: Rng): Uint8Array {
  if (difficulty < 1) throw new RangeError('every nonce meets difficulty 0');
  for (let i = 0; i < 64; i++) {
    const nonce = rng(8);
    if (!checkPow(timestamp, id, nonce, difficulty)) return nonce;
  }
  throw new Error('no missing nonce in 64 tries (the rng is broken)');
}

export function forgeHello(rng: Rng, spec: HelloSpec): ForgedHello {
  const identity = spec.identity ?? generateEd25519(rng);
  const id = identity.publicKey;
  let powNonce: Uint8Array;
  if (spec.pow === 'valid') {
    const solved = solvePow(spec.timestamp, id, spec.difficulty, rng);
    if (!solved) throw new Error(`no PoW found at difficulty ${spec.difficulty}`);
    powNonce = solved;
  } else if (spec.pow === 'invalid') {
    powNonce = missingNonce(spec.timestamp, id, spec.difficulty, rng);
  } else {
    powNonce = spec.pow;
  }
  const fields: HelloFields = {
    senderId: id,
    ephemeral: spec.ephemeral ?? generateX25519(rng).publicKey,
    timestamp: spec.timestamp,
    powNonce,
    difficulty: spec.difficulty,
    flags: spec.flags ?? 0,
    linkIndex: spec.linkIndex ?? 1 + ((rng(1)[0] as number) << 8),
  };
  let packet: Uint8Array;
  if (spec.signature === 'valid') packet = signHello(identity, fields);
  else if (spec.signature === 'random') packet = encodeHello(fields, rng(64));
  else {
    const other = generateEd25519(rng);
    const signature = ed25519.sign(
      other.secretKey,
      concatBytes(HELLO_SIGNATURE_CONTEXT, helloSigned(fields)),
    );
    packet = encodeHello(fields, signature);
  }
  return { packet, id, identity };
}

/** A linked packet for `receiverIndex`, MACed under `key` (the link's real key, or any other). */
export function linkedPacket(
  message: LinkedMessage,
  receiverIndex: number,
  counter: number,
  key: Uint8Array,
): Uint8Array {
  return encodeLinked(message, receiverIndex, counter, (input) => mac16(key, input));
}

/** A linked packet's frame and message as any hop reads them (no key is needed: links MAC, not encrypt). */
export function readLinked(
  packet: Uint8Array,
): { type: number; receiverIndex: number; counter: number; message: LinkedMessage } | null {
  const frame = decodeLinkedFrame(packet);
  if (typeof frame === 'string') return null;
  const message = decodeLinkedBody(frame.type, frame.body);
  if (typeof message === 'string') return null;
  return { type: frame.type, receiverIndex: frame.receiverIndex, counter: frame.counter, message };
}

/** Whether `needle` occurs anywhere in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
