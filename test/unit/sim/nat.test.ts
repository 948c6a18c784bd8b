// NATs in the virtual network, checked against RFC 4787: mapping per preset (§4.1), filtering (§5),
// mapping lapse and refresh (§4.3), hairpinning (§6), LANs behind one NAT, the bound on the table,
// the drop counts, and the hole-punching matrix the overlay's PUNCH (docs/overlay-protocol.md) meets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { isKithError } from '../../../src/errors.js';
import type { Endpoint } from '../../../src/net/transport.js';
import { Nat, NAT_PRESETS, type NatOptions, type NatPreset } from '../../../src/sim/nat.js';
import { uniformSource } from '../../../src/sim/uniform.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import {
  type LinkConditions,
  type SimTransport,
  type TrafficStats,
  VirtualNetwork,
} from '../../../src/sim/virtual-network.js';

const SERVER = '198.51.100.1';
const SERVER2 = '198.51.100.2';
const NAT_A = '203.0.113.1';
const NAT_B = '203.0.113.2';
const A = '10.1.0.2';
const A2 = '10.1.0.3';
const B = '10.2.0.2';

const PRESETS = Object.keys(NAT_PRESETS) as NatPreset[];

function simulation(seed = 'kith-nat', defaultLink: Partial<LinkConditions> = {}) {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock, rng: seededRng(utf8(seed)), defaultLink });
  return { clock, network };
}

interface Arrival {
  text: string;
  from: Endpoint;
  at: number;
}

function inbox(clock: VirtualClock, transport: SimTransport): Arrival[] {
  const got: Arrival[] = [];
  transport.onPacket((packet, from) =>
    got.push({ text: new TextDecoder().decode(packet), from, at: clock.now() }),
  );
  return got;
}

function say(transport: SimTransport, text: string, to: Endpoint): void {
  transport.send(utf8(text), to);
}

/** The one source a receiver has seen, i.e. the sender's public endpoint as the outside sees it. */
function onlySource(got: Arrival[]): Endpoint {
  expect(new Set(got.map((a) => `${a.from.address}:${a.from.port}`)).size).toBe(1);
  const first = got[0];
  if (first === undefined) throw new Error('nothing received');
  return first.from;
}

function totalDropped(stats: TrafficStats): number {
  return Object.values(stats.dropped).reduce((a, b) => a + b, 0);
}

function expectBalanced(stats: TrafficStats): void {
  expect(stats.sent + stats.duplicated).toBe(stats.delivered + stats.lost + totalDropped(stats));
}

describe('NAT mapping (RFC 4787 §4.1)', () => {
  it.each(PRESETS)(
    '%s: the source seen outside is the public address; EIM keeps one port, symmetric not',
    (preset) => {
      const { clock, network } = simulation();
      network.addNat(NAT_A, [A], NAT_PRESETS[preset]);
      const host = network.bind(A, 5000);
      const servers = [network.bind(SERVER, 7000), network.bind(SERVER, 7001), network.bind(SERVER2, 7000)];
      const seen = servers.map((server) => inbox(clock, server));
      for (const server of servers) say(host, 'hi', server.local);
      clock.runUntilIdle();
      const sources = seen.map(onlySource);
      expect(sources.every((s) => s.address === NAT_A)).toBe(true);
      const ports = new Set(sources.map((s) => s.port));
      if (preset === 'symmetric') {
        expect(ports.size).toBe(3);
      } else {
        // Endpoint-independent, and the private port kept since it was free (Linux masquerading).
        expect([...ports]).toEqual([5000]);
      }
      expect(network.natStats(NAT_A).mappings).toBe(preset === 'symmetric' ? 3 : 1);
    },
  );

  it('address-dependent mapping: one port per remote address, whatever the remote port', () => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], { mapping: 'address-dependent', filtering: 'endpoint-independent' });
    const host = network.bind(A, 5000);
    const servers = [network.bind(SERVER, 7000), network.bind(SERVER, 7001), network.bind(SERVER2, 7000)];
    const seen = servers.map((server) => inbox(clock, server));
    for (const server of servers) say(host, 'hi', server.local);
    clock.runUntilIdle();
    const [p1, p2, p3] = seen.map((got) => onlySource(got).port);
    expect(p1).toBe(p2);
    expect(p3).not.toBe(p1);
  });

  it('keeps the private port only while it is free, else picks another above 1023', () => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A, A2], NAT_PRESETS.portRestricted);
    const first = network.bind(A, 5000);
    const second = network.bind(A2, 5000);
    const server = network.bind(SERVER, 7000);
    const got = inbox(clock, server);
    say(first, '1', server.local);
    say(second, '2', server.local);
    clock.runUntilIdle();
    expect(got.map((a) => a.from.port)[0]).toBe(5000);
    const other = got[1]?.from.port ?? 0;
    expect(other).not.toBe(5000);
    expect(other).toBeGreaterThanOrEqual(1024);
    expect(other).toBeLessThanOrEqual(65535);
  });

  it('makes a new mapping after one lapses: a symmetric NAT moves to a new port, a cone keeps it', () => {
    for (const preset of ['portRestricted', 'symmetric'] as const) {
      const { clock, network } = simulation(`lapse-${preset}`);
      network.addNat(NAT_A, [A], NAT_PRESETS[preset]);
      const host = network.bind(A, 5000);
      const server = network.bind(SERVER, 7000);
      const got = inbox(clock, server);
      say(host, '1', server.local);
      clock.advance(10_000);
      say(host, '2', server.local); // refreshed: same mapping
      clock.advance(30_000);
      say(host, '3', server.local); // lapsed: a new one
      clock.runUntilIdle();
      const [p1, p2, p3] = got.map((a) => a.from.port);
      expect(p2).toBe(p1);
      if (preset === 'symmetric') expect(p3).not.toBe(p1);
      else expect(p3).toBe(5000);
    }
  });
});

