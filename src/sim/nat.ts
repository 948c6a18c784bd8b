// The translation table of one NAT in the virtual network, in the terms of RFC 4787 (NAT Behavioral
// Requirements for Unicast UDP): how a private endpoint is mapped to a public port (§4.1), which
// inbound packets that mapping lets through (§5), when it lapses (§4.3) and whether packets from
// the LAN to the NAT's own public address are turned back in (§6). The overlay's hole punching
// (docs/overlay-protocol.md "INVITE" and PUNCH) succeeds or fails by exactly these rules, so the
// simulation needs them to tell which calls open a direct path and which need the relay.
//
// Pure logic given a clock time: VirtualNetwork calls outbound() at send time and inbound() at
// delivery time, passing its clock's now(). Nothing here schedules anything; a mapping lapses when
// it is next looked at, so an idle NAT costs nothing.
import type { Endpoint } from '../net/transport.js';
import { endpointKey } from '../net/transport.js';

/** RFC 4787 §4.1: what a mapping is reused for. */
export type NatMapping = 'endpoint-independent' | 'address-dependent' | 'address-port-dependent';

/** RFC 4787 §5: which remote endpoints may send in through a mapping. */
export type NatFiltering = 'endpoint-independent' | 'address-dependent' | 'address-port-dependent';

export interface NatOptions {
  mapping: NatMapping;
  filtering: NatFiltering;
  /** Idle mapping timeout, default 30_000 ms (RFC 4787 REQ-5 says >= 2 min; many home routers use 30 s). */
  timeoutMs?: number;
  /** RFC 4787 §6: deliver packets from the LAN to the NAT's own public address; default false. */
  hairpin?: boolean;
  /**
   * RFC 4787 §4.3: whether inbound packets refresh the mapping too; default false (REQ-6 requires only
   * outbound refresh, and a NAT that refreshed on inbound could be held open from outside).
   */
  inboundRefresh?: boolean;
  /**
   * Most mappings kept (the oldest idle one is evicted to make room), and most remote endpoints each
   * mapping remembers for filtering; default 4096. At most PUBLIC_PORT_COUNT.
   */
  maxMappings?: number;
}

export type NatPreset = 'fullCone' | 'addressRestricted' | 'portRestricted' | 'symmetric';

/**
 * The four classic types, named as in RFC 3489 §5, as RFC 4787 behaviours (RFC 4787 §3 explains why
 * the old names are not enough on their own: they describe mapping and filtering together).
 */
export const NAT_PRESETS: Readonly<Record<NatPreset, Readonly<NatOptions>>> = Object.freeze({
  fullCone: Object.freeze({ mapping: 'endpoint-independent', filtering: 'endpoint-independent' }),
  addressRestricted: Object.freeze({ mapping: 'endpoint-independent', filtering: 'address-dependent' }),
  portRestricted: Object.freeze({ mapping: 'endpoint-independent', filtering: 'address-port-dependent' }),
  symmetric: Object.freeze({ mapping: 'address-port-dependent', filtering: 'address-port-dependent' }),
});

/** Why inbound() refused a packet; 'expired' is a mapping that existed but lapsed (§4.3). */
export type NatRefusal = 'filtered' | 'no-mapping' | 'expired';

export interface NatStats {
  /** Mappings alive now (not lapsed). */
  mappings: number;
  /** Remote endpoints remembered for filtering, over all mappings, lapsed ones included. */
  permissions: number;
  /** Packets refused by filtering (§5), hairpin packets refused (§6) included. */
  filtered: number;
  /** Packets to a public port with no mapping. */
  noMapping: number;
  /** Packets to a public port whose mapping had lapsed (§4.3). */
  expired: number;
}

export const DEFAULT_NAT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_MAPPINGS = 4096;
/** Ports handed out when the private port cannot be kept: everything above the well-known range. */
const PUBLIC_PORT_FIRST = 1024;
export const PUBLIC_PORT_COUNT = 65536 - PUBLIC_PORT_FIRST;
/** Random picks before falling back to a scan; only a nearly full port space needs the scan. */
const RANDOM_PICKS = 32;

interface Mapping {
  readonly key: string;
  readonly privateEndpoint: Endpoint;
  readonly publicEndpoint: Endpoint;
  /** Last refresh (§4.3): outbound always, inbound only with inboundRefresh. */
  lastUsed: number;
  /**
   * Remote address (address-dependent) or endpoint key (address-port-dependent) -> last outbound
   * time to it; undefined for endpoint-independent filtering, which needs no memory. Kept in
   * least-recently-refreshed order, so the first entry is the one to forget when full.
   */
  readonly permits: Map<string, number> | undefined;
}

