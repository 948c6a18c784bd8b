// Sample bytes, the frame-size check, and cutting a byte stream into frames whatever its chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesFromSamples, checkFrame, samplesFromBytes } from '../../../src/hal/frame.js';
import { Reframer } from '../../../src/hal/reframer.js';

describe('samples as little-endian bytes', () => {
  it('encodes byte by byte, low byte first', () => {
    expect(bytesFromSamples(Int16Array.from([1, -2, 0x1234, -32768]))).toEqual(
      Uint8Array.from([1, 0, 0xfe, 0xff, 0x34, 0x12, 0x00, 0x80]),
    );
  });

  it('round-trips every sample value', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(samplesFromBytes(bytesFromSamples(all))).toEqual(all);
  });
});

describe('checkFrame', () => {
  it('accepts exactly 20 ms and names the size it wanted otherwise', () => {
    expect(() => checkFrame({ sampleRate: 16000, channels: 1 }, new Int16Array(320))).not.toThrow();
    expect(() => checkFrame({ sampleRate: 48000, channels: 1 }, new Int16Array(960))).not.toThrow();
    expect(() => checkFrame({ sampleRate: 48000, channels: 1 }, new Int16Array(320))).toThrow(
      expect.objectContaining({
        code: 'AUDIO_BAD_FRAME',
        message: 'audio frame has 320 samples; 48000 Hz needs 960 samples (20 ms) per frame',
      }),
    );
  });
});

describe('Reframer', () => {
  it('delivers exact frames whatever the chunk boundaries, odd byte counts included', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 30 }),
        (stream, cuts) => {
          const reframer = new Reframer(320);
          const frames: Int16Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length] ?? 1;
            frames.push(...reframer.push(stream.subarray(at, at + size)));
            at += size;
          }
          const whole = Math.floor(stream.length / 640);
          expect(frames.length).toBe(whole);
          expect(frames.every((f) => f.length === 320)).toBe(true);
          const joined = new Int16Array(whole * 320);
          frames.forEach((f, i) => joined.set(f, i * 320));
          expect(joined).toEqual(samplesFromBytes(stream.subarray(0, whole * 640)));
        },
      ),
    );
  });

  it('gives each frame its own array', () => {
    const reframer = new Reframer(2);
    const [a, b] = reframer.push(Uint8Array.from([1, 0, 2, 0, 3, 0, 4, 0]));
    expect(a).toEqual(Int16Array.from([1, 2]));
    expect(b).toEqual(Int16Array.from([3, 4]));
    expect(a?.buffer).not.toBe(b?.buffer);
  });
});
