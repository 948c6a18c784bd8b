// The two frames of the reliable stream (channel/reliable.ts), carried one per decrypted channel
// packet. The channel routes types 0x10-0x1f here and reserves every other type for its own frames;
// this codec uses 0x10 DATA and 0x11 ACK and rejects the rest of the range. Integers are big-endian.
//
// DATA (15-byte header), one fragment of one message:
//   0    u8   type = 0x10
//   1    u32  incarnation of the sending half, never 0: a random number it picks when it starts and
//             again each time it resets, so the receiver can tell a new stream from the old one
//   5    u48  sequence number: 0 for the first DATA frame of an incarnation, +1 for each new frame
//   11   u16  fragment index, 0..count-1
//   13   u16  fragment count, >= 1; a message's fragments carry consecutive sequence numbers
//   15   ...  payload: the rest of the frame; empty only in the last fragment (a 0-byte message)
//
// ACK (16-byte header, then 4 bytes per range; 80 bytes at most, so it fits the smallest frame):
//   0    u8   type = 0x11
//   1    u32  incarnation of the DATA frames it acknowledges, never 0
//   5    u48  cumulative: every sequence number below it has been received (the next one expected)
//   11   u32  ack delay: microseconds between the arrival of the largest acknowledged frame and this
//             ACK, so the sender's RTT sample leaves out the receiver's delay (RFC 9000 §19.3)
//   15   u8   range count N, 0..16
//   16   N x  selective ack range (RFC 2018's SACK blocks, QUIC's ACK ranges), ascending:
//             u16 start offset from cumulative (>= 1 and past the previous range's end, so ranges
//             neither touch nor overlap), u16 length (>= 1); a range ends at most 65536 past cumulative.
//   The largest acknowledged frame is the last one of the last range (cumulative - 1 without ranges);
//   an ACK that acknowledges nothing (cumulative 0, no ranges) is malformed.
//
// Sequence numbers are 48-bit and never wrap: 2^48 frames is 890 years at 10,000 frames a second,
// and a JS number holds them exactly, so there is no modular comparison to get wrong (QUIC's packet
// numbers, RFC 9000 §12.3, make the same choice). Incarnation 0 means "none" to the stream (a
// receiver that has not seen one yet), so no frame carries it.
export const FRAME_DATA = 0x10;
export const FRAME_ACK = 0x11;
export const DATA_HEADER_BYTES = 15;
const ACK_HEADER_BYTES = 16;
const ACK_RANGE_BYTES = 4;
/** Ranges per ACK: a receiver with more gaps reports the highest ones (the newest news, as QUIC does). */
export const MAX_ACK_RANGES = 16;
/** How far past `cumulative` an ACK can reach; also the largest receive window. */
export const MAX_ACK_SPAN = 0x10000;
/** Most fragments of one message (the u16 count). */
export const MAX_FRAGMENTS = 0xffff;
const SEQ_LIMIT = 2 ** 48;
const MAX_ACK_DELAY_US = 0xffffffff;

export interface DataFrame {
  type: 'data';
  /** u32, never 0. */
  incarnation: number;
  seq: number;
  index: number;
  count: number;
  payload: Uint8Array;
}

/** Sequence numbers [start, end) received. */
export interface AckRange {
  start: number;
  end: number;
}

export interface AckFrame {
  type: 'ack';
  /** u32, never 0: the incarnation of the DATA frames acknowledged. */
  incarnation: number;
  cumulative: number;
  ackDelayUs: number;
  ranges: AckRange[];
}

export type Frame = DataFrame | AckFrame;

/**
 * Why a frame was rejected:
 * - truncated: shorter than its header, or than the ranges it declares;
 * - trailing-bytes: an ACK longer than the ranges it declares;
 * - unknown-type: a type in 0x10-0x1f that is neither DATA nor ACK (or not in that range at all);
 * - bad-incarnation: incarnation 0, which means "none";
 * - bad-fragment: count 0, index >= count, or an empty fragment that is not the last;
 * - too-many-ranges: more than MAX_ACK_RANGES;
 * - bad-range: empty, overlapping, touching or descending, or reaching past MAX_ACK_SPAN or 2^48;
 * - empty-ack: acknowledges nothing.
 */
export type FrameError =
  | 'truncated'
  | 'trailing-bytes'
  | 'unknown-type'
  | 'bad-incarnation'
  | 'bad-fragment'
  | 'too-many-ranges'
  | 'bad-range'
  | 'empty-ack';

export const FRAME_ERRORS: readonly FrameError[] = [
  'truncated',
  'trailing-bytes',
  'unknown-type',
  'bad-incarnation',
  'bad-fragment',
  'too-many-ranges',
  'bad-range',
  'empty-ack',
];