describe('NAT filtering (RFC 4787 §5)', () => {
  /**
   * After the host behind the NAT sent to SERVER:7000 only, who gets in: the same endpoint, another
   * port of the same address, another address.
   */
  const admitted: Record<NatPreset, string[]> = {
    fullCone: ['same', 'other-port', 'other-address'],
    addressRestricted: ['same', 'other-port'],
    portRestricted: ['same'],
    symmetric: ['same'],
  };

  it.each(PRESETS)('%s admits exactly its table row after one outbound packet', (preset) => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], NAT_PRESETS[preset]);
    const host = network.bind(A, 5000);
    const got = inbox(clock, host);
    const senders = {
      same: network.bind(SERVER, 7000),
      'other-port': network.bind(SERVER, 7001),
      'other-address': network.bind(SERVER2, 7000),
    };
    const atServer = inbox(clock, senders.same);
    say(host, 'hello', senders.same.local);
    clock.runUntilIdle();
    const mapped = onlySource(atServer);
    for (const [name, sender] of Object.entries(senders)) say(sender, name, mapped);
    clock.runUntilIdle();
    expect(got.map((a) => a.text)).toEqual(admitted[preset]);
    // Receivers see the real source; the NAT only translates its own side.
    expect(got[0]?.from).toEqual(senders.same.local);
    const refused = 3 - admitted[preset].length;
    expect(network.stats.dropped['nat-filtered']).toBe(refused);
    expect(network.natStats(NAT_A)).toMatchObject({ filtered: refused, noMapping: 0, expired: 0 });
  });

  it.each(PRESETS)('%s drops unsolicited packets: no outbound packet, no mapping', (preset) => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], NAT_PRESETS[preset]);
    const host = network.bind(A, 5000);
    const got = inbox(clock, host);
    const server = network.bind(SERVER, 7000);
    say(server, 'knock', { address: NAT_A, port: 5000 });
    clock.runUntilIdle();
    expect(got).toHaveLength(0);
    expect(network.stats.dropped['nat-no-mapping']).toBe(1);
    expect(network.linkStats(SERVER, NAT_A).dropped['nat-no-mapping']).toBe(1);
    expect(network.natStats(NAT_A)).toMatchObject({ mappings: 0, noMapping: 1 });
  });
});

