import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { x25519Node } from '../../../src/crypto/x25519.js';
import { CookieJar } from '../../../src/channel/cookie.js';
import { DEFAULT_TIMERS } from '../../../src/channel/timers.js';
import { encodeInitiation, INITIATION_NOISE_BYTES, PacketType } from '../../../src/wire/channel.js';
import type { Endpoint } from '../../../src/net/transport.js';
import { mutatedPacket } from '../../helpers/mutate.js';
import { pair } from '../../helpers/channel-pair.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const spoofed = (i: number): Endpoint => ({
  address: `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  port: 1024 + (i % 60000),
});

describe('channel DoS defence', () => {
  it('answers a flood of replayed initiations from spoofed sources with cookies, and does no Diffie-Hellman for them', async () => {
    const p = pair({ seed: 'flood' });
    // A genuine initiation, captured on the wire: valid mac1, hint and Noise message.
    let captured: Uint8Array | null = null;
    p.net.onDeliver((packet) => {
      if (packet[0] === PacketType.initiation && !captured) captured = packet.slice();
    });
    const first = p.ab.connect();
    p.clock.runUntil(() => p.ab.info().state === 'open');
    await first;
    if (!captured) throw new Error('no initiation captured');
    const replayed: Uint8Array = captured;

    const dh = vi.spyOn(x25519Node, 'sharedSecret');
    // 2 000 initiations/s from 2 000 sources for 5 s.
    for (let i = 0; i < 10_000; i++) {
      p.b.router.handlePacket(replayed, spoofed(i + 1));
      if (i % 2 === 0) p.clock.advance(1);
    }
    const drops = p.b.router.stats().drops;
    // Until the rate passed UNDER_LOAD_RATE the replays were processed (and refused by their old
    // timestamp, after reading message 1: 2 DH each); after that, only cookies.
    const processed = p.ba.info().drops['replayed-initiation'] ?? 0;
    expect(processed).toBeGreaterThan(0);
    expect(processed).toBeLessThanOrEqual(2 * DEFAULT_TIMERS.underLoadRatePerSecond);
    expect(drops['cookie-sent']).toBe(10_000 - processed);
    expect(p.b.router.stats().cookiesSent).toBe(10_000 - processed);
    expect(dh.mock.calls.length).toBe(2 * processed);
    expect(p.ba.info().handshakes).toBe(1);
    expect(p.b.router.stats().rateLimiterEntries).toBeLessThanOrEqual(4096);
  });

  it('lets a genuine peer through during a flood, by echoing the cookie', async () => {
    const p = pair({ seed: 'flood-2', link: { delayMs: 10 } });
    const rng = seededRng(utf8('junk'));
    const jar = new CookieJar(p.b.keys.publicKey, p.clock, DEFAULT_TIMERS.cookieMaxAgeMs);
    // A steady flood of junk initiations that pass mac1 (whoever has B's card can make those).
    let n = 0;
    const flood = () => {
      for (let i = 0; i < 5; i++) {
        const junk = jar.stamp(encodeInitiation(n, rng(16), rng(INITIATION_NOISE_BYTES)));
        p.b.router.handlePacket(junk, spoofed(++n));
      }
      if (n < 60_000) p.clock.schedule(1, flood);
    };
    flood();
    p.clock.advance(1000); // B is under load now
    const connected = p.ab.connect();
    p.clock.runUntil(() => p.ab.info().state === 'open', { maxMs: 20_000 });
    await connected;
    // The first initiation got a cookie; the retry carried mac2 and was served.
    expect(p.ab.info().handshakes).toBe(1);
    expect(p.b.router.stats().drops['cookie-sent']).toBeGreaterThan(1000);
    p.ab.send(utf8('through the flood'));
    p.clock.advance(200);
    expect(p.b.messages.get('A')?.map((m) => new TextDecoder().decode(m))).toEqual(['through the flood']);
  });

  it('rate-limits handshakes per source address', () => {
    const p = pair({ seed: 'rate' });
    const rng = seededRng(utf8('junk'));
    const jar = new CookieJar(p.b.keys.publicKey, p.clock, DEFAULT_TIMERS.cookieMaxAgeMs);
    const source = { address: '127.0.0.9', port: 4000 };
    for (let i = 0; i < 30; i++)
      p.b.router.handlePacket(jar.stamp(encodeInitiation(i, rng(16), rng(INITIATION_NOISE_BYTES))), source);
    const drops = p.b.router.stats().drops;
    expect(drops['rate-limited']).toBe(30 - DEFAULT_TIMERS.handshakeBurst);
    expect(drops['unknown-hint']).toBe(DEFAULT_TIMERS.handshakeBurst);
    // The bucket refills at HANDSHAKE_RATE per second.
    p.clock.advance(1000);
    for (let i = 0; i < 30; i++)
      p.b.router.handlePacket(jar.stamp(encodeInitiation(i, rng(16), rng(INITIATION_NOISE_BYTES))), source);
    expect(p.b.router.stats().drops['unknown-hint']).toBe(2 * DEFAULT_TIMERS.handshakeBurst);
  });

  it('drops initiations without a valid mac1 before anything else', () => {
    const p = pair({ seed: 'mac1' });
    const rng = seededRng(utf8('junk'));
    for (let i = 0; i < 100; i++)
      p.b.router.handlePacket(encodeInitiation(i, rng(16), rng(INITIATION_NOISE_BYTES)), spoofed(i));
    expect(p.b.router.stats().drops).toEqual({ 'bad-mac1': 100 });
    expect(p.b.router.stats().rateLimiterEntries).toBe(0);
  });

  it('never throws on random or mutated packets, and its tables stay bounded (fuzz)', async () => {
    const p = pair({ seed: 'fuzz' });
    const valid: Uint8Array[] = [];
    p.net.onDeliver((packet) => valid.push(packet.slice()));
    const connected = p.ab.connect();
    p.clock.runUntil(() => p.ab.info().state === 'open');
    await connected;
    for (let i = 0; i < 20; i++) {
      p.ab.send(utf8(`m${i}`));
      p.ab.sendDatagram(utf8(`d${i}`));
    }
    p.clock.advance(500);
    const from = p.a.transport.local;
    const feed = (bytes: Uint8Array) => {
      p.b.router.handlePacket(bytes, from);
      p.a.router.handlePacket(bytes, p.b.transport.local);
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1300 }), (bytes) => feed(bytes)),
      { numRuns: 2000, seed: 42 },
    );
    fc.assert(
      fc.property(mutatedPacket(valid, 4), (m) => feed(m)),
      { numRuns: 3000, seed: 7 },
    );
    p.clock.advance(10_000);
    expect(p.a.router.stats().indices).toBeLessThanOrEqual(3);
    expect(p.b.router.stats().indices).toBeLessThanOrEqual(3);
    expect(p.b.router.stats().rateLimiterEntries).toBeLessThanOrEqual(4096);
    // Still a working channel afterwards.
    p.ab.send(utf8('still here'));
    p.clock.advance(1000);
    expect(
      p.b.messages
        .get('A')
        ?.map((m) => new TextDecoder().decode(m))
        .at(-1),
    ).toBe('still here');
  });
});