export type Decoded = { ok: true; frame: Frame } | { ok: false; error: FrameError };

/** Bytes of the ACK that carries `ranges` ranges. */
function ackBytes(ranges: number): number {
  return ACK_HEADER_BYTES + ranges * ACK_RANGE_BYTES;
}

/**
 * Encodes a frame the stream built itself; it must already satisfy the rules decodeFrame checks
 * (the stream's own frames always do, and decodeFrame is the strict side).
 */
export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.type === 'data') {
    const bytes = new Uint8Array(DATA_HEADER_BYTES + frame.payload.length);
    const view = new DataView(bytes.buffer);
    bytes[0] = FRAME_DATA;
    view.setUint32(1, frame.incarnation);
    writeU48(view, 5, frame.seq);
    view.setUint16(11, frame.index);
    view.setUint16(13, frame.count);
    bytes.set(frame.payload, DATA_HEADER_BYTES);
    return bytes;
  }
  const bytes = new Uint8Array(ackBytes(frame.ranges.length));
  const view = new DataView(bytes.buffer);
  bytes[0] = FRAME_ACK;
  view.setUint32(1, frame.incarnation);
  writeU48(view, 5, frame.cumulative);
  view.setUint32(11, Math.min(MAX_ACK_DELAY_US, Math.round(frame.ackDelayUs)));
  bytes[15] = frame.ranges.length;
  frame.ranges.forEach((range, i) => {
    const at = ACK_HEADER_BYTES + i * ACK_RANGE_BYTES;
    view.setUint16(at, range.start - frame.cumulative);
    view.setUint16(at + 2, range.end - range.start);
  });
  return bytes;
}

/** Decodes a frame, never throwing: anything malformed comes back as the reason it was rejected. */
export function decodeFrame(bytes: Uint8Array): Decoded {
  if (bytes.length === 0) return { ok: false, error: 'truncated' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] === FRAME_DATA) return decodeData(bytes, view);
  if (bytes[0] === FRAME_ACK) return decodeAck(bytes, view);
  return { ok: false, error: 'unknown-type' };
}

function decodeData(bytes: Uint8Array, view: DataView): Decoded {
  if (bytes.length < DATA_HEADER_BYTES) return { ok: false, error: 'truncated' };
  const incarnation = view.getUint32(1);
  if (incarnation === 0) return { ok: false, error: 'bad-incarnation' };
  const index = view.getUint16(11);
  const count = view.getUint16(13);
  const payload = bytes.subarray(DATA_HEADER_BYTES);
  // An empty middle fragment would let a message claim 65535 fragments while carrying nothing.
  if (count === 0 || index >= count || (payload.length === 0 && index !== count - 1)) {
    return { ok: false, error: 'bad-fragment' };
  }
  return { ok: true, frame: { type: 'data', incarnation, seq: readU48(view, 5), index, count, payload } };
}

function decodeAck(bytes: Uint8Array, view: DataView): Decoded {
  if (bytes.length < ACK_HEADER_BYTES) return { ok: false, error: 'truncated' };
  const incarnation = view.getUint32(1);
  if (incarnation === 0) return { ok: false, error: 'bad-incarnation' };
  const cumulative = readU48(view, 5);
  const count = bytes[15] as number;
  if (count > MAX_ACK_RANGES) return { ok: false, error: 'too-many-ranges' };
  if (bytes.length < ackBytes(count)) return { ok: false, error: 'truncated' };
  if (bytes.length > ackBytes(count)) return { ok: false, error: 'trailing-bytes' };
  const ranges: AckRange[] = [];
  let previousEnd = 0;
  for (let i = 0; i < count; i++) {
    const at = ACK_HEADER_BYTES + i * ACK_RANGE_BYTES;
    const offset = view.getUint16(at);
    const end = offset + view.getUint16(at + 2);
    if (offset <= previousEnd || end === offset || end > MAX_ACK_SPAN || cumulative + end > SEQ_LIMIT) {
      return { ok: false, error: 'bad-range' };
    }
    ranges.push({ start: cumulative + offset, end: cumulative + end });
    previousEnd = end;
  }
  if (cumulative === 0 && count === 0) return { ok: false, error: 'empty-ack' };
  return {
    ok: true,
    frame: { type: 'ack', incarnation, cumulative, ackDelayUs: view.getUint32(11), ranges },
  };
}

function readU48(view: DataView, at: number): number {
  return view.getUint16(at) * 2 ** 32 + view.getUint32(at + 2);
}

function writeU48(view: DataView, at: number, value: number): void {
  view.setUint16(at, Math.floor(value / 2 ** 32));
  view.setUint32(at + 2, value % 2 ** 32);
}
