// Packets of the encrypted channel (DESIGN §3 "Channel"), modelled on WireGuard's four messages.
// Every packet starts with a type byte and a protocol version byte (DESIGN §3 "Overlay"); all
// integers are big-endian; every length is fixed except the transport payload.
//
// INITIATION (0x20), 2 + 4 + 16 + 64 + 16 + 16 = 118 bytes
//   0  type, 1 version
//   2  sender index (u32): where the initiator wants replies addressed
//   6  hint tag (16): MAC of the current epoch under a key from the pairing PSK (channel/hint.ts)
//   22 Noise KKpsk0 message 1: ephemeral public key (32) || encrypted payload (16 + 16 tag):
//      timestamp (u64 ms) and boot id (8 random bytes per process run; channel/handshake.ts)
//   86 mac1 (16): proves the sender knows the responder's static key (channel/cookie.ts)
//   102 mac2 (16): proves the sender got a cookie for its address, or zeros
// RESPONSE (0x21), 2 + 4 + 4 + 56 + 16 + 16 = 98 bytes
//   2  sender index (u32), 6 receiver index (u32: the initiation's sender index)
//   10 Noise message 2: ephemeral public key (32) || encrypted boot id (8 + 16 tag)
//   66 mac1, 82 mac2
// COOKIE (0x22), 2 + 4 + 24 + 32 = 62 bytes
//   2  receiver index (u32: the sender index of the handshake message it answers)
//   6  nonce (24), 30 sealed cookie (16 + 16 tag)
// TRANSPORT (0x23), 14 + payload + 16 bytes
//   2  receiver index (u32), 6 counter (u64), 14 sealed payload (at least the 16-byte tag)
export const CHANNEL_VERSION = 1;

export const PacketType = {
  initiation: 0x20,
  response: 0x21,
  cookie: 0x22,
  transport: 0x23,
} as const;

export const KEY_BYTES = 32;
export const TAG_BYTES = 16;
export const MAC_BYTES = 16;
export const HINT_BYTES = 16;
export const TIMESTAMP_BYTES = 8;
export const BOOT_ID_BYTES = 8;
export const COOKIE_NONCE_BYTES = 24;
export const COOKIE_BYTES = 16;

export const INITIATION_NOISE_BYTES = KEY_BYTES + TIMESTAMP_BYTES + BOOT_ID_BYTES + TAG_BYTES;
export const RESPONSE_NOISE_BYTES = KEY_BYTES + BOOT_ID_BYTES + TAG_BYTES;
export const INITIATION_BYTES = 6 + HINT_BYTES + INITIATION_NOISE_BYTES + 2 * MAC_BYTES;
export const RESPONSE_BYTES = 10 + RESPONSE_NOISE_BYTES + 2 * MAC_BYTES;
export const COOKIE_REPLY_BYTES = 6 + COOKIE_NONCE_BYTES + COOKIE_BYTES + TAG_BYTES;
export const TRANSPORT_HEADER_BYTES = 14;
export const TRANSPORT_OVERHEAD = TRANSPORT_HEADER_BYTES + TAG_BYTES;

export interface Initiation {
  type: typeof PacketType.initiation;
  senderIndex: number;
  hint: Uint8Array;
  noise: Uint8Array;
  mac1: Uint8Array;
  mac2: Uint8Array;
  /** The bytes mac1 covers, then the bytes mac2 covers. */
  macInput1: Uint8Array;
  macInput2: Uint8Array;
}

export interface Response {
  type: typeof PacketType.response;
  senderIndex: number;
  receiverIndex: number;
  noise: Uint8Array;
  mac1: Uint8Array;
  mac2: Uint8Array;
  macInput1: Uint8Array;
  macInput2: Uint8Array;
}

export interface CookieReply {
  type: typeof PacketType.cookie;
  receiverIndex: number;
  nonce: Uint8Array;
  sealedCookie: Uint8Array;
}

export interface Transport {
  type: typeof PacketType.transport;
  receiverIndex: number;
  counter: number;
  /** Associated data of the AEAD: the 14 header bytes. */
  header: Uint8Array;
  sealed: Uint8Array;
}

export type ChannelPacket = Initiation | Response | CookieReply | Transport;

/** Why a packet was not decoded; the receiver counts drops by these names. */
export type DecodeFailure = 'empty' | 'unknown-type' | 'bad-version' | 'bad-length' | 'counter-too-large';

export function isChannelPacket(packet: Uint8Array): boolean {
  const t = packet[0];
  return t !== undefined && t >= PacketType.initiation && t <= PacketType.transport;
}