describe('NAT mapping timeout and refresh (RFC 4787 §4.3)', () => {
  function oneMapping(options: NatOptions) {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], options);
    const host = network.bind(A, 5000);
    const got = inbox(clock, host);
    const server = network.bind(SERVER, 7000);
    const mapped = { address: NAT_A, port: 5000 };
    return { clock, network, host, got, server, mapped };
  }

  it('lets replies in until timeoutMs after the last outbound packet, and not at timeoutMs', () => {
    const { clock, network, host, got, server, mapped } = oneMapping(NAT_PRESETS.portRestricted);
    say(host, 'out', server.local);
    clock.schedule(29_999, () => say(server, 'in time', mapped));
    clock.schedule(30_000, () => say(server, 'too late', mapped));
    clock.schedule(40_000, () => say(server, 'later still', mapped));
    clock.runUntilIdle();
    expect(got.map((a) => [a.text, a.at])).toEqual([['in time', 29_999]]);
    expect(network.natStats(NAT_A)).toMatchObject({ mappings: 0, expired: 2, noMapping: 0 });
    expect(network.stats.dropped['nat-no-mapping']).toBe(2);
  });

  it('stays open for ten minutes with an outbound keepalive every timeoutMs / 2', () => {
    const { clock, got, host, server, mapped } = oneMapping(NAT_PRESETS.portRestricted);
    for (let t = 0; t <= 600_000; t += 15_000) clock.schedule(t, () => say(host, 'keepalive', server.local));
    for (let t = 1_000; t <= 600_000; t += 10_000) clock.schedule(t, () => say(server, 'in', mapped));
    clock.runUntilIdle();
    expect(got).toHaveLength(60);
  });

  it('is not refreshed by inbound packets, unless inboundRefresh is set', () => {
    const inboundEvery10s = (options: NatOptions) => {
      const { clock, got, host, server, mapped } = oneMapping(options);
      say(host, 'out', server.local);
      for (let t = 10_000; t <= 60_000; t += 10_000) clock.schedule(t, () => say(server, String(t), mapped));
      clock.runUntilIdle();
      return got.map((a) => a.text);
    };
    expect(inboundEvery10s(NAT_PRESETS.portRestricted)).toEqual(['10000', '20000']);
    expect(inboundEvery10s({ ...NAT_PRESETS.portRestricted, inboundRefresh: true })).toHaveLength(6);
  });

  it('honours a custom timeoutMs, and the permission of each remote lapses on its own', () => {
    const { clock, network, got, host, server, mapped } = oneMapping({
      ...NAT_PRESETS.addressRestricted,
      timeoutMs: 120_000,
    });
    const other = network.bind(SERVER2, 7000);
    say(host, 'to server', server.local);
    clock.schedule(100_000, () => say(host, 'to other', other.local));
    clock.schedule(119_999, () => say(server, 'a', mapped));
    clock.schedule(120_000, () => say(server, 'b', mapped)); // mapping alive (refreshed at 100 s), permission not
    clock.schedule(120_001, () => say(other, 'c', mapped));
    clock.runUntilIdle();
    expect(got.map((a) => a.text)).toEqual(['a', 'c']);
    expect(network.natStats(NAT_A)).toMatchObject({ mappings: 1, filtered: 1 });
  });
});

