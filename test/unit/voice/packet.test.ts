// The voice packet codec: round trips with 0, 1 and 2 redundant frames, sequence and timestamp
// wrap, every truncation and every kind of malformed packet mapped to its reason, redundancy left
// out to fit, encoder misuse, and random or mutated bytes that never make the decoder throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeVoicePacket,
  encodeVoicePacket,
  MAX_REDUNDANT_FRAMES,
  MAX_SEQ_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  MAX_VOICE_FRAME_BYTES,
  MAX_VOICE_PACKET_BYTES,
  REDUNDANCY_HEADER_BYTES,
  seqDelta,
  VOICE_DECODE_FAILURES,
  VOICE_HEADER_BYTES,
  type VoiceFrame,
  type VoicePacket,
} from '../../../src/voice/packet.js';
import { mutatedPacket } from '../../helpers/mutate.js';

const SAMPLES = 320;

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

function frame(seq: number, timestamp: number, length: number, quiet = false): VoiceFrame {
  return { seq, timestamp, payload: bytes(length, seq), quiet };
}

/** A packet whose primary is frame `seq` and whose redundancy is the `depth` frames before it. */
function packet(seq: number, depth: number, lengths = [60, 50, 40]): VoicePacket {
  const at = (back: number) =>
    frame((seq - back) & 0xffff, ((seq - back) * SAMPLES) >>> 0, lengths[back] ?? 30, back % 2 === 1);
  const redundant: VoiceFrame[] = [];
  for (let back = depth; back >= 1; back--) redundant.push(at(back));
  return { primary: at(0), redundant };
}

function expectBadFrame(run: () => unknown): void {
  expect(run).toThrow(expect.objectContaining({ code: 'VOICE_BAD_FRAME' }));
}

/** Overwrites bytes of a copy, for hand-made malformed packets. */
function patched(base: Uint8Array, at: number, values: number[]): Uint8Array {
  const out = base.slice();
  out.set(values, at);
  return out;
}

describe('voice packet round trip', () => {
  it.each([0, 1, 2])(
    'carries %i redundant frames, oldest first, with their seq, timestamp and quiet flag',
    (depth) => {
      const sent = packet(1000, depth);
      const encoded = encodeVoicePacket(sent);
      expect(encoded.length).toBe(
        VOICE_HEADER_BYTES +
          depth * REDUNDANCY_HEADER_BYTES +
          [60, 50, 40].slice(0, depth + 1).reduce((a, b) => a + b),
      );
      expect(decodeVoicePacket(encoded)).toEqual(sent);
    },
  );

  it('decodes payloads as views into the received bytes, not copies', () => {
    const encoded = encodeVoicePacket(packet(7, 2));
    const decoded = decodeVoicePacket(encoded);
    if (typeof decoded === 'string') throw new Error(decoded);
    for (const f of [...decoded.redundant, decoded.primary]) expect(f.payload.buffer).toBe(encoded.buffer);
  });

  it('carries the largest frames and offsets the fields allow', () => {
    const primary = frame(500, 1_000_000, MAX_VOICE_FRAME_BYTES, true);
    const sent: VoicePacket = {
      primary,
      redundant: [
        frame(500 - MAX_SEQ_OFFSET, 1_000_000 - MAX_TIMESTAMP_OFFSET, 300, true),
        frame(499, 1_000_000 - 1, 1),
      ],
    };
    const encoded = encodeVoicePacket(sent);
    expect(encoded.length).toBeLessThanOrEqual(MAX_VOICE_PACKET_BYTES);
    expect(decodeVoicePacket(encoded)).toEqual(sent);
  });

  it('wraps sequence numbers at 2^16 and timestamps at 2^32', () => {
    const sent: VoicePacket = {
      primary: frame(1, 100, 20),
      redundant: [frame(65535, 2 ** 32 - 540, 21), frame(0, 2 ** 32 - 220, 22, true)],
    };
    expect(decodeVoicePacket(encodeVoicePacket(sent))).toEqual(sent);
  });

  it('compares sequence numbers across the wrap by their signed difference', () => {
    expect(seqDelta(1, 65535)).toBe(2);
    expect(seqDelta(65535, 1)).toBe(-2);
    expect(seqDelta(0, 0)).toBe(0);
    expect(seqDelta(32767, 0)).toBe(32767);
    expect(seqDelta(32768, 0)).toBe(-32768);
    expect(seqDelta(100, 65000)).toBe(636);
  });

  it('round-trips any valid packet (property)', () => {
    const arbitrary = fc
      .record({
        seq: fc.integer({ min: 0, max: 0xffff }),
        timestamp: fc.integer({ min: 0, max: 0xffffffff }),
        quiet: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        lengths: fc.array(fc.integer({ min: 1, max: 330 }), { minLength: 3, maxLength: 3 }),
        depth: fc.integer({ min: 0, max: MAX_REDUNDANT_FRAMES }),
        // Up to 50 frames back: 16 000 samples, inside the 14-bit timestamp offset.
        steps: fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 2, maxLength: 2 }),
      })
      .map(({ seq, timestamp, quiet, lengths, depth, steps }) => {
        const made = (back: number): VoiceFrame => {
          const seqBack = steps.slice(0, back).reduce((a, b) => a + b, 0);
          return {
            seq: (seq - seqBack) & 0xffff,
            timestamp: (timestamp - seqBack * SAMPLES) >>> 0,
            payload: bytes(lengths[back] as number, back),
            quiet: quiet[back] as boolean,
          };
        };
        const redundant: VoiceFrame[] = [];
        for (let back = depth; back >= 1; back--) redundant.push(made(back));
        return { primary: made(0), redundant };
      });
    fc.assert(
      fc.property(arbitrary, (sent) => {
        expect(decodeVoicePacket(encodeVoicePacket(sent))).toEqual(sent);
      }),
    );
  });
});

