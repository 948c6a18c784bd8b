// Overlay crypto benchmarks (docs/overlay-protocol.md "Unlinked packets", HELLO): what a node under a
// HELLO flood spends per packet, each against a baseline measured in the same run.
// - HELLO signature checks (context ‖ signed bytes, as on the wire) against raw Ed25519 verify;
// - PoW checks (checkPow) against one raw SHA-256 of the same 60-byte input;
// - the whole acceptance check in the spec's order (decode, clock, PoW, replay cache, signature)
//   for a HELLO that passes, and for one that fails its PoW (the cheap rejection a flood meets),
//   against raw Ed25519 verify;
// - the sender's side: PoW solve time at difficulty 14 and 16 (median of several solves).
import { concatBytes, toHex, utf8 } from '../../src/crypto/bytes.js';
import { ed25519, generateEd25519 } from '../../src/crypto/ed25519.js';
import { sha256 } from '../../src/crypto/hash.js';
import { seededRng } from '../../src/crypto/random.js';
import { checkPow, DEFAULT_DIFFICULTY, solvePow } from '../../src/overlay/pow.js';
import {
  decodeUnlinked,
  encodeHello,
  HELLO_SIGNATURE_CONTEXT,
  type HelloFields,
  helloSigned,
  OverlayType,
} from '../../src/wire/overlay.js';
import { emit, measure } from './harness.js';

const rng = seededRng(utf8('kith overlay crypto bench'));
const round = (x: number) => Math.round(x * 1000) / 1000;
/** The spec: a HELLO's timestamp must be within ±5 minutes of the receiver's clock. */
const CLOCK_WINDOW_MS = 5 * 60_000;
const NOW = 1_700_000_000_000;

function signedHello(difficulty: number): Uint8Array {
  const identity = generateEd25519(rng);
  const powNonce = solvePow(NOW, identity.publicKey, difficulty, rng);
  if (!powNonce) throw new Error('no PoW solution');
  const fields: HelloFields = {
    senderId: identity.publicKey,
    ephemeral: rng(32),
    timestamp: NOW,
    powNonce,
    difficulty,
    flags: 0,
    linkIndex: 1,
  };
  const signature = ed25519.sign(
    identity.secretKey,
    concatBytes(HELLO_SIGNATURE_CONTEXT, helloSigned(fields)),
  );
  return encodeHello(fields, signature);
}

/** The receiver's checks in the spec's order, cheapest first; true when the HELLO is accepted. */
function acceptHello(packet: Uint8Array, now: number, minDifficulty: number, seen: Set<string>): boolean {
  const hello = decodeUnlinked(packet);
  if (typeof hello === 'string' || hello.type !== OverlayType.hello) return false;
  if (Math.abs(hello.timestamp - now) > CLOCK_WINDOW_MS) return false;
  if (hello.difficulty < minDifficulty) return false;
  if (!checkPow(hello.timestamp, hello.senderId, hello.powNonce, hello.difficulty)) return false;
  // The replay cache holds HELLO hashes; the same hash goes into the HELLO_ACK.
  if (seen.has(toHex(sha256(packet)))) return false;
  return ed25519.verify(hello.senderId, concatBytes(HELLO_SIGNATURE_CONTEXT, hello.signed), hello.signature);
}

function rawVerify(): number {
  const identity = generateEd25519(rng);
  const message = rng(HELLO_SIGNATURE_CONTEXT.length + 88);
  const signature = ed25519.sign(identity.secretKey, message);
  return measure(() => ed25519.verify(identity.publicKey, message, signature), { minMs: 500 }).opsPerSec;
}

