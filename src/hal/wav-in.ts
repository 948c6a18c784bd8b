// The simulator's microphone that speaks a recording: a WAV file (or samples) played as capture, so a
// call between simulated nodes carries known speech and the far end can be checked sample for sample.
// The frames, concatenated, are exactly the file's samples and then silence (a real microphone never
// stops delivering), or the file over and over with `loop`.
import { readFileSync } from 'node:fs';
import { errorMessage, KithError } from '../errors.js';
import type { Clock } from '../net/clock.js';
import { type PcmFormat, samplesPerFrame } from './audio.js';
import { PacedIn } from './paced-in.js';
import { resample } from './resample.js';
import { decodeWav, toMono } from './wav.js';

export interface WavFileInOptions {
  clock: Clock;
  /** A WAV file's path, or mono samples already at the format's rate. */
  source: string | Int16Array;
  /** Defaults to 16 kHz mono. */
  format?: PcmFormat;
  /** Start again from the first sample after the last one, instead of going silent. */
  loop?: boolean;
  /**
   * Convert a file at another sample rate (see resample.ts for the quality); without it such a file
   * is refused, so a test never hears a conversion it did not ask for.
   */
  resample?: boolean;
}

export class WavFileIn extends PacedIn {
  private readonly samples: Int16Array;
  private readonly loop: boolean;
  private position = 0;
  private done = false;

  /** Reads and checks the file now, so a bad path or format fails where it was configured. */
  constructor(options: WavFileInOptions) {
    super(options.format ?? { sampleRate: 16_000, channels: 1 }, options.clock);
    this.samples =
      typeof options.source === 'string'
        ? loadWav(options.source, this.format.sampleRate, options.resample ?? false)
        : options.source;
    this.loop = options.loop ?? false;
  }

  /** True once the last sample of the file has been delivered (never, with `loop`). */
  get ended(): boolean {
    return this.done;
  }

  protected nextFrame(): Int16Array {
    const frame = new Int16Array(samplesPerFrame(this.format));
    let filled = 0;
    while (filled < frame.length && !this.done) {
      const take = Math.min(frame.length - filled, this.samples.length - this.position);
      frame.set(this.samples.subarray(this.position, this.position + take), filled);
      filled += take;
      this.position += take;
      if (this.position === this.samples.length) {
        // An empty file ends, loop or not, rather than spinning here forever.
        if (this.loop && this.samples.length > 0) this.position = 0;
        else this.done = true;
      }
    }
    return frame;
  }
}

function loadWav(path: string, sampleRate: number, convert: boolean): Int16Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new KithError('AUDIO_FILE_UNREADABLE', `cannot read WAV file ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  let wav;
  try {
    wav = decodeWav(bytes);
  } catch (err) {
    throw new KithError('AUDIO_BAD_WAV', `${path}: ${errorMessage(err)}`, { cause: err });
  }
  const mono = toMono(wav);
  if (wav.sampleRate === sampleRate) return mono;
  if (!convert) {
    throw new KithError(
      'AUDIO_WRONG_RATE',
      `${path} is ${wav.sampleRate} Hz but the microphone format is ${sampleRate} Hz: ` +
        `pass resample: true, or convert the file to ${sampleRate} Hz`,
    );
  }
  return resample(mono, wav.sampleRate, sampleRate);
}
