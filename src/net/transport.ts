// The packet transport that protocol code is given (DESIGN §1): a real UDP socket on the device,
// a link of the virtual network in simulations. Datagram semantics: a packet may be lost,
// duplicated, delayed or reordered, and it arrives whole or not at all.
import { isIPv4, isIPv6 } from 'node:net';
import { KithError } from '../errors.js';

export interface Endpoint {
  /** An IPv4 or IPv6 address in text form. */
  address: string;
  port: number;
}

export type PacketHandler = (packet: Uint8Array, from: Endpoint) => void;

export interface Transport {
  /** Where this transport receives (the bound address and port). */
  readonly local: Endpoint;
  /** Sends one packet; never throws for network reasons (a failed send is a lost packet). */
  send(packet: Uint8Array, to: Endpoint): void;
  /** Sets the one receiver of incoming packets. */
  onPacket(handler: PacketHandler): void;
  close(): void;
}

/** The largest packet Kith sends: fits the IPv6 minimum MTU (1280) with IP and UDP headers. */
export const MAX_PACKET_BYTES = 1200;

export function endpointKey(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.address === b.address;
}

/**
 * Parses "HOST:PORT" where HOST is an IPv4 address or a bracketed IPv6 address ("[::1]:4801").
 * Names are refused on purpose: resolving them would leak to a DNS server whom we call.
 */
export function parseEndpoint(text: string): Endpoint {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text.trim());
  const address = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (
    !m ||
    !address ||
    (m[1] !== undefined ? !isIPv6(address) : !isIPv4(address)) ||
    port < 1 ||
    port > 65535
  ) {
    throw new KithError(
      'NET_BAD_ENDPOINT',
      `"${text}" is not an endpoint; expected IPV4:PORT or [IPV6]:PORT, e.g. 192.0.2.7:4801 or [2001:db8::7]:4801`,
    );
  }
  return { address, port };
}
