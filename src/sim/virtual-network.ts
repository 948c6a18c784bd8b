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
// Every packet takes the same two steps: route() at send time (a NAT rewrites the source to its
// mapped public endpoint here: endpoint-independent or address/port-dependent mapping, i.e. cone
// versus symmetric, RFC 4787 §4.1) and arrive() at delivery time (the NAT filters and translates the
// destination back here: endpoint-independent, address-restricted or port-restricted filtering,
// RFC 4787 §5; churn drops packets to a host that is down here). The NAT's table itself is nat.ts.
// Receivers see the translated source, exactly as a real host behind or beyond a NAT would, which is
// what the overlay's PONG and HELLO_ACK report back as the "observed public endpoint"
// (docs/overlay-protocol.md "Keepalive").
//
// Addresses behind a NAT are private: reachable only from behind the same NAT (a LAN, where packets
// go direct), never from outside (RFC 1918 §3), so a LAN candidate of a peer elsewhere fails as it
// would. With no NAT and no host down, the extra cost per packet is two size checks.
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
import { Nat, type NatOptions, type NatStats } from './nat.js';
import { addStats, type DropReason, emptyStats, type TrafficStats } from './traffic-stats.js';
import { uniformSource } from './uniform.js';
import type { VirtualClock } from './virtual-clock.js';

