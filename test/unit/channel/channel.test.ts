import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../src/crypto/bytes.js';
import { respond } from '../../../src/channel/handshake.js';
import { REPLAY_WINDOW } from '../../../src/channel/replay.js';
import { DEFAULT_TIMERS } from '../../../src/channel/timers.js';
import { PacketType } from '../../../src/wire/channel.js';
import type { Endpoint } from '../../../src/net/transport.js';
import { pair, world } from '../../helpers/channel-pair.js';

function open(p: ReturnType<typeof pair>) {
  const connected = p.ab.connect();
  p.clock.runUntil(() => p.ab.info().state === 'open' && p.ba.info().state === 'open', { maxMs: 60_000 });
  return connected;
}

/** Records every packet of one type that crosses the network, with its source and destination. */
function record(p: ReturnType<typeof pair>, type: number) {
  const seen: { packet: Uint8Array; from: Endpoint; to: Endpoint }[] = [];
  p.net.onDeliver((packet, from, to) => {
    if (packet[0] === type) seen.push({ packet: packet.slice(), from, to });
  });
  return seen;
}

const text = (bytes: Uint8Array[] | undefined) => (bytes ?? []).map((b) => new TextDecoder().decode(b));

describe('channel', () => {
  it('opens with one handshake and carries messages and datagrams both ways', async () => {
    const p = pair();
    await open(p);
    p.ab.send(utf8('hello B'));
    p.ba.send(utf8('hello A'));
    p.ab.sendDatagram(utf8('voice 1'));
    p.ba.sendDatagram(utf8('voice 2'));
    p.clock.advance(1000);
    expect(text(p.b.messages.get('A'))).toEqual(['hello B']);
    expect(text(p.a.messages.get('B'))).toEqual(['hello A']);
    expect(text(p.b.datagrams.get('A'))).toEqual(['voice 1']);
    expect(text(p.a.datagrams.get('B'))).toEqual(['voice 2']);
    expect(p.ab.info()).toMatchObject({ state: 'open', handshakes: 1, drops: {} });
    expect(p.ba.info()).toMatchObject({ state: 'open', handshakes: 1, endpoint: p.a.transport.local });
    // Nothing in the handshake names either side: neither static key crosses the wire.
    const wire: Uint8Array[] = [];
    const q = pair({ seed: 'wire' });
    q.net.onDeliver((packet) => wire.push(packet.slice()));
    await open(q);
    const all = Buffer.concat(wire);
    expect(all.indexOf(Buffer.from(q.a.keys.publicKey))).toBe(-1);
    expect(all.indexOf(Buffer.from(q.b.keys.publicKey))).toBe(-1);
  });

  it('measures a round trip with ping', async () => {
    const p = pair({ link: { delayMs: 25 } });
    await open(p);
    const rtt = p.ab.ping();
    p.clock.advance(200);
    expect(await rtt).toBe(50);
  });

  it('delivers every reliable message once and in order, and never a duplicate datagram, at 20 % loss with reordering and duplication', async () => {
    const p = pair({
      link: { delayMs: 20, jitterMs: 15, loss: 0.2, duplicate: 0.1, reorder: 0.2 },
      seed: 'lossy',
    });
    await open(p);
    const sentMessages: string[] = [];
    const sentDatagrams = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const m = `message ${i} ${'x'.repeat((i % 20) * 50)}`;
      sentMessages.push(m);
      p.ab.send(utf8(m));
      const d = `datagram ${i}`;
      sentDatagrams.add(d);
      p.ab.sendDatagram(utf8(d));
      p.clock.advance(20);
    }
    p.clock.runUntil(() => (p.b.messages.get('A')?.length ?? 0) >= 300, { maxMs: 600_000 });
    p.clock.advance(5_000);
    expect(text(p.b.messages.get('A'))).toEqual(sentMessages);
    const got = text(p.b.datagrams.get('A'));
    expect(new Set(got).size).toBe(got.length);
    for (const d of got) expect(sentDatagrams.has(d)).toBe(true);
    // About 80 % arrive; far from all, far from none.
    expect(got.length).toBeGreaterThan(180);
    expect(got.length).toBeLessThan(290);
    expect(p.net.stats.duplicated).toBeGreaterThan(0);
    expect(p.ba.info().drops.replay ?? 0).toBeGreaterThan(0); // the duplicates, caught by the window
  });

  it('rejects a replayed packet inside and outside the window, and counts it', async () => {
    const p = pair();
    const transports = record(p, PacketType.transport);
    await open(p);
    p.ab.sendDatagram(utf8('once'));
    p.clock.advance(10);
    const captured = transports.at(-1);
    if (!captured) throw new Error('no transport packet seen');
    p.b.router.handlePacket(captured.packet, captured.from);
    expect(text(p.b.datagrams.get('A'))).toEqual(['once']);
    expect(p.ba.info().drops.replay).toBe(1);
    // Push the window far past it, then replay again.
    for (let i = 0; i < REPLAY_WINDOW + 100; i++) p.ab.sendDatagram(utf8('later'));
    p.clock.advance(10);
    p.b.router.handlePacket(captured.packet, captured.from);
    expect(p.ba.info().drops.replay).toBe(2);
    expect(text(p.b.datagrams.get('A')).filter((d) => d === 'once')).toHaveLength(1);
  });

  it('drops a transport packet with any single bit flipped, and counts it', async () => {
    const p = pair();
    const transports = record(p, PacketType.transport);
    await open(p);
    p.ab.sendDatagram(utf8('intact'));
    p.clock.advance(10);
    const captured = transports.at(-1);
    if (!captured) throw new Error('no transport packet seen');
    const before = p.b.datagrams.get('A')?.length ?? 0;
    const routerDropsBefore = Object.values(p.b.router.stats().drops).reduce((a, n) => a + (n ?? 0), 0);
    const channelDropsBefore = Object.values(p.ba.info().drops).reduce((a, n) => a + (n ?? 0), 0);
    const bits = captured.packet.length * 8;
    for (let bit = 0; bit < bits; bit++) {
      const flipped = captured.packet.slice();
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      p.b.router.handlePacket(flipped, captured.from);
    }
    expect(p.b.datagrams.get('A')?.length ?? 0).toBe(before);
    const routerDrops =
      Object.values(p.b.router.stats().drops).reduce((a, n) => a + (n ?? 0), 0) - routerDropsBefore;
    const channelDrops =
      Object.values(p.ba.info().drops).reduce((a, n) => a + (n ?? 0), 0) - channelDropsBefore;
    expect(routerDrops + channelDrops).toBe(bits);
  });

  it('gives no session to a handshake from a non-contact', () => {
    const w = world({ seed: 'stranger' });
    const a = w.add('A');
    const b = w.add('B');
    const mallory = w.add('M');
    b.router.setPeers([w.peer(b, a)]);
    a.router.setPeers([w.peer(a, b)]);
    // Mallory knows B's card (public key and address) but is not B's contact.
    mallory.router.setPeers([w.peer(mallory, b)]);
    const attempt = mallory.router.channel('B').connect();
    let failure: unknown;
    attempt.catch((err) => {
      failure = err;
    });
    w.clock.advance(DEFAULT_TIMERS.rekeyAttemptTimeMs + 10_000);
    expect(b.router.stats().drops['unknown-hint']).toBeGreaterThanOrEqual(10);
    expect(b.router.stats().channels.every((c) => c.state === 'idle')).toBe(true);
    expect(mallory.router.channel('B').info().state).toBe('idle');
    return Promise.resolve().then(() => expect(failure).toMatchObject({ code: 'CHANNEL_HANDSHAKE_TIMEOUT' }));
  });

  it('gives no session with a wrong PSK, at the router and in the Noise handshake itself', async () => {
    const w = world({ seed: 'wrong-psk' });
    const a = w.add('A');
    const b = w.add('B');
    a.router.setPeers([w.peer(a, b, { psk: new Uint8Array(32).fill(1) })]);
    b.router.setPeers([w.peer(b, a, { psk: new Uint8Array(32).fill(2) })]);
    a.router
      .channel('B')
      .connect()
      .catch(() => {});
    w.clock.advance(20_000);
    expect(b.router.stats().drops['unknown-hint']).toBeGreaterThan(0);
    expect(b.router.channel('A').info().state).toBe('idle');
    // Even with a matching hint (e.g. a stolen hint key), Noise KKpsk0 refuses message 1.
    const { Initiation } = await import('../../../src/channel/handshake.js');
    const init = new Initiation(a.keys, b.keys.publicKey, new Uint8Array(32).fill(1), w.rng, 0, w.rng(8));
    expect(() => respond(b.keys, a.keys.publicKey, new Uint8Array(32).fill(2), w.rng, init.message)).toThrow(
      expect.objectContaining({ code: 'CRYPTO_AUTH_FAILED' }),
    );
  });

  it('rejects a replayed initiation (older timestamp) without a new session', async () => {
    const p = pair();
    const inits = record(p, PacketType.initiation);
    await open(p);
    const captured = inits[0];
    if (!captured) throw new Error('no initiation seen');
    p.clock.advance(1000);
    p.b.router.handlePacket(captured.packet, captured.from);
    expect(p.ba.info().drops['replayed-initiation']).toBe(1);
    expect(p.ba.info().handshakes).toBe(1);
  });

  it('rekeys by count in the middle of a stream without losing a message', async () => {
    const p = pair({ timers: { rekeyAfterMessages: 100, rejectAfterMessages: 200 }, link: { delayMs: 5 } });
    await open(p);
    const sent: string[] = [];
    for (let i = 0; i < 1500; i++) {
      sent.push(`m${i}`);
      p.ab.send(utf8(`m${i}`));
      if (i % 10 === 0) p.clock.advance(5);
    }
    p.clock.runUntil(() => (p.b.messages.get('A')?.length ?? 0) >= 1500, { maxMs: 600_000 });
    expect(text(p.b.messages.get('A'))).toEqual(sent);
    expect(p.ab.info().handshakes).toBeGreaterThan(5);
  });

  it('rekeys by time while streaming without losing a message', async () => {
    const p = pair({ link: { delayMs: 10 } });
    await open(p);
    const sent: string[] = [];
    // 400 s of one message a second crosses REKEY_AFTER_TIME (120 s) three times.
    for (let i = 0; i < 400; i++) {
      sent.push(`t${i}`);
      p.ab.send(utf8(`t${i}`));
      p.clock.advance(1000);
    }
    p.clock.advance(5000);
    expect(text(p.b.messages.get('A'))).toEqual(sent);
    expect(p.ab.info().handshakes).toBeGreaterThanOrEqual(3);
    expect(p.ab.info().sessionAgeMs).toBeLessThan(DEFAULT_TIMERS.rejectAfterTimeMs);
  });

  it('follows a peer to a new address (roaming) and keeps the channel', async () => {
    const p = pair({ link: { delayMs: 5 } });
    await open(p);
    p.ab.send(utf8('before'));
    p.clock.advance(100);
    const moved = p.b.transport.rebind('127.0.0.77', 5000);
    p.ba.send(utf8('from the new address'));
    p.clock.advance(1000);
    expect(p.ab.info().endpoint).toEqual(moved);
    p.ab.send(utf8('after'));
    p.clock.advance(1000);
    expect(text(p.b.messages.get('A'))).toEqual(['before', 'after']);
    expect(text(p.a.messages.get('B'))).toEqual(['from the new address']);
    expect(p.ab.info().handshakes).toBe(1);
  });

  it('keeps a roamed address when the directory refreshes, but takes a changed stored one', async () => {
    const p = pair();
    await open(p);
    // B learned A's address from the handshake although its stored endpoint is null.
    expect(p.ba.info().endpoint).toEqual(p.a.transport.local);
    p.b.router.setPeers([p.peer(p.b, p.a, { withEndpoint: false })]);
    expect(p.ba.info().endpoint).toEqual(p.a.transport.local);
    const elsewhere = { address: '127.0.0.55', port: 9 };
    p.b.router.setPeers([{ ...p.peer(p.b, p.a), endpoint: elsewhere }]);
    expect(p.ba.info().endpoint).toEqual(elsewhere);
  });

  it('recovers within seconds when the peer restarts and lost every session and stream', async () => {
    const p = pair({ link: { delayMs: 10 } });
    await open(p);
    for (let i = 0; i < 5; i++) p.ab.send(utf8(`before ${i}`));
    p.clock.advance(1000);
    expect(text(p.b.messages.get('A'))).toHaveLength(5);
    // B's process restarts: same keys and address, nothing else survives.
    p.b.router.close();
    const restarted = p.add('B2', { reuse: p.b });
    restarted.router.setPeers([p.peer(restarted, p.a, { withEndpoint: false })]);
    const sentAt = p.clock.now();
    p.ab.send(utf8('are you there?'));
    p.clock.runUntil(() => p.ab.info().handshakes === 2, { maxMs: 60_000 });
    // A noticed the silence (15 s), handshook again and saw B's new boot id.
    expect(p.clock.now() - sentAt).toBeLessThan(
      DEFAULT_TIMERS.keepaliveTimeoutMs + DEFAULT_TIMERS.rekeyTimeoutMs + 1000,
    );
    // The message the old B never acknowledged is reported lost (the messaging layer resends such
    // messages from its outbox); the stream itself starts over at once instead of after 30 s.
    expect(p.ab.info()).toMatchObject({ streamFailures: 0, messagesLost: 1 });
    p.ab.send(utf8('hello again'));
    p.clock.advance(1000);
    expect(text(restarted.messages.get('A'))).toEqual(['hello again']);
    restarted.router.channel('A').send(utf8('back again'));
    p.clock.advance(1000);
    expect(text(p.a.messages.get('B'))).toEqual(['back again']);
  });

  it('refuses a session past its hard age, and a new handshake replaces it', async () => {
    const p = pair();
    const transports = record(p, PacketType.transport);
    await open(p);
    p.ab.sendDatagram(utf8('old'));
    p.clock.advance(10);
    const captured = transports.at(-1);
    if (!captured) throw new Error('no transport packet seen');
    p.clock.advance(DEFAULT_TIMERS.rejectAfterTimeMs + 1);
    // The same packet again, after the session aged out: refused for its age before anything else.
    p.b.router.handlePacket(captured.packet, captured.from);
    expect(p.ba.info().drops['expired-session']).toBe(1);
    expect(p.ab.info().state).not.toBe('open');
    p.ab.sendDatagram(utf8('new'));
    p.clock.advance(2000);
    expect(text(p.b.datagrams.get('A'))).toEqual(['old', 'new']);
    expect(p.ab.info().handshakes).toBe(2);
  });

  it('sends a keepalive when it received data and had nothing to send', async () => {
    const p = pair();
    await open(p);
    p.ab.sendDatagram(utf8('one way'));
    const sentBefore = p.ba.info().packetsSent;
    p.clock.advance(DEFAULT_TIMERS.keepaliveTimeoutMs + 100);
    expect(p.ba.info().packetsSent).toBe(sentBefore + 1);
    p.clock.advance(DEFAULT_TIMERS.keepaliveTimeoutMs * 3);
    expect(p.ba.info().packetsSent).toBe(sentBefore + 1); // one per received burst, not forever
  });

  it('retries an unanswered initiation with jitter and gives up after REKEY_ATTEMPT_TIME', async () => {
    const p = pair();
    const inits = record(p, PacketType.initiation);
    p.net.partition('127.0.0.1', '127.0.0.2');
    const sentInits: number[] = [p.clock.now()];
    const attempt = p.ab.connect();
    let failure: unknown;
    attempt.catch((err) => {
      failure = err;
    });
    const packetsBefore = p.ab.info().packetsSent;
    for (let t = 0; t < DEFAULT_TIMERS.rekeyAttemptTimeMs + 10_000; t += 100) {
      const before = p.ab.info().packetsSent;
      p.clock.advance(100);
      if (p.ab.info().packetsSent > before) sentInits.push(p.clock.now());
    }
    await Promise.resolve();
    expect(failure).toMatchObject({ code: 'CHANNEL_HANDSHAKE_TIMEOUT' });
    expect(inits).toHaveLength(0); // partitioned: nothing arrived
    const attempts = p.ab.info().packetsSent - packetsBefore + 1;
    // 1, 2 and 4 s, then every 5 s (each plus up to 333 ms of jitter) until 90 s have passed.
    expect(attempts).toBeGreaterThanOrEqual(18);
    expect(attempts).toBeLessThanOrEqual(20);
    const gaps = sentInits.slice(1).map((t, i) => t - (sentInits[i] as number));
    const jitterBound = DEFAULT_TIMERS.rekeyTimeoutJitterMs + 100;
    gaps.forEach((g, i) => {
      const base = Math.min(DEFAULT_TIMERS.rekeyTimeoutMs, DEFAULT_TIMERS.firstRetryMs * 2 ** i);
      expect(g, `gap ${i}`).toBeGreaterThanOrEqual(base - 100);
      expect(g, `gap ${i}`).toBeLessThanOrEqual(base + jitterBound);
    });
    expect(new Set(gaps).size).toBeGreaterThan(1); // jitter: not all the same
    expect(p.a.router.stats().indices).toBe(0); // nothing left behind
  });

  it('finds the caller by hint tag within the clock-skew window, not beyond', async () => {
    for (const [skewEpochs, expectOpen] of [
      [DEFAULT_TIMERS.hintSkewEpochs, true],
      [-DEFAULT_TIMERS.hintSkewEpochs, true],
      [DEFAULT_TIMERS.hintSkewEpochs + 1, false],
    ] as const) {
      const w = world({ seed: `skew-${skewEpochs}` });
      // A's wall clock is off by whole epochs (plus a little, so it is not on a boundary).
      const a = w.add('A', { wallShiftMs: skewEpochs * DEFAULT_TIMERS.hintEpochMs + 1000 });
      const b = w.add('B');
      a.router.setPeers([w.peer(a, b)]);
      b.router.setPeers([w.peer(b, a, { withEndpoint: false })]);
      a.router
        .channel('B')
        .connect()
        .catch(() => {});
      w.clock.advance(1000);
      expect(b.router.channel('A').info().state === 'open', `skew ${skewEpochs}`).toBe(expectOpen);
      if (!expectOpen) expect(b.router.stats().drops['unknown-hint']).toBeGreaterThan(0);
    }
  });

  it('keeps every channel table bounded and identifies peers only by index on the wire', async () => {
    const p = pair();
    await open(p);
    for (let i = 0; i < 50; i++) {
      p.ab.send(utf8(`x${i}`));
      p.clock.advance(200_000); // forces rekeys and expiries
    }
    expect(p.a.router.stats().indices).toBeLessThanOrEqual(3);
    expect(p.b.router.stats().indices).toBeLessThanOrEqual(3);
    expect(toHex(p.a.keys.publicKey)).not.toBe(toHex(p.b.keys.publicKey));
  });
});
