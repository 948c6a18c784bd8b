// The channel's handshake: Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s (DESIGN §3 "Channel"). Both
// static keys are known from pairing, so neither is ever sent, and the pairing PSK authenticates
// even the first message.
//
//   -> psk, e, es, ss     payload: the initiator's wall-clock time (ms, u64), so the responder
//                         can refuse a replayed initiation (WireGuard's TAI64N timestamp), and
//                         its boot id; no application data rides here, because message 1 can be
//                         replayed
//   <- e, ee, se          payload: the responder's boot id; after it, the initiator holds a
//                         trusted session, the responder trusts it once the first transport
//                         packet decrypts
//
// The boot id is 8 random bytes chosen once per process run. When a peer's boot id changes, the
// peer restarted and lost its stream state, so our reliable stream starts a new incarnation at
// once instead of waiting out its failure timeout (channel/reliable.ts).
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { HandshakeState } from '../crypto/noise/handshake-state.js';
import type { Rng } from '../crypto/random.js';
import { KithError } from '../errors.js';

export const PROTOCOL_NAME = 'Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s';
/** Binds the handshake to Kith and this channel version (Noise §6: prologue). */
export const PROLOGUE = utf8('kith channel v1');

export interface StaticKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface TransportKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
}

export const BOOT_ID_BYTES = 8;

function handshake(initiator: boolean, ours: StaticKeyPair, theirs: Uint8Array, psk: Uint8Array, rng: Rng) {
  return new HandshakeState({
    protocolName: PROTOCOL_NAME,
    initiator,
    prologue: PROLOGUE,
    s: ours,
    rs: theirs,
    psks: [psk],
    rng,
  });
}

function keys(state: HandshakeState, initiator: boolean): TransportKeys {
  const [initiatorToResponder, responderToInitiator] = state.split();
  return initiator
    ? { sendKey: initiatorToResponder.key(), receiveKey: responderToInitiator.key() }
    : { sendKey: responderToInitiator.key(), receiveKey: initiatorToResponder.key() };
}

/** The initiator's side: message 1 now, the keys when message 2 arrives. */
export class Initiation {
  readonly #state: HandshakeState;
  readonly message: Uint8Array;

  constructor(
    ours: StaticKeyPair,
    theirs: Uint8Array,
    psk: Uint8Array,
    rng: Rng,
    wallTimeMs: number,
    bootId: Uint8Array,
  ) {
    this.#state = handshake(true, ours, theirs, psk, rng);
    const timestamp = new Uint8Array(8);
    new DataView(timestamp.buffer).setBigUint64(0, BigInt(Math.floor(wallTimeMs)));
    this.message = this.#state.writeMessage(concatBytes(timestamp, bootId));
  }

  /** Reads message 2; throws (a KithError) if it does not authenticate. */
  complete(message2: Uint8Array): TransportKeys & { peerBootId: Uint8Array } {
    const payload = this.#state.readMessage(message2);
    if (payload.length !== BOOT_ID_BYTES) {
      throw new KithError('NOISE_BAD_MESSAGE', 'handshake response has no boot id');
    }
    return { ...keys(this.#state, true), peerBootId: payload };
  }
}

/**
 * The responder's side. Reading message 1 costs two Diffie-Hellman operations; the caller checks
 * the timestamp before `reply()` spends two more, so a replayed initiation costs half.
 * Throws (a KithError) when message 1 does not authenticate.
 */
export function respond(
  ours: StaticKeyPair,
  theirs: Uint8Array,
  psk: Uint8Array,
  rng: Rng,
  message1: Uint8Array,
): {
  timestampMs: number;
  peerBootId: Uint8Array;
  reply(bootId: Uint8Array): TransportKeys & { message: Uint8Array };
} {
  const state = handshake(false, ours, theirs, psk, rng);
  const payload = state.readMessage(message1);
  if (payload.length !== 8 + BOOT_ID_BYTES) {
    throw new KithError('NOISE_BAD_MESSAGE', 'handshake initiation lacks its timestamp and boot id');
  }
  const timestampMs = Number(new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0));
  return {
    timestampMs,
    peerBootId: payload.slice(8),
    reply(bootId) {
      const message = state.writeMessage(bootId);
      return { message, ...keys(state, false) };
    },
  };
}
