// Shared by the Noise tests: key pairs from fixed secrets, one whole handshake between two states,
// and the code of whatever a call throws.
import { type HandshakeState, type KeyPair } from '../../../src/crypto/noise/handshake-state.js';
import { x25519 } from '../../../src/crypto/x25519.js';
import { KithError } from '../../../src/errors.js';

export function keyPair(secretKey: Uint8Array): KeyPair {
  return { secretKey, publicKey: x25519.publicKey(secretKey) };
}

/**
 * Runs the handshake to completion, each side writing in turn from the initiator, and returns the
 * messages and the payloads each reader got.
 */
export function handshake(
  initiator: HandshakeState,
  responder: HandshakeState,
  payloads: readonly Uint8Array[] = [],
): { messages: Uint8Array[]; received: Uint8Array[] } {
  const messages: Uint8Array[] = [];
  const received: Uint8Array[] = [];
  for (let i = 0; !initiator.complete; i++) {
    const [writer, reader] = i % 2 === 0 ? [initiator, responder] : [responder, initiator];
    const message = writer.writeMessage(payloads[i]);
    messages.push(message);
    received.push(reader.readMessage(message));
  }
  return { messages, received };
}

export function thrownCode(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return err instanceof KithError ? err.code : `a non-KithError: ${String(err)}`;
  }
  return 'nothing thrown';
}
