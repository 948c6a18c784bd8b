// The simulator's simplest microphone: a steady sine, or silence, so a test can tell by frequency and
// level what came through a call, and a laptop can run a call without a recording at hand.
import { KithError } from '../errors.js';
import type { Clock } from '../net/clock.js';
import { type PcmFormat, samplesPerFrame } from './audio.js';
import { PacedIn } from './paced-in.js';

export interface ToneInOptions {
  clock: Clock;
  /** Defaults to 16 kHz mono. */
  format?: PcmFormat;
  /** Hz, below the format's Nyquist frequency; 0 or absent gives silence. */
  frequency?: number;
  /** Peak as a fraction of full scale, 0..1 (1 peaks at 32767); defaults to 0.5. */
  amplitude?: number;
}

export class ToneIn extends PacedIn {
  private readonly frequency: number;
  private readonly peak: number;
  private sampleIndex = 0;

  constructor(options: ToneInOptions) {
    super(options.format ?? { sampleRate: 16_000, channels: 1 }, options.clock);
    const frequency = options.frequency ?? 0;
    const amplitude = options.amplitude ?? 0.5;
    const nyquist = this.format.sampleRate / 2;
    if (!Number.isFinite(frequency) || frequency < 0 || frequency >= nyquist) {
      throw new KithError(
        'AUDIO_BAD_OPTION',
        `tone frequency must be 0 <= f < ${nyquist} Hz at ${this.format.sampleRate} Hz, got ${frequency}`,
      );
    }
    if (!Number.isFinite(amplitude) || amplitude < 0 || amplitude > 1) {
      throw new KithError('AUDIO_BAD_OPTION', `tone amplitude must be 0..1 of full scale, got ${amplitude}`);
    }
    this.frequency = frequency;
    this.peak = amplitude * 32767;
  }

  protected nextFrame(): Int16Array {
    const frame = new Int16Array(samplesPerFrame(this.format));
    if (this.frequency === 0) return frame;
    const step = (2 * Math.PI * this.frequency) / this.format.sampleRate;
    // The phase comes from the absolute sample index, so it never drifts by accumulated rounding.
    for (let i = 0; i < frame.length; i++) {
      frame[i] = Math.round(this.peak * Math.sin(step * (this.sampleIndex + i)));
    }
    this.sampleIndex += frame.length;
    return frame;
  }
}
