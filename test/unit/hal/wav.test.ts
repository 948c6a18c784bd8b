// The WAV codec: exact round trips, the layouts other tools write (extensible, extra chunks), and a
// specific AUDIO_BAD_WAV for every way a file can be cut short or be something else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKithError } from '../../../src/errors.js';
import { decodeWav, encodeWav, toMono } from '../../../src/hal/wav.js';
import { mutatedPacket } from '../../helpers/mutate.js';

const SAMPLES = Int16Array.from([0, 1, -1, 32767, -32768, 1234, -4321, 7]);

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}
function u16(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff];
}
function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function chunk(id: string, body: number[]): number[] {
  return [...ascii(id), ...u32(body.length), ...body, ...(body.length % 2 ? [0] : [])];
}
function fmtBody(o: { tag?: number; channels?: number; rate?: number; align?: number; bits?: number } = {}) {
  const channels = o.channels ?? 1;
  const rate = o.rate ?? 16000;
  const bits = o.bits ?? 16;
  const align = o.align ?? (channels * bits) / 8;
  return [
    ...u16(o.tag ?? 1),
    ...u16(channels),
    ...u32(rate),
    ...u32(rate * align),
    ...u16(align),
    ...u16(bits),
  ];
}
function dataBody(samples: Int16Array): number[] {
  return [...samples].flatMap((s) => u16(s & 0xffff));
}
/** A RIFF file of the given chunks, with a RIFF size that matches unless given. */
function riff(chunks: number[][], riffSize?: number): Uint8Array {
  const body = chunks.flat();
  return Uint8Array.from([...ascii('RIFF'), ...u32(riffSize ?? 4 + body.length), ...ascii('WAVE'), ...body]);
}
function extensibleFmt(subtypeTag: number, validBits = 16): number[] {
  const guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  return [
    ...fmtBody({ tag: 0xfffe }),
    ...u16(22),
    ...u16(validBits),
    ...u32(4),
    ...u16(subtypeTag),
    ...guidTail,
  ];
}

function badWav(bytes: Uint8Array): string {
  try {
    decodeWav(bytes);
  } catch (err) {
    if (isKithError(err, 'AUDIO_BAD_WAV')) return err.message;
    throw err;
  }
  throw new Error('decodeWav accepted a bad file');
}

describe('encodeWav/decodeWav', () => {
  it('writes the canonical 44-byte header', () => {
    const bytes = encodeWav(SAMPLES, 16000);
    const expected = riff([chunk('fmt ', fmtBody()), chunk('data', dataBody(SAMPLES))]);
    expect(bytes).toEqual(expected);
    expect(bytes.length).toBe(44 + SAMPLES.length * 2);
  });

  it('round-trips any samples, rate and channel count exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 400 }),
        fc.integer({ min: 1, max: 192000 }),
        (channels, values, rate) => {
          const samples = Int16Array.from(values.slice(0, values.length - (values.length % channels)));
          const wav = decodeWav(encodeWav(samples, rate, channels));
          expect(wav).toEqual({ sampleRate: rate, channels, samples });
        },
      ),
    );
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with the PCM subtype', () => {
    const bytes = riff([chunk('fmt ', extensibleFmt(1)), chunk('data', dataBody(SAMPLES))]);
    expect(decodeWav(bytes)).toEqual({ sampleRate: 16000, channels: 1, samples: SAMPLES });
  });

  it('skips unknown chunks before, between and after, odd-sized ones with their pad byte', () => {
    const list = chunk('LIST', [...ascii('INFOISFT'), ...u32(3), 1, 2, 3]); // 15 bytes + pad
    const bytes = riff([
      chunk('JUNK', [0, 0, 0]),
      chunk('fmt ', fmtBody()),
      list,
      chunk('data', dataBody(SAMPLES)),
      chunk('id3 ', [9]),
    ]);
    expect(decodeWav(bytes).samples).toEqual(SAMPLES);
  });

  it('ignores bytes after the RIFF form', () => {
    const bytes = Uint8Array.from([...encodeWav(SAMPLES, 16000), ...ascii('TAG+trailing')]);
    expect(decodeWav(bytes).samples).toEqual(SAMPLES);
  });

  it('decodes without depending on the buffer offset', () => {
    const inner = encodeWav(SAMPLES, 16000);
    const shifted = new Uint8Array(inner.length + 1).subarray(1);
    shifted.set(inner);
    expect(decodeWav(shifted).samples).toEqual(SAMPLES);
  });
});

