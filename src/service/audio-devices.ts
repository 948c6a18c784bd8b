// Where a call's audio comes from and goes to: the headset through ALSA on a device, or, in the
// simulator and on a laptop, a WAV file (or a tone) as the microphone and a WAV file plus a level
// meter as the speaker (DESIGN §2, §5). The call service asks for one input and one output per
// call, in the format the call negotiated.
import type { AudioIn, AudioOut, PcmFormat } from '../hal/audio.js';
import { AlsaIn } from '../hal/alsa-in.js';
import { AlsaOut } from '../hal/alsa-out.js';
import { RecorderOut } from '../hal/recorder-out.js';
import { ToneIn } from '../hal/tone-in.js';
import { WavFileIn } from '../hal/wav-in.js';
import type { Clock } from '../net/clock.js';

export interface AudioDevices {
  readonly kind: 'alsa' | 'sim';
  input(format: PcmFormat): AudioIn;
  output(format: PcmFormat): AudioOut;
  /** What the output device buffers before sound comes out, for the mouth-to-ear estimate. */
  readonly playoutDeviceMs: number;
  /** The last output handed out (the sim's level meter reads it). */
  readonly lastOutput: AudioOut | null;
}

/** ALSA playback buffer: what a 20 ms frame waits in the device (hal/alsa-out.ts default). */
const ALSA_PLAYBACK_BUFFER_MS = 80;

export function alsaAudio(opts: { captureDevice: string; playbackDevice: string }): AudioDevices {
  let last: AudioOut | null = null;
  return {
    kind: 'alsa',
    playoutDeviceMs: ALSA_PLAYBACK_BUFFER_MS,
    input: (format) => new AlsaIn({ format, device: opts.captureDevice }),
    output: (format) => {
      last = new AlsaOut({ format, device: opts.playbackDevice, bufferMs: ALSA_PLAYBACK_BUFFER_MS });
      return last;
    },
    get lastOutput() {
      return last;
    },
  };
}

export interface SimAudioOptions {
  clock: Clock;
  /** A WAV file as the microphone (looped, resampled to the call's rate); absent: a 440 Hz tone. */
  inputFile?: string | null;
  /** Where what the peer said is written (WAV), when a call ends; absent: kept in memory only. */
  outputFile?: string | null;
}

export function simAudio(opts: SimAudioOptions): AudioDevices {
  let last: RecorderOut | null = null;
  return {
    kind: 'sim',
    // The recorder plays nothing; the sim's speaker has no buffer of its own.
    playoutDeviceMs: 0,
    input: (format) =>
      opts.inputFile
        ? new WavFileIn({ clock: opts.clock, source: opts.inputFile, format, loop: true, resample: true })
        : new ToneIn({ clock: opts.clock, format, frequency: 440, amplitude: 0.3 }),
    output: (format) => {
      last = new RecorderOut({ format, ...(opts.outputFile ? { path: opts.outputFile } : {}) });
      return last;
    },
    get lastOutput() {
      return last;
    },
  };
}
