// The virtual network of a simulation: hosts bind Transports on addresses of their choosing and
// exchange packets over per-direction links with configurable delay, jitter, loss, duplication,
// reordering and bandwidth, all in the VirtualClock's time and all dice rolled from one seeded Rng,
// so the same seed and the same calls give the same deliveries, in the same order, at the same times.
//
// Protocol code sees only a Transport and cannot tell it from a UDP socket except by time: sends
// never throw and never deliver re-entrantly (delivery is always a later clock call), the sender's
// bytes are copied, receivers get their own plain Uint8Array, oversize packets vanish as on a real
// path MTU. A receive handler that throws propagates out of the clock's advance(), as an uncaught
// exception in a socket handler would crash the real process.
//
// Every packet takes the same two steps, which is where later models plug in: route() at send time
// (a NAT rewrites the source to its mapped public endpoint here: endpoint-independent or
// address/port-dependent mapping, i.e. cone versus symmetric) and arrive() at delivery time (the NAT
// filters and translates the destination back here: endpoint-independent, address-restricted or
// port-restricted filtering; churn drops packets to a host that is down here).
import { isIP } from 'node:net';
import type { Rng } from '../crypto/random.js';
import { KithError } from '../errors.js';
import {
  type Endpoint,
  endpointKey,
  MAX_PACKET_BYTES,
  type PacketHandler,
  type Transport,
} from '../net/transport.js';
import { checkConditions, Link, type LinkConditions, PERFECT_LINK } from './link.js';
import { addStats, type DropReason, emptyStats, type TrafficStats } from './traffic-stats.js';
import { uniformSource } from './uniform.js';
import type { VirtualClock } from './virtual-clock.js';

export type { LinkConditions } from './link.js';
export type { DropReason, TrafficStats } from './traffic-stats.js';

export interface VirtualNetworkOptions {
  clock: VirtualClock;
  /** Every random decision of the network comes from here (see uniformSource on sharing it). */
  rng: Rng;
  /** Conditions of every link not given its own with setLink; a perfect link if absent. */
  defaultLink?: Partial<LinkConditions>;
}

export interface SimTransport extends Transport {
  /**
   * Moves this transport to another address and port (auto-assigned if omitted), as a roaming device
   * or a NAT rebinding would: later packets come from there and are received there; packets in flight
   * to the old endpoint are dropped. Returns the new endpoint; throws if it is in use or the transport
   * is closed.
   */
  rebind(address: string, port?: number): Endpoint;
}

/** Sees every delivered packet just before its receiver does; must not modify it. */
export type DeliveryTap = (packet: Uint8Array, from: Endpoint, to: Endpoint) => void;

/** Ports handed out when bind() is given none: the IANA dynamic range, as an OS would. */
const EPHEMERAL_FIRST = 49152;
const PORT_MAX = 65535;

/** One bound transport; replaced `local` objects (never mutated) keep packets in flight correct. */
interface Host {
  local: Endpoint;
  handler: PacketHandler | undefined;
  closed: boolean;
}

export class VirtualNetwork {
  private readonly clock: VirtualClock;
  private readonly random: () => number;
  private readonly hosts = new Map<string, Host>();
  private readonly nextPort = new Map<string, number>();
  private defaultLink: LinkConditions;
  private readonly linkOverrides = new Map<string, Partial<LinkConditions>>();
  private readonly links = new Map<string, Link>();
  private readonly partitions = new Set<string>();
  private readonly taps = new Set<DeliveryTap>();

  constructor(options: VirtualNetworkOptions) {
    this.clock = options.clock;
    this.random = uniformSource(options.rng);
    this.defaultLink = PERFECT_LINK;
    this.setDefaultLink(options.defaultLink ?? {});
  }

  /**
   * A transport receiving at `address`:`port`; port 0 or omitted picks a free ephemeral port. Throws
   * KithError NET_BIND_FAILED if the endpoint is in use, as the UDP transport does.
   */
  bind(address: string, port?: number): SimTransport {
    const host: Host = { local: this.claim(address, port), handler: undefined, closed: false };
    this.hosts.set(endpointKey(host.local), host);
    return {
      get local() {
        return { ...host.local };
      },
      send: (packet, to) => this.route(host, packet, { address: to.address, port: to.port }),
      onPacket: (handler) => {
        host.handler = handler;
      },
      close: () => {
        if (host.closed) return;
        host.closed = true;
        this.hosts.delete(endpointKey(host.local));
      },
      rebind: (newAddress, newPort) => {
        if (host.closed) throw new Error('rebind: the transport is closed');
        const next = this.claim(newAddress, newPort);
        this.hosts.delete(endpointKey(host.local));
        host.local = next;
        this.hosts.set(endpointKey(next), host);
        return { ...next };
      },
    };
  }

  /** Sets the conditions of every link without its own; fields left out are perfect (0). */
  setDefaultLink(conditions: Partial<LinkConditions>): void {
    const merged = { ...PERFECT_LINK, ...conditions };
    checkConditions(merged);
    this.defaultLink = merged;
  }

  /**
   * Sets the conditions from one address to another (that direction only); fields left out follow
   * the default link, now and after later setDefaultLink calls. `{}` returns the link to the default.
   */
  setLink(fromAddress: string, toAddress: string, conditions: Partial<LinkConditions>): void {
    checkConditions({ ...this.defaultLink, ...conditions });
    this.linkOverrides.set(linkKey(checkAddress(fromAddress), checkAddress(toAddress)), { ...conditions });
  }

