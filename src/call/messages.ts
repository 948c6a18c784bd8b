// The call signalling messages, as bytes. They travel on the channel's reliable stream behind the
// application tag the service adds (0x01 for calls), so this codec starts after that byte. Every
// message names its call, so a message about any other call can be told apart and ignored.
// Integers are big-endian; every type has one exact length.
//
//   0   u8   version = 1
//   1   u8   type
//   2   16   call id: random bytes the caller picked
//   18  ...  body, by type:
//
//   OFFER     0x01  25 bytes  caller -> callee: please ring
//     18  u8   sample rates the caller runs, a bit set: 0x01 16 kHz, 0x02 48 kHz; no other bit
//     19  u8   frame length, ms: 20
//     20  u32  most bits per second: 6000..510000
//     24  u8   redundancy: most previous frames one packet repeats, 0..2
//   RING      0x02  18 bytes  callee -> caller: ringing now (the answer to every OFFER while ringing)
//   ACCEPT    0x03  25 bytes  callee -> caller: answered; the body is OFFER's, with exactly one rate
//   REJECT    0x04  19 bytes  callee -> caller: not taken
//     18  u8   reason: 1 declined (the user said no), 2 no-answer (rang out), 3 incompatible
//   BUSY      0x05  18 bytes  callee -> caller: already in a call
//   HANGUP    0x06  19 bytes  either way: the call is over
//     18  u8   reason: 1 user, 2 unreachable, 3 connection-lost, 4 error
//   END_ACK   0x07  18 bytes  the answer to REJECT, BUSY and HANGUP: the end is known (and recorded)
//                             here, so the ender stops repeating it and leaves the ending state
//   KEEPALIVE 0x08  18 bytes  during a call, both ways, every few seconds: voice may pause (silence
//                             suppression) or flow one way only, and neither must end the call; the
//                             caller's first one also confirms the ACCEPT, which stops its repeats
import { CALL_ID_BYTES } from '../store/call-record.js';
import {
  FRAME_MS,
  type MediaParams,
  mediaProblem,
  type OfferParams,
  offerProblem,
  SAMPLE_RATES,
  type SampleRate,
} from './params.js';

export const CALL_MESSAGE_VERSION = 1;
export { CALL_ID_BYTES };
const HEADER_BYTES = 2 + CALL_ID_BYTES;
const PARAMS_BYTES = 7;

export const MessageType = {
  offer: 0x01,
  ring: 0x02,
  accept: 0x03,
  reject: 0x04,
  busy: 0x05,
  hangup: 0x06,
  endAck: 0x07,
  keepalive: 0x08,
} as const;

