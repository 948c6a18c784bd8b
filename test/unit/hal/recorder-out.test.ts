// The simulator's speaker: keeps what was played (up to a bound), meters it, and writes it as a WAV
// file on stop() that decodes to exactly what was written.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KithError } from '../../../src/errors.js';
import { levelOf } from '../../../src/hal/level.js';
import { RecorderOut } from '../../../src/hal/recorder-out.js';
import { ToneIn } from '../../../src/hal/tone-in.js';
import { decodeWav } from '../../../src/hal/wav.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { tmpDir } from '../../helpers/tmp.js';

function frame(value: number, length = 320): Int16Array {
  return new Int16Array(length).fill(value);
}

/** Plays a full-scale 1 kHz tone from the simulated microphone into the recorder for `ms`. */
function playTone(out: RecorderOut, ms: number): void {
  const clock = new VirtualClock();
  const mic = new ToneIn({ clock, format: out.format, frequency: 1000, amplitude: 1 });
  mic.start(
    (f) => out.write(f),
    () => {},
  );
  clock.advance(ms);
  mic.stop();
}

describe('RecorderOut', () => {
  it('keeps every frame in order', () => {
    const out = new RecorderOut();
    out.start(() => {});
    out.write(frame(1));
    out.write(frame(-2));
    out.write(frame(3));
    expect(out.samples()).toEqual(Int16Array.from([...frame(1), ...frame(-2), ...frame(3)]));
    expect(out.framesWritten).toBe(3);
    out.stop();
  });

  it('keeps its own copy of each frame', () => {
    const out = new RecorderOut();
    out.start(() => {});
    const f = frame(5);
    out.write(f);
    f.fill(0);
    expect(out.samples()[0]).toBe(5);
  });

  it('reads a full-scale sine at about -3 dBFS RMS and 0 dBFS peak', () => {
    const out = new RecorderOut();
    out.start(() => {});
    playTone(out, 1000);
    expect(out.framesWritten).toBe(50);
    expect(out.totalLevel.rmsDbfs).toBeCloseTo(-3.01, 1);
    expect(out.totalLevel.peakDbfs).toBeCloseTo(0, 2);
    expect(out.lastLevel.rmsDbfs).toBeCloseTo(-3.01, 1);
  });

  it('meters the last frame and the whole recording separately; silence is -Infinity', () => {
    const out = new RecorderOut();
    out.start(() => {});
    expect(out.totalLevel).toEqual({ rmsDbfs: -Infinity, peakDbfs: -Infinity });
    out.write(frame(16384));
    out.write(frame(0));
    expect(out.lastLevel).toEqual({ rmsDbfs: -Infinity, peakDbfs: -Infinity });
    // Half the samples at half scale: RMS 16384/√2 is -9.03 dBFS, peak -6.02 dBFS.
    expect(out.totalLevel.rmsDbfs).toBeCloseTo(-9.03, 2);
    expect(out.totalLevel.peakDbfs).toBeCloseTo(-6.02, 2);
    expect(levelOf(Int16Array.from([-32768, 32767])).peakDbfs).toBe(0);
  });

  it('stops keeping at maxDurationMs and counts the overflow (still metered)', () => {
    const out = new RecorderOut({ maxDurationMs: 100 });
    out.start(() => {});
    for (let i = 0; i < 8; i++) out.write(frame(i + 1));
    expect(out.samples().length).toBe(5 * 320);
    expect(out.samples().at(-1)).toBe(5);
    expect(out.overflowFrames).toBe(3);
    expect(out.framesWritten).toBe(8);
    expect(out.totalLevel.peakDbfs).toBeCloseTo(20 * Math.log10(8 / 32768), 6);
  });

  it('writes a WAV on stop() that decodes to what was written, atomically, once', () => {
    const dir = tmpDir();
    const path = join(dir, 'call.wav');
    const out = new RecorderOut({ format: { sampleRate: 48000, channels: 1 }, path });
    const errors: KithError[] = [];
    out.start((e) => errors.push(e));
    playTone(out, 200);
    out.stop();
    out.stop();
    expect(errors).toEqual([]);
    expect(readdirSync(dir)).toEqual(['call.wav']);
    const wav = decodeWav(readFileSync(path));
    expect(wav.sampleRate).toBe(48000);
    expect(wav.channels).toBe(1);
    expect(wav.samples).toEqual(out.samples());
    expect(wav.samples.length).toBe(10 * 960);
  });

  it('reports a file it cannot write through onError and leaves no temporary file', () => {
    const dir = tmpDir();
    const path = join(dir, 'no-such-dir', 'call.wav');
    const out = new RecorderOut({ path });
    const errors: KithError[] = [];
    out.start((e) => errors.push(e));
    out.write(frame(1));
    out.stop();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('AUDIO_FILE_WRITE_FAILED');
    expect(errors[0]?.message).toMatch(/^cannot write recording to .*call\.wav: ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a wrong-sized frame and a write before start; ignores writes after stop', () => {
    const out = new RecorderOut();
    expect(() => out.write(frame(1))).toThrow(expect.objectContaining({ code: 'AUDIO_MISUSE' }));
    out.start(() => {});
    expect(() => out.write(frame(1, 960))).toThrow(expect.objectContaining({ code: 'AUDIO_BAD_FRAME' }));
    out.stop();
    out.write(frame(1));
    expect(out.framesWritten).toBe(0);
    expect(() => out.start(() => {})).toThrow(expect.objectContaining({ code: 'AUDIO_MISUSE' }));
  });

  it('refuses a negative maxDurationMs', () => {
    expect(() => new RecorderOut({ maxDurationMs: -1 })).toThrow(
      expect.objectContaining({ code: 'AUDIO_BAD_OPTION' }),
    );
  });
});
