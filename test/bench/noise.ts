// Benchmark of src/crypto/noise: complete Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s handshakes per
// second, both sides in one process, against the X25519 work a handshake cannot avoid, measured in
// the same run so the ratio says what the rest of Noise (hashing, HKDF, AEAD, bookkeeping) costs on
// any machine. One KKpsk0 handshake makes 8 DH calls (es, ss, ee, se on each side; counted in
// test/unit/noise/handshake-state.test.ts) and generates 2 ephemeral key pairs.
import { HandshakeState } from '../../src/crypto/noise/handshake-state.js';
import { seededRng } from '../../src/crypto/random.js';
import { generateX25519, x25519 } from '../../src/crypto/x25519.js';
import { emit, measure } from './harness.js';

const PROTOCOL_NAME = 'Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s';
const DH_PER_HANDSHAKE = 8;
const KEYPAIRS_PER_HANDSHAKE = 2;

const rng = seededRng(new TextEncoder().encode('kith noise bench'));

export async function run(): Promise<void> {
  const initiatorStatic = generateX25519(rng);
  const responderStatic = generateX25519(rng);
  const psk = rng(32);
  const prologue = rng(15);
  const timestamp = rng(8);

  // Ephemerals come from the system CSPRNG, as on a device.
  const handshake = () => {
    const initiator = new HandshakeState({
      protocolName: PROTOCOL_NAME,
      initiator: true,
      prologue,
      s: initiatorStatic,
      rs: responderStatic.publicKey,
      psks: [psk],
    });
    const responder = new HandshakeState({
      protocolName: PROTOCOL_NAME,
      initiator: false,
      prologue,
      s: responderStatic,
      rs: initiatorStatic.publicKey,
      psks: [psk],
    });
    responder.readMessage(initiator.writeMessage(timestamp));
    initiator.readMessage(responder.writeMessage());
  };

  const secret = rng(32);
  const peer = generateX25519(rng).publicKey;
  const dhOnly = () => {
    for (let i = 0; i < DH_PER_HANDSHAKE; i++) x25519.sharedSecret(secret, peer);
  };
  const allX25519 = () => {
    dhOnly();
    for (let i = 0; i < KEYPAIRS_PER_HANDSHAKE; i++) generateX25519();
  };

  const result = measure(handshake, { minMs: 1000 });
  for (const [baseline, fn] of [
    [`x25519.sharedSecret x${DH_PER_HANDSHAKE}`, dhOnly],
    [`x25519.sharedSecret x${DH_PER_HANDSHAKE} + generateX25519 x${KEYPAIRS_PER_HANDSHAKE}`, allX25519],
  ] as const) {
    const base = measure(fn, { minMs: 1000 });
    emit({
      bench: 'noise.KKpsk0.handshake',
      impl: 'node',
      opsPerSec: result.opsPerSec,
      baseline,
      baselineOpsPerSec: base.opsPerSec,
      ratio: Math.round((result.opsPerSec / base.opsPerSec) * 1000) / 1000,
    });
  }
}
