// The reliable stream's frame codec, and what a stream does with frames it cannot use: every
// malformed frame in a table is rejected with its reason and, fed to a stream, dropped and counted
// without throwing, answering or delivering; random bytes do the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import {
  type AckFrame,
  type DataFrame,
  decodeFrame,
  encodeFrame,
  type Frame,
  type FrameError,
  MAX_ACK_RANGES,
  MAX_ACK_SPAN,
} from '../../../src/channel/reliable-frames.js';
import { type DropReason, RELIABLE_DEFAULTS, ReliableStream } from '../../../src/channel/reliable.js';
import { KithError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';

const SEQ_LIMIT = 2 ** 48;
/** The incarnation of the hand-written frames: the peer's, as a stream under test sees them. */
const PEER = 0x0a0b0c0d;

/** Raw DATA bytes, written by hand so malformed fields are possible. */
function rawData(
  seq: number,
  index: number,
  count: number,
  payload: Uint8Array = Uint8Array.of(7),
  incarnation = PEER,
): Uint8Array {
  const bytes = new Uint8Array(15 + payload.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x10;
  view.setUint32(1, incarnation);
  view.setUint16(5, Math.floor(seq / 2 ** 32));
  view.setUint32(7, seq % 2 ** 32);
  view.setUint16(11, index);
  view.setUint16(13, count);
  bytes.set(payload, 15);
  return bytes;
}

/**
 * Raw ACK bytes: ranges as [offset from cumulative, length]; `declared` overrides the range count.
 * The incarnation defaults to PEER, which is not the sending incarnation of any stream here.
 */
function rawAck(
  cumulative: number,
  ranges: [number, number][] = [],
  declared = ranges.length,
  incarnation = PEER,
): Uint8Array {
  const bytes = new Uint8Array(16 + 4 * ranges.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x11;
  view.setUint32(1, incarnation);
  view.setUint16(5, Math.floor(cumulative / 2 ** 32));
  view.setUint32(7, cumulative % 2 ** 32);
  view.setUint32(11, 1234);
  bytes[15] = declared;
  ranges.forEach(([offset, length], i) => {
    view.setUint16(16 + 4 * i, offset);
    view.setUint16(18 + 4 * i, length);
  });
  return bytes;
}

function withType(frame: Uint8Array, type: number): Uint8Array {
  const bytes = frame.slice();
  bytes[0] = type;
  return bytes;
}

/** A stream that has sent nothing and received nothing, with everything it does recorded. */
function freshStream() {
  const clock = new VirtualClock();
  const sent: Uint8Array[] = [];
  const delivered: Uint8Array[] = [];
  const failures: string[] = [];
  const stream = new ReliableStream({
    clock,
    maxFrameBytes: 1150,
    sendFrame: (frame) => sent.push(frame),
    deliver: (message) => delivered.push(message),
    onFailure: (reason) => failures.push(reason),
    rng: seededRng(Uint8Array.of(1)),
  });
  return { clock, stream, sent, delivered, failures };
}

function totalDropped(dropped: Record<DropReason, number>): number {
  return Object.values(dropped).reduce((a, b) => a + b, 0);
}

describe('frame encoding', () => {
  it('lays DATA out as documented', () => {
    const frame = encodeFrame({
      type: 'data',
      incarnation: 0xf1e2d3c4,
      seq: 0x0102_0304_0506,
      index: 2,
      count: 0x0304,
      payload: Uint8Array.of(0xaa, 0xbb),
    });
    expect(toHex(frame)).toBe('10' + 'f1e2d3c4' + '010203040506' + '0002' + '0304' + 'aabb');
  });

  it('lays ACK out as documented, ranges as offsets from the cumulative point', () => {
    const frame = encodeFrame({
      type: 'ack',
      incarnation: 0xf1e2d3c4,
      cumulative: 100,
      ackDelayUs: 25_000,
      ranges: [
        { start: 102, end: 105 },
        { start: 110, end: 111 },
      ],
    });
    expect(toHex(frame)).toBe(
      '11' + 'f1e2d3c4' + '000000000064' + '000061a8' + '02' + '00020003' + '000a0001',
    );
  });

  it('saturates an ack delay past the u32 field and rounds to whole microseconds', () => {
    const encode = (ackDelayUs: number) =>
      decodeFrame(encodeFrame({ type: 'ack', incarnation: 1, cumulative: 1, ackDelayUs, ranges: [] }));
    expect(encode(2 ** 40)).toMatchObject({ ok: true, frame: { ackDelayUs: 0xffffffff } });
    expect(encode(1.6)).toMatchObject({ ok: true, frame: { ackDelayUs: 2 } });
  });

  const incarnation = fc.integer({ min: 1, max: 0xffffffff });
  const dataFrame: fc.Arbitrary<DataFrame> = fc
    .record({
      incarnation,
      seq: fc.integer({ min: 0, max: SEQ_LIMIT - 1 }),
      count: fc.integer({ min: 1, max: 0xffff }),
      position: fc.nat(),
      payload: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    })
    .map(({ incarnation, seq, count, position, payload }): DataFrame => {
      const index = position % count;
      // Only the last fragment may be empty.
      return {
        type: 'data',
        incarnation,
        seq,
        index,
        count,
        payload: index === count - 1 ? payload.subarray(1) : payload,
      };
    });

  const ackFrame: fc.Arbitrary<AckFrame> = fc
    .record({
      incarnation,
      cumulative: fc.integer({ min: 1, max: SEQ_LIMIT - MAX_ACK_SPAN }),
      ackDelayUs: fc.integer({ min: 0, max: 0xffffffff }),
      spans: fc.array(fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 })), {
        maxLength: MAX_ACK_RANGES,
      }),
    })
    .map(({ incarnation, cumulative, ackDelayUs, spans }): AckFrame => {
      let end = cumulative;
      const ranges = spans.map(([gap, length]) => {
        const start = end + gap;
        end = start + length;
        return { start, end };
      });
      return { type: 'ack', incarnation, cumulative, ackDelayUs, ranges };
    });

  it('round-trips every valid DATA and ACK frame', () => {
    fc.assert(
      fc.property(fc.oneof(dataFrame, ackFrame), (frame: Frame) => {
        expect(decodeFrame(encodeFrame(frame))).toEqual({ ok: true, frame });
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips the edges of every field', () => {
    const frames: Frame[] = [
      { type: 'data', incarnation: 1, seq: 0, index: 0, count: 1, payload: new Uint8Array(0) },
      {
        type: 'data',
        incarnation: 0xffffffff,
        seq: SEQ_LIMIT - 1,
        index: 0xfffe,
        count: 0xffff,
        payload: new Uint8Array(1135),
      },
      { type: 'ack', incarnation: 1, cumulative: 1, ackDelayUs: 0, ranges: [] },
      {
        type: 'ack',
        incarnation: 0xffffffff,
        cumulative: 0,
        ackDelayUs: 0xffffffff,
        ranges: [{ start: 1, end: MAX_ACK_SPAN }],
      },
      {
        type: 'ack',
        incarnation: 0x80000000,
        cumulative: SEQ_LIMIT - 2,
        ackDelayUs: 1,
        ranges: [{ start: SEQ_LIMIT - 1, end: SEQ_LIMIT }],
      },
      {
        type: 'ack',
        incarnation: 0x7fffffff,
        cumulative: 5,
        ackDelayUs: 9,
        ranges: Array.from({ length: MAX_ACK_RANGES }, (_, i) => ({ start: 6 + 2 * i, end: 7 + 2 * i })),
      },
    ];
    for (const frame of frames) expect(decodeFrame(encodeFrame(frame))).toEqual({ ok: true, frame });
  });

  it('decodes a frame that sits inside a larger buffer', () => {
    const frame = rawData(77, 0, 1, Uint8Array.of(1, 2, 3));
    const padded = concatBytes(Uint8Array.of(9, 9), frame, Uint8Array.of(9)).subarray(2, 2 + frame.length);
    expect(decodeFrame(padded)).toMatchObject({
      ok: true,
      frame: { incarnation: PEER, seq: 77, payload: Uint8Array.of(1, 2, 3) },
    });
  });
});

interface Malformed {
  input: string;
  bytes: Uint8Array;
  error: FrameError;
}

const validData = rawData(5, 0, 1);
const validAck = rawAck(3, [[2, 1]]);
const malformed: Malformed[] = [{ input: 'empty frame', bytes: new Uint8Array(0), error: 'truncated' }];
// Every cut, the ones inside the incarnation (1-4 bytes) and the sequence number (5-10) included.
for (let length = 1; length < 15; length++) {
  malformed.push({
    input: `DATA cut to ${length} bytes`,
    bytes: validData.subarray(0, length),
    error: 'truncated',
  });
}
for (let length = 1; length < validAck.length; length++) {
  malformed.push({
    input: `ACK cut to ${length} bytes`,
    bytes: validAck.subarray(0, length),
    error: 'truncated',
  });
}
for (const type of [0x00, 0x01, 0x02, 0x0f, 0x12, 0x1f, 0x20, 0xff]) {
  malformed.push(
    {
      input: `type 0x${type.toString(16)} with a DATA body`,
      bytes: withType(validData, type),
      error: 'unknown-type',
    },
    {
      input: `type 0x${type.toString(16)} with an ACK body`,
      bytes: withType(validAck, type),
      error: 'unknown-type',
    },
  );
}
malformed.push(
  { input: 'DATA of incarnation 0', bytes: rawData(0, 0, 1, Uint8Array.of(7), 0), error: 'bad-incarnation' },
  {
    input: 'DATA of incarnation 0 with a bad fragment too',
    bytes: rawData(5, 3, 0, Uint8Array.of(7), 0),
    error: 'bad-incarnation',
  },
  {
    input: 'ACK of incarnation 0',
    bytes: rawAck(3, [[2, 1]], 1, 0),
    error: 'bad-incarnation',
  },
  {
    input: 'ACK of incarnation 0 with too many ranges too',
    bytes: rawAck(3, [], 255, 0),
    error: 'bad-incarnation',
  },
  { input: 'fragment count 0', bytes: rawData(0, 0, 0), error: 'bad-fragment' },
  { input: 'fragment index = count', bytes: rawData(0, 1, 1), error: 'bad-fragment' },
  { input: 'fragment index > count', bytes: rawData(0, 5, 3), error: 'bad-fragment' },
  { input: 'fragment index 65535 of 65535', bytes: rawData(0, 0xffff, 0xffff), error: 'bad-fragment' },
  { input: 'empty first fragment of 2', bytes: rawData(0, 0, 2, new Uint8Array(0)), error: 'bad-fragment' },
  { input: 'empty middle fragment', bytes: rawData(0, 1, 3, new Uint8Array(0)), error: 'bad-fragment' },
  { input: 'ACK declaring 2 ranges, carrying 1', bytes: rawAck(3, [[2, 1]], 2), error: 'truncated' },
  {
    input: 'ACK declaring 2 ranges, carrying 1.5',
    bytes: concatBytes(rawAck(3, [[2, 1]], 2), Uint8Array.of(0, 9)),
    error: 'truncated',
  },
  {
    input: 'ACK with a byte after its range',
    bytes: concatBytes(validAck, Uint8Array.of(0)),
    error: 'trailing-bytes',
  },
  { input: 'ACK declaring 0 ranges, carrying 1', bytes: rawAck(3, [[2, 1]], 0), error: 'trailing-bytes' },
  {
    input: `ACK with ${MAX_ACK_RANGES + 1} ranges`,
    bytes: rawAck(
      0,
      Array.from({ length: MAX_ACK_RANGES + 1 }, (_, i): [number, number] => [1 + 2 * i, 1]),
    ),
    error: 'too-many-ranges',
  },
  { input: 'ACK declaring 255 ranges, carrying none', bytes: rawAck(3, [], 255), error: 'too-many-ranges' },
  { input: 'range at offset 0 (the cumulative point)', bytes: rawAck(3, [[0, 1]]), error: 'bad-range' },
  { input: 'range of length 0', bytes: rawAck(3, [[2, 0]]), error: 'bad-range' },
  {
    input: 'overlapping ranges',
    bytes: rawAck(3, [
      [2, 5],
      [4, 5],
    ]),
    error: 'bad-range',
  },
  {
    input: 'touching ranges',
    bytes: rawAck(3, [
      [2, 5],
      [7, 1],
    ]),
    error: 'bad-range',
  },
  {
    input: 'descending ranges',
    bytes: rawAck(3, [
      [10, 1],
      [2, 1],
    ]),
    error: 'bad-range',
  },
  {
    input: 'a second range reaching past the span',
    bytes: rawAck(3, [
      [2, 1],
      [4, 0xffff],
    ]),
    error: 'bad-range',
  },
  { input: 'range ending 65537 past cumulative', bytes: rawAck(3, [[0xffff, 2]]), error: 'bad-range' },
  { input: 'range reaching past 2^48', bytes: rawAck(SEQ_LIMIT - 2, [[1, 2]]), error: 'bad-range' },
  { input: 'ACK of nothing', bytes: rawAck(0), error: 'empty-ack' },
);

describe('malformed frames', () => {
  it.each(malformed)('$input is rejected as $error', ({ bytes, error }) => {
    expect(decodeFrame(bytes)).toEqual({ ok: false, error });
  });

  it.each(malformed)('$input is dropped by a stream, counted as $error', ({ bytes, error }) => {
    const { clock, stream, sent, delivered, failures } = freshStream();
    expect(() => stream.receiveFrame(bytes)).not.toThrow();
    expect(stream.stats.dropped[error]).toBe(1);
    expect(totalDropped(stream.stats.dropped)).toBe(1);
    expect(stream.stats.framesReceived).toBe(1);
    expect([sent, delivered, failures, clock.pending]).toEqual([[], [], [], 0]);
  });

  it('accepts the valid frames the table is cut from, and the edge cases next to it', () => {
    expect(decodeFrame(validData).ok).toBe(true);
    expect(decodeFrame(validAck).ok).toBe(true);
    expect(decodeFrame(rawData(0, 1, 2, new Uint8Array(0)))).toMatchObject({ ok: true }); // empty last fragment
    for (const incarnation of [1, 0xffffffff]) {
      expect(decodeFrame(rawData(0, 0, 1, Uint8Array.of(7), incarnation))).toMatchObject({
        ok: true,
        frame: { incarnation },
      });
      expect(decodeFrame(rawAck(1, [], 0, incarnation))).toMatchObject({ ok: true, frame: { incarnation } });
    }
    expect(
      decodeFrame(
        rawAck(3, [
          [2, 1],
          [4, 0xfffc],
        ]),
      ),
    ).toMatchObject({ ok: true }); // ends exactly at the span
  });
});

describe('frames a stream cannot use', () => {
  it('drops DATA beyond the receive window and ACKs of frames it never sent', () => {
    const { stream, sent, delivered } = freshStream();
    // Starts the peer's incarnation with the first half of a message: nothing to deliver yet, and
    // its ACK waits for the ack delay (the clock does not move here).
    stream.receiveFrame(rawData(0, 0, 2));
    stream.receiveFrame(rawData(1 + RELIABLE_DEFAULTS.window, 0, 1));
    stream.receiveFrame(rawData(SEQ_LIMIT - 1, 0, 1));
    // ACKs of this stream's own incarnation, so they get as far as the sequence numbers.
    const own = stream.stats.incarnation;
    stream.receiveFrame(rawAck(1, [], 0, own));
    stream.receiveFrame(rawAck(0, [[1, 1]], 1, own));
    expect(stream.stats.dropped['beyond-window']).toBe(2);
    expect(stream.stats.dropped['ack-unsent']).toBe(2);
    expect(totalDropped(stream.stats.dropped)).toBe(4);
    expect(stream.stats.acksReceived).toBe(0);
    expect([sent, delivered]).toEqual([[], []]);
  });

  it('drops everything after close()', () => {
    const { clock, stream, sent, delivered } = freshStream();
    stream.close();
    stream.receiveFrame(rawData(0, 0, 1));
    expect(stream.stats.dropped.closed).toBe(1);
    expect([sent, delivered, clock.pending]).toEqual([[], [], 0]);
  });

  const violations: { input: string; frames: Uint8Array[]; reason: DropReason }[] = [
    {
      input: 'a first frame that is not a first fragment',
      frames: [rawData(0, 1, 2)],
      reason: 'fragment-order',
    },
    {
      input: 'a new message before the last one ended',
      frames: [rawData(0, 0, 3), rawData(1, 1, 3), rawData(2, 0, 1)],
      reason: 'fragment-order',
    },
    {
      input: 'a skipped fragment',
      frames: [rawData(0, 0, 4), rawData(1, 1, 4), rawData(2, 3, 4)],
      reason: 'fragment-order',
    },
    {
      input: 'a fragment count that changes',
      frames: [rawData(0, 0, 3), rawData(1, 1, 3), rawData(2, 2, 4)],
      reason: 'fragment-order',
    },
    {
      input: 'fragments adding up past maxMessageBytes',
      frames: Array.from({ length: 60 }, (_, i) => rawData(i, i, 60, new Uint8Array(1135))),
      reason: 'message-too-large',
    },
  ];

  it.each(violations)('fails the stream on $input, delivering nothing', ({ frames, reason }) => {
    const { clock, stream, delivered, failures } = freshStream();
    // Sequence 0 first, as only it starts the peer's incarnation; the rest in reverse, so the
    // violation is found only when the frames before it fill in.
    for (const frame of [...frames.slice(0, 1), ...frames.slice(1).reverse()]) stream.receiveFrame(frame);
    expect(delivered).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(stream.stats.dropped[reason]).toBe(1);
    expect(clock.pending).toBe(0);
    expect(() => stream.send(new Uint8Array(1))).toThrow(new KithError('RELIABLE_CLOSED'));
    expect(stream.canSend(0)).toBe(false);
  });
});

describe('random bytes', () => {
  /**
   * DATA a fresh stream would accept, the one kind of frame random bytes may legitimately be: only
   * sequence 0, which starts the peer's incarnation (any other is stale-incarnation to it).
   */
  const acceptable = (bytes: Uint8Array) => {
    const decoded = decodeFrame(bytes);
    return decoded.ok && decoded.frame.type === 'data' && decoded.frame.seq === 0;
  };
  const frameBytes = fc
    .oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc
        .tuple(fc.constantFrom(0x10, 0x11), fc.uint8Array({ maxLength: 120 }))
        .map(([type, rest]) => concatBytes(Uint8Array.of(type), rest)),
    )
    .filter((bytes) => !acceptable(bytes));

  it('are dropped and counted one by one, never thrown, answered or delivered', () => {
    fc.assert(
      fc.property(fc.array(frameBytes, { maxLength: 30 }), (frames) => {
        const { clock, stream, sent, delivered, failures } = freshStream();
        for (const frame of frames) expect(() => stream.receiveFrame(frame)).not.toThrow();
        expect(totalDropped(stream.stats.dropped)).toBe(frames.length);
        expect([sent, delivered, failures, clock.pending]).toEqual([[], [], [], 0]);
      }),
      { numRuns: 300 },
    );
  });
});
