// On random keys, prologues and payloads, KKpsk0, IK and XX complete, both sides agree on the
// handshake hash and each other's static key, and transport messages flow both ways.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type HandshakeOptions,
  HandshakeState,
  type KeyPair,
} from '../../../src/crypto/noise/handshake-state.js';
import { seededRng } from '../../../src/crypto/random.js';
import { handshake, keyPair } from './helpers.js';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const payload = fc.uint8Array({ maxLength: 200 });

type Keys = Pick<HandshakeOptions, 's' | 'rs' | 'psks'>;

// What each side is given, initiator first: the pattern's pre-message keys and psks, nothing else.
const patterns: { name: string; keys: (i: KeyPair, r: KeyPair, psk: Uint8Array) => [Keys, Keys] }[] = [
  {
    name: 'KKpsk0',
    keys: (i, r, psk) => [
      { s: i, rs: r.publicKey, psks: [psk] },
      { s: r, rs: i.publicKey, psks: [psk] },
    ],
  },
  { name: 'IK', keys: (i, r) => [{ s: i, rs: r.publicKey }, { s: r }] },
  { name: 'XX', keys: (i, r) => [{ s: i }, { s: r }] },
];

describe.each(patterns)('Noise $name on random inputs', ({ name, keys }) => {
  it('completes, agrees on the handshake hash, and carries transport both ways', () => {
    fc.assert(
      fc.property(
        fc.record({
          initiatorSecret: bytes32,
          responderSecret: bytes32,
          psk: bytes32,
          seed: bytes32,
          prologue: fc.uint8Array({ maxLength: 64 }),
          handshakePayloads: fc.array(payload, { minLength: 3, maxLength: 3 }),
          transport: fc.array(fc.tuple(fc.boolean(), payload), { maxLength: 6 }),
        }),
        (input) => {
          const i = keyPair(input.initiatorSecret);
          const r = keyPair(input.responderSecret);
          const [initiatorKeys, responderKeys] = keys(i, r, input.psk);
          const rng = seededRng(input.seed);
          const common = {
            protocolName: `Noise_${name}_25519_ChaChaPoly_BLAKE2s`,
            prologue: input.prologue,
            rng,
          };
          const initiator = new HandshakeState({ ...common, ...initiatorKeys, initiator: true });
          const responder = new HandshakeState({ ...common, ...responderKeys, initiator: false });

          const { messages, received } = handshake(initiator, responder, input.handshakePayloads);
          expect(received).toEqual(input.handshakePayloads.slice(0, messages.length));
          expect(responder.complete).toBe(true);
          expect(initiator.handshakeHash()).toEqual(responder.handshakeHash());
          expect(initiator.remoteStatic()).toEqual(r.publicKey);
          expect(responder.remoteStatic()).toEqual(i.publicKey);

          const [iSend, iReceive] = initiator.split();
          const [rReceive, rSend] = responder.split();
          for (const [fromInitiator, plaintext] of input.transport) {
            const [send, receive] = fromInitiator ? [iSend, rReceive] : [rSend, iReceive];
            const ad = Uint8Array.of(fromInitiator ? 1 : 2);
            expect(receive.decryptWithAd(ad, send.encryptWithAd(ad, plaintext))).toEqual(plaintext);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