describe('voice packet encoder', () => {
  it('leaves out redundant frames, oldest first, that would take the packet past the limit', () => {
    const big = (seq: number) => frame(seq, seq * SAMPLES, MAX_VOICE_FRAME_BYTES);
    const all: VoicePacket = { primary: big(10), redundant: [big(8), big(9)] };
    const decoded = decodeVoicePacket(encodeVoicePacket(all));
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded.primary).toEqual(all.primary);
    expect(decoded.redundant).toEqual([all.redundant[1]]);
    // Just under the limit, everything stays.
    const fitting: VoicePacket = {
      primary: big(10),
      redundant: [frame(8, 8 * SAMPLES, 282), big(9)],
    };
    const encoded = encodeVoicePacket(fitting);
    expect(encoded.length).toBe(MAX_VOICE_PACKET_BYTES);
    expect(decodeVoicePacket(encoded)).toEqual(fitting);
  });

  const misuse: [string, () => VoicePacket][] = [
    ['a negative seq', () => ({ primary: frame(-1, 0, 10), redundant: [] })],
    ['a seq past 16 bits', () => ({ primary: frame(65536, 0, 10), redundant: [] })],
    ['a fractional seq', () => ({ primary: frame(1.5, 0, 10), redundant: [] })],
    ['a timestamp past 32 bits', () => ({ primary: frame(1, 2 ** 32, 10), redundant: [] })],
    ['a negative timestamp', () => ({ primary: frame(1, -1, 10), redundant: [] })],
    ['an empty primary', () => ({ primary: frame(1, 0, 0), redundant: [] })],
    ['a primary over 400 bytes', () => ({ primary: frame(1, 0, MAX_VOICE_FRAME_BYTES + 1), redundant: [] })],
    ['an empty redundant frame', () => ({ primary: frame(5, 1600, 10), redundant: [frame(4, 1280, 0)] })],
    ['three redundant frames', () => packetWithRedundancy([2, 3, 4])],
    [
      'a redundant frame with the same seq',
      () => ({ primary: frame(5, 1600, 10), redundant: [frame(5, 1280, 10)] }),
    ],
    [
      'a redundant frame after the primary',
      () => ({ primary: frame(5, 1600, 10), redundant: [frame(6, 1280, 10)] }),
    ],
    [
      'a redundant frame too many packets back',
      () => ({ primary: frame(500, 160_000, 10), redundant: [frame(500 - MAX_SEQ_OFFSET - 1, 100_000, 10)] }),
    ],
    [
      'a redundant frame with the same timestamp',
      () => ({ primary: frame(5, 1600, 10), redundant: [frame(4, 1600, 10)] }),
    ],
    [
      'a redundant frame too far back in time',
      () => ({
        primary: frame(5, 100_000, 10),
        redundant: [frame(4, 100_000 - MAX_TIMESTAMP_OFFSET - 1, 10)],
      }),
    ],
    [
      'redundant frames newest first',
      () => ({ primary: frame(5, 1600, 10), redundant: [frame(4, 1280, 10), frame(3, 960, 10)] }),
    ],
    [
      'redundant frames whose timestamps disagree with their order',
      () => ({ primary: frame(5, 1600, 10), redundant: [frame(3, 1280, 10), frame(4, 960, 10)] }),
    ],
  ];

  it.each(misuse)('throws VOICE_BAD_FRAME for %s', (_, make) => {
    expectBadFrame(() => encodeVoicePacket(make()));
  });

  function packetWithRedundancy(backs: number[]): VoicePacket {
    const primary = frame(100, 100 * SAMPLES, 10);
    return { primary, redundant: backs.map((b) => frame(100 - b, (100 - b) * SAMPLES, 10)).reverse() };
  }
});

