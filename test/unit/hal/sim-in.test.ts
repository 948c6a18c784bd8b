// The simulator's microphones on a VirtualClock: frame k at start + k·20 ms exactly, contents exact,
// looping, silence after the end, and no drift when the clock's timers fire late.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Cancel, Clock } from '../../../src/net/clock.js';
import type { AudioIn } from '../../../src/hal/audio.js';
import { resample } from '../../../src/hal/resample.js';
import { ToneIn } from '../../../src/hal/tone-in.js';
import { WavFileIn } from '../../../src/hal/wav-in.js';
import { encodeWav } from '../../../src/hal/wav.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { tmpDir } from '../../helpers/tmp.js';

interface Capture {
  frames: Int16Array[];
  times: number[];
  errors: unknown[];
}

function capture(mic: AudioIn, clock: Clock): Capture {
  const c: Capture = { frames: [], times: [], errors: [] };
  mic.start(
    (frame) => {
      c.frames.push(frame);
      c.times.push(clock.now());
    },
    (err) => c.errors.push(err),
  );
  return c;
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function ramp(length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => ((i * 37) % 65536) - 32768);
}

describe('ToneIn', () => {
  it('delivers frame k at start + k·20 ms, exactly, and nothing before', () => {
    const clock = new VirtualClock();
    clock.advance(7);
    const mic = new ToneIn({ clock, frequency: 440 });
    const c = capture(mic, clock);
    expect(c.frames).toHaveLength(0);
    clock.advance(19);
    expect(c.frames).toHaveLength(0);
    clock.advance(1000 - 19);
    expect(c.times).toEqual(Array.from({ length: 50 }, (_, k) => 7 + (k + 1) * 20));
    expect(c.frames.every((f) => f.length === 320)).toBe(true);
    expect(c.errors).toEqual([]);
  });

  it('is one continuous sine across frames, with the asked-for peak', () => {
    const clock = new VirtualClock();
    const c = capture(new ToneIn({ clock, frequency: 1000, amplitude: 1 }), clock);
    clock.advance(200);
    const samples = concat(c.frames);
    expect(samples).toEqual(
      Int16Array.from({ length: 3200 }, (_, n) =>
        Math.round(32767 * Math.sin((2 * Math.PI * 1000 * n) / 16000)),
      ),
    );
    expect(Math.max(...samples)).toBe(32767);
  });

  it('gives 48 kHz frames of 960 samples, and silence without a frequency', () => {
    const clock = new VirtualClock();
    const c = capture(new ToneIn({ clock, format: { sampleRate: 48000, channels: 1 } }), clock);
    clock.advance(100);
    expect(c.frames).toHaveLength(5);
    expect(c.frames.every((f) => f.length === 960 && f.every((s) => s === 0))).toBe(true);
  });

  it.each([
    [{ frequency: 8000 }, 'tone frequency must be 0 <= f < 8000 Hz'],
    [{ frequency: -1 }, 'tone frequency'],
    [{ amplitude: 1.5 }, 'tone amplitude must be 0..1'],
    [{ amplitude: NaN }, 'tone amplitude'],
  ])('refuses %o', (options, message) => {
    expect(() => new ToneIn({ clock: new VirtualClock(), ...options })).toThrow(
      expect.objectContaining({ code: 'AUDIO_BAD_OPTION', message: expect.stringContaining(message) }),
    );
  });

  it('stops delivering at stop(), even from inside onFrame, and leaves no timer behind', () => {
    const clock = new VirtualClock();
    const mic = new ToneIn({ clock, frequency: 100 });
    let count = 0;
    mic.start(
      () => {
        count += 1;
        if (count === 3) mic.stop();
      },
      () => {},
    );
    clock.advance(1000);
    expect(count).toBe(3);
    expect(clock.pending).toBe(0);
    mic.stop();
  });

  it('starts once', () => {
    const clock = new VirtualClock();
    const mic = new ToneIn({ clock });
    mic.start(
      () => {},
      () => {},
    );
    expect(() =>
      mic.start(
        () => {},
        () => {},
      ),
    ).toThrow(expect.objectContaining({ code: 'AUDIO_MISUSE' }));
    mic.stop();
  });

  it('does not drift when every timer fires late: frames stay on the 20 ms grid', () => {
    const virtual = new VirtualClock();
    // A clock whose timers all fire 13 ms late, like a busy event loop.
    const late: Clock = {
      now: () => virtual.now(),
      wallTime: () => virtual.wallTime(),
      schedule: (ms: number, fn: () => void): Cancel => virtual.schedule(ms + 13, fn),
    };
    const c = capture(new ToneIn({ clock: late, frequency: 300 }), late);
    virtual.advance(10_000);
    // Scheduling each frame after the previous callback would give 10000 / 33 ≈ 303 frames.
    expect(c.frames.length).toBeGreaterThanOrEqual(499);
    c.times.forEach((t, k) => expect(t).toBeGreaterThanOrEqual((k + 1) * 20));
    c.times.forEach((t, k) => expect(t).toBeLessThan((k + 1) * 20 + 20 + 13));
  });
});