export const REJECT_REASONS = ['declined', 'no-answer', 'incompatible'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
export const HANGUP_REASONS = ['user', 'unreachable', 'connection-lost', 'error'] as const;
export type HangupReason = (typeof HANGUP_REASONS)[number];

export type CallMessage =
  | { type: 'offer'; callId: Uint8Array; params: OfferParams }
  | { type: 'ring'; callId: Uint8Array }
  | { type: 'accept'; callId: Uint8Array; params: MediaParams }
  | { type: 'reject'; callId: Uint8Array; reason: RejectReason }
  | { type: 'busy'; callId: Uint8Array }
  | { type: 'hangup'; callId: Uint8Array; reason: HangupReason }
  | { type: 'end-ack'; callId: Uint8Array }
  | { type: 'keepalive'; callId: Uint8Array };

/** The messages that end a call, each answered by END_ACK. */
export type EndMessage = Extract<CallMessage, { type: 'reject' | 'busy' | 'hangup' }>;

export function isEndMessage(message: CallMessage): message is EndMessage {
  return message.type === 'reject' || message.type === 'busy' || message.type === 'hangup';
}

/**
 * Why a message was dropped:
 * - truncated: shorter than its header or its type's length;
 * - bad-version: a version this code does not speak (checked before the type, whose meaning it sets);
 * - unknown-type: no such message type;
 * - trailing-bytes: longer than its type's length;
 * - bad-params: a sample-rate set that is empty or has unknown bits (or, in ACCEPT, not exactly one
 *   bit), or a frame length, bitrate or redundancy out of range;
 * - bad-reason: a REJECT or HANGUP reason code that does not exist.
 */
export type CallMessageError =
  'truncated' | 'bad-version' | 'unknown-type' | 'trailing-bytes' | 'bad-params' | 'bad-reason';

export type DecodedCallMessage = { ok: true; message: CallMessage } | { ok: false; reason: CallMessageError };

const TYPE_CODES: Record<CallMessage['type'], number> = {
  offer: MessageType.offer,
  ring: MessageType.ring,
  accept: MessageType.accept,
  reject: MessageType.reject,
  busy: MessageType.busy,
  hangup: MessageType.hangup,
  'end-ack': MessageType.endAck,
  keepalive: MessageType.keepalive,
};

const RATE_BITS: Record<SampleRate, number> = { 16_000: 0x01, 48_000: 0x02 };
const ALL_RATE_BITS = 0x03;

/**
 * Encodes a message the machine built. Parameters must already be valid (the machine checks its
 * own capabilities once, at construction); a wrong call id length or bad parameters are a bug
 * here and throw RangeError.
 */
export function encodeCallMessage(message: CallMessage): Uint8Array {
  if (message.callId.length !== CALL_ID_BYTES)
    throw new RangeError(`a call id is ${CALL_ID_BYTES} bytes, got ${message.callId.length}`);
  const bytes = new Uint8Array(lengthOf(message.type));
  const view = new DataView(bytes.buffer);
  bytes[0] = CALL_MESSAGE_VERSION;
  bytes[1] = TYPE_CODES[message.type];
  bytes.set(message.callId, 2);
  switch (message.type) {
    case 'offer': {
      const problem = offerProblem(message.params);
      if (problem) throw new RangeError(`offer parameters: ${problem}`);
      const mask = message.params.sampleRates.reduce((bits, rate) => bits | RATE_BITS[rate], 0);
      writeParams(view, mask, message.params);
      break;
    }
    case 'accept': {
      const problem = mediaProblem(message.params);
      if (problem) throw new RangeError(`accepted parameters: ${problem}`);
      writeParams(view, RATE_BITS[message.params.sampleRate], message.params);
      break;
    }
    case 'reject':
      bytes[HEADER_BYTES] = REJECT_REASONS.indexOf(message.reason) + 1;
      break;
    case 'hangup':
      bytes[HEADER_BYTES] = HANGUP_REASONS.indexOf(message.reason) + 1;
      break;
  }
  return bytes;
}

function lengthOf(type: CallMessage['type']): number {
  if (type === 'offer' || type === 'accept') return HEADER_BYTES + PARAMS_BYTES;
  if (type === 'reject' || type === 'hangup') return HEADER_BYTES + 1;
  return HEADER_BYTES;
}

function writeParams(view: DataView, rateBits: number, p: Omit<MediaParams, 'sampleRate'>): void {
  view.setUint8(HEADER_BYTES, rateBits);
  view.setUint8(HEADER_BYTES + 1, p.frameMs);
  view.setUint32(HEADER_BYTES + 2, p.maxBitrate);
  view.setUint8(HEADER_BYTES + 6, p.redundancy);
}

/** Decodes a message, never throwing: anything malformed comes back as the reason it was dropped. */
export function decodeCallMessage(bytes: Uint8Array): DecodedCallMessage {
  if (bytes.length < 2) return fail('truncated');
  if (bytes[0] !== CALL_MESSAGE_VERSION) return fail('bad-version');
  const type = (Object.keys(TYPE_CODES) as CallMessage['type'][]).find((t) => TYPE_CODES[t] === bytes[1]);
  if (type === undefined) return fail('unknown-type');
  const expected = lengthOf(type);
  if (bytes.length < expected) return fail('truncated');
  if (bytes.length > expected) return fail('trailing-bytes');
  // A copy: the id outlives the packet buffer (it is kept as the current or a recent call).
  const callId = bytes.slice(2, HEADER_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 'offer': {
      const rates = readRates(view);
      const params = { sampleRates: rates, ...readLimits(view) };
      if (rates.length === 0 || offerProblem(params)) return fail('bad-params');
      return { ok: true, message: { type, callId, params } };
    }
    case 'accept': {
      const [sampleRate, ...more] = readRates(view);
      if (sampleRate === undefined || more.length > 0) return fail('bad-params');
      const params = { sampleRate, ...readLimits(view) };
      if (mediaProblem(params)) return fail('bad-params');
      return { ok: true, message: { type, callId, params } };
    }
    case 'reject': {
      const reason = REJECT_REASONS[(bytes[HEADER_BYTES] as number) - 1];
      return reason ? { ok: true, message: { type, callId, reason } } : fail('bad-reason');
    }
    case 'hangup': {
      const reason = HANGUP_REASONS[(bytes[HEADER_BYTES] as number) - 1];
      return reason ? { ok: true, message: { type, callId, reason } } : fail('bad-reason');
    }
    default:
      return { ok: true, message: { type, callId } };
  }
}

/** The rates of the bit set, ascending; empty when any unknown bit is set (or none is). */
function readRates(view: DataView): SampleRate[] {
  const bits = view.getUint8(HEADER_BYTES);
  if ((bits & ~ALL_RATE_BITS) !== 0) return [];
  return SAMPLE_RATES.filter((rate) => (bits & RATE_BITS[rate]) !== 0);
}

function readLimits(view: DataView): { frameMs: typeof FRAME_MS; maxBitrate: number; redundancy: number } {
  // frameMs is checked by offerProblem/mediaProblem right after; the cast only names the type.
  return {
    frameMs: view.getUint8(HEADER_BYTES + 1) as typeof FRAME_MS,
    maxBitrate: view.getUint32(HEADER_BYTES + 2),
    redundancy: view.getUint8(HEADER_BYTES + 6),
  };
}

function fail(reason: CallMessageError): DecodedCallMessage {
  return { ok: false, reason };
}