function verification(rawVerifyPerSec: number, hello: Uint8Array): void {
  const decoded = decodeUnlinked(hello);
  if (typeof decoded === 'string' || decoded.type !== OverlayType.hello) throw new Error('bad HELLO');
  const verify = measure(
    () =>
      ed25519.verify(
        decoded.senderId,
        concatBytes(HELLO_SIGNATURE_CONTEXT, decoded.signed),
        decoded.signature,
      ),
    { minMs: 500 },
  );
  emit({
    bench: 'overlay.hello.verify',
    verifiesPerSec: verify.opsPerSec,
    baseline: 'ed25519.verify (raw, 102 B)',
    baselinePerSec: rawVerifyPerSec,
    ratio: round(verify.opsPerSec / rawVerifyPerSec),
  });
}

function powCheck(hello: Uint8Array): void {
  const decoded = decodeUnlinked(hello);
  if (typeof decoded === 'string' || decoded.type !== OverlayType.hello) throw new Error('bad HELLO');
  const input = rng(60);
  const raw = measure(() => sha256(input), { minMs: 500 });
  const check = measure(
    () => checkPow(decoded.timestamp, decoded.senderId, decoded.powNonce, decoded.difficulty),
    { minMs: 500 },
  );
  emit({
    bench: 'overlay.pow.check',
    checksPerSec: check.opsPerSec,
    baseline: 'sha256 (raw, 60 B: the PoW input)',
    baselinePerSec: raw.opsPerSec,
    ratio: round(check.opsPerSec / raw.opsPerSec),
  });
}

function acceptance(rawVerifyPerSec: number, hello: Uint8Array): void {
  // A realistically full replay cache: lookups cost what they cost in a large Set.
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(toHex(rng(32)));
  if (!acceptHello(hello, NOW, DEFAULT_DIFFICULTY, seen)) throw new Error('HELLO not accepted');
  const accepted = measure(() => acceptHello(hello, NOW, DEFAULT_DIFFICULTY, seen), { minMs: 500 });
  emit({
    bench: 'overlay.hello.accept',
    acceptedPerSec: accepted.opsPerSec,
    steps: 'decode, clock, PoW, replay cache, Ed25519 verify',
    baseline: 'ed25519.verify (raw, 102 B)',
    baselinePerSec: rawVerifyPerSec,
    ratio: round(accepted.opsPerSec / rawVerifyPerSec),
  });
  // A flood HELLO: fresh-looking, right clock, claims the difficulty, but its nonce is wrong.
  const forged = hello.slice();
  forged[81] = (forged[81] as number) ^ 1;
  if (acceptHello(forged, NOW, DEFAULT_DIFFICULTY, seen)) throw new Error('forged HELLO accepted');
  const rejected = measure(() => acceptHello(forged, NOW, DEFAULT_DIFFICULTY, seen), { minMs: 500 });
  emit({
    bench: 'overlay.hello.rejectBadPow',
    rejectedPerSec: rejected.opsPerSec,
    steps: 'decode, clock, PoW',
    baseline: 'overlay.hello.accept',
    baselinePerSec: accepted.opsPerSec,
    ratio: round(rejected.opsPerSec / accepted.opsPerSec),
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function solveTime(difficulty: number, solves: number): void {
  const ms: number[] = [];
  for (let i = 0; i < solves; i++) {
    const id = rng(32);
    const start = process.hrtime.bigint();
    if (!solvePow(NOW + i, id, difficulty, rng)) throw new Error('no PoW solution');
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  emit({
    bench: `overlay.pow.solve.d${difficulty}`,
    solves,
    medianMs: round(median(ms)),
    minMs: round(Math.min(...ms)),
    maxMs: round(Math.max(...ms)),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / solves),
    // A solve takes 2^d hashes on average (geometric), so the mean time gives the hash rate.
    expectedHashes: 2 ** difficulty,
  });
}

export async function run(): Promise<void> {
  const hello = signedHello(DEFAULT_DIFFICULTY);
  const rawVerifyPerSec = rawVerify();
  verification(rawVerifyPerSec, hello);
  powCheck(hello);
  acceptance(rawVerifyPerSec, hello);
  solveTime(14, 31);
  solveTime(16, 15);
}
