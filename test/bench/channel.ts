// Channel benchmarks (issue: encrypted channel), each against a baseline measured in the same run:
// - transport seal+open per packet (Session: header, counter, replay window, AEAD) against the raw
//   ChaCha20-Poly1305 seal+open of the same payload (goal: at least 50 % of raw);
// - complete KKpsk0 handshakes (both sides, with hint tag and mac1 as on the wire) against the
//   8 X25519 operations they contain (4 per side) alone;
// - a responder flooded with replayed initiations from spoofed sources: legitimate handshakes per
//   wall-clock second of its CPU, cookies on against cookies off.
import { chacha20poly1305 } from '../../src/crypto/aead.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { seededRng } from '../../src/crypto/random.js';
import { generateX25519, x25519 } from '../../src/crypto/x25519.js';
import { CookieChecker, CookieJar } from '../../src/channel/cookie.js';
import { Initiation, respond } from '../../src/channel/handshake.js';
import { hintKey, hintTag } from '../../src/channel/hint.js';
import { Session, transportNonce } from '../../src/channel/session.js';
import { DEFAULT_TIMERS } from '../../src/channel/timers.js';
import { systemClock } from '../../src/net/clock.js';
import { decodeChannelPacket, encodeInitiation, PacketType, type Transport } from '../../src/wire/channel.js';
import { pair } from '../helpers/channel-pair.js';
import { emit, measure } from './harness.js';

const rng = seededRng(utf8('kith channel bench'));

function transport(size: number): void {
  const key1 = rng(32);
  const key2 = rng(32);
  const sender = new Session(
    { localIndex: 1, remoteIndex: 2, sendKey: key1, receiveKey: key2, initiator: true },
    0,
  );
  const receiver = new Session(
    { localIndex: 2, remoteIndex: 1, sendKey: key2, receiveKey: key1, initiator: false },
    0,
  );
  const payload = rng(size);
  const channel = measure(() => {
    const packet = decodeChannelPacket(sender.seal(payload)) as Transport;
    if (typeof receiver.open(packet) === 'string') throw new Error('open failed');
  });
  const nonce = transportNonce(7);
  const aad = rng(14);
  const raw = measure(() => {
    chacha20poly1305.open(key1, nonce, chacha20poly1305.seal(key1, nonce, payload, aad), aad);
  });
  emit({
    bench: `channel.transport.sealOpen.${size}B`,
    packetsPerSec: channel.opsPerSec,
    baseline: 'chacha20poly1305.sealOpen (raw)',
    baselinePerSec: raw.opsPerSec,
    ratio: round(channel.opsPerSec / raw.opsPerSec),
  });
}

function handshakes(): void {
  const a = generateX25519(rng);
  const b = generateX25519(rng);
  const psk = rng(32);
  const key = hintKey(psk);
  const jarB = new CookieJar(b.publicKey, systemClock, DEFAULT_TIMERS.cookieMaxAgeMs);
  const jarA = new CookieJar(a.publicKey, systemClock, DEFAULT_TIMERS.cookieMaxAgeMs);
  const checkB = new CookieChecker(b.publicKey, systemClock, rng, DEFAULT_TIMERS.cookieSecretMaxAgeMs);
  const bootA = rng(8);
  const bootB = rng(8);
  const full = measure(
    () => {
      const init = new Initiation(a, b.publicKey, psk, rng, Date.now(), bootA);
      const packet = jarB.stamp(encodeInitiation(1, hintTag(key, 1), init.message));
      const decoded = decodeChannelPacket(packet);
      if (typeof decoded === 'string' || decoded.type !== PacketType.initiation) throw new Error('decode');
      if (!checkB.checkMac1(decoded.macInput1, decoded.mac1)) throw new Error('mac1');
      const reply = respond(b, a.publicKey, psk, rng, decoded.noise).reply(bootB);
      jarA.stamp(new Uint8Array(98));
      init.complete(reply.message);
    },
    { minMs: 1000 },
  );
  // Both sides also derive an ephemeral public key each (a base-point multiplication); those are
  // part of the handshake's cost but not of "the 4 X25519 operations" per side measured here.
  const dh = measure(
    () => {
      for (let i = 0; i < 8; i++) x25519.sharedSecret(a.secretKey, b.publicKey);
    },
    { minMs: 1000 },
  );
  emit({
    bench: 'channel.handshake.complete',
    handshakesPerSec: full.opsPerSec,
    baseline: '8 x X25519 (4 per side)',
    baselinePerSec: dh.opsPerSec,
    ratio: round(full.opsPerSec / dh.opsPerSec),
  });
}

/** Legitimate handshakes per wall-clock second while each one competes with `flood` spoofed replays. */
function underFlood(
  cookies: boolean,
  flood: number,
  rounds: number,
): { handshakesPerSec: number; floodPerSec: number } {
  const p = pair({
    seed: `bench-flood-${cookies}`,
    timers: cookies ? {} : { underLoadRatePerSecond: Number.POSITIVE_INFINITY },
  });
  let captured: Uint8Array | null = null;
  p.net.onDeliver((packet) => {
    if (packet[0] === PacketType.initiation) captured = packet.slice();
  });
  p.ab.connect().catch(() => {});
  p.clock.runUntil(() => p.ab.info().state === 'open');
  const replay = captured as Uint8Array | null;
  if (!replay) throw new Error('no initiation captured');
  let source = 0;
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < flood; i++) {
      source += 1;
      p.b.router.handlePacket(replay, {
        address: `127.${(source >> 16) & 255}.${(source >> 8) & 255}.${source & 255}`,
        port: 9,
      });
      if (i % 20 === 0) p.clock.advance(1);
    }
    // Age the session out so the next datagram needs a fresh handshake, then wait for it.
    const before = p.ab.info().handshakes;
    p.clock.advance(DEFAULT_TIMERS.rejectAfterTimeMs);
    p.ab.sendDatagram(utf8('x'));
    p.clock.runUntil(() => p.ab.info().handshakes > before, { maxMs: 60_000 });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { handshakesPerSec: round(rounds / seconds), floodPerSec: Math.round((rounds * flood) / seconds) };
}

function flood(): void {
  const flood = 2000;
  const off = underFlood(false, flood, 5);
  const on = underFlood(true, flood, 20);
  emit({
    bench: 'channel.handshake.underFlood',
    floodPerHandshake: flood,
    cookies: true,
    ...on,
    baseline: 'cookies off',
    baselineHandshakesPerSec: off.handshakesPerSec,
    baselineFloodPerSec: off.floodPerSec,
    ratio: round(on.handshakesPerSec / off.handshakesPerSec),
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export async function run(): Promise<void> {
  transport(160);
  transport(1200);
  handshakes();
  flood();
}
