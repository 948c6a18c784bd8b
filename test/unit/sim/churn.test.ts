// Host churn in the virtual network: a down address sends and receives nothing, packets in flight
// to it are dropped when they arrive, its transports stay bound for when it comes back, and behind
// a NAT its mappings lapse by timeout as usual (RFC 4787 §4.3), as a node that loses power does in
// the overlay (docs/overlay-protocol.md "Keepalive": its links are dropped after 30 s of silence).
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { isKithError } from '../../../src/errors.js';
import type { Endpoint } from '../../../src/net/transport.js';
import { uniformSource } from '../../../src/sim/uniform.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import {
  type LinkConditions,
  NAT_PRESETS,
  type SimTransport,
  type TrafficStats,
  VirtualNetwork,
} from '../../../src/sim/virtual-network.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
const C = '192.0.2.3';
const NAT = '203.0.113.1';
const PRIV = '10.1.0.2';
const PRIV2 = '10.1.0.3';

function simulation(seed = 'kith-churn', defaultLink: Partial<LinkConditions> = {}) {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock, rng: seededRng(utf8(seed)), defaultLink });
  return { clock, network };
}

function inbox(transport: SimTransport): string[] {
  const got: string[] = [];
  transport.onPacket((packet) => got.push(new TextDecoder().decode(packet)));
  return got;
}

function say(transport: SimTransport, text: string, to: Endpoint): void {
  transport.send(utf8(text), to);
}

function expectBalanced(stats: TrafficStats): void {
  const dropped = Object.values(stats.dropped).reduce((x, y) => x + y, 0);
  expect(stats.sent + stats.duplicated).toBe(stats.delivered + stats.lost + dropped);
}

