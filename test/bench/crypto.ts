// Benchmarks of src/crypto: each primitive's node:crypto implementation (the baseline) against
// @noble's, measured in the same run so the ratio is meaningful on any machine.
import {
  type AeadImpl,
  chacha20poly1305Noble,
  chacha20poly1305Node,
  xchacha20poly1305Noble,
  xchacha20poly1305Node,
} from '../../src/crypto/aead.js';
import { ed25519Noble, ed25519Node } from '../../src/crypto/ed25519.js';
import { blake2sNoble, blake2sNode, sha256Noble, sha256Node } from '../../src/crypto/hash.js';
import { hkdfSha256Noble, hkdfSha256Node } from '../../src/crypto/hkdf.js';
import { seededRng } from '../../src/crypto/random.js';
import { x25519Noble, x25519Node } from '../../src/crypto/x25519.js';
import { emit, measure } from './harness.js';

const rng = seededRng(new TextEncoder().encode('kith crypto bench'));

/** Measures every impl of one operation and emits one record each, relative to the first (node). */
function compare(bench: string, impls: [name: string, fn: () => void][]): void {
  const results = impls.map(([impl, fn]) => ({ impl, ...measure(fn, { minMs: 500 }) }));
  const [baseline] = results;
  if (!baseline) return;
  for (const { impl, opsPerSec } of results) {
    emit({
      bench: `crypto.${bench}`,
      impl,
      opsPerSec,
      baseline: baseline.impl,
      baselineOpsPerSec: baseline.opsPerSec,
      ratio: Math.round((opsPerSec / baseline.opsPerSec) * 1000) / 1000,
    });
  }
}

function sealOpen(impl: AeadImpl, size: number): [string, () => void] {
  const key = rng(32);
  const nonce = rng(impl.nonceLength);
  const plaintext = rng(size);
  const aad = rng(16);
  return [impl.name, () => impl.open(key, nonce, impl.seal(key, nonce, plaintext, aad), aad)];
}

export async function run(): Promise<void> {
  const seed = rng(32);
  const message = rng(100);
  const publicKey = ed25519Node.publicKey(seed);
  const signature = ed25519Node.sign(seed, message);
  compare(
    'ed25519.sign',
    [ed25519Node, ed25519Noble].map((impl) => [impl.name, () => impl.sign(seed, message)]),
  );
  compare(
    'ed25519.verify',
    [ed25519Node, ed25519Noble].map((impl) => [impl.name, () => impl.verify(publicKey, message, signature)]),
  );

  const secret = rng(32);
  const peer = x25519Node.publicKey(rng(32));
  compare(
    'x25519.sharedSecret',
    [x25519Node, x25519Noble].map((impl) => [impl.name, () => impl.sharedSecret(secret, peer)]),
  );

  for (const size of [160, 1200]) {
    compare(`chacha20poly1305.sealOpen.${size}B`, [
      sealOpen(chacha20poly1305Node, size),
      sealOpen(chacha20poly1305Noble, size),
    ]);
  }
  compare('xchacha20poly1305.sealOpen.160B', [
    sealOpen(xchacha20poly1305Node, 160),
    sealOpen(xchacha20poly1305Noble, 160),
  ]);

  const block = rng(64);
  compare('sha256.64B', [
    ['node', () => sha256Node(block)],
    ['noble', () => sha256Noble(block)],
  ]);
  compare('blake2s.64B', [
    ['node', () => blake2sNode(block)],
    ['noble', () => blake2sNoble(block)],
  ]);

  const ikm = rng(32);
  const salt = rng(32);
  const info = rng(16);
  compare('hkdfSha256.32B', [
    ['node', () => hkdfSha256Node(ikm, salt, info, 32)],
    ['noble', () => hkdfSha256Noble(ikm, salt, info, 32)],
  ]);
}