describe('UDP hole punching through every pair of presets', () => {
  /**
   * A behind NAT A and B behind NAT B each register with a public server, which tells each the
   * other's public endpoint as it saw it; then both send probes to those endpoints at once (three
   * tries, 200 ms apart) and answer any probe to the source it came from, as PUNCH does. Success:
   * each side heard the other.
   */
  function punch(presetA: NatPreset, presetB: NatPreset): boolean {
    const { clock, network } = simulation(`punch-${presetA}-${presetB}`, { delayMs: 15, jitterMs: 10 });
    network.addNat(NAT_A, [A], NAT_PRESETS[presetA]);
    network.addNat(NAT_B, [B], NAT_PRESETS[presetB]);
    const server = network.bind(SERVER, 3478);
    const registered = inbox(clock, server);
    const a = network.bind(A, 4000);
    const b = network.bind(B, 4000);
    say(a, 'a', server.local);
    say(b, 'b', server.local);
    clock.runUntilIdle();
    const seen = (name: string) => registered.find((r) => r.text === name)?.from;
    const aPublic = seen('a');
    const bPublic = seen('b');
    if (aPublic === undefined || bPublic === undefined) throw new Error('registration failed');
    let aHeardB = false;
    let bHeardA = false;
    a.onPacket((packet, from) => {
      aHeardB = true;
      if (new TextDecoder().decode(packet) === 'probe') say(a, 'answer', from);
    });
    b.onPacket((packet, from) => {
      bHeardA = true;
      if (new TextDecoder().decode(packet) === 'probe') say(b, 'answer', from);
    });
    for (const t of [0, 200, 400]) {
      clock.schedule(t, () => {
        say(a, 'probe', bPublic);
        say(b, 'probe', aPublic);
      });
    }
    clock.runUntilIdle();
    expectBalanced(network.stats);
    return aHeardB && bHeardA;
  }

  it('succeeds for every pair except symmetric with symmetric and symmetric with port-restricted', () => {
    // Derived from the rules. A cone (EIM) NAT sends the probes from the very port the server saw,
    // so the peer aims right; a symmetric NAT sends them from a new port (a new mapping for a new
    // destination), so probes to it hit the mapping made for the server, which admits only the
    // server (address-and-port-dependent filtering): nothing gets into a symmetric NAT unsolicited.
    // With one symmetric side S, success needs the other side C to admit S's probe, which comes
    // from S's public address but an unknown port: full cone admits anyone, address-restricted
    // admits it because C has sent to that address (its own probes), port-restricted refuses it
    // (C sent to the server-seen port only). Once C hears the probe it answers to the source it
    // came from, which is exactly the endpoint S's new mapping admits. Two symmetric sides: neither
    // probe is ever admitted. Between two cones the probes aim right and each side's own probe
    // opens its filter for the other's, whichever leaves first.
    const expected: Record<NatPreset, Record<NatPreset, boolean>> = {
      fullCone: { fullCone: true, addressRestricted: true, portRestricted: true, symmetric: true },
      addressRestricted: { fullCone: true, addressRestricted: true, portRestricted: true, symmetric: true },
      portRestricted: { fullCone: true, addressRestricted: true, portRestricted: true, symmetric: false },
      symmetric: { fullCone: true, addressRestricted: true, portRestricted: false, symmetric: false },
    };
    const observed = Object.fromEntries(
      PRESETS.map((pa) => [pa, Object.fromEntries(PRESETS.map((pb) => [pb, punch(pa, pb)]))]),
    );
    expect(observed).toEqual(expected);
  });
});

describe('hosts behind the same NAT', () => {
  it('talk directly by private address, with no mapping and over the LAN link', () => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A, A2], NAT_PRESETS.symmetric);
    const a = network.bind(A, 5000);
    const a2 = network.bind(A2, 5000);
    const got = inbox(clock, a2);
    say(a, 'lan', a2.local);
    clock.runUntilIdle();
    expect(got.map((r) => [r.text, r.from])).toEqual([['lan', { address: A, port: 5000 }]]);
    expect(network.linkStats(A, A2).delivered).toBe(1);
    expect(network.natStats(NAT_A).mappings).toBe(0);
  });

  /** A2 has a mapping (it sent to the server); A sends to A2's public endpoint. */
  function hairpin(options: NatOptions) {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A, A2], options);
    const a = network.bind(A, 5000);
    const a2 = network.bind(A2, 6000);
    const server = network.bind(SERVER, 7000);
    const atServer = inbox(clock, server);
    const atA = inbox(clock, a);
    const atA2 = inbox(clock, a2);
    say(a2, 'register', server.local);
    clock.runUntilIdle();
    say(a, 'hairpin', onlySource(atServer));
    clock.runUntilIdle();
    return { clock, network, a, a2, atA, atA2 };
  }

  it('drops a packet to the own public address when hairpinning is off (RFC 4787 §6)', () => {
    const { network, atA2 } = hairpin(NAT_PRESETS.fullCone);
    expect(atA2).toHaveLength(0);
    expect(network.linkStats(NAT_A, NAT_A).dropped['nat-filtered']).toBe(1);
    expect(network.natStats(NAT_A)).toMatchObject({ filtered: 1, mappings: 1 });
  });

  it('turns it back in when hairpinning is on, from the sender public endpoint (REQ-9)', () => {
    const { clock, network, a2, atA, atA2 } = hairpin({ ...NAT_PRESETS.fullCone, hairpin: true });
    expect(atA2.map((r) => [r.text, r.from])).toEqual([['hairpin', { address: NAT_A, port: 5000 }]]);
    const from = atA2[0]?.from;
    if (from === undefined) throw new Error('nothing received');
    say(a2, 'back', from);
    clock.runUntilIdle();
    expect(atA.map((r) => [r.text, r.from])).toEqual([['back', { address: NAT_A, port: 6000 }]]);
    expect(network.linkStats(NAT_A, NAT_A).delivered).toBe(2);
  });
});

