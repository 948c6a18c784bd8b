// Every packet of the overlay (docs/overlay-protocol.md "Packets"; DESIGN §3 "Overlay (DRP)"): the
// unlinked HELLO, HELLO_ACK and PUNCH, and the linked packets that travel inside a link's MAC.
// Like wire/channel.ts: a type byte, a version byte, big-endian integers, strict lengths.
// Decoders face attacker input, so they never throw: they return the name of the failure, which
// receivers count. Encoders throw RangeError, because a bad field there is a bug in the caller.
// Decoded fields are views into the packet, not copies.
import { isIPv4, isIPv6 } from 'node:net';
import { utf8 } from '../crypto/bytes.js';
import { type Endpoint, MAX_PACKET_BYTES } from '../net/transport.js';

export const OVERLAY_VERSION = 1;

export const OverlayType = {
  hello: 0x01,
  helloAck: 0x02,
  ping: 0x03,
  pong: 0x04,
  find: 0x05,
  findReply: 0x06,
  route: 0x07,
  hopAck: 0x08,
  punch: 0x09,
  relay: 0x0a,
  relayed: 0x0b,
  bye: 0x0c,
} as const;

export const ID_BYTES = 32;
export const ENDPOINT_BYTES = 19;
export const HELLO_BYTES = 152;
export const HELLO_ACK_BYTES = 187;
export const PUNCH_BYTES = 43;
export const LINK_HEADER_BYTES = 10;
export const LINK_MAC_BYTES = 16;
export const ROUTE_BODY_MAX = 900;
export const RELAY_PAYLOAD_MAX = 1100;
export const FIND_REPLY_MAX = 8;
export const MESSAGE_ID_BYTES = 8;
export const INVITE_ID_BYTES = 16;

// Sizes of fields the spec's tables fix; named here so the offsets below read as the tables do.
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const TIMESTAMP_BYTES = 8;
const POW_NONCE_BYTES = 8;
const PUNCH_NONCE_BYTES = 8;
const PUNCH_TAG_BYTES = 16;
const HASH_BYTES = 32;
/** Spec "Behaviour", Routing: TTL starts at 32. */
const ROUTE_TTL_MAX = 32;
const ROUTE_HEADER_BYTES = MESSAGE_ID_BYTES + 1 + 1 + ID_BYTES;
const FIND_REPLY_NODE_BYTES = ID_BYTES + ENDPOINT_BYTES;

export const RouteKind = { invite: 1, answer: 2, message: 3 } as const;
/** bit 2 "reachable": the sender accepts packets from anyone (no NAT in front of it, as far as it knows). */
export const HelloFlag = { entry: 1, relay: 2, reachable: 4 } as const;
export const PunchFlag = { caller: 1, reply: 2 } as const;

// Spec HELLO and HELLO_ACK: each signature covers a context string first, so a signature made for
// one message can never be replayed as the other (or as an INVITE, wire/invite.ts).
export const HELLO_SIGNATURE_CONTEXT: Uint8Array = utf8('kith hello v1\0');
export const HELLO_ACK_SIGNATURE_CONTEXT: Uint8Array = utf8('kith hello-ack v1\0');

/** Why a packet was not decoded; receivers count drops by these names. Never throw on input. */
export type OverlayDecodeFailure =
  'empty' | 'unknown-type' | 'bad-version' | 'bad-length' | 'bad-endpoint' | 'bad-field';

/** The spec: overlay types are 0x01-0x1f; 0x20 and up belong to the channel (wire/channel.ts). */
export function isOverlayPacket(packet: Uint8Array): boolean {
  const t = packet[0];
  return t !== undefined && t >= 0x01 && t <= 0x1f;
}

// ---- Endpoints (spec "Packets": family u8 4 or 6, 16 address bytes, port u16)

/**
 * The 19-byte endpoint. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket
 * reports for an IPv4 peer) is written as the IPv4 address it names, so each address has one wire
 * form. Throws RangeError on a non-IP address, a scoped IPv6 address (the scope means nothing to the
 * peer) or a port outside 1..65535.
 */
