// The voice packet (DESIGN §3 "Calls and voice"): one primary Opus frame plus up to two earlier
// frames repeated as redundancy, because the binding cannot decode Opus in-band FEC (FIELD-NOTES
// "Opus"), so a lost packet is recovered from the next one's copy. It rides in the channel's
// datagram stream after the application byte (wire/app.ts), which is not part of this codec. All
// integers are big-endian.
//
//   0  version (u8) = 1
//   1  flags (u8): bits 7-6 R, the number of redundant frames (0-2); bit 5 Q, the primary is quiet;
//      bits 4-0 zero
//   2  sequence number (u16): +1 per packet, from a random start (RFC 3550 §5.1), wrapping
//   4  timestamp (u32): media time of the primary's first sample, in samples at the call's rate
//   8  primary length (u16)
//   10 R redundancy headers of 4 bytes, oldest frame first (RFC 2198 §3 keeps its blocks in the
//      order of its headers, the primary last, and so do we):
//        Q (1 bit, the frame is quiet) | sequence offset (7 bits) | timestamp offset (14 bits,
//        RFC 2198 §3's width) | length (10 bits, RFC 2198 §3's width)
//      offsets count back from the primary's sequence number and timestamp
//   10 + 4R  the redundant frames in header order, then the primary
//
// Unlike RFC 2198 every frame has an explicit length, so a packet cut short anywhere is caught
// rather than decoded with a shorter primary. The quiet bit is the sender's judgement (it has the
// PCM): the receiver's jitter buffer prefers quiet frames when it drops one to cut its delay.
//
// Sequence numbers wrap at 2^16 (21 min of 20 ms packets) and timestamps at 2^32; compare them
// only as differences taken modulo the width and read as signed (seqDelta below): a is after b
// when seqDelta(a, b) > 0, valid while the two lie within 2^15 packets (11 min) of each other.
//
// Bounds: MAX_VOICE_PACKET_BYTES (1100, inside the channel's largest datagram of 1169 bytes less
// the application byte), MAX_VOICE_FRAME_BYTES (400 per Opus frame: 160 kbit/s at 20 ms, far above
// any voice bitrate), MAX_REDUNDANT_FRAMES (2), MAX_SEQ_OFFSET (127), MAX_TIMESTAMP_OFFSET (16383).
import { KithError } from '../errors.js';

export const VOICE_VERSION = 1;
export const MAX_VOICE_PACKET_BYTES = 1100;
export const MAX_VOICE_FRAME_BYTES = 400;
export const MAX_REDUNDANT_FRAMES = 2;
export const MAX_SEQ_OFFSET = 0x7f;
export const MAX_TIMESTAMP_OFFSET = 0x3fff;
export const VOICE_HEADER_BYTES = 10;
export const REDUNDANCY_HEADER_BYTES = 4;

const QUIET_FLAG = 0x20;
const RESERVED_FLAGS = 0x1f;
const LENGTH_BITS = 10;

/** One encoded 20 ms frame and where it belongs in the stream. */
export interface VoiceFrame {
  /** Sequence number of the packet this frame was the primary of (u16). */
  seq: number;
  /** Media time of its first sample (u32, in samples). */
  timestamp: number;
  /** The Opus packet (decoded: a view into the received bytes, not a copy). */
  payload: Uint8Array;
  /** The sender judged it silence or low energy: the cheapest frame to drop. */
  quiet: boolean;
}

export interface VoicePacket {
  primary: VoiceFrame;
  /** Earlier frames carried again, oldest first (at most MAX_REDUNDANT_FRAMES). */
  redundant: VoiceFrame[];
}

/** Why a packet was not decoded; the receiver counts drops by these names. */
export const VOICE_DECODE_FAILURES = [
  /** Shorter than its headers say (every cut of a valid packet lands here). */
  'truncated',
  /** Longer than its headers say. */
  'trailing-bytes',
  /** More than MAX_VOICE_PACKET_BYTES. */
  'too-large',
  'bad-version',
  /** R = 3, or a reserved flag bit set. */
  'bad-flags',
  /** A frame of length 0 (an Opus packet has at least its TOC byte). */
  'empty-frame',
  /** A frame longer than MAX_VOICE_FRAME_BYTES. */
  'frame-too-large',
  /** A redundant frame that is not strictly older than the frame after it, or an offset of 0. */
  'bad-offset',
] as const;