describe('voice packet decoder', () => {
  it('reports every truncation of a valid packet as truncated, and any extension as trailing-bytes', () => {
    for (const depth of [0, 1, 2]) {
      const encoded = encodeVoicePacket(packet(321, depth));
      for (let length = 0; length < encoded.length; length++) {
        expect([depth, length, decodeVoicePacket(encoded.subarray(0, length))]).toEqual([
          depth,
          length,
          'truncated',
        ]);
      }
      const longer = new Uint8Array(encoded.length + 1);
      longer.set(encoded);
      expect(decodeVoicePacket(longer)).toBe('trailing-bytes');
    }
  });

  const valid0 = encodeVoicePacket(packet(9, 0, [30]));
  const valid2 = encodeVoicePacket(packet(9, 2, [30, 20, 10]));
  // Redundancy header words of valid2: oldest (seq offset 2, 640 samples, 10 bytes), then (1, 320, 20).
  const word = (quiet: number, seqOffset: number, tsOffset: number, length: number) => {
    const w = ((((quiet << 7) | seqOffset) << 24) | (tsOffset << 10) | length) >>> 0;
    return [w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff];
  };
  const malformed: [string, string, Uint8Array][] = [
    ['an empty packet', 'truncated', new Uint8Array(0)],
    ['version 0', 'bad-version', patched(valid0, 0, [0])],
    ['version 2', 'bad-version', patched(valid0, 0, [2])],
    ['a lone version byte', 'truncated', Uint8Array.of(1)],
    ['R = 3', 'bad-flags', patched(valid0, 1, [0xc0])],
    ['a reserved flag bit', 'bad-flags', patched(valid0, 1, [0x01])],
    ['another reserved flag bit', 'bad-flags', patched(valid0, 1, [0x10])],
    [
      'R = 1 without room for its header',
      'truncated',
      patched(valid0, 1, [0x40]).subarray(0, VOICE_HEADER_BYTES + 3),
    ],
    ['a primary of length 0', 'empty-frame', patched(valid0, 8, [0, 0])],
    ['a primary of 401 bytes', 'frame-too-large', patched(valid0, 8, [0x01, 0x91])],
    ['a primary longer than the packet', 'truncated', patched(valid0, 8, [0, 31])],
    ['a primary shorter than the packet', 'trailing-bytes', patched(valid0, 8, [0, 29])],
    ['a redundant frame with seq offset 0', 'bad-offset', patched(valid2, 10, word(0, 0, 640, 10))],
    ['a redundant frame with timestamp offset 0', 'bad-offset', patched(valid2, 10, word(0, 2, 0, 10))],
    ['redundant frames out of seq order', 'bad-offset', patched(valid2, 10, word(0, 1, 640, 10))],
    ['redundant frames out of time order', 'bad-offset', patched(valid2, 10, word(0, 2, 320, 10))],
    ['a redundant frame of length 0', 'empty-frame', patched(valid2, 10, word(0, 2, 640, 0))],
    ['a redundant frame of 401 bytes', 'frame-too-large', patched(valid2, 10, word(0, 2, 640, 401))],
    ['a redundant frame longer than the packet', 'truncated', patched(valid2, 14, word(1, 1, 320, 399))],
    ['a packet over 1100 bytes', 'too-large', new Uint8Array(MAX_VOICE_PACKET_BYTES + 1).fill(1)],
    ['a huge packet', 'too-large', new Uint8Array(65_536)],
  ];

  it.each(malformed)('drops %s as %s', (_, reason, bytes) => {
    expect(decodeVoicePacket(bytes)).toBe(reason);
  });

  it('names every reason in the table above', () => {
    expect(new Set(malformed.map(([, reason]) => reason))).toEqual(new Set(VOICE_DECODE_FAILURES));
  });

  it('never throws on random bytes, and answers a packet or a known reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1300 }), (random) => {
        const result = decodeVoicePacket(random);
        if (typeof result === 'string') expect(VOICE_DECODE_FAILURES).toContain(result);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated valid packets, and whatever it accepts re-encodes to the same bytes', () => {
    const valid = [0, 1, 2].map((depth) => encodeVoicePacket(packet(65534, depth)));
    fc.assert(
      fc.property(mutatedPacket(valid), (mutated) => {
        const result = decodeVoicePacket(mutated);
        if (typeof result === 'string') {
          expect(VOICE_DECODE_FAILURES).toContain(result);
        } else {
          expect(encodeVoicePacket(result)).toEqual(mutated);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts a valid packet in a larger buffer at an offset', () => {
    const encoded = encodeVoicePacket(packet(42, 1));
    const framed = new Uint8Array(encoded.length + 5);
    framed.set(encoded, 3);
    expect(decodeVoicePacket(framed.subarray(3, 3 + encoded.length))).toEqual(packet(42, 1));
  });
});