export type { LinkConditions } from './link.js';
export type { DropReason, TrafficStats } from './traffic-stats.js';
export { NAT_PRESETS, type NatFiltering, type NatMapping, type NatOptions, type NatStats } from './nat.js';

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
  private readonly natByPublic = new Map<string, Nat>();
  private readonly natOfPrivate = new Map<string, Nat>();
  private readonly down = new Set<string>();

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

  /**
   * Puts a NAT with public address `publicAddress` in front of `privateAddresses` (e.g. 10.1.0.2).
   * Packets between two addresses behind the same NAT go direct (a LAN). Nothing may be bound on the
   * public address (the NAT owns every port there), and NATs do not chain: the public address must
   * not itself be behind a NAT. Throws RangeError on any of these, changing nothing.
   */
  addNat(publicAddress: string, privateAddresses: string[], options: NatOptions): void {
    checkAddress(publicAddress);
    if (this.natByPublic.has(publicAddress))
      throw new RangeError(`addNat: ${publicAddress} is already a NAT`);
    if (this.natOfPrivate.has(publicAddress)) {
      throw new RangeError(`addNat: ${publicAddress} is behind a NAT (NATs in a chain are not modelled)`);
    }
    for (const host of this.hosts.values()) {
      if (host.local.address === publicAddress) {
        throw new RangeError(`addNat: ${endpointKey(host.local)} is bound on the NAT's public address`);
      }
    }
    for (const address of privateAddresses) this.checkPrivate(address, publicAddress);
    if (new Set(privateAddresses).size !== privateAddresses.length) {
      throw new RangeError('addNat: a private address is listed twice');
    }
    const nat = new Nat(publicAddress, options, this.random);
    this.natByPublic.set(publicAddress, nat);
    for (const address of privateAddresses) this.natOfPrivate.set(address, nat);
  }

  /**
   * Moves one more private address behind an existing NAT (for hosts added later, or a device that
   * changes networks: its mappings in the old NAT lapse by timeout).
   */
  placeBehindNat(privateAddress: string, publicAddress: string): void {
    const nat = this.natByPublic.get(checkAddress(publicAddress));
    if (nat === undefined) throw new RangeError(`placeBehindNat: no NAT has public address ${publicAddress}`);
    checkAddress(privateAddress);
    if (this.natByPublic.has(privateAddress)) {
      throw new RangeError(`placeBehindNat: ${privateAddress} is a NAT's public address (NATs do not chain)`);
    }
    this.natOfPrivate.set(privateAddress, nat);
  }

  /**
   * The NAT's mappings alive now and its refusals by reason, for tests and `kith status`-like reports
   * (a snapshot; counting mappings walks the NAT's table).
   */
  natStats(publicAddress: string): NatStats {
    const nat = this.natByPublic.get(publicAddress);
    if (nat === undefined) throw new RangeError(`natStats: no NAT has public address ${publicAddress}`);
    return nat.stats(this.clock.now());
  }

  /**
   * Churn: a down address sends nothing and receives nothing (packets in flight to it are dropped at
   * arrival) until brought up again; its bound transports stay bound (a host that lost power and comes
   * back with the same address), and its NAT mappings lapse by timeout as usual. A NAT's public
   * address down passes nothing between its LAN and the outside (the LAN itself still works).
   */
  setDown(address: string, down: boolean): void {
    checkAddress(address);
    if (down) this.down.add(address);
    else this.down.delete(address);
  }

  isDown(address: string): boolean {
    return this.down.has(address);
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

  /** The send-time step every packet takes: churn, NAT source translation, then the link. */
  private route(host: Host, packet: Uint8Array, to: Endpoint): void {
    const local = host.local;
    let nat: Nat | undefined;
    let farNat: Nat | undefined;
    if (this.natOfPrivate.size > 0) {
      nat = this.natOfPrivate.get(local.address);
      farNat = this.natOfPrivate.get(to.address);
    }
    // The NAT the packet goes out through: none for a LAN packet (both ends behind the same NAT).
    const via = nat !== undefined && farNat !== nat ? nat : undefined;
    // A packet through a NAT takes the link from the NAT's public address: that is the path the
    // outside sees, so its conditions are the home's uplink and beyond, every host behind the NAT
    // shares it (and its bandwidth queue) as they share a real access link, and replies take the
    // other direction of the same pair, which the remote sender picks without knowing of the NAT.
    // A hairpinned packet (to the NAT's own public address) thus takes link(public, public).
    const link = this.link(via === undefined ? local.address : via.publicAddress, to.address);
    link.stats.sent += 1;
    link.stats.bytesSent += packet.length;
    if (host.closed) return drop(link, 'closed');
    if (packet.length > MAX_PACKET_BYTES) return drop(link, 'oversize');
    if (
      this.down.size > 0 &&
      (this.down.has(local.address) || (via !== undefined && this.down.has(via.publicAddress)))
    ) {
      return drop(link, 'down');
    }
    let from = local;
    if (via !== undefined) {
      // The NAT maps before the internet can lose the packet, so a lost or unroutable packet still
      // makes or refreshes a mapping, as on a real path.
      const mapped = via.outbound(local, to, this.clock.now());
      if (mapped === 'filtered') return drop(link, 'nat-filtered');
      from = mapped;
    }
    if (farNat !== undefined && farNat !== nat) return drop(link, 'unroutable');
    if (this.partitions.has(pairKey(from.address, to.address))) return drop(link, 'partition');
    const conditions = this.conditions(from.address, to.address);
    for (const at of link.transmit(packet.length, this.clock.now(), conditions, this.random)) {
      // Each copy is its own: the sender may reuse its buffer, and a receiver that decrypts in place
      // must not corrupt a duplicate still in flight. new Uint8Array() copies, even from a Buffer.
      const copy = new Uint8Array(packet);
      this.clock.scheduleAt(at, () => this.arrive(link, copy, from, to));
    }
  }

  /**
   * The delivery-time step every packet takes: NAT filtering and destination translation, churn,
   * then the receiver. `from` and `to` are the addresses on the wire (after any source translation).
   * Taps see the receiver's own endpoint as `to` (after destination translation).
   */
  private arrive(link: Link, packet: Uint8Array, from: Endpoint, to: Endpoint): void {
    if (this.partitions.has(pairKey(from.address, to.address))) return drop(link, 'partition');
    let dest = to;
    const nat = this.natByPublic.size === 0 ? undefined : this.natByPublic.get(to.address);
    if (nat !== undefined) {
      if (this.down.size > 0 && this.down.has(nat.publicAddress)) return drop(link, 'down');
      const inner = nat.inbound(from, to.port, this.clock.now());
      if (typeof inner === 'string')
        return drop(link, inner === 'filtered' ? 'nat-filtered' : 'nat-no-mapping');
      dest = inner;
    }
    if (this.down.size > 0 && this.down.has(dest.address)) return drop(link, 'down');
    const host = this.hosts.get(endpointKey(dest));
    if (host?.handler === undefined) return drop(link, 'unbound');
    link.stats.delivered += 1;
    link.stats.bytesDelivered += packet.length;
    for (const tap of this.taps) tap(packet, { ...from }, { ...dest });
    host.handler(packet, { ...from });
  }

  /** Throws unless `address` may be placed behind the NAT at `publicAddress`. */
  private checkPrivate(address: string, publicAddress: string): void {
    checkAddress(address);
    if (address === publicAddress || this.natByPublic.has(address)) {
      throw new RangeError(`${address} is a NAT's public address and cannot be behind a NAT`);
    }
    const current = this.natOfPrivate.get(address);
    if (current !== undefined) {
      throw new RangeError(`${address} is already behind the NAT at ${current.publicAddress}`);
    }
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
    if (this.natByPublic.has(address)) {
      // The NAT owns every port of its public address, as a real router does.
      throw new KithError('NET_BIND_FAILED', `cannot bind UDP on ${address}: it is a NAT's public address`);
    }
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
