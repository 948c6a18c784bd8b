// Setting up a neighbour link (docs/overlay-protocol.md "HELLO" and "HELLO_ACK"): both sides sign
// once with their Ed25519 identity and exchange ephemeral X25519 keys; from the shared secret come
// two MAC keys, one per direction, that authenticate every later packet on the link. Signing the
// ephemeral keys binds them to the IDs (a SIGMA-style exchange, Krawczyk 2003, without the
// encryption: a link's packets are public routing data, only their origin needs proving).
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { ed25519 } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import { hkdfSha256 } from '../crypto/hkdf.js';
import type { KeyPair } from '../store/identity.js';
import {
  encodeHello,
  encodeHelloAck,
  HELLO_ACK_SIGNATURE_CONTEXT,
  HELLO_SIGNATURE_CONTEXT,
  type Hello,
  type HelloAck,
  type HelloAckFields,
  type HelloFields,
  helloAckSigned,
  helloSigned,
} from '../wire/overlay.js';

const LINK_INFO = utf8('kith link v1');

export function signHello(identity: KeyPair, fields: HelloFields): Uint8Array {
  const signature = ed25519.sign(
    identity.secretKey,
    concatBytes(HELLO_SIGNATURE_CONTEXT, helloSigned(fields)),
  );
  return encodeHello(fields, signature);
}

export function helloSignatureValid(hello: Hello): boolean {
  return ed25519.verify(hello.senderId, concatBytes(HELLO_SIGNATURE_CONTEXT, hello.signed), hello.signature);
}

export function signHelloAck(identity: KeyPair, fields: HelloAckFields): Uint8Array {
  const signature = ed25519.sign(
    identity.secretKey,
    concatBytes(HELLO_ACK_SIGNATURE_CONTEXT, helloAckSigned(fields)),
  );
  return encodeHelloAck(fields, signature);
}

export function helloAckSignatureValid(ack: HelloAck): boolean {
  return ed25519.verify(ack.responderId, concatBytes(HELLO_ACK_SIGNATURE_CONTEXT, ack.signed), ack.signature);
}

/** What the HELLO_ACK binds to: the whole HELLO, so an ack cannot be replayed for another one. */
export function helloHash(packet: Uint8Array): Uint8Array {
  return sha256(packet);
}

export interface LinkKeys {
  /** Authenticates what we send. */
  send: Uint8Array;
  /** Authenticates what we receive. */
  receive: Uint8Array;
}

/** HKDF-SHA256(shared, initiator ID ‖ responder ID, "kith link v1") → initiator's key ‖ responder's. */
export function linkKeys(
  shared: Uint8Array,
  initiatorId: Uint8Array,
  responderId: Uint8Array,
  weInitiated: boolean,
): LinkKeys {
  const okm = hkdfSha256(shared, concatBytes(initiatorId, responderId), LINK_INFO, 64);
  const initiator = okm.slice(0, 32);
  const responder = okm.slice(32, 64);
  return weInitiated ? { send: initiator, receive: responder } : { send: responder, receive: initiator };
}
