// Speech for the call tests: espeak-ng (installed by .ci/run) speaking a sentence, at 16 kHz.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resample } from '../../src/hal/resample.js';
import { decodeWav, toMono } from '../../src/hal/wav.js';
import { RATE } from './call-world.js';
import { tmpDir } from './tmp.js';

/** espeak-ng speaks 22050 Hz; the sinc resampler converts. */
export function speech(text: string): Int16Array {
  const path = join(tmpDir(), 'speech.wav');
  execFileSync('espeak-ng', ['-w', path, text], { timeout: 20_000 });
  const wav = decodeWav(new Uint8Array(readFileSync(path)));
  return resample(toMono(wav), wav.sampleRate, RATE);
}
