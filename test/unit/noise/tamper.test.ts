// Tampering with KKpsk0, the channel's handshake: every single-bit change to either handshake
// message must fail the read with a KithError and leave that side without keys and unusable, and
// a psk that differs between the sides must fail the very first message.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { HandshakeState } from '../../../src/crypto/noise/handshake-state.js';
import { seededRng } from '../../../src/crypto/random.js';
import { x25519 } from '../../../src/crypto/x25519.js';
import { KithError } from '../../../src/errors.js';
import { handshake, keyPair, thrownCode } from './helpers.js';

const rng = seededRng(utf8('noise tamper test'));
const statics = { initiator: keyPair(rng(32)), responder: keyPair(rng(32)) };
// Fixed ephemerals make every run write the same messages, so each flip is tried on the real ones.
const ephemerals = { initiator: keyPair(rng(32)), responder: keyPair(rng(32)) };
const psk = rng(32);
const payloads = [utf8('timestamp'), utf8('welcome')];

function side(initiator: boolean, sidePsk = psk): HandshakeState {
  const [ours, theirs] = initiator
    ? (['initiator', 'responder'] as const)
    : (['responder', 'initiator'] as const);
  return new HandshakeState({
    protocolName: 'Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s',
    initiator,
    prologue: utf8('kith tamper'),
    s: statics[ours],
    e: ephemerals[ours],
    rs: statics[theirs].publicKey,
    psks: [sidePsk],
  });
}

const genuine = handshake(side(true), side(false), payloads).messages;

function flipped(message: Uint8Array, bit: number): Uint8Array {
  const out = message.slice();
  out[bit >> 3] = (out[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return out;
}

/** The reader for message `index`, with every earlier message already exchanged. */
function readerOf(index: number): HandshakeState {
  const initiator = side(true);
  if (index === 0) return side(false);
  initiator.writeMessage(payloads[0]);
  return initiator;
}

describe('KKpsk0 tampering', () => {
  it.each(genuine.map((message, index) => ({ index, number: index + 1, bits: message.length * 8 })))(
    'every flipped bit of message $number ($bits bits) fails the read and leaves no keys',
    ({ index }) => {
      const message = genuine[index] ?? new Uint8Array(0);
      const codes = new Set<string>();
      for (let bit = 0; bit < message.length * 8; bit++) {
        const reader = readerOf(index);
        let error: unknown;
        try {
          reader.readMessage(flipped(message, bit));
        } catch (err) {
          error = err;
        }
        expect(error, `bit ${bit}`).toBeInstanceOf(KithError);
        codes.add((error as KithError).code);
        expect(reader.complete).toBe(false);
        expect(thrownCode(() => reader.split())).toBe('NOISE_MISUSE');
        // No retry on the half-mixed state, even with the genuine message.
        expect(thrownCode(() => reader.readMessage(message))).toBe('NOISE_MISUSE');
      }
      // A flipped e could land on a small-order point; everything else must fail authentication.
      for (const code of codes) expect(['CRYPTO_AUTH_FAILED', 'CRYPTO_WEAK_SHARED_SECRET']).toContain(code);
    },
  );

  it('catches a flip of the top bit of e, which X25519 itself ignores (RFC 7748 §5)', () => {
    const message1 = genuine[0] ?? new Uint8Array(0);
    const topBit = flipped(message1, 255);
    const responderE = ephemerals.responder.secretKey;
    // The same DH result from either encoding: only hashing e into h and ck can tell them apart.
    expect(x25519.sharedSecret(responderE, topBit.subarray(0, 32))).toEqual(
      x25519.sharedSecret(responderE, message1.subarray(0, 32)),
    );
    expect(thrownCode(() => side(false).readMessage(topBit))).toBe('CRYPTO_AUTH_FAILED');
  });

  it('still completes with the untouched messages', () => {
    const initiator = side(true);
    const responder = side(false);
    expect(handshake(initiator, responder, payloads).received).toEqual(payloads);
  });

  it.each([
    ['responder', true],
    ['initiator', false],
  ])('fails at message 1 when the %s has another psk', (_, initiatorKeepsPsk) => {
    const otherPsk = psk.slice();
    otherPsk[0] = (otherPsk[0] ?? 0) ^ 1;
    const initiator = side(true, initiatorKeepsPsk ? psk : otherPsk);
    const responder = side(false, initiatorKeepsPsk ? otherPsk : psk);
    const message1 = initiator.writeMessage(payloads[0]);
    expect(thrownCode(() => responder.readMessage(message1))).toBe('CRYPTO_AUTH_FAILED');
    expect(responder.complete).toBe(false);
  });
});
