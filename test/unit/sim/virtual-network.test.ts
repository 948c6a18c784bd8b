// The virtual network: binding, link conditions (measured at the receiver), drops and their counts,
// partitions, roaming, taps, determinism, and that delivery never re-enters the sender.
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { isKithError } from '../../../src/errors.js';
import { type Endpoint, MAX_PACKET_BYTES } from '../../../src/net/transport.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import {
  type LinkConditions,
  type SimTransport,
  type TrafficStats,
  VirtualNetwork,
} from '../../../src/sim/virtual-network.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

function simulation(seed = 'kith-sim', defaultLink: Partial<LinkConditions> = {}) {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock, rng: seededRng(utf8(seed)), defaultLink });
  return { clock, network };
}

interface Arrival {
  seq: number;
  at: number;
  from: Endpoint;
  bytes: Uint8Array;
}

/** Collects what a transport receives, with the sequence number in each packet's first 4 bytes. */
function receiver(clock: VirtualClock, transport: SimTransport): Arrival[] {
  const arrivals: Arrival[] = [];
  transport.onPacket((bytes, from) => arrivals.push({ seq: seqOf(bytes), at: clock.now(), from, bytes }));
  return arrivals;
}

function numbered(seq: number, length = 16): Uint8Array {
  const packet = new Uint8Array(length);
  new DataView(packet.buffer).setUint32(0, seq);
  return packet;
}

function seqOf(packet: Uint8Array): number {
  return packet.length >= 4 ? new DataView(packet.buffer, packet.byteOffset).getUint32(0) : -1;
}

/**
 * Asserts a count of events with probability p over n trials is within 8 standard deviations of
 * n·p. The runs are seeded, so a given test always gives the same count; the tolerance is what keeps
 * the test honest for any seed: by the normal approximation of the binomial (n·p is in the
 * thousands here), a fair count lands outside it with probability about 1e-15.
 */
function expectRate(count: number, n: number, p: number): void {
  const tolerance = 8 * Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(tolerance);
}

/** Every packet accounted for once nothing is in flight. */
function expectBalanced(stats: TrafficStats): void {
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  expect(stats.sent + stats.duplicated).toBe(stats.delivered + stats.lost + dropped);
}