describe('churn', () => {
  it('a down host neither receives nor sends, counted as down on each link', () => {
    const { clock, network } = simulation();
    const a = network.bind(A);
    const b = network.bind(B);
    const c = network.bind(C);
    const atA = inbox(a);
    const atB = inbox(b);
    const atC = inbox(c);
    network.setDown(B, true);
    expect(network.isDown(B)).toBe(true);
    expect(network.isDown(A)).toBe(false);
    say(a, 'to b', b.local);
    say(b, 'to a', a.local);
    say(a, 'to c', c.local);
    clock.runUntilIdle();
    expect(atA).toEqual([]);
    expect(atB).toEqual([]);
    expect(atC).toEqual(['to c']);
    expect(network.linkStats(A, B).dropped.down).toBe(1);
    expect(network.linkStats(B, A).dropped.down).toBe(1);
    expect(network.stats.dropped.down).toBe(2);
    expectBalanced(network.stats);
  });

  it('drops packets in flight to a host that goes down before they arrive, judged at arrival', () => {
    const { clock, network } = simulation('in-flight', { delayMs: 10 });
    const a = network.bind(A);
    const b = network.bind(B);
    const atB = inbox(b);
    say(a, 'lost in flight', b.local);
    clock.advance(5);
    network.setDown(B, true);
    clock.advance(10);
    say(a, 'arrives after recovery', b.local);
    clock.advance(5);
    network.setDown(B, false); // up again at 20; the packet sent at 15 arrives at 25
    clock.runUntilIdle();
    expect(atB).toEqual(['arrives after recovery']);
    expect(network.stats.dropped.down).toBe(1);
  });

  it('bringing a host up restores delivery both ways on the same, still bound transports', () => {
    const { clock, network } = simulation();
    const a = network.bind(A, 4000);
    const b = network.bind(B, 4000);
    const atA = inbox(a);
    const atB = inbox(b);
    network.setDown(B, true);
    say(a, 'while down', b.local);
    clock.runUntilIdle();
    // Still bound while down: the address and port are not free for anyone else.
    let err: unknown;
    try {
      network.bind(B, 4000);
    } catch (e) {
      err = e;
    }
    expect(isKithError(err, 'NET_BIND_FAILED')).toBe(true);
    network.setDown(B, false);
    expect(network.isDown(B)).toBe(false);
    say(a, 'after', b.local);
    say(b, 'back', a.local);
    clock.runUntilIdle();
    expect(atB).toEqual(['after']);
    expect(atA).toEqual(['back']);
    expect(b.local).toEqual({ address: B, port: 4000 });
    expect(network.stats.dropped.down).toBe(1);
  });

  it('behind a NAT: the mapping lapses while the host is down and comes back when it sends again', () => {
    const { clock, network } = simulation();
    network.addNat(NAT, [PRIV], NAT_PRESETS.portRestricted);
    const host = network.bind(PRIV, 5000);
    const server = network.bind(A, 7000);
    const atHost = inbox(host);
    const mapped = { address: NAT, port: 5000 };
    say(host, 'register', server.local);
    clock.advance(1_000);
    network.setDown(PRIV, true);
    say(server, 'mapping alive, host down', mapped);
    say(host, 'a down host sends nothing, so refreshes nothing', server.local);
    clock.advance(30_000);
    expect(network.natStats(NAT).mappings).toBe(0);
    say(server, 'mapping lapsed', mapped);
    clock.advance(1_000);
    network.setDown(PRIV, false);
    say(server, 'host up, mapping still gone', mapped);
    clock.advance(1_000);
    say(host, 'register again', server.local);
    clock.advance(1_000);
    say(server, 'welcome back', mapped);
    clock.runUntilIdle();
    expect(atHost).toEqual(['welcome back']);
    const stats = network.stats;
    expect(stats.dropped.down).toBe(2);
    expect(stats.dropped['nat-no-mapping']).toBe(2);
    expect(network.natStats(NAT)).toMatchObject({ mappings: 1, expired: 2 });
  });

  it('a NAT that is down passes nothing between its LAN and the outside; the LAN still works', () => {
    const { clock, network } = simulation();
    network.addNat(NAT, [PRIV, PRIV2], NAT_PRESETS.fullCone);
    const host = network.bind(PRIV, 5000);
    const neighbour = network.bind(PRIV2, 5000);
    const server = network.bind(A, 7000);
    const atHost = inbox(host);
    const atNeighbour = inbox(neighbour);
    const atServer = inbox(server);
    say(host, 'register', server.local);
    clock.runUntilIdle();
    network.setDown(NAT, true);
    say(host, 'out', server.local);
    say(server, 'in', { address: NAT, port: 5000 });
    say(host, 'lan', neighbour.local);
    clock.runUntilIdle();
    expect(atServer).toEqual(['register']);
    expect(atHost).toEqual([]);
    expect(atNeighbour).toEqual(['lan']);
    expect(network.stats.dropped.down).toBe(2);
    network.setDown(NAT, false);
    say(server, 'in again', { address: NAT, port: 5000 });
    clock.runUntilIdle();
    expect(atHost).toEqual(['in again']);
  });

  it('keeps every packet accounted for while hosts come and go', () => {
    const { clock, network } = simulation('churny', { delayMs: 30, jitterMs: 20, loss: 0.02 });
    const addresses = Array.from({ length: 20 }, (_, i) => `192.0.2.${i + 1}`);
    const hosts = addresses.map((address) => network.bind(address, 4000));
    let delivered = 0;
    for (const host of hosts) host.onPacket(() => (delivered += 1));
    const dice = uniformSource(seededRng(utf8('churn-dice')));
    const downAt = new Map<string, number>();
    for (let step = 0; step < 2_000; step++) {
      clock.schedule(step * 5, () => {
        const i = Math.floor(dice() * hosts.length);
        const j = Math.floor(dice() * hosts.length);
        const address = addresses[i] as string;
        if (dice() < 0.05) {
          const down = !network.isDown(address);
          network.setDown(address, down);
          if (down) downAt.set(address, step);
        }
        hosts[i]?.send(Uint8Array.of(step & 0xff), (hosts[j] as SimTransport).local);
      });
    }
    clock.runUntilIdle();
    const stats = network.stats;
    expectBalanced(stats);
    expect(stats.delivered).toBe(delivered);
    expect(stats.dropped.down).toBeGreaterThan(100);
    expect(delivered).toBeGreaterThan(500);
    expect(downAt.size).toBeGreaterThan(5);
  });

  it('rejects a bad address', () => {
    const { network } = simulation();
    expect(() => network.setDown('host-b', true)).toThrow(RangeError);
  });
});