describe('private addresses', () => {
  it('cannot be reached from outside their NAT, neither from a public host nor from behind another NAT', () => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], NAT_PRESETS.fullCone);
    network.addNat(NAT_B, [B], NAT_PRESETS.fullCone);
    const a = network.bind(A, 5000);
    const b = network.bind(B, 5000);
    const server = network.bind(SERVER, 7000);
    const got = inbox(clock, a);
    say(a, 'out', server.local); // a mapping exists, yet its private endpoint stays private
    say(server, 'direct', a.local);
    say(b, 'lan candidate', a.local);
    clock.runUntilIdle();
    expect(got).toHaveLength(0);
    expect(network.linkStats(SERVER, A).dropped.unroutable).toBe(1);
    expect(network.linkStats(NAT_B, A).dropped.unroutable).toBe(1);
  });

  it('a host placed behind the NAT later is translated too', () => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], NAT_PRESETS.portRestricted);
    network.placeBehindNat(A2, NAT_A);
    const late = network.bind(A2, 5000);
    const server = network.bind(SERVER, 7000);
    const got = inbox(clock, server);
    say(late, 'hi', server.local);
    clock.runUntilIdle();
    expect(onlySource(got)).toEqual({ address: NAT_A, port: 5000 });
  });
});

describe('NAT table bound', () => {
  it('never holds more than maxMappings under a flood of destinations, evicting the oldest idle', () => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], { ...NAT_PRESETS.symmetric, maxMappings: 64 });
    const host = network.bind(A, 5000);
    const got = inbox(clock, host);
    const first = network.bind(SERVER, 7000);
    const kept = network.bind(SERVER, 7001);
    const last = network.bind(SERVER2, 7000);
    const sources = [first, kept, last].map((server) => inbox(clock, server));
    say(host, 'first', first.local);
    say(host, 'kept', kept.local);
    let most = 0;
    for (let i = 0; i < 1000; i++) {
      clock.advance(1);
      // Refreshed now and then, the mapping to `kept` is never the oldest idle one.
      if (i % 50 === 0) say(host, 'kept', kept.local);
      say(host, 'flood', { address: `198.51.${100 + (i >> 8)}.${i & 0xff}`, port: 9000 + i });
      most = Math.max(most, network.natStats(NAT_A).mappings);
    }
    say(host, 'last', last.local);
    clock.runUntilIdle();
    expect(most).toBe(64);
    expect(network.natStats(NAT_A).mappings).toBe(64);
    const [toFirst, toKept, toLast] = sources.map((s) => s.at(-1)?.from);
    if (toFirst === undefined || toKept === undefined || toLast === undefined)
      throw new Error('not received');
    say(first, 'evicted', toFirst);
    say(kept, 'kept', toKept);
    say(last, 'last', toLast);
    clock.runUntilIdle();
    expect(got.map((r) => r.text)).toEqual(['kept', 'last']);
    expect(network.natStats(NAT_A).noMapping).toBe(1);
  });

  it('bounds the remotes one mapping remembers for filtering too', () => {
    const { clock, network } = simulation();
    network.addNat(NAT_A, [A], { ...NAT_PRESETS.portRestricted, maxMappings: 64 });
    const host = network.bind(A, 5000);
    const got = inbox(clock, host);
    const first = network.bind(SERVER, 7000);
    const last = network.bind(SERVER2, 7000);
    say(host, 'first', first.local);
    for (let i = 0; i < 1000; i++) say(host, 'flood', { address: SERVER, port: 10_000 + i });
    say(host, 'last', last.local);
    clock.runUntilIdle();
    expect(network.natStats(NAT_A)).toMatchObject({ mappings: 1, permissions: 64 });
    const mapped = { address: NAT_A, port: 5000 };
    say(first, 'forgotten', mapped);
    say(last, 'remembered', mapped);
    clock.runUntilIdle();
    expect(got.map((r) => r.text)).toEqual(['remembered']);
    expect(network.natStats(NAT_A).filtered).toBe(1);
  });
});