export type VoiceDecodeFailure = (typeof VOICE_DECODE_FAILURES)[number];

/**
 * (a − b) modulo 2^16 read as a signed number in −2^15 .. 2^15 − 1: how many packets a is after b
 * (negative: before), for sequence numbers within 2^15 of each other (RFC 1982 serial arithmetic).
 */
export function seqDelta(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/**
 * Encodes a packet. Redundant frames that would take the packet past MAX_VOICE_PACKET_BYTES are
 * left out, oldest first (three frames of 400 bytes do not fit; redundancy is best effort, the
 * primary always fits). Throws KithError VOICE_BAD_FRAME on a caller's bug: a field out of range,
 * a frame of 0 or more than MAX_VOICE_FRAME_BYTES bytes, more than MAX_REDUNDANT_FRAMES redundant
 * frames, or redundant frames that are not in order, strictly older than the primary, and within
 * MAX_SEQ_OFFSET packets and MAX_TIMESTAMP_OFFSET samples of it.
 */
export function encodeVoicePacket(packet: VoicePacket): Uint8Array {
  const { primary } = packet;
  checkFrame(primary, 'primary');
  if (packet.redundant.length > MAX_REDUNDANT_FRAMES) {
    fail(`at most ${MAX_REDUNDANT_FRAMES} redundant frames, got ${packet.redundant.length}`);
  }
  const offsets = packet.redundant.map((frame, i) => {
    checkFrame(frame, `redundant frame ${i}`);
    const seqOffset = (primary.seq - frame.seq) & 0xffff;
    const timestampOffset = (primary.timestamp - frame.timestamp) >>> 0;
    if (seqOffset < 1 || seqOffset > MAX_SEQ_OFFSET) {
      fail(`redundant frame ${i} must be 1..${MAX_SEQ_OFFSET} packets before the primary, is ${seqOffset}`);
    }
    if (timestampOffset < 1 || timestampOffset > MAX_TIMESTAMP_OFFSET) {
      fail(
        `redundant frame ${i} must start 1..${MAX_TIMESTAMP_OFFSET} samples before the primary, ` +
          `starts ${timestampOffset} before`,
      );
    }
    return { frame, seqOffset, timestampOffset };
  });
  offsets.forEach((o, i) => {
    const older = offsets[i - 1];
    if (older && (older.seqOffset <= o.seqOffset || older.timestampOffset <= o.timestampOffset)) {
      fail('redundant frames must be strictly older than the one after them, oldest first');
    }
  });
  const size = (list: typeof offsets) =>
    list.reduce(
      (sum, o) => sum + REDUNDANCY_HEADER_BYTES + o.frame.payload.length,
      VOICE_HEADER_BYTES + primary.payload.length,
    );
  let carried = offsets;
  while (size(carried) > MAX_VOICE_PACKET_BYTES) carried = carried.slice(1);

  const out = new Uint8Array(size(carried));
  const view = new DataView(out.buffer);
  out[0] = VOICE_VERSION;
  out[1] = (carried.length << 6) | (primary.quiet ? QUIET_FLAG : 0);
  view.setUint16(2, primary.seq);
  view.setUint32(4, primary.timestamp);
  view.setUint16(8, primary.payload.length);
  let at = VOICE_HEADER_BYTES;
  for (const { frame, seqOffset, timestampOffset } of carried) {
    const high = (frame.quiet ? 0x80 : 0) | seqOffset;
    view.setUint32(at, ((high << 24) | (timestampOffset << LENGTH_BITS) | frame.payload.length) >>> 0);
    at += REDUNDANCY_HEADER_BYTES;
  }
  for (const { frame } of carried) {
    out.set(frame.payload, at);
    at += frame.payload.length;
  }
  out.set(primary.payload, at);
  return out;
}

/** Decodes a packet without copying (payloads are views into `bytes`); never throws. */
export function decodeVoicePacket(bytes: Uint8Array): VoicePacket | VoiceDecodeFailure {
  if (bytes.length > MAX_VOICE_PACKET_BYTES) return 'too-large';
  if (bytes.length < 1) return 'truncated';
  if (bytes[0] !== VOICE_VERSION) return 'bad-version';
  if (bytes.length < 2) return 'truncated';
  const flags = bytes[1] as number;
  const count = flags >> 6;
  if (count > MAX_REDUNDANT_FRAMES || (flags & RESERVED_FLAGS) !== 0) return 'bad-flags';
  const headerBytes = VOICE_HEADER_BYTES + REDUNDANCY_HEADER_BYTES * count;
  if (bytes.length < headerBytes) return 'truncated';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seq = view.getUint16(2);
  const timestamp = view.getUint32(4);
  const primaryLength = view.getUint16(8);
  const lengthProblem = checkLength(primaryLength);
  if (lengthProblem) return lengthProblem;

  const headers: { quiet: boolean; seqOffset: number; timestampOffset: number; length: number }[] = [];
  for (let i = 0; i < count; i++) {
    const word = view.getUint32(VOICE_HEADER_BYTES + REDUNDANCY_HEADER_BYTES * i);
    const header = {
      quiet: (word & 0x80000000) !== 0,
      seqOffset: (word >>> 24) & MAX_SEQ_OFFSET,
      timestampOffset: (word >>> LENGTH_BITS) & MAX_TIMESTAMP_OFFSET,
      length: word & ((1 << LENGTH_BITS) - 1),
    };
    const previous = headers[i - 1];
    if (
      header.seqOffset === 0 ||
      header.timestampOffset === 0 ||
      (previous !== undefined &&
        (previous.seqOffset <= header.seqOffset || previous.timestampOffset <= header.timestampOffset))
    ) {
      return 'bad-offset';
    }
    const problem = checkLength(header.length);
    if (problem) return problem;
    headers.push(header);
  }

  const total = headers.reduce((sum, h) => sum + h.length, headerBytes + primaryLength);
  if (bytes.length < total) return 'truncated';
  if (bytes.length > total) return 'trailing-bytes';
  let at = headerBytes;
  const redundant = headers.map((h) => {
    const payload = bytes.subarray(at, at + h.length);
    at += h.length;
    return {
      seq: (seq - h.seqOffset) & 0xffff,
      timestamp: (timestamp - h.timestampOffset) >>> 0,
      payload,
      quiet: h.quiet,
    };
  });
  return {
    primary: { seq, timestamp, payload: bytes.subarray(at), quiet: (flags & QUIET_FLAG) !== 0 },
    redundant,
  };
}

function checkLength(length: number): VoiceDecodeFailure | null {
  if (length === 0) return 'empty-frame';
  return length > MAX_VOICE_FRAME_BYTES ? 'frame-too-large' : null;
}

function checkFrame(frame: VoiceFrame, what: string): void {
  if (!(Number.isInteger(frame.seq) && frame.seq >= 0 && frame.seq <= 0xffff)) {
    fail(`${what}: seq must be an integer in 0..65535, got ${frame.seq}`);
  }
  if (!(Number.isInteger(frame.timestamp) && frame.timestamp >= 0 && frame.timestamp <= 0xffffffff)) {
    fail(`${what}: timestamp must be an integer in 0..2^32-1, got ${frame.timestamp}`);
  }
  if (frame.payload.length < 1 || frame.payload.length > MAX_VOICE_FRAME_BYTES) {
    fail(`${what}: payload must be 1..${MAX_VOICE_FRAME_BYTES} bytes, got ${frame.payload.length}`);
  }
}

function fail(message: string): never {
  throw new KithError('VOICE_BAD_FRAME', `voice packet: ${message}`);
}