export function encodeEndpoint(e: Endpoint): Uint8Array {
  const bytes = new Uint8Array(ENDPOINT_BYTES);
  encodeEndpointInto(e, bytes, 0);
  return bytes;
}

function encodeEndpointInto(e: Endpoint, out: Uint8Array, at: number): void {
  const port = e.port;
  if (!Number.isInteger(port) || port < 1 || port > 0xffff)
    throw new RangeError(`endpoint port must be 1..65535, got ${port}`);
  const address = String(e.address);
  if (isIPv4(address)) {
    out[at] = 4;
    out.set(address.split('.').map(Number), at + 1);
  } else if (isIPv6(address) && !address.includes('%')) {
    const words = parseIPv6(address);
    const mapped = isIPv4Mapped(words);
    out[at] = mapped ? 4 : 6;
    words.slice(mapped ? 6 : 0).forEach((word, i) => {
      out[at + 1 + 2 * i] = word >> 8;
      out[at + 2 + 2 * i] = word & 0xff;
    });
  } else {
    throw new RangeError(`endpoint address must be an IPv4 or unscoped IPv6 address, got "${address}"`);
  }
  out[at + 17] = port >> 8;
  out[at + 18] = port & 0xff;
}

/**
 * The endpoint at `at`, or null when it is not one the spec allows: a family other than 4 or 6,
 * non-zero IPv4 padding, port 0, or an IPv4-mapped address sent as IPv6 (it has an IPv4 form).
 * IPv6 comes back in the text form the OS gives for a received packet (formatIPv6), so decoded
 * and observed endpoints compare equal as strings (net/transport.ts sameEndpoint).
 */
export function decodeEndpoint(bytes: Uint8Array, at: number): Endpoint | null {
  if (!Number.isInteger(at) || at < 0 || at + ENDPOINT_BYTES > bytes.length) return null;
  const port = ((bytes[at + 17] as number) << 8) | (bytes[at + 18] as number);
  if (port === 0) return null;
  const family = bytes[at];
  if (family === 4) {
    for (let i = at + 5; i < at + 17; i++) if (bytes[i] !== 0) return null;
    return { address: Array.from(bytes.subarray(at + 1, at + 5)).join('.'), port };
  }
  if (family !== 6) return null;
  const words = new Array<number>(8);
  for (let i = 0; i < 8; i++)
    words[i] = ((bytes[at + 1 + 2 * i] as number) << 8) | (bytes[at + 2 + 2 * i] as number);
  if (isIPv4Mapped(words)) return null;
  return { address: formatIPv6(words), port };
}

/** ::ffff:0:0/96 (RFC 4291 §2.5.5.2). */
function isIPv4Mapped(words: ArrayLike<number>): boolean {
  for (let i = 0; i < 5; i++) if (words[i] !== 0) return false;
  return words[5] === 0xffff;
}

