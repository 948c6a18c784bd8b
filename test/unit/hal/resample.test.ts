// The resampler keeps what is below the lower Nyquist frequency and removes what is above it
// (measured figures in src/hal/resample.ts).
import { describe, expect, it } from 'vitest';
import { isKithError } from '../../../src/errors.js';
import { resample } from '../../../src/hal/resample.js';

function sine(frequency: number, rate: number, seconds: number, amplitude: number): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / rate));
  return out;
}

/** RMS without the first and last `edge` samples, where the filter sees the silence around the input. */
function rms(samples: Int16Array, edge = 200): number {
  let sum = 0;
  for (let i = edge; i < samples.length - edge; i++) sum += (samples[i] ?? 0) ** 2;
  return Math.sqrt(sum / (samples.length - 2 * edge));
}

/** Magnitude of the DFT at `frequency` (one bin, over the whole signal), normalised to amplitude. */
function magnitudeAt(samples: Int16Array, rate: number, frequency: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    const phase = (2 * Math.PI * frequency * i) / rate;
    re += (samples[i] ?? 0) * Math.cos(phase);
    im -= (samples[i] ?? 0) * Math.sin(phase);
  }
  return (2 * Math.hypot(re, im)) / samples.length;
}

function zeroCrossings(samples: Int16Array, edge = 200): number {
  let count = 0;
  for (let i = edge + 1; i < samples.length - edge; i++) {
    if ((samples[i - 1] ?? 0) < 0 !== (samples[i] ?? 0) < 0) count += 1;
  }
  return count;
}

describe('resample', () => {
  it('keeps a 1 kHz sine at 1 kHz and its amplitude, 22050 -> 16000', () => {
    const input = sine(1000, 22050, 1, 20000);
    const output = resample(input, 22050, 16000);
    expect(output.length).toBe(16000);
    // 2000 crossings a second; the edges left out take away about 2·200/16000 of them.
    expect(Math.abs(zeroCrossings(output) - 2000 * (15600 / 16000))).toBeLessThanOrEqual(2);
    expect(magnitudeAt(output, 16000, 1000)).toBeCloseTo(20000, -2); // within ±50
    expect(magnitudeAt(output, 16000, 900)).toBeLessThan(100);
    expect(Math.abs(rms(output) / rms(input) - 1)).toBeLessThan(0.005); // 0.04 dB
  });

  it('passes 6 kHz within 0.1 dB going down to 16 kHz', () => {
    const input = sine(6000, 22050, 0.5, 20000);
    const ratio = rms(resample(input, 22050, 16000)) / rms(input);
    expect(Math.abs(20 * Math.log10(ratio))).toBeLessThan(0.1);
  });

  it('attenuates a 10 kHz sine by at least 80 dB going from 48 kHz to 16 kHz, instead of aliasing to 6 kHz', () => {
    const input = sine(10000, 48000, 0.5, 30000);
    const output = resample(input, 48000, 16000);
    expect(output.length).toBe(8000);
    expect(rms(output)).toBeLessThanOrEqual(rms(input) * 10 ** (-80 / 20));
    expect(magnitudeAt(output, 16000, 6000)).toBeLessThan(3);
  });

  it('upsamples 16 kHz -> 48 kHz keeping frequency and level', () => {
    const output = resample(sine(1000, 16000, 0.5, 10000), 16000, 48000);
    expect(output.length).toBe(24000);
    expect(magnitudeAt(output, 48000, 1000)).toBeCloseTo(10000, -2);
  });

  it('keeps a constant exactly, away from the edges', () => {
    const output = resample(new Int16Array(4000).fill(-1234), 44100, 16000);
    expect(output.subarray(100, -100).every((s) => s === -1234)).toBe(true);
  });

  it('returns a copy at the same rate, and nothing for nothing', () => {
    const input = Int16Array.from([1, 2, 3]);
    const same = resample(input, 16000, 16000);
    expect(same).toEqual(input);
    expect(same).not.toBe(input);
    expect(resample(new Int16Array(0), 22050, 16000)).toEqual(new Int16Array(0));
  });

  it('clamps instead of wrapping when the filter overshoots full scale', () => {
    const square = Int16Array.from({ length: 2000 }, (_, i) => (Math.floor(i / 50) % 2 ? 32767 : -32768));
    const output = resample(square, 48000, 16000);
    expect(Math.max(...output)).toBe(32767);
    expect(Math.min(...output)).toBe(-32768);
  });

  it.each([0, -8000, 22050.5, NaN, 2_000_000])('refuses a rate of %s', (rate) => {
    expect(() => resample(new Int16Array(10), rate, 16000)).toThrow(
      expect.objectContaining({ code: 'AUDIO_BAD_OPTION' }),
    );
    let err: unknown;
    try {
      resample(new Int16Array(10), 16000, rate);
    } catch (e) {
      err = e;
    }
    expect(isKithError(err, 'AUDIO_BAD_OPTION')).toBe(true);
  });
});
