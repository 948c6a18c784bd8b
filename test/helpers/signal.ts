// Comparing what went into a call with what came out: find the delay by cross-correlation, then
// measure how alike the two are once aligned.
//
// Opus at 16-32 kbit/s does not keep the waveform (SILK models the spectrum), so sample-level
// correlation says little about intelligibility. Both steps therefore work on the short-time
// log-energy envelope (10 ms frames): the delay is the lag that best correlates the two
// envelopes (refined to the sample with the waveforms), and the similarity is the Pearson
// correlation of the aligned envelopes over the frames where the reference speaks. Concealment
// and lost frames show as holes or smears in the envelope, so the measure falls with loss.

const ENVELOPE_MS = 10;

export function envelope(samples: Int16Array, rate: number): Float64Array {
  const hop = (rate * ENVELOPE_MS) / 1000;
  const out = new Float64Array(Math.floor(samples.length / hop));
  for (let f = 0; f < out.length; f++) {
    let sum = 0;
    for (let i = f * hop; i < (f + 1) * hop; i++) {
      const s = samples[i] as number;
      sum += s * s;
    }
    out[f] = Math.log10(1 + sum / hop);
  }
  return out;
}

/** Pearson correlation of a[i] and b[i + lag] over the given indices i. */
function pearson(a: Float64Array, b: Float64Array, lag: number, indices: Iterable<number>): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (const i of indices) {
    const x = a[i] as number;
    const y = b[i + lag] as number;
    n += 1;
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  const cov = sab - (sa * sb) / n;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  return va <= 0 || vb <= 0 ? 0 : cov / Math.sqrt(va * vb);
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** The lag (in samples) at which `out` best matches `ref`: out[i + lag] ~ ref[i]. */
export function findDelay(ref: Int16Array, out: Int16Array, rate: number, maxLagMs: number): number {
  const er = envelope(ref, rate);
  const eo = envelope(out, rate);
  const maxLag = Math.round(maxLagMs / ENVELOPE_MS);
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let lag = 0; lag <= maxLag; lag++) {
    const n = Math.min(er.length, eo.length - lag);
    if (n < 50) break;
    const score = pearson(er, eo, lag, range(n));
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  // Refine to the sample with waveform cross-correlation within one envelope frame either side.
  const hop = (rate * ENVELOPE_MS) / 1000;
  let fine = best * hop;
  let fineScore = Number.NEGATIVE_INFINITY;
  for (let lag = Math.max(0, (best - 1) * hop); lag <= (best + 1) * hop; lag++) {
    let sum = 0;
    const n = Math.min(ref.length, out.length - lag);
    for (let i = 0; i < n; i += 2) sum += (ref[i] as number) * (out[i + lag] as number);
    if (sum > fineScore) {
      fineScore = sum;
      fine = lag;
    }
  }
  return fine;
}

/** Envelope correlation of `out` (shifted by `lag` samples) against `ref`, over frames where ref speaks. */
export function similarity(ref: Int16Array, out: Int16Array, lag: number, rate: number): number {
  const shifted = out.subarray(lag);
  const er = envelope(ref, rate);
  const eo = envelope(shifted, rate);
  const n = Math.min(er.length, eo.length);
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, er[i] as number);
  // Speech frames: within 3 decades (30 dB) of the loudest, so silences do not inflate the score.
  const active: number[] = [];
  for (let i = 0; i < n; i++) if ((er[i] as number) > peak - 3) active.push(i);
  return pearson(er, eo, 0, active);
}

export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/**
 * How alike `out` is to `ref` when `out` lags by about `lag` samples, allowing for the receiver's
 * playout moving during the call: its jitter buffer grows and shrinks by a frame or two under load,
 * so one alignment for a whole call is tens of ms off somewhere and the envelope correlation of the
 * whole falls for no fault of the path. Each half-second piece of the reference that holds speech
 * is compared at its best alignment within ±100 ms of `lag`; the result is the mean, with the
 * number of pieces compared.
 */
export function piecewiseSimilarity(
  ref: Int16Array,
  out: Int16Array,
  lag: number,
  rate: number,
): { mean: number; pieces: number } {
  const piece = rate / 2;
  const slack = rate / 10;
  const step = rate / 100; // one envelope frame (10 ms)
  const scores: number[] = [];
  for (let at = 0; at + piece <= ref.length && lag + at + piece <= out.length; at += piece) {
    const want = ref.subarray(at, at + piece);
    // A piece that is mostly a pause between words has no envelope to follow.
    if (rms(want) < 500) continue;
    let best = -1;
    for (let shift = -slack; shift <= slack; shift += step) {
      const from = lag + at + shift;
      if (from >= 0 && from + piece <= out.length)
        best = Math.max(best, similarity(want, out.subarray(from, from + piece), 0, rate));
    }
    scores.push(best);
  }
  const mean = scores.reduce((sum, x) => sum + x, 0) / Math.max(1, scores.length);
  return { mean, pieces: scores.length };
}