/** The eight 16-bit groups of an address node:net's isIPv6 accepted (so the syntax is already valid). */
function parseIPv6(text: string): number[] {
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const gap = text.indexOf('::');
  if (gap < 0) return groups(text);
  const head = groups(text.slice(0, gap));
  const tail = groups(text.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * RFC 5952 §4 text (lowercase, no leading zeros, the longest run of two or more zero groups as
 * "::", the first on a tie), with the dotted tail that libuv's inet_ntop6, and so every address
 * node:dgram reports, uses for ::a.b.c.d and ::ffff:a.b.c.d. Written out because node:net's
 * SocketAddress, which gives the same text, costs about 3 µs per address.
 */
function formatIPv6(words: readonly number[]): string {
  let bestAt = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestAt = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestAt = -1;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (bestAt >= 0 && i >= bestAt && i < bestAt + bestLength) {
      if (i === bestAt) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && bestAt === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      const w6 = words[6] as number;
      const w7 = words[7] as number;
      return `${text}${w6 >> 8}.${w6 & 0xff}.${w7 >> 8}.${w7 & 0xff}`;
    }
    text += (words[i] as number).toString(16);
  }
  return bestAt >= 0 && bestAt + bestLength === 8 ? `${text}:` : text;
}

// ---- Unlinked packets (spec "Unlinked packets")

export interface HelloFields {
  senderId: Uint8Array;
  ephemeral: Uint8Array;
  timestamp: number;
  powNonce: Uint8Array;
  difficulty: number;
  flags: number;
  linkIndex: number;
}

export interface Hello extends HelloFields {
  type: typeof OverlayType.hello;
  signature: Uint8Array;
  /** Bytes 0..88, what the signature covers after HELLO_SIGNATURE_CONTEXT. */
  signed: Uint8Array;
}

export interface HelloAckFields {
  responderId: Uint8Array;
  ephemeral: Uint8Array;
  helloHash: Uint8Array;
  observed: Endpoint;
  linkIndex: number;
  minDifficulty: number;
  flags: number;
}

export interface HelloAck extends HelloAckFields {
  type: typeof OverlayType.helloAck;
  signature: Uint8Array;
  /** Bytes 0..123, what the signature covers after HELLO_ACK_SIGNATURE_CONTEXT. */
  signed: Uint8Array;
}

export interface Punch {
  type: typeof OverlayType.punch;
  inviteId: Uint8Array;
  flags: number;
  nonce: Uint8Array;
  tag: Uint8Array;
  /** Bytes 0..27, what the tag covers. */
  tagged: Uint8Array;
}

export type Unlinked = Hello | HelloAck | Punch;

const HELLO_SIGNED_BYTES = HELLO_BYTES - SIGNATURE_BYTES;
const HELLO_ACK_SIGNED_BYTES = HELLO_ACK_BYTES - SIGNATURE_BYTES;
const PUNCH_TAGGED_BYTES = PUNCH_BYTES - PUNCH_TAG_BYTES;

/** The 88 bytes of a HELLO the signature covers (after the context). */
export function helloSigned(f: HelloFields): Uint8Array {
  const { bytes, view } = start(OverlayType.hello, HELLO_SIGNED_BYTES);
  bytes.set(checkBytes('sender ID', f.senderId, ID_BYTES), 2);
  bytes.set(checkBytes('ephemeral key', f.ephemeral, KEY_BYTES), 34);
  writeTimestamp(view, 66, f.timestamp);
  bytes.set(checkBytes('proof-of-work nonce', f.powNonce, POW_NONCE_BYTES), 74);
  bytes[82] = checkUint('difficulty', f.difficulty, 0xff);
  bytes[83] = checkUint('flags', f.flags, 0xff);
  view.setUint32(84, checkUint('link index', f.linkIndex, 0xffffffff));
  return bytes;
}

export function encodeHello(f: HelloFields, signature: Uint8Array): Uint8Array {
  return withTail(helloSigned(f), checkBytes('signature', signature, SIGNATURE_BYTES));
}

/** The 123 bytes of a HELLO_ACK the signature covers (after the context). */
export function helloAckSigned(f: HelloAckFields): Uint8Array {
  const { bytes, view } = start(OverlayType.helloAck, HELLO_ACK_SIGNED_BYTES);
  bytes.set(checkBytes('responder ID', f.responderId, ID_BYTES), 2);
  bytes.set(checkBytes('ephemeral key', f.ephemeral, KEY_BYTES), 34);
  bytes.set(checkBytes('HELLO hash', f.helloHash, HASH_BYTES), 66);
  encodeEndpointInto(f.observed, bytes, 98);
  view.setUint32(117, checkUint('link index', f.linkIndex, 0xffffffff));
  bytes[121] = checkUint('minimum difficulty', f.minDifficulty, 0xff);
  bytes[122] = checkUint('flags', f.flags, 0xff);
  return bytes;
}

export function encodeHelloAck(f: HelloAckFields, signature: Uint8Array): Uint8Array {
  return withTail(helloAckSigned(f), checkBytes('signature', signature, SIGNATURE_BYTES));
}

/** A PUNCH; `tagFn` computes the 16-byte tag over bytes 0..27 (HMAC-BLAKE2s under the punch key). */
export function encodePunch(
  inviteId: Uint8Array,
  flags: number,
  nonce: Uint8Array,
  tagFn: (tagged: Uint8Array) => Uint8Array,
): Uint8Array {
  const { bytes } = start(OverlayType.punch, PUNCH_TAGGED_BYTES);
  bytes.set(checkBytes('invite ID', inviteId, INVITE_ID_BYTES), 2);
  bytes[18] = checkUint('flags', flags, 0xff);
  bytes.set(checkBytes('punch nonce', nonce, PUNCH_NONCE_BYTES), 19);
  return withTail(bytes, checkBytes('punch tag', tagFn(bytes), PUNCH_TAG_BYTES));
}

/** HELLO, HELLO_ACK or PUNCH (any other type is 'unknown-type' here); lengths are exact. */
export function decodeUnlinked(packet: Uint8Array): Unlinked | OverlayDecodeFailure {
  if (packet.length < 2) return 'empty';
  const type = packet[0];
  if (type !== OverlayType.hello && type !== OverlayType.helloAck && type !== OverlayType.punch)
    return 'unknown-type';
  if (packet[1] !== OVERLAY_VERSION) return 'bad-version';
  const view = viewOf(packet);
  switch (type) {
    case OverlayType.hello: {
      if (packet.length !== HELLO_BYTES) return 'bad-length';
      const timestamp = readTimestamp(view, 66);
      if (timestamp === null) return 'bad-field';
      return {
        type,
        senderId: packet.subarray(2, 34),
        ephemeral: packet.subarray(34, 66),
        timestamp,
        powNonce: packet.subarray(74, 82),
        difficulty: packet[82] as number,
        flags: packet[83] as number,
        linkIndex: view.getUint32(84),
        signature: packet.subarray(HELLO_SIGNED_BYTES),
        signed: packet.subarray(0, HELLO_SIGNED_BYTES),
      };
    }
    case OverlayType.helloAck: {
      if (packet.length !== HELLO_ACK_BYTES) return 'bad-length';
      const observed = decodeEndpoint(packet, 98);
      if (observed === null) return 'bad-endpoint';
      return {
        type,
        responderId: packet.subarray(2, 34),
        ephemeral: packet.subarray(34, 66),
        helloHash: packet.subarray(66, 98),
        observed,
        linkIndex: view.getUint32(117),
        minDifficulty: packet[121] as number,
        flags: packet[122] as number,
        signature: packet.subarray(HELLO_ACK_SIGNED_BYTES),
        signed: packet.subarray(0, HELLO_ACK_SIGNED_BYTES),
      };
    }
    default: {
      if (packet.length !== PUNCH_BYTES) return 'bad-length';
      return {
        type: OverlayType.punch,
        inviteId: packet.subarray(2, 18),
        flags: packet[18] as number,
        nonce: packet.subarray(19, 27),
        tag: packet.subarray(PUNCH_TAGGED_BYTES),
        tagged: packet.subarray(0, PUNCH_TAGGED_BYTES),
      };
    }
  }
}

// ---- Linked packets (spec "Linked packets")

/** Header (type, version, receiver link index u32, counter u32), body, 16-byte MAC over everything before it. */
export interface LinkedFrame {
  type: number;
  receiverIndex: number;
  counter: number;
  body: Uint8Array;
  macInput: Uint8Array;
  mac: Uint8Array;
}

function isLinkedType(type: number | undefined): type is number {
  return (
    type !== undefined &&
    ((type >= OverlayType.ping && type <= OverlayType.hopAck) ||
      (type >= OverlayType.relay && type <= OverlayType.bye))
  );
}

/** Splits a linked packet into header fields, body and MAC; does NOT verify the MAC. Views, no copies. */
export function decodeLinkedFrame(packet: Uint8Array): LinkedFrame | OverlayDecodeFailure {
  if (packet.length < 2) return 'empty';
  const type = packet[0];
  if (!isLinkedType(type)) return 'unknown-type';
  if (packet[1] !== OVERLAY_VERSION) return 'bad-version';
  if (packet.length < LINK_HEADER_BYTES + LINK_MAC_BYTES || packet.length > MAX_PACKET_BYTES)
    return 'bad-length';
  const view = viewOf(packet);
  const macAt = packet.length - LINK_MAC_BYTES;
  return {
    type,
    receiverIndex: view.getUint32(2),
    counter: view.getUint32(6),
    body: packet.subarray(LINK_HEADER_BYTES, macAt),
    macInput: packet.subarray(0, macAt),
    mac: packet.subarray(macAt),
  };
}

export type LinkedMessage =
  | { type: typeof OverlayType.ping; timestamp: number; flags: number; observed: Endpoint }
  | { type: typeof OverlayType.pong; timestamp: number; observed: Endpoint; flags: number }
  | { type: typeof OverlayType.find; requestId: number; target: Uint8Array }
  | { type: typeof OverlayType.findReply; requestId: number; nodes: { id: Uint8Array; endpoint: Endpoint }[] }
  | {
      type: typeof OverlayType.route;
      messageId: Uint8Array;
      ttl: number;
      kind: number;
      destination: Uint8Array;
      body: Uint8Array;
    }
  | { type: typeof OverlayType.hopAck; messageId: Uint8Array }
  | { type: typeof OverlayType.relay; destination: Uint8Array; payload: Uint8Array }
  | { type: typeof OverlayType.relayed; source: Uint8Array; payload: Uint8Array }
  | { type: typeof OverlayType.bye; reason: number };

/** The body of a linked packet whose MAC has been checked. Fixed sizes are exact; views, no copies. */
export function decodeLinkedBody(type: number, body: Uint8Array): LinkedMessage | OverlayDecodeFailure {
  const view = viewOf(body);
  switch (type) {
    // PING and PONG carry the sender's current flags (HELLO's): "reachable" is learnt after a
    // link exists, from the first reports of our address, so the link must be able to carry it.
    // Both report where the sender sees the other side, so the side that mostly answers (an
    // entry peer) learns its public address too.
    case OverlayType.ping: {
      if (body.length !== TIMESTAMP_BYTES + 1 + ENDPOINT_BYTES) return 'bad-length';
      const timestamp = readTimestamp(view, 0);
      if (timestamp === null) return 'bad-field';
      const observed = decodeEndpoint(body, TIMESTAMP_BYTES + 1);
      if (observed === null) return 'bad-endpoint';
      return { type, timestamp, flags: view.getUint8(TIMESTAMP_BYTES), observed };
    }
    case OverlayType.pong: {
      if (body.length !== TIMESTAMP_BYTES + ENDPOINT_BYTES + 1) return 'bad-length';
      const timestamp = readTimestamp(view, 0);
      if (timestamp === null) return 'bad-field';
      const observed = decodeEndpoint(body, TIMESTAMP_BYTES);
      if (observed === null) return 'bad-endpoint';
      return { type, timestamp, observed, flags: view.getUint8(TIMESTAMP_BYTES + ENDPOINT_BYTES) };
    }
    case OverlayType.find: {
      if (body.length !== 4 + ID_BYTES) return 'bad-length';
      return { type, requestId: view.getUint32(0), target: body.subarray(4) };
    }
    case OverlayType.findReply: {
      if (body.length < 5) return 'bad-length';
      const count = body[4] as number;
      if (count > FIND_REPLY_MAX) return 'bad-field';
      if (body.length !== 5 + count * FIND_REPLY_NODE_BYTES) return 'bad-length';
      const nodes: { id: Uint8Array; endpoint: Endpoint }[] = [];
      for (let i = 0, at = 5; i < count; i++, at += FIND_REPLY_NODE_BYTES) {
        const endpoint = decodeEndpoint(body, at + ID_BYTES);
        if (endpoint === null) return 'bad-endpoint';
        nodes.push({ id: body.subarray(at, at + ID_BYTES), endpoint });
      }
      return { type, requestId: view.getUint32(0), nodes };
    }
    case OverlayType.route: {
      if (body.length <= ROUTE_HEADER_BYTES || body.length > ROUTE_HEADER_BYTES + ROUTE_BODY_MAX)
        return 'bad-length';
      const ttl = body[8] as number;
      const kind = body[9] as number;
      if (ttl < 1 || ttl > ROUTE_TTL_MAX || !isRouteKind(kind)) return 'bad-field';
      return {
        type,
        messageId: body.subarray(0, MESSAGE_ID_BYTES),
        ttl,
        kind,
        destination: body.subarray(10, ROUTE_HEADER_BYTES),
        body: body.subarray(ROUTE_HEADER_BYTES),
      };
    }
    case OverlayType.hopAck: {
      if (body.length !== MESSAGE_ID_BYTES) return 'bad-length';
      return { type, messageId: body };
    }
    case OverlayType.relay:
    case OverlayType.relayed: {
      if (body.length <= ID_BYTES || body.length > ID_BYTES + RELAY_PAYLOAD_MAX) return 'bad-length';
      const id = body.subarray(0, ID_BYTES);
      const payload = body.subarray(ID_BYTES);
      return type === OverlayType.relay ? { type, destination: id, payload } : { type, source: id, payload };
    }
    case OverlayType.bye: {
      if (body.length !== 1) return 'bad-length';
      return { type, reason: body[0] as number };
    }
    default:
      return 'unknown-type';
  }
}

function isRouteKind(kind: number): boolean {
  return kind >= RouteKind.invite && kind <= RouteKind.message;
}

/** The body bytes of a linked message; throws RangeError on an out-of-range field. */
function encodeLinkedBody(m: LinkedMessage): Uint8Array {
  switch (m.type) {
    case OverlayType.ping: {
      const bytes = new Uint8Array(TIMESTAMP_BYTES + 1 + ENDPOINT_BYTES);
      writeTimestamp(viewOf(bytes), 0, m.timestamp);
      bytes[TIMESTAMP_BYTES] = checkUint('flags', m.flags, 0xff);
      encodeEndpointInto(m.observed, bytes, TIMESTAMP_BYTES + 1);
      return bytes;
    }
    case OverlayType.pong: {
      const bytes = new Uint8Array(TIMESTAMP_BYTES + ENDPOINT_BYTES + 1);
      writeTimestamp(viewOf(bytes), 0, m.timestamp);
      encodeEndpointInto(m.observed, bytes, TIMESTAMP_BYTES);
      bytes[TIMESTAMP_BYTES + ENDPOINT_BYTES] = checkUint('flags', m.flags, 0xff);
      return bytes;
    }
    case OverlayType.find: {
      const bytes = new Uint8Array(4 + ID_BYTES);
      viewOf(bytes).setUint32(0, checkUint('request ID', m.requestId, 0xffffffff));
      bytes.set(checkBytes('target ID', m.target, ID_BYTES), 4);
      return bytes;
    }
    case OverlayType.findReply: {
      if (m.nodes.length > FIND_REPLY_MAX)
        throw new RangeError(`FIND_REPLY carries at most ${FIND_REPLY_MAX} nodes, got ${m.nodes.length}`);
      const bytes = new Uint8Array(5 + m.nodes.length * FIND_REPLY_NODE_BYTES);
      viewOf(bytes).setUint32(0, checkUint('request ID', m.requestId, 0xffffffff));
      bytes[4] = m.nodes.length;
      m.nodes.forEach((node, i) => {
        const at = 5 + i * FIND_REPLY_NODE_BYTES;
        bytes.set(checkBytes('node ID', node.id, ID_BYTES), at);
        encodeEndpointInto(node.endpoint, bytes, at + ID_BYTES);
      });
      return bytes;
    }
    case OverlayType.route: {
      checkRange('ROUTE body', m.body.length, 1, ROUTE_BODY_MAX);
      if (m.ttl < 1 || m.ttl > ROUTE_TTL_MAX || !Number.isInteger(m.ttl))
        throw new RangeError(`TTL must be 1..${ROUTE_TTL_MAX}, got ${m.ttl}`);
      if (!Number.isInteger(m.kind) || !isRouteKind(m.kind))
        throw new RangeError(`ROUTE kind must be 1..3, got ${m.kind}`);
      const bytes = new Uint8Array(ROUTE_HEADER_BYTES + m.body.length);
      bytes.set(checkBytes('message ID', m.messageId, MESSAGE_ID_BYTES), 0);
      bytes[8] = m.ttl;
      bytes[9] = m.kind;
      bytes.set(checkBytes('destination ID', m.destination, ID_BYTES), 10);
      bytes.set(m.body, ROUTE_HEADER_BYTES);
      return bytes;
    }
    case OverlayType.hopAck:
      return checkBytes('message ID', m.messageId, MESSAGE_ID_BYTES).slice();
    case OverlayType.relay:
    case OverlayType.relayed: {
      checkRange('relayed payload', m.payload.length, 1, RELAY_PAYLOAD_MAX);
      const id = m.type === OverlayType.relay ? m.destination : m.source;
      const bytes = new Uint8Array(ID_BYTES + m.payload.length);
      bytes.set(checkBytes(m.type === OverlayType.relay ? 'destination ID' : 'source ID', id, ID_BYTES));
      bytes.set(m.payload, ID_BYTES);
      return bytes;
    }
    case OverlayType.bye:
      return Uint8Array.of(checkUint('BYE reason', m.reason, 0xff));
    default:
      throw new RangeError(`not a linked overlay message type: ${(m as { type: unknown }).type}`);
  }
}

/** A whole linked packet; `macFn` computes the 16-byte MAC over everything before it (the link's key). */
export function encodeLinked(
  message: LinkedMessage,
  receiverIndex: number,
  counter: number,
  macFn: (macInput: Uint8Array) => Uint8Array,
): Uint8Array {
  const body = encodeLinkedBody(message);
  const { bytes, view } = start(message.type, LINK_HEADER_BYTES + body.length);
  view.setUint32(2, checkUint('receiver index', receiverIndex, 0xffffffff));
  view.setUint32(6, checkUint('counter', counter, 0xffffffff));
  bytes.set(body, LINK_HEADER_BYTES);
  return withTail(bytes, checkBytes('link MAC', macFn(bytes), LINK_MAC_BYTES));
}

// ---- Helpers

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function start(type: number, length: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(length);
  bytes[0] = type;
  bytes[1] = OVERLAY_VERSION;
  return { bytes, view: viewOf(bytes) };
}

function withTail(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * A u64 millisecond timestamp as a JS number, or null when it exceeds 2^53 - 1: no honest clock
 * reads that (it is the year 285,000), and a larger value could not be compared exactly.
 */
function readTimestamp(view: DataView, at: number): number | null {
  const high = view.getUint32(at);
  if (high >= 0x200000) return null;
  return high * 2 ** 32 + view.getUint32(at + 4);
}

function writeTimestamp(view: DataView, at: number, timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError(`timestamp must be a whole number of ms in 0..2^53-1, got ${timestamp}`);
  view.setUint32(at, Math.floor(timestamp / 2 ** 32));
  view.setUint32(at + 4, timestamp >>> 0);
}

function checkBytes(what: string, bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function checkUint(what: string, n: number, max: number): number {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`${what} must be 0..${max}, got ${n}`);
  return n;
}

function checkRange(what: string, length: number, min: number, max: number): void {
  if (length < min || length > max)
    throw new RangeError(`${what} must be ${min}..${max} bytes, got ${length}`);
}
