// Codec parameters of a call and how the callee picks them (DESIGN §3 "Calls and voice"): the
// caller offers what its pipeline can do, the callee answers with one choice both can run.
//
// Opus is the codec, always, so it is not negotiated. What is: the sample rate (16 kHz is what a
// Bluetooth HFP wideband headset carries, 48 kHz a wired or sim device), the frame length (20 ms
// only, for now; the field exists so a later version can add more), the most bits per second the
// sender may use (the pipeline adapts below it to measured loss), and how many previous frames a
// packet may repeat (RFC 2198-style redundancy: the Opus binding cannot decode in-band FEC).

export const SAMPLE_RATES = [16_000, 48_000] as const;
export type SampleRate = (typeof SAMPLE_RATES)[number];
export const FRAME_MS = 20;
/** Opus's own bitrate range (RFC 6716 §2.1.1). */
export const MIN_BITRATE = 6_000;
export const MAX_BITRATE = 510_000;
/** Previous frames one packet may repeat. */
export const MAX_REDUNDANCY = 2;

/** What a caller offers, and what a device's pipeline can do. */
export interface OfferParams {
  /** Every rate the sender can run, ascending, at least one. */
  sampleRates: readonly SampleRate[];
  frameMs: typeof FRAME_MS;
  /** The most bits per second the sender wants to receive or send. */
  maxBitrate: number;
  /** The most previous frames per packet the sender can send and use. */
  redundancy: number;
}

/** What the callee chose: the parameters both sides run for the call. */
export interface MediaParams {
  sampleRate: SampleRate;
  frameMs: typeof FRAME_MS;
  maxBitrate: number;
  redundancy: number;
}

/** Why offer parameters are unusable, or null when they are fine. */
export function offerProblem(p: OfferParams): string | null {
  if (p.sampleRates.length === 0) return 'no sample rate';
  for (const [i, rate] of p.sampleRates.entries()) {
    if (!SAMPLE_RATES.includes(rate)) return `sample rate ${rate} is not one of ${SAMPLE_RATES.join(', ')}`;
    const previous = p.sampleRates[i - 1];
    if (previous !== undefined && previous >= rate) return 'sample rates are not ascending and distinct';
  }
  return limitsProblem(p);
}

/** Why chosen parameters are unusable on their own, or null when they are fine. */
export function mediaProblem(p: MediaParams): string | null {
  if (!SAMPLE_RATES.includes(p.sampleRate)) return `sample rate ${p.sampleRate} is not supported`;
  return limitsProblem(p);
}

function limitsProblem(p: { frameMs: number; maxBitrate: number; redundancy: number }): string | null {
  if (p.frameMs !== FRAME_MS) return `frame length ${p.frameMs} ms is not ${FRAME_MS} ms`;
  if (!Number.isInteger(p.maxBitrate) || p.maxBitrate < MIN_BITRATE || p.maxBitrate > MAX_BITRATE)
    return `bitrate ${p.maxBitrate} is outside ${MIN_BITRATE}..${MAX_BITRATE} bit/s`;
  if (!Number.isInteger(p.redundancy) || p.redundancy < 0 || p.redundancy > MAX_REDUNDANCY)
    return `redundancy ${p.redundancy} is outside 0..${MAX_REDUNDANCY}`;
  return null;
}

/**
 * The callee's choice: the highest rate both run (quality costs nothing more once both can), and
 * the lower of each limit; null when no rate is shared.
 */
export function chooseParams(offer: OfferParams, local: OfferParams): MediaParams | null {
  const shared = offer.sampleRates.filter((rate) => local.sampleRates.includes(rate));
  const sampleRate = shared.at(-1);
  if (sampleRate === undefined) return null;
  return {
    sampleRate,
    frameMs: FRAME_MS,
    maxBitrate: Math.min(offer.maxBitrate, local.maxBitrate),
    redundancy: Math.min(offer.redundancy, local.redundancy),
  };
}

/** Whether a callee's choice stays within what was offered (a caller checks its ACCEPT). */
export function fitsOffer(chosen: MediaParams, offer: OfferParams): boolean {
  return (
    offer.sampleRates.includes(chosen.sampleRate) &&
    chosen.maxBitrate <= offer.maxBitrate &&
    chosen.redundancy <= offer.redundancy
  );
}