describe('decodeWav refuses, saying why', () => {
  const good = encodeWav(SAMPLES, 16000);

  it('each cut inside the RIFF header, and each later cut by the RIFF size', () => {
    for (let cut = 0; cut < 12; cut++) {
      expect(badWav(good.subarray(0, cut))).toContain(`${cut} bytes is shorter than the 12-byte RIFF header`);
    }
    for (let cut = 12; cut < good.length; cut++) {
      expect(badWav(good.subarray(0, cut))).toContain(
        `RIFF header says ${good.length} bytes but the file has ${cut} (truncated?)`,
      );
    }
  });

  it('each cut of the chunks, when the RIFF size was fixed up to match', () => {
    const messages = new Set<string>();
    for (let cut = 12; cut < good.length; cut++) {
      const bytes = good.slice(0, cut);
      new DataView(bytes.buffer).setUint32(4, cut - 8, true);
      const message = badWav(bytes);
      if (cut === 12) expect(message).toContain('no "fmt " chunk');
      else if (cut < 20) expect(message).toMatch(/\d+ stray bytes at byte 12, too few for a chunk header/);
      else if (cut < 36)
        expect(message).toContain(`"fmt " chunk at byte 12 claims 16 bytes but only ${cut - 20} remain`);
      else if (cut === 36) expect(message).toContain('no "data" chunk');
      else if (cut < 44) expect(message).toMatch(/stray bytes at byte 36/);
      else expect(message).toContain(`"data" chunk at byte 36 claims 16 bytes but only ${cut - 44} remain`);
      messages.add(message);
    }
    expect(messages.size).toBeGreaterThan(10);
  });

  const table: [string, Uint8Array, string | RegExp][] = [
    [
      'wrong magic',
      Uint8Array.from([...ascii('JUNK'), ...good.subarray(4)]),
      'starts with "JUNK", not "RIFF"',
    ],
    ['big-endian RIFX', Uint8Array.from([...ascii('RIFX'), ...good.subarray(4)]), 'big-endian RIFX'],
    [
      'not WAVE',
      Uint8Array.from([...good.subarray(0, 8), ...ascii('AVI '), ...good.subarray(12)]),
      '"AVI ", not "WAVE"',
    ],
    [
      'IEEE float',
      riff([chunk('fmt ', fmtBody({ tag: 3, bits: 32 })), chunk('data', [0, 0, 0, 0])]),
      'format tag 3 (IEEE float) is not PCM (1)',
    ],
    [
      'mu-law',
      riff([chunk('fmt ', fmtBody({ tag: 7, bits: 8 })), chunk('data', [0])]),
      'format tag 7 (mu-law)',
    ],
    [
      'unknown tag',
      riff([chunk('fmt ', fmtBody({ tag: 0x1234 })), chunk('data', [])]),
      'format tag 4660 is not PCM',
    ],
    [
      '8-bit',
      riff([chunk('fmt ', fmtBody({ bits: 8 })), chunk('data', [1, 2])]),
      '8-bit samples; only 16-bit',
    ],
    [
      '24-bit',
      riff([chunk('fmt ', fmtBody({ bits: 24 })), chunk('data', [1, 2, 3])]),
      '24-bit samples; only 16-bit',
    ],
    [
      'extensible float',
      riff([chunk('fmt ', extensibleFmt(3)), chunk('data', [])]),
      'WAVE_FORMAT_EXTENSIBLE subformat is not PCM (tag 3)',
    ],
    [
      'extensible, bad valid bits',
      riff([chunk('fmt ', extensibleFmt(1, 20)), chunk('data', [])]),
      'says 20 valid bits in 16-bit samples',
    ],
    [
      'extensible, short fmt',
      riff([chunk('fmt ', [...fmtBody({ tag: 0xfffe }), ...u16(0)])]),
      'WAVE_FORMAT_EXTENSIBLE "fmt " chunk is 18 bytes, needs 40',
    ],
    [
      'data chunk longer than the file',
      riff([chunk('fmt ', fmtBody()), [...ascii('data'), ...u32(1000), 1, 2, 3, 4]]),
      '"data" chunk at byte 36 claims 1000 bytes but only 4 remain',
    ],
    [
      'odd data length',
      riff([chunk('fmt ', fmtBody()), chunk('data', [1, 2, 3])]),
      '"data" chunk is 3 bytes, not a whole number of 2-byte sample frames',
    ],
    [
      'stereo data of half a sample frame',
      riff([chunk('fmt ', fmtBody({ channels: 2 })), chunk('data', [1, 2, 3, 4, 5, 6])]),
      'not a whole number of 4-byte sample frames',
    ],
    [
      'short fmt',
      riff([chunk('fmt ', fmtBody().slice(0, 14)), chunk('data', [])]),
      'shorter than the 16 a PCM',
    ],
    [
      'no channels',
      riff([chunk('fmt ', fmtBody({ channels: 0, align: 0 })), chunk('data', [])]),
      'says 0 channels',
    ],
    ['rate 0', riff([chunk('fmt ', fmtBody({ rate: 0 })), chunk('data', [])]), 'sample rate of 0 Hz'],
    [
      'block align',
      riff([chunk('fmt ', fmtBody({ align: 4 })), chunk('data', [])]),
      'block align is 4, but 1 channel',
    ],
    [
      'data before fmt',
      riff([chunk('data', [0, 0]), chunk('fmt ', fmtBody())]),
      'comes before any "fmt " chunk',
    ],
    [
      'two fmt chunks',
      riff([chunk('fmt ', fmtBody()), chunk('fmt ', fmtBody())]),
      'second "fmt " chunk at byte 36',
    ],
    [
      'two data chunks',
      riff([chunk('fmt ', fmtBody()), chunk('data', []), chunk('data', [])]),
      'second "data" chunk at byte 44',
    ],
    ['no data', riff([chunk('fmt ', fmtBody()), chunk('LIST', [])]), 'no "data" chunk'],
    [
      'streamed length placeholder (espeak-ng --stdout)',
      riff([chunk('fmt ', fmtBody()), [...ascii('data'), ...u32(0x7ffff000), 0, 0]], 0x7ffff024),
      /truncated\?\); the length is a placeholder .*\(espeak-ng -w FILE\)$/,
    ],
  ];

  it.each(table)('%s', (_name, bytes, message) => {
    if (typeof message === 'string') expect(badWav(bytes)).toContain(message);
    else expect(badWav(bytes)).toMatch(message);
  });

  it('never throws anything but AUDIO_BAD_WAV, on random bytes or damaged files', () => {
    const valid = [
      good,
      riff([chunk('fmt ', extensibleFmt(1)), chunk('LIST', [1, 2, 3]), chunk('data', dataBody(SAMPLES))]),
      encodeWav(SAMPLES, 48000, 2),
    ];
    const input = fc.oneof(fc.uint8Array({ maxLength: 200 }), mutatedPacket(valid, 4));
    fc.assert(
      fc.property(input, (bytes) => {
        try {
          const wav = decodeWav(bytes);
          expect(wav.samples.length % wav.channels).toBe(0);
        } catch (err) {
          if (!isKithError(err, 'AUDIO_BAD_WAV')) throw err;
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('toMono', () => {
  it('averages interleaved channels, rounding to nearest', () => {
    const stereo = Int16Array.from([100, 200, -32768, -32768, 32767, 32767, 1, 2]);
    expect(toMono({ sampleRate: 16000, channels: 2, samples: stereo })).toEqual(
      Int16Array.from([150, -32768, 32767, 2]),
    );
  });

  it('returns mono as it is', () => {
    expect(toMono({ sampleRate: 16000, channels: 1, samples: SAMPLES })).toBe(SAMPLES);
  });
});