  /** Cuts both directions between two addresses, packets in flight included, until heal(). */
  partition(a: string, b: string): void {
    this.partitions.add(pairKey(checkAddress(a), checkAddress(b)));
  }

  heal(a: string, b: string): void {
    this.partitions.delete(pairKey(checkAddress(a), checkAddress(b)));
  }

  /** Adds a tap that sees every delivered packet; returns the function that removes it. */
  onDeliver(tap: DeliveryTap): () => void {
    // Wrapped so that one function added twice is two taps, each removed by its own remover.
    const own: DeliveryTap = (packet, from, to) => tap(packet, from, to);
    this.taps.add(own);
    return () => this.taps.delete(own);
  }

  /** Totals over every link so far (a snapshot). */
  get stats(): TrafficStats {
    const total = emptyStats();
    for (const link of this.links.values()) addStats(total, link.stats);
    return total;
  }

  /** The counters of the link from one address to another (a snapshot; zeros if never used). */
  linkStats(fromAddress: string, toAddress: string): TrafficStats {
    const link = this.links.get(linkKey(fromAddress, toAddress));
    return addStats(emptyStats(), link?.stats ?? emptyStats());
  }

  /** The send-time step every packet takes (see the file comment for what plugs in here). */
  private route(host: Host, packet: Uint8Array, to: Endpoint): void {
    const from = host.local;
    const link = this.link(from.address, to.address);
    link.stats.sent += 1;
    link.stats.bytesSent += packet.length;
    if (host.closed) return drop(link, 'closed');
    if (packet.length > MAX_PACKET_BYTES) return drop(link, 'oversize');
    if (this.partitions.has(pairKey(from.address, to.address))) return drop(link, 'partition');
    const conditions = this.conditions(from.address, to.address);
    for (const at of link.transmit(packet.length, this.clock.now(), conditions, this.random)) {
      // Each copy is its own: the sender may reuse its buffer, and a receiver that decrypts in place
      // must not corrupt a duplicate still in flight. new Uint8Array() copies, even from a Buffer.
      const copy = new Uint8Array(packet);
      this.clock.scheduleAt(at, () => this.arrive(link, copy, from, to));
    }
  }

  /** The delivery-time step every packet takes (see the file comment for what plugs in here). */
  private arrive(link: Link, packet: Uint8Array, from: Endpoint, to: Endpoint): void {
    if (this.partitions.has(pairKey(from.address, to.address))) return drop(link, 'partition');
    const host = this.hosts.get(endpointKey(to));
    if (host?.handler === undefined) return drop(link, 'unbound');
    link.stats.delivered += 1;
    link.stats.bytesDelivered += packet.length;
    for (const tap of this.taps) tap(packet, { ...from }, { ...to });
    host.handler(packet, { ...from });
  }

  private conditions(fromAddress: string, toAddress: string): LinkConditions {
    const override = this.linkOverrides.get(linkKey(fromAddress, toAddress));
    return override === undefined ? this.defaultLink : { ...this.defaultLink, ...override };
  }

  private link(fromAddress: string, toAddress: string): Link {
    const key = linkKey(fromAddress, toAddress);
    let link = this.links.get(key);
    if (link === undefined) {
      link = new Link();
      this.links.set(key, link);
    }
    return link;
  }

  /** Checks `address`:`port` is free (choosing a port if none is given) and returns the endpoint. */
  private claim(address: string, port: number | undefined): Endpoint {
    checkAddress(address);
    if (port === undefined || port === 0) return { address, port: this.freePort(address) };
    if (!(Number.isInteger(port) && port > 0 && port <= PORT_MAX)) {
      throw new RangeError(`bind: port must be an integer in 1..${PORT_MAX}, got ${port}`);
    }
    if (this.hosts.has(endpointKey({ address, port }))) {
      throw new KithError('NET_BIND_FAILED', `cannot bind UDP ${address}:${port}: the port is in use`);
    }
    return { address, port };
  }

  /** The next free ephemeral port of `address`, in turn, so runs repeat. */
  private freePort(address: string): number {
    const first = this.nextPort.get(address) ?? EPHEMERAL_FIRST;
    let port = first;
    while (this.hosts.has(endpointKey({ address, port }))) {
      port = port === PORT_MAX ? EPHEMERAL_FIRST : port + 1;
      if (port === first) {
        throw new KithError('NET_BIND_FAILED', `cannot bind UDP ${address}: no ephemeral port is free`);
      }
    }
    this.nextPort.set(address, port === PORT_MAX ? EPHEMERAL_FIRST : port + 1);
    return port;
  }
}

function drop(link: Link, reason: DropReason): void {
  link.stats.dropped[reason] += 1;
}

function checkAddress(address: string): string {
  // Addresses are compared as written, so tests should use one spelling (canonical IPv6).
  if (isIP(address) === 0) throw new RangeError(`not an IPv4 or IPv6 address: ${JSON.stringify(address)}`);
  return address;
}

/** One direction between two addresses (addresses contain no spaces). */
function linkKey(fromAddress: string, toAddress: string): string {
  return `${fromAddress} ${toAddress}`;
}

/** Both directions between two addresses. */
function pairKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}