describe('NAT drop accounting', () => {
  it('counts every refusal by reason, matching the NATs own counts, and keeps the balance', () => {
    const { clock, network } = simulation('accounting', {
      delayMs: 20,
      jitterMs: 20,
      loss: 0.05,
      duplicate: 0.02,
    });
    network.addNat(NAT_A, [A, A2], { ...NAT_PRESETS.portRestricted, timeoutMs: 5_000 });
    network.addNat(NAT_B, [B], { ...NAT_PRESETS.symmetric, timeoutMs: 5_000 });
    const hosts = [network.bind(A, 5000), network.bind(A2, 5000), network.bind(B, 5000)];
    const servers = [network.bind(SERVER, 7000), network.bind(SERVER2, 7000)];
    const all = [...hosts, ...servers];
    // Everyone answers the source it saw; new packets go to a host's own endpoint (private ones are
    // unroutable from outside), to an endpoint heard before (perhaps through a mapping that has
    // lapsed, or one that filters the new sender) or to a guessed port (no mapping), so every reason
    // occurs.
    const heard: Endpoint[] = [];
    const dice = uniformSource(seededRng(utf8('accounting-dice')));
    for (const t of all) {
      t.onPacket((packet, from) => {
        heard.push(from);
        if ((packet[0] ?? 0) < 4) t.send(Uint8Array.of((packet[0] ?? 0) + 1), from);
      });
    }
    for (let round = 0; round < 400; round++) {
      // A quiet spell halfway lets every mapping lapse; the old endpoints heard before it then meet
      // lapsed mappings.
      clock.schedule(round * 50 + (round < 200 ? 0 : 10_000), () => {
        const sender = all[Math.floor(dice() * all.length)];
        const target = all[Math.floor(dice() * all.length)];
        if (sender === undefined || target === undefined) return;
        const old = heard[Math.floor(dice() * heard.length)];
        const choice = dice();
        if (choice < 0.5) sender.send(Uint8Array.of(0), target.local);
        else if (choice < 0.8 && old !== undefined) sender.send(Uint8Array.of(0), old);
        else sender.send(Uint8Array.of(0), { address: dice() < 0.5 ? NAT_A : NAT_B, port: 1024 + round });
      });
    }
    clock.runUntilIdle();
    const stats = network.stats;
    expectBalanced(stats);
    const a = network.natStats(NAT_A);
    const b = network.natStats(NAT_B);
    expect(stats.dropped['nat-filtered']).toBe(a.filtered + b.filtered);
    expect(stats.dropped['nat-no-mapping']).toBe(a.noMapping + a.expired + b.noMapping + b.expired);
    for (const reason of ['nat-filtered', 'nat-no-mapping', 'unroutable'] as const) {
      expect(stats.dropped[reason]).toBeGreaterThan(0);
    }
    expect(a.expired + b.expired).toBeGreaterThan(0);
    expect(stats.delivered).toBeGreaterThan(200);
  });
});