/** Decodes without copying (views into `packet`); never throws. */
export function decodeChannelPacket(packet: Uint8Array): ChannelPacket | DecodeFailure {
  if (packet.length < 2) return 'empty';
  const type = packet[0];
  if (type === undefined || type < PacketType.initiation || type > PacketType.transport)
    return 'unknown-type';
  if (packet[1] !== CHANNEL_VERSION) return 'bad-version';
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  switch (type) {
    case PacketType.initiation: {
      if (packet.length !== INITIATION_BYTES) return 'bad-length';
      const mac1At = INITIATION_BYTES - 2 * MAC_BYTES;
      return {
        type,
        senderIndex: view.getUint32(2),
        hint: packet.subarray(6, 6 + HINT_BYTES),
        noise: packet.subarray(6 + HINT_BYTES, mac1At),
        mac1: packet.subarray(mac1At, mac1At + MAC_BYTES),
        mac2: packet.subarray(mac1At + MAC_BYTES),
        macInput1: packet.subarray(0, mac1At),
        macInput2: packet.subarray(0, mac1At + MAC_BYTES),
      };
    }
    case PacketType.response: {
      if (packet.length !== RESPONSE_BYTES) return 'bad-length';
      const mac1At = RESPONSE_BYTES - 2 * MAC_BYTES;
      return {
        type,
        senderIndex: view.getUint32(2),
        receiverIndex: view.getUint32(6),
        noise: packet.subarray(10, mac1At),
        mac1: packet.subarray(mac1At, mac1At + MAC_BYTES),
        mac2: packet.subarray(mac1At + MAC_BYTES),
        macInput1: packet.subarray(0, mac1At),
        macInput2: packet.subarray(0, mac1At + MAC_BYTES),
      };
    }
    case PacketType.cookie: {
      if (packet.length !== COOKIE_REPLY_BYTES) return 'bad-length';
      return {
        type,
        receiverIndex: view.getUint32(2),
        nonce: packet.subarray(6, 6 + COOKIE_NONCE_BYTES),
        sealedCookie: packet.subarray(6 + COOKIE_NONCE_BYTES),
      };
    }
    default: {
      if (packet.length < TRANSPORT_OVERHEAD) return 'bad-length';
      const high = view.getUint32(6);
      // Counters stay far below 2^53 (rekey and reject limits in channel/timers.ts); a larger one
      // can only be forged or corrupt, and could not be tracked exactly in a JS number.
      if (high >= 0x200000) return 'counter-too-large';
      return {
        type: PacketType.transport,
        receiverIndex: view.getUint32(2),
        counter: high * 2 ** 32 + view.getUint32(10),
        header: packet.subarray(0, TRANSPORT_HEADER_BYTES),
        sealed: packet.subarray(TRANSPORT_HEADER_BYTES),
      };
    }
  }
}

function header(type: number, length: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(length);
  bytes[0] = type;
  bytes[1] = CHANNEL_VERSION;
  return { bytes, view: new DataView(bytes.buffer) };
}

/** An initiation without its MACs (zeros); the caller fills them with `setMacs`. */
export function encodeInitiation(senderIndex: number, hint: Uint8Array, noise: Uint8Array): Uint8Array {
  checkLength('hint', hint, HINT_BYTES);
  checkLength('initiation noise message', noise, INITIATION_NOISE_BYTES);
  const { bytes, view } = header(PacketType.initiation, INITIATION_BYTES);
  view.setUint32(2, senderIndex);
  bytes.set(hint, 6);
  bytes.set(noise, 6 + HINT_BYTES);
  return bytes;
}

export function encodeResponse(senderIndex: number, receiverIndex: number, noise: Uint8Array): Uint8Array {
  checkLength('response noise message', noise, RESPONSE_NOISE_BYTES);
  const { bytes, view } = header(PacketType.response, RESPONSE_BYTES);
  view.setUint32(2, senderIndex);
  view.setUint32(6, receiverIndex);
  bytes.set(noise, 10);
  return bytes;
}

export function encodeCookieReply(
  receiverIndex: number,
  nonce: Uint8Array,
  sealedCookie: Uint8Array,
): Uint8Array {
  checkLength('cookie nonce', nonce, COOKIE_NONCE_BYTES);
  checkLength('sealed cookie', sealedCookie, COOKIE_BYTES + TAG_BYTES);
  const { bytes, view } = header(PacketType.cookie, COOKIE_REPLY_BYTES);
  view.setUint32(2, receiverIndex);
  bytes.set(nonce, 6);
  bytes.set(sealedCookie, 6 + COOKIE_NONCE_BYTES);
  return bytes;
}

/** The 14-byte transport header, which is also the AEAD's associated data. */
export function encodeTransportHeader(receiverIndex: number, counter: number): Uint8Array {
  const { bytes, view } = header(PacketType.transport, TRANSPORT_HEADER_BYTES);
  view.setUint32(2, receiverIndex);
  view.setUint32(6, Math.floor(counter / 2 ** 32));
  view.setUint32(10, counter >>> 0);
  return bytes;
}

/** Where mac1 and mac2 sit in a handshake packet, and the bytes each covers. */
export function macLayout(packet: Uint8Array): { mac1At: number; mac2At: number } {
  const mac2At = packet.length - MAC_BYTES;
  return { mac1At: mac2At - MAC_BYTES, mac2At };
}

function checkLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
}