describe('WavFileIn', () => {
  it('delivers the samples exactly, then silence for ever, and says when it ended', () => {
    const clock = new VirtualClock();
    const samples = ramp(1000); // 3 frames and 40 samples
    const mic = new WavFileIn({ clock, source: samples });
    const c = capture(mic, clock);
    clock.advance(60);
    expect(c.frames).toHaveLength(3);
    expect(mic.ended).toBe(false);
    clock.advance(20);
    expect(mic.ended).toBe(true);
    clock.advance(920);
    expect(c.times).toEqual(Array.from({ length: 50 }, (_, k) => (k + 1) * 20));
    const all = concat(c.frames);
    expect(all.subarray(0, 1000)).toEqual(samples);
    expect(all.subarray(1000).every((s) => s === 0)).toBe(true);
  });

  it('loops without a gap when asked, and never ends', () => {
    const clock = new VirtualClock();
    const samples = ramp(700);
    const mic = new WavFileIn({ clock, source: samples, loop: true });
    const c = capture(mic, clock);
    clock.advance(400);
    const all = concat(c.frames);
    expect(all).toEqual(Int16Array.from({ length: 6400 }, (_, i) => samples[i % 700] ?? NaN));
    expect(mic.ended).toBe(false);
  });

  it('treats an empty recording as ended, looping or not', () => {
    const clock = new VirtualClock();
    for (const loop of [false, true]) {
      const mic = new WavFileIn({ clock, source: new Int16Array(0), loop });
      const c = capture(mic, clock);
      clock.advance(40);
      expect(c.frames.map((f) => f.every((s) => s === 0))).toEqual([true, true]);
      expect(mic.ended).toBe(true);
      mic.stop();
    }
  });

  it('reads a WAV file, mixing stereo down to mono', () => {
    const dir = tmpDir();
    const mono = ramp(640);
    const stereo = new Int16Array(1280);
    mono.forEach((s, i) => {
      stereo[2 * i] = s;
      stereo[2 * i + 1] = s;
    });
    writeFileSync(join(dir, 'mono.wav'), encodeWav(mono, 16000));
    writeFileSync(join(dir, 'stereo.wav'), encodeWav(stereo, 16000, 2));
    for (const name of ['mono.wav', 'stereo.wav']) {
      const clock = new VirtualClock();
      const c = capture(new WavFileIn({ clock, source: join(dir, name) }), clock);
      clock.advance(40);
      expect(concat(c.frames)).toEqual(mono);
    }
  });

  it('refuses a file at another rate unless asked to resample, and then resamples it', () => {
    const dir = tmpDir();
    const path = join(dir, 'espeak.wav');
    const at22k = Int16Array.from({ length: 2205 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 500 * i) / 22050)),
    );
    writeFileSync(path, encodeWav(at22k, 22050));
    const clock = new VirtualClock();
    expect(() => new WavFileIn({ clock, source: path })).toThrow(
      expect.objectContaining({
        code: 'AUDIO_WRONG_RATE',
        message: `${path} is 22050 Hz but the microphone format is 16000 Hz: pass resample: true, or convert the file to 16000 Hz`,
      }),
    );
    const mic = new WavFileIn({ clock, source: path, resample: true });
    const c = capture(mic, clock);
    clock.advance(100);
    expect(concat(c.frames)).toEqual(resample(at22k, 22050, 16000));
    expect(mic.ended).toBe(true);
  });

  it('names the file when it cannot be read or is not a WAV', () => {
    const dir = tmpDir();
    const clock = new VirtualClock();
    expect(() => new WavFileIn({ clock, source: join(dir, 'missing.wav') })).toThrow(
      expect.objectContaining({
        code: 'AUDIO_FILE_UNREADABLE',
        message: expect.stringMatching(/^cannot read WAV file .*missing\.wav: ENOENT/),
      }),
    );
    writeFileSync(join(dir, 'text.wav'), 'hello, not audio');
    expect(() => new WavFileIn({ clock, source: join(dir, 'text.wav') })).toThrow(
      expect.objectContaining({
        code: 'AUDIO_BAD_WAV',
        message: expect.stringMatching(/text\.wav: not a usable WAV file: starts with "hell"/),
      }),
    );
  });
});
