// HandshakeState behaviour beyond the vectors: how many DH operations KKpsk0 costs (the bench's
// baseline), ephemerals from the injected rng and their wiping, what the caller gets back, and that
// a refused oversized payload changes nothing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toHex, utf8 } from '../../../src/crypto/bytes.js';
import { HandshakeState } from '../../../src/crypto/noise/handshake-state.js';
import { type Rng, seededRng } from '../../../src/crypto/random.js';
import { x25519 } from '../../../src/crypto/x25519.js';
import { handshake, keyPair, thrownCode } from './helpers.js';

const fixed = seededRng(utf8('noise handshake-state test'));
const initiatorStatic = keyPair(fixed(32));
const responderStatic = keyPair(fixed(32));
const psk = fixed(32);

function kkpsk0(initiator: boolean, rng: Rng): HandshakeState {
  return new HandshakeState({
    protocolName: 'Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s',
    initiator,
    s: initiator ? initiatorStatic : responderStatic,
    rs: (initiator ? responderStatic : initiatorStatic).publicKey,
    psks: [psk],
    rng,
  });
}

function xx(initiator: boolean, rng: Rng): HandshakeState {
  return new HandshakeState({
    protocolName: 'Noise_XX_25519_ChaChaPoly_BLAKE2s',
    initiator,
    s: initiator ? initiatorStatic : responderStatic,
    rng,
  });
}

/** An rng that remembers every array it hands out. */
function recordingRng(seed: string): { rng: Rng; handedOut: Uint8Array[] } {
  const inner = seededRng(utf8(seed));
  const handedOut: Uint8Array[] = [];
  return {
    handedOut,
    rng: (length) => {
      const out = inner(length);
      handedOut.push(out);
      return out;
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('HandshakeState', () => {
  it('makes 8 DH calls and 2 key generations for one KKpsk0 handshake, both sides together', () => {
    const dh = vi.spyOn(x25519, 'sharedSecret');
    const publicKey = vi.spyOn(x25519, 'publicKey');
    handshake(kkpsk0(true, fixed), kkpsk0(false, fixed));
    // Each side: es and ss on message 1, ee and se on message 2.
    expect(dh).toHaveBeenCalledTimes(8);
    expect(publicKey).toHaveBeenCalledTimes(2);
  });

  it('draws each ephemeral from the rng given, so a seed reproduces the messages', () => {
    const run = (seed: string) =>
      handshake(kkpsk0(true, seededRng(utf8(seed))), kkpsk0(false, seededRng(utf8(`${seed}/r`)))).messages;
    expect(run('a')).toEqual(run('a'));
    expect(run('a')[0]).not.toEqual(run('b')[0]);
  });

  it('wipes the ephemeral secrets it generated once the handshake is over', () => {
    const i = recordingRng('initiator');
    const r = recordingRng('responder');
    handshake(kkpsk0(true, i.rng), kkpsk0(false, r.rng));
    expect([...i.handedOut, ...r.handedOut].map((secret) => secret.length)).toEqual([32, 32]);
    for (const secret of [...i.handedOut, ...r.handedOut]) expect(secret).toEqual(new Uint8Array(32));
  });

  it('wipes a generated ephemeral secret when a read fails', () => {
    const { rng, handedOut } = recordingRng('initiator');
    const initiator = kkpsk0(true, rng);
    initiator.writeMessage();
    expect(thrownCode(() => initiator.readMessage(new Uint8Array(48)))).toBe('CRYPTO_WEAK_SHARED_SECRET');
    expect(handedOut[0]).toEqual(new Uint8Array(32));
  });

  it('learns the peer static key in XX only when it arrives', () => {
    const initiator = xx(true, fixed);
    const responder = xx(false, fixed);
    responder.readMessage(initiator.writeMessage());
    expect(initiator.remoteStatic()).toBeUndefined();
    initiator.readMessage(responder.writeMessage());
    expect(initiator.remoteStatic()).toEqual(responderStatic.publicKey);
    expect(responder.remoteStatic()).toBeUndefined();
    responder.readMessage(initiator.writeMessage());
    expect(responder.remoteStatic()).toEqual(initiatorStatic.publicKey);
  });

  it('hands out the same transport pair on every split(), initiator-to-responder first', () => {
    const initiator = kkpsk0(true, fixed);
    const responder = kkpsk0(false, fixed);
    handshake(initiator, responder);
    expect(initiator.split()[0]).toBe(initiator.split()[0]);
    const [i2r, r2i] = initiator.split();
    const [r2iAtResponder, i2rAtResponder] = [responder.split()[1], responder.split()[0]];
    expect(i2r.key()).toEqual(i2rAtResponder.key());
    expect(r2i.key()).toEqual(r2iAtResponder.key());
    expect(i2r.key()).not.toEqual(r2i.key());
    expect(initiator.protocolName).toBe('Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s');
  });

  it("returns copies, never its own buffers or the caller's", () => {
    const initiator = new HandshakeState({
      protocolName: 'Noise_NN_25519_ChaChaPoly_BLAKE2s',
      initiator: true,
    });
    const responder = new HandshakeState({
      protocolName: 'Noise_NN_25519_ChaChaPoly_BLAKE2s',
      initiator: false,
    });
    // NN's message 1 is unencrypted, so its payload could alias the message buffer.
    const message1 = initiator.writeMessage(utf8('clear'));
    const payload = responder.readMessage(message1);
    message1.fill(0);
    expect(payload).toEqual(utf8('clear'));
    initiator.readMessage(responder.writeMessage());
    const hash = initiator.handshakeHash();
    hash.fill(0);
    expect(initiator.handshakeHash()).toEqual(responder.handshakeHash());
    expect(initiator.handshakeHash()).not.toEqual(hash);
  });

  it('refuses an oversized payload without changing anything, and takes one of exactly the limit', () => {
    const fresh = () => kkpsk0(true, seededRng(utf8('same ephemeral')));
    const initiator = fresh();
    expect(thrownCode(() => initiator.writeMessage(new Uint8Array(65535 - 48 + 1)))).toBe('NOISE_MISUSE');
    const largest = new Uint8Array(65535 - 48).fill(7);
    const message1 = initiator.writeMessage(largest);
    expect(message1).toHaveLength(65535);
    // Hex, because a deep equality over 64 KiB arrays takes vitest most of a second.
    expect(toHex(message1)).toBe(toHex(fresh().writeMessage(largest)));
    expect(toHex(kkpsk0(false, fixed).readMessage(message1))).toBe(toHex(largest));
  });

  it('runs a one-way pattern: complete after one message, transport from the initiator', () => {
    const initiator = new HandshakeState({
      protocolName: 'Noise_X_25519_ChaChaPoly_BLAKE2s',
      initiator: true,
      s: initiatorStatic,
      rs: responderStatic.publicKey,
    });
    const responder = new HandshakeState({
      protocolName: 'Noise_X_25519_ChaChaPoly_BLAKE2s',
      initiator: false,
      s: responderStatic,
    });
    responder.readMessage(initiator.writeMessage(utf8('one way')));
    expect(initiator.complete && responder.complete).toBe(true);
    expect(responder.remoteStatic()).toEqual(initiatorStatic.publicKey);
    const sealed = initiator.split()[0].encryptWithAd(new Uint8Array(0), utf8('more'));
    expect(responder.split()[0].decryptWithAd(new Uint8Array(0), sealed)).toEqual(utf8('more'));
  });
});