describe('VirtualNetwork', () => {
  describe('bind', () => {
    it('assigns free ephemeral ports in turn and refuses an endpoint in use', () => {
      const { network } = simulation();
      expect(network.bind(A).local).toEqual({ address: A, port: 49152 });
      expect(network.bind(A, 0).local).toEqual({ address: A, port: 49153 });
      expect(network.bind(B).local).toEqual({ address: B, port: 49152 });
      const fixed = network.bind(A, 5000);
      expect(fixed.local).toEqual({ address: A, port: 5000 });
      const err = catchError(() => network.bind(A, 5000));
      expect(isKithError(err, 'NET_BIND_FAILED')).toBe(true);
      fixed.close();
      expect(network.bind(A, 5000).local.port).toBe(5000);
    });

    it('rejects a bad address or port', () => {
      const { network } = simulation();
      expect(() => network.bind('alice')).toThrow(RangeError);
      expect(() => network.bind(A, 65536)).toThrow(RangeError);
      expect(() => network.bind(A, 1.5)).toThrow(RangeError);
      expect(() => network.setLink('10.0.0', B, {})).toThrow(RangeError);
      expect(() => network.partition(A, 'b')).toThrow(RangeError);
    });

    it('rejects conditions out of range, naming the field', () => {
      const { network } = simulation();
      expect(() => network.setDefaultLink({ loss: 1.5 })).toThrow(/loss/);
      expect(() => network.setLink(A, B, { delayMs: -1 })).toThrow(/delayMs/);
      expect(() => network.setLink(A, B, { jitterMs: Number.NaN })).toThrow(/jitterMs/);
      expect(() => network.setLink(A, B, { bandwidth: 0 })).toThrow(/bandwidth/);
      expect(() => network.setLink(A, B, { reorderDelayMs: 0 })).toThrow(/reorderDelayMs/);
    });
  });

  it('delivers everything, in order, on a perfect link, and only once the clock runs', () => {
    const { clock, network } = simulation();
    const a = network.bind(A);
    const b = network.bind(B, 7000);
    const got = receiver(clock, b);
    for (let seq = 0; seq < 1000; seq++) a.send(numbered(seq), b.local);
    expect(got).toHaveLength(0);
    clock.runUntilIdle();
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(got.every((r) => r.at === 0)).toBe(true);
    expect(got[0]?.from).toEqual(a.local);
    expect(network.stats).toMatchObject({
      sent: 1000,
      delivered: 1000,
      lost: 0,
      duplicated: 0,
      reordered: 0,
    });
    expect(network.stats.bytesDelivered).toBe(16_000);
  });

  it('keeps every latency within delay .. delay + jitter, spread over the range, in order', () => {
    const { clock, network } = simulation('jitter', { delayMs: 20, jitterMs: 10 });
    const a = network.bind(A);
    const b = network.bind(B);
    const got = receiver(clock, b);
    const sentAt: number[] = [];
    for (let seq = 0; seq < 2000; seq++) {
      clock.schedule(seq * 3, () => {
        sentAt[seq] = clock.now();
        a.send(numbered(seq), b.local);
      });
    }
    clock.runUntilIdle();
    expect(got).toHaveLength(2000);
    const latencies = got.map((r) => r.at - (sentAt[r.seq] ?? Number.NaN));
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(30);
    // Spread: jitter is drawn, not constant.
    expect(Math.min(...latencies)).toBeLessThan(21);
    expect(Math.max(...latencies)).toBeGreaterThan(29);
    // Jitter alone never reorders: the link is a queue.
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('loses packets at the configured rate', () => {
    const { clock, network } = simulation('loss', { loss: 0.1 });
    const a = network.bind(A);
    const b = network.bind(B);
    const got = receiver(clock, b);
    const n = 20_000;
    for (let seq = 0; seq < n; seq++) a.send(numbered(seq), b.local);
    clock.runUntilIdle();
    const stats = network.stats;
    expectRate(stats.lost, n, 0.1);
    expect(got).toHaveLength(n - stats.lost);
    expect(stats.delivered).toBe(got.length);
    expectBalanced(stats);
  });

  it('duplicates packets at the configured rate, each copy its own bytes', () => {
    const { clock, network } = simulation('dup', { duplicate: 0.05, delayMs: 5 });
    const a = network.bind(A);
    const b = network.bind(B);
    const n = 20_000;
    const seen = new Map<number, number>();
    b.onPacket((packet) => {
      const seq = seqOf(packet);
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
      // A receiver that works in place must not change the copy still in flight.
      packet.fill(0xff, 4);
    });
    const tap: Uint8Array[] = [];
    network.onDeliver((packet) => tap.push(packet.slice()));
    for (let seq = 0; seq < n; seq++) a.send(numbered(seq), b.local);
    clock.runUntilIdle();
    const twice = [...seen.values()].filter((count) => count === 2).length;
    expect([...seen.values()].every((count) => count === 1 || count === 2)).toBe(true);
    expect(seen.size).toBe(n);
    expect(twice).toBe(network.stats.duplicated);
    expectRate(twice, n, 0.05);
    expect(tap.every((packet) => packet.subarray(4).every((byte) => byte === 0))).toBe(true);
    expectBalanced(network.stats);
  });

  it('reorders packets at the configured rate: held-back packets are overtaken', () => {
    const { clock, network } = simulation('reorder', { reorder: 0.05, delayMs: 10 });
    const a = network.bind(A);
    const b = network.bind(B);
    const got = receiver(clock, b);
    const n = 20_000;
    // All sent at once: every held-back packet is overtaken unless only held-back packets follow it.
    for (let seq = 0; seq < n; seq++) a.send(numbered(seq), b.local);
    clock.runUntilIdle();
    expect(got).toHaveLength(n);
    let highest = -1;
    let late = 0;
    for (const { seq } of got) {
      if (seq < highest) late += 1;
      highest = Math.max(highest, seq);
    }
    const { reordered } = network.stats;
    expectRate(reordered, n, 0.05);
    expect(late).toBeLessThanOrEqual(reordered);
    expect(late).toBeGreaterThan(reordered - 10);
    // Held back by at most the default reorder delay (delay + jitter).
    expect(Math.max(...got.map((r) => r.at))).toBeLessThanOrEqual(20);
  });

  it('queues packets behind each other on a link with limited bandwidth', () => {
    const { clock, network } = simulation('bw', { delayMs: 5, bandwidth: 100_000 });
    const a = network.bind(A);
    const b = network.bind(B);
    const got = receiver(clock, b);
    for (let seq = 0; seq < 5; seq++) a.send(numbered(seq, 1000), b.local);
    clock.runUntilIdle();
    // 1000 bytes at 100 kB/s take 10 ms each on the wire, then 5 ms to cross.
    expect(got.map((r) => r.at)).toEqual([15, 25, 35, 45, 55]);
  });

  it('applies per-direction conditions, falling back to the default for the rest', () => {
    const { clock, network } = simulation('links', { delayMs: 5 });
    network.setLink(A, B, { delayMs: 40 });
    network.setLink(B, A, { loss: 1 });
    const a = network.bind(A);
    const b = network.bind(B);
    const c = network.bind(C);
    const atB = receiver(clock, b);
    const atA = receiver(clock, a);
    const atC = receiver(clock, c);
    a.send(numbered(1), b.local);
    a.send(numbered(2), c.local);
    b.send(numbered(3), a.local);
    clock.runUntilIdle();
    expect(atB.map((r) => r.at)).toEqual([40]);
    expect(atC.map((r) => r.at)).toEqual([5]);
    expect(atA).toHaveLength(0);
    expect(network.linkStats(B, A)).toMatchObject({ sent: 1, lost: 1, delivered: 0 });
    expect(network.linkStats(A, B)).toMatchObject({ sent: 1, delivered: 1 });
    expect(network.linkStats(C, A).sent).toBe(0);
    // Unset fields follow later changes of the default; {} returns the link to the default.
    network.setDefaultLink({ delayMs: 7 });
    b.send(numbered(4), c.local);
    a.send(numbered(5), c.local);
    network.setLink(A, B, {});
    a.send(numbered(6), b.local);
    clock.runUntilIdle();
    expect(atC.map((r) => r.at - 40)).toEqual([-35, 7, 7]);
    expect(atB.map((r) => r.at - 40)).toEqual([0, 7]);
  });

  it('drops and counts packets over MAX_PACKET_BYTES', () => {
    const { clock, network } = simulation();
    const a = network.bind(A);
    const b = network.bind(B);
    const got = receiver(clock, b);
    a.send(numbered(1, MAX_PACKET_BYTES), b.local);
    a.send(numbered(2, MAX_PACKET_BYTES + 1), b.local);
    clock.runUntilIdle();
    expect(got.map((r) => r.seq)).toEqual([1]);
    expect(network.stats.dropped.oversize).toBe(1);
    expect(network.linkStats(A, B).dropped.oversize).toBe(1);
  });

  it('copies the sent bytes, so the sender may reuse its buffer', () => {
    const { clock, network } = simulation('copy', { delayMs: 10 });
    const a = network.bind(A);
    const b = network.bind(B);
    const got = receiver(clock, b);
    const buffer = Buffer.alloc(8);
    buffer.writeUInt32BE(1);
    a.send(buffer, b.local);
    buffer.writeUInt32BE(2);
    a.send(buffer, b.local);
    buffer.fill(0);
    clock.runUntilIdle();
    expect(got.map((r) => r.seq)).toEqual([1, 2]);
    expect(Object.getPrototypeOf(got[0]?.bytes)).toBe(Uint8Array.prototype);
  });

  it('silently drops and counts packets to a closed, unbound or handler-less endpoint, and from a closed one', () => {
    const { clock, network } = simulation('closed', { delayMs: 10 });
    const a = network.bind(A);
    const b = network.bind(B);
    const silent = network.bind(C);
    receiver(clock, b);
    a.send(numbered(1), b.local);
    clock.advance(5);
    b.close();
    b.close();
    a.send(numbered(2), { address: B, port: 1234 });
    a.send(numbered(3), silent.local);
    a.close();
    expect(() => a.send(numbered(4), silent.local)).not.toThrow();
    clock.runUntilIdle();
    expect(network.stats.delivered).toBe(0);
    expect(network.stats.dropped).toEqual({
      oversize: 0,
      partition: 0,
      unbound: 3,
      closed: 1,
      'nat-filtered': 0,
      'nat-no-mapping': 0,
      unroutable: 0,
      down: 0,
    });
    expectBalanced(network.stats);
  });

  it('partitions two addresses both ways, in flight included, until healed', () => {
    const { clock, network } = simulation('partition', { delayMs: 10 });
    const a = network.bind(A);
    const b = network.bind(B);
    const c = network.bind(C);
    const atA = receiver(clock, a);
    const atB = receiver(clock, b);
    const atC = receiver(clock, c);
    a.send(numbered(1), b.local);
    clock.advance(5);
    network.partition(B, A);
    a.send(numbered(2), b.local);
    b.send(numbered(3), a.local);
    a.send(numbered(4), c.local);
    clock.runUntilIdle();
    expect(atA).toHaveLength(0);
    expect(atB).toHaveLength(0);
    expect(atC.map((r) => r.seq)).toEqual([4]);
    expect(network.stats.dropped.partition).toBe(3);
    network.heal(A, B);
    a.send(numbered(5), b.local);
    b.send(numbered(6), a.local);
    clock.runUntilIdle();
    expect(atB.map((r) => r.seq)).toEqual([5]);
    expect(atA.map((r) => r.seq)).toEqual([6]);
  });

  it('moves a transport to a new endpoint: the peer sees the new source, the old one is free', () => {
    const { clock, network } = simulation('roam', { delayMs: 10 });
    const phone = network.bind(A, 4000);
    const server = network.bind(B, 443);
    const atServer = receiver(clock, server);
    const atPhone = receiver(clock, phone);
    phone.send(numbered(1), server.local);
    server.send(numbered(2), phone.local); // in flight to the old endpoint when the phone moves
    clock.advance(5);
    const moved = phone.rebind(C);
    expect(moved).toEqual({ address: C, port: 49152 });
    expect(phone.local).toEqual(moved);
    phone.send(numbered(3), server.local);
    server.send(numbered(4), moved);
    clock.runUntilIdle();
    expect(atServer.map((r) => [r.seq, r.from])).toEqual([
      [1, { address: A, port: 4000 }],
      [3, { address: C, port: 49152 }],
    ]);
    expect(atPhone.map((r) => r.seq)).toEqual([4]);
    expect(network.stats.dropped.unbound).toBe(1);
    // A NAT rebinding: same address, new port; the old endpoint can be taken by someone else.
    expect(phone.rebind(C, 5000)).toEqual({ address: C, port: 5000 });
    expect(network.bind(C, 49152).local.port).toBe(49152);
    expect(
      isKithError(
        catchError(() => phone.rebind(B, 443)),
        'NET_BIND_FAILED',
      ),
    ).toBe(true);
    expect(phone.local).toEqual({ address: C, port: 5000 });
    phone.close();
    expect(() => phone.rebind(A)).toThrow(/closed/);
  });

  it('lets a tap see what crossed the wire, until removed', () => {
    const { clock, network } = simulation();
    const a = network.bind(A);
    const b = network.bind(B);
    const seen: string[] = [];
    const order: string[] = [];
    b.onPacket(() => order.push('handler'));
    const untap = network.onDeliver((packet, from, to) => {
      seen.push(`${from.address}:${from.port}>${to.address}:${to.port} ${toHex(packet)}`);
      order.push('tap');
    });
    a.send(Uint8Array.of(1, 2), b.local);
    a.send(Uint8Array.of(3), { address: C, port: 1 }); // dropped: not seen
    clock.runUntilIdle();
    untap();
    a.send(Uint8Array.of(4), b.local);
    clock.runUntilIdle();
    expect(seen).toEqual([`${A}:49152>${B}:49152 0102`]);
    expect(order).toEqual(['tap', 'handler', 'handler']);
  });

  it('never delivers inside send(): a handler that replies does not recurse', () => {
    const { clock, network } = simulation();
    const a = network.bind(A);
    const b = network.bind(B);
    let inSend = false;
    let depth = 0;
    let maxDepth = 0;
    let exchanges = 0;
    const echo = (self: SimTransport) =>
      self.onPacket((packet, from) => {
        expect(inSend).toBe(false);
        depth += 1;
        maxDepth = Math.max(maxDepth, depth);
        exchanges += 1;
        if (exchanges < 10_000) self.send(packet, from);
        depth -= 1;
      });
    echo(a);
    echo(b);
    inSend = true;
    a.send(numbered(0), b.local);
    inSend = false;
    clock.runUntilIdle();
    expect(exchanges).toBe(10_000);
    expect(maxDepth).toBe(1);
  });

  it('lets an exception from a receive handler out of the clock', () => {
    const { clock, network } = simulation();
    const a = network.bind(A);
    const b = network.bind(B);
    b.onPacket(() => {
      throw new Error('handler failed');
    });
    a.send(numbered(1), b.local);
    expect(() => clock.runUntilIdle()).toThrow('handler failed');
  });

  describe('determinism', () => {
    const conditions: Partial<LinkConditions> = {
      delayMs: 10,
      jitterMs: 20,
      loss: 0.1,
      duplicate: 0.1,
      reorder: 0.1,
    };

    /** A small busy scenario; the trace is every delivery with its time, endpoints and bytes. */
    function trace(seed: string): string[] {
      const { clock, network } = simulation(seed, conditions);
      network.setLink(A, C, { bandwidth: 50_000 });
      const hosts = [A, B, C].map((address) => network.bind(address));
      const lines: string[] = [];
      network.onDeliver((packet, from, to) =>
        lines.push(`${clock.now()} ${from.address}:${from.port}>${to.address}:${to.port} ${toHex(packet)}`),
      );
      hosts.forEach((host, i) => {
        host.onPacket((packet, from) => {
          if ((packet[0] ?? 0) < 3) host.send(Uint8Array.of((packet[0] ?? 0) + 1, i), from);
        });
      });
      for (let round = 0; round < 50; round++) {
        clock.schedule(round * 7, () =>
          hosts.forEach((host, i) => host.send(Uint8Array.of(0, i, round), hosts[(i + 1) % 3]!.local)),
        );
      }
      clock.runUntilIdle();
      return lines;
    }

    it('gives the same trace for the same seed', () => {
      const first = trace('seed-1');
      expect(first.length).toBeGreaterThan(100);
      expect(trace('seed-1')).toEqual(first);
    });

    it('gives a different trace for a different seed', () => {
      expect(trace('seed-2')).not.toEqual(trace('seed-1'));
    });
  });
});

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