describe('Nat table properties', () => {
  const op = fc.record({
    from: fc.integer({ min: 0, max: 2 }),
    to: fc.integer({ min: 0, max: 3 }),
    gap: fc.integer({ min: 0, max: 20_000 }),
  });
  const privates: Endpoint[] = [0, 1, 2].map((i) => ({ address: `10.0.0.${i + 1}`, port: 5000 }));
  const remotes: Endpoint[] = [0, 1, 2, 3].map((i) => ({
    address: `198.51.100.${(i >> 1) + 1}`,
    port: 7000 + i,
  }));

  it('admits the reply to every outbound packet and keeps the table within its bound', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRESETS),
        fc.integer({ min: 1, max: 5 }),
        fc.array(op, { maxLength: 60 }),
        (preset, maxMappings, ops) => {
          const nat = new Nat(
            NAT_A,
            { ...NAT_PRESETS[preset], maxMappings },
            uniformSource(seededRng(utf8('p'))),
          );
          let now = 0;
          for (const { from, to, gap } of ops) {
            now += gap;
            const source = privates[from] as Endpoint;
            const remote = remotes[to] as Endpoint;
            const mapped = nat.outbound(source, remote, now);
            if (mapped === 'filtered') throw new Error('only hairpin packets are refused outbound');
            expect(nat.inbound(remote, mapped.port, now)).toEqual(source);
            expect(nat.stats(now).mappings).toBeLessThanOrEqual(maxMappings);
          }
        },
      ),
    );
  });

  it('endpoint-independent mapping: a private endpoint keeps its port until it idles for timeoutMs', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const nat = new Nat(NAT_A, NAT_PRESETS.addressRestricted, uniformSource(seededRng(utf8('p'))));
        const last = new Map<number, { port: number; at: number }>();
        let now = 0;
        for (const { from, to, gap } of ops) {
          now += gap;
          const mapped = nat.outbound(privates[from] as Endpoint, remotes[to] as Endpoint, now);
          if (mapped === 'filtered') throw new Error('only hairpin packets are refused outbound');
          const before = last.get(from);
          if (before !== undefined && now - before.at < nat.timeoutMs) expect(mapped.port).toBe(before.port);
          last.set(from, { port: mapped.port, at: now });
        }
      }),
    );
  });

  it('symmetric mapping: live mappings never share a public port', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const nat = new Nat(NAT_A, NAT_PRESETS.symmetric, uniformSource(seededRng(utf8('p'))));
        const live = new Map<string, { port: number; at: number }>();
        let now = 0;
        for (const { from, to, gap } of ops) {
          now += gap;
          const mapped = nat.outbound(privates[from] as Endpoint, remotes[to] as Endpoint, now);
          if (mapped === 'filtered') throw new Error('only hairpin packets are refused outbound');
          live.set(`${from} ${to}`, { port: mapped.port, at: now });
          const ports = [...live.values()].filter((m) => now - m.at < nat.timeoutMs).map((m) => m.port);
          expect(new Set(ports).size).toBe(ports.length);
        }
      }),
    );
  });
});

describe('NAT configuration', () => {
  it('refuses nonsense, changing nothing', () => {
    const { network } = simulation();
    network.addNat(NAT_A, [A], NAT_PRESETS.fullCone);
    expect(() => network.addNat(NAT_A, [A2], NAT_PRESETS.fullCone)).toThrow(/already a NAT/);
    expect(() => network.addNat(NAT_B, [A], NAT_PRESETS.fullCone)).toThrow(/already behind/);
    expect(() => network.addNat(A, [B], NAT_PRESETS.fullCone)).toThrow(/chain/);
    expect(() => network.addNat(NAT_B, [NAT_A], NAT_PRESETS.fullCone)).toThrow(/public address/);
    expect(() => network.addNat(NAT_B, [B, B], NAT_PRESETS.fullCone)).toThrow(/twice/);
    expect(() => network.addNat(NAT_B, ['10.2.0'], NAT_PRESETS.fullCone)).toThrow(RangeError);
    expect(() => network.addNat(NAT_B, [B], { ...NAT_PRESETS.fullCone, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => network.addNat(NAT_B, [B], { ...NAT_PRESETS.fullCone, maxMappings: 70_000 })).toThrow(
      /maxMappings/,
    );
    expect(() =>
      network.addNat(NAT_B, [B], {
        mapping: 'cone' as 'endpoint-independent',
        filtering: 'endpoint-independent',
      }),
    ).toThrow(/mapping/);
    expect(() => network.natStats(NAT_B)).toThrow(RangeError);
    expect(() => network.placeBehindNat(B, NAT_B)).toThrow(/no NAT/);
    expect(() => network.placeBehindNat(NAT_A, NAT_A)).toThrow(/public address/);
    network.bind(SERVER, 7000);
    expect(() => network.addNat(SERVER, [B], NAT_PRESETS.fullCone)).toThrow(/bound/);
    // None of the failed calls left a NAT behind.
    network.addNat(NAT_B, [B], NAT_PRESETS.fullCone);
  });

  it('refuses to bind on a NAT public address, as the NAT owns its ports', () => {
    const { network } = simulation();
    network.addNat(NAT_A, [A], NAT_PRESETS.fullCone);
    let err: unknown;
    try {
      network.bind(NAT_A, 5000);
    } catch (e) {
      err = e;
    }
    expect(isKithError(err, 'NET_BIND_FAILED')).toBe(true);
  });
});