export class Nat {
  readonly publicAddress: string;
  readonly mapping: NatMapping;
  readonly filtering: NatFiltering;
  readonly timeoutMs: number;
  readonly hairpin: boolean;
  readonly inboundRefresh: boolean;
  readonly maxMappings: number;
  private readonly random: () => number;
  /** By mapping key, least recently refreshed first: the first entry is the oldest idle one. */
  private readonly mappings = new Map<string, Mapping>();
  private readonly byPort = new Map<number, Mapping>();
  private filtered = 0;
  private noMapping = 0;
  private expired = 0;

  /** `random` gives uniform numbers in [0, 1) (the network's dice), for choosing public ports. */
  constructor(publicAddress: string, options: NatOptions, random: () => number) {
    this.publicAddress = publicAddress;
    this.mapping = checkBehaviour('mapping', options.mapping);
    this.filtering = checkBehaviour('filtering', options.filtering);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_NAT_TIMEOUT_MS;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs > 0)) {
      throw new RangeError(`NAT timeoutMs must be a finite number > 0, got ${options.timeoutMs}`);
    }
    this.maxMappings = options.maxMappings ?? DEFAULT_MAX_MAPPINGS;
    if (!(
      Number.isInteger(this.maxMappings) &&
      this.maxMappings >= 1 &&
      this.maxMappings <= PUBLIC_PORT_COUNT
    )) {
      throw new RangeError(
        `NAT maxMappings must be an integer in 1..${PUBLIC_PORT_COUNT}, got ${options.maxMappings}`,
      );
    }
    this.hairpin = options.hairpin ?? false;
    this.inboundRefresh = options.inboundRefresh ?? false;
    this.random = random;
  }

  /**
   * A packet from the private endpoint `from` to `to` leaves the NAT: returns the public endpoint it
   * leaves from, creating or refreshing the mapping (§4.1, §4.3) and remembering `to` for filtering
   * (§5), or 'filtered' for a packet to the NAT's own public address without hairpinning (§6).
   * The returned endpoint belongs to the mapping and must not be modified.
   */
  outbound(from: Endpoint, to: Endpoint, now: number): Endpoint | 'filtered' {
    if (to.address === this.publicAddress && !this.hairpin) {
      this.filtered += 1;
      return 'filtered';
    }
    const key = this.mappingKey(from, to);
    let mapping = this.mappings.get(key);
    if (mapping !== undefined && now - mapping.lastUsed >= this.timeoutMs) {
      // §4.3: a lapsed mapping is gone; the next packet makes a new one (a new port, unless kept).
      this.remove(mapping);
      mapping = undefined;
    }
    if (mapping === undefined) mapping = this.create(key, from, now);
    else this.refresh(mapping, now);
    if (mapping.permits !== undefined) {
      touch(
        mapping.permits,
        this.filtering === 'address-dependent' ? to.address : endpointKey(to),
        now,
        this.maxMappings,
      );
    }
    return mapping.publicEndpoint;
  }

  /**
   * A packet from `from` arrives at the NAT's public `port`: returns the private endpoint to deliver
   * it to, or why it is refused (§5 filtering, §4.3 lapse). The returned endpoint belongs to the
   * mapping and must not be modified.
   */
  inbound(from: Endpoint, port: number, now: number): Endpoint | NatRefusal {
    const mapping = this.byPort.get(port);
    if (mapping === undefined) {
      this.noMapping += 1;
      return 'no-mapping';
    }
    // A lapsed mapping stays in the table until its port or slot is needed, so every packet to it
    // counts as expired rather than only the first.
    if (now - mapping.lastUsed >= this.timeoutMs) {
      this.expired += 1;
      return 'expired';
    }
    if (mapping.permits !== undefined) {
      // RFC 4787 §5: address-dependent filtering admits any port of an address sent to;
      // address-and-port-dependent only the exact endpoint.
      const remote = this.filtering === 'address-dependent' ? from.address : endpointKey(from);
      const since = mapping.permits.get(remote);
      if (since === undefined || now - since >= this.timeoutMs) {
        this.filtered += 1;
        return 'filtered';
      }
      if (this.inboundRefresh) touch(mapping.permits, remote, now, this.maxMappings);
    }
    if (this.inboundRefresh) this.refresh(mapping, now);
    return mapping.privateEndpoint;
  }

  /** Counts as a snapshot; `mappings` walks the table (for tests and reports, not per packet). */
  stats(now: number): NatStats {
    let mappings = 0;
    let permissions = 0;
    for (const mapping of this.mappings.values()) {
      if (now - mapping.lastUsed < this.timeoutMs) mappings += 1;
      permissions += mapping.permits?.size ?? 0;
    }
    return {
      mappings,
      permissions,
      filtered: this.filtered,
      noMapping: this.noMapping,
      expired: this.expired,
    };
  }

  /** §4.1: which mapping a packet uses is keyed by the private endpoint plus what the policy adds. */
  private mappingKey(from: Endpoint, to: Endpoint): string {
    const own = endpointKey(from);
    if (this.mapping === 'endpoint-independent') return own;
    return this.mapping === 'address-dependent' ? `${own} ${to.address}` : `${own} ${endpointKey(to)}`;
  }

  private create(key: string, from: Endpoint, now: number): Mapping {
    if (this.mappings.size >= this.maxMappings) {
      const oldest = this.mappings.values().next().value;
      if (oldest !== undefined) this.remove(oldest);
    }
    const port = this.choosePort(from.port, now);
    const mapping: Mapping = {
      key,
      privateEndpoint: { address: from.address, port: from.port },
      publicEndpoint: { address: this.publicAddress, port },
      lastUsed: now,
      permits: this.filtering === 'endpoint-independent' ? undefined : new Map(),
    };
    this.mappings.set(key, mapping);
    this.byPort.set(port, mapping);
    return mapping;
  }

  /**
   * Cone mappings keep the private port when it is free, as Linux masquerading does; symmetric ones
   * take a fresh random port for every mapping (what makes them unpredictable to a peer, §4.1).
   */
  private choosePort(privatePort: number, now: number): number {
    if (this.mapping !== 'address-port-dependent' && this.portFree(privatePort, now)) return privatePort;
    for (let i = 0; i < RANDOM_PICKS; i++) {
      const port = PUBLIC_PORT_FIRST + Math.floor(this.random() * PUBLIC_PORT_COUNT);
      if (this.portFree(port, now)) return port;
    }
    // Nearly every port is taken: walk from a random one. create() evicted down to fewer than
    // maxMappings <= PUBLIC_PORT_COUNT mappings, so one port in the range is free.
    const start = Math.floor(this.random() * PUBLIC_PORT_COUNT);
    for (let i = 0; i < PUBLIC_PORT_COUNT; i++) {
      const port = PUBLIC_PORT_FIRST + ((start + i) % PUBLIC_PORT_COUNT);
      if (this.portFree(port, now)) return port;
    }
    throw new Error('NAT: no public port is free (unreachable: the table is bounded below the port count)');
  }

  /** Free, or held by a lapsed mapping, which is then removed so the port can be reused. */
  private portFree(port: number, now: number): boolean {
    const holder = this.byPort.get(port);
    if (holder === undefined) return true;
    if (now - holder.lastUsed < this.timeoutMs) return false;
    this.remove(holder);
    return true;
  }

  private refresh(mapping: Mapping, now: number): void {
    if (mapping.lastUsed === now) return;
    mapping.lastUsed = now;
    // Re-inserting moves it to the end: the table stays in least-recently-refreshed order.
    this.mappings.delete(mapping.key);
    this.mappings.set(mapping.key, mapping);
  }

  private remove(mapping: Mapping): void {
    this.mappings.delete(mapping.key);
    if (this.byPort.get(mapping.publicEndpoint.port) === mapping)
      this.byPort.delete(mapping.publicEndpoint.port);
  }
}

/** Records `remote` as sent to at `now`, keeping the map in refresh order and within `max` entries. */
function touch(permits: Map<string, number>, remote: string, now: number, max: number): void {
  const since = permits.get(remote);
  if (since === now) return;
  if (since !== undefined) permits.delete(remote);
  else if (permits.size >= max) {
    const oldest = permits.keys().next().value;
    if (oldest !== undefined) permits.delete(oldest);
  }
  permits.set(remote, now);
}

const BEHAVIOURS: readonly string[] = ['endpoint-independent', 'address-dependent', 'address-port-dependent'];

function checkBehaviour<T extends NatMapping>(what: 'mapping' | 'filtering', value: T): T {
  if (!BEHAVIOURS.includes(value))
    throw new RangeError(`NAT ${what} must be one of ${BEHAVIOURS.join(', ')}, got ${String(value)}`);
  return value;
}
