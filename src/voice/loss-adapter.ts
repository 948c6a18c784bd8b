// The sender's answer to measured packet loss (DESIGN §3 "Calls and voice": bitrate adapted to
// loss): how many earlier frames each packet repeats (redundancy, voice/packet.ts) and the Opus
// bitrate per frame, so that redundancy does not raise the total much above a budget. It takes the
// loss reports the receiver sends back (network loss, before redundancy, over about a second) and
// no clock: each report is one step.
//
// Why redundancy and not only a lower bitrate: with independent losses at rate p, a frame carried
// d more times is missing only if d + 1 packets in a row are, p^(d+1): 10 % loss leaves 1 % with
// one copy and 0.1 % with two. Each copy costs a frame's bits, so the per-frame bitrate is the
// budget divided by the frames each packet carries, clamped to [minBitrateBps, maxBitrateBps];
// the total stays near the budget, and loss caused by congestion is not made worse by the cure.
// 16 kbit/s is Opus's sweet spot for wideband speech (RFC 6716 §2.1.1), and libopus keeps coding
// voice in wideband down to 9 kbit/s (its mono voice bandwidth thresholds), so the floor of
// 12 kbit/s keeps the band.
//
// Levels (defaults: budget 32 kbit/s, bitrate 12-32 kbit/s):
//
//   level  redundancy  bitrate      total        entered at smoothed loss >=  left below, held 5 reports
//   0      0           32 kbit/s    32 kbit/s    -                            -
//   1      1           16 kbit/s    32 kbit/s    2 %                          0.5 %
//   2      2           12 kbit/s    36 kbit/s    8 %                          4 %
//
// Level 1 at 2 %: the E-model (emodel.ts) charges 2 % of unrepaired loss 9 R points, far more than
// halving a bitrate that starts above the sweet spot; level 2 at 8 %: one copy leaves 0.64 %, which
// still costs about 3 R points, a second copy brings it to 0.05 %.
//
// Smoothing and hysteresis, against flapping: a report is about 50 packets, so one lost packet is
// 2 % on its own. The loss is smoothed by an exponential average that rises fast (weight 1/2: a
// real burst of loss is answered within a report or two) and falls slowly (weight 1/8). The level
// rises at once to the highest level whose entry threshold the smoothed loss reaches; it falls one
// level at a time, and only after the smoothed loss has stayed below that level's (much lower)
// exit threshold for holdReports reports in a row.
//
// Constants: LEVELS (the table above), RISE_WEIGHT 1/2, FALL_WEIGHT 1/8; options budgetBps 32 000,
// minBitrateBps 12 000, maxBitrateBps 32 000, holdReports 5.
import { KithError } from '../errors.js';

export type RedundancyDepth = 0 | 1 | 2;

export interface Encoding {
  /** Opus bitrate per frame (OPUS_SET_BITRATE), bits per second. */
  bitrateBps: number;
  /** Earlier frames each packet repeats. */
  redundancy: RedundancyDepth;
}

export interface LossAdapterOptions {
  /** Bits per second of Opus data, copies included, the levels aim for. */
  budgetBps?: number;
  minBitrateBps?: number;
  maxBitrateBps?: number;
  /** Reports in a row below a level's exit threshold before it is left. */
  holdReports?: number;
}

export const LOSS_ADAPTER_DEFAULTS = Object.freeze({
  budgetBps: 32_000,
  minBitrateBps: 12_000,
  maxBitrateBps: 32_000,
  holdReports: 5,
});

/** Redundancy of a level, the smoothed loss that enters it and the one it is left below. */
interface Level {
  redundancy: RedundancyDepth;
  enterAt: number;
  leaveBelow: number;
}

const LEVELS: readonly Level[] = [
  { redundancy: 0, enterAt: 0, leaveBelow: 0 },
  { redundancy: 1, enterAt: 0.02, leaveBelow: 0.005 },
  { redundancy: 2, enterAt: 0.08, leaveBelow: 0.04 },
];
const RISE_WEIGHT = 1 / 2;
const FALL_WEIGHT = 1 / 8;

export class LossAdapter {
  readonly #o: Required<LossAdapterOptions>;
  #level = 0;
  #smoothed = 0;
  #calmReports = 0;

  /** Throws KithError VOICE_BAD_OPTION for an option out of range. */
  constructor(options: LossAdapterOptions = {}) {
    this.#o = { ...LOSS_ADAPTER_DEFAULTS, ...options };
    const o = this.#o;
    const check = (name: keyof LossAdapterOptions, ok: boolean, allowed: string) => {
      if (!ok)
        throw new KithError('VOICE_BAD_OPTION', `loss adapter: ${name} must be ${allowed}, got ${o[name]}`);
    };
    const isRate = (bps: number) => Number.isFinite(bps) && bps > 0;
    check('minBitrateBps', isRate(o.minBitrateBps), 'a bitrate > 0');
    check('maxBitrateBps', isRate(o.maxBitrateBps) && o.maxBitrateBps >= o.minBitrateBps, '>= minBitrateBps');
    check('budgetBps', isRate(o.budgetBps), 'a bitrate > 0');
    check('holdReports', Number.isSafeInteger(o.holdReports) && o.holdReports >= 1, 'an integer >= 1');
  }

  /** The encoding to use now (level 0 until reports say otherwise). */
  get encoding(): Encoding {
    const { redundancy } = LEVELS[this.#level] as Level;
    const o = this.#o;
    const bitrateBps = Math.round(
      Math.min(o.maxBitrateBps, Math.max(o.minBitrateBps, o.budgetBps / (1 + redundancy))),
    );
    return { bitrateBps, redundancy };
  }

  /** The smoothed loss fraction the levels follow; also a fair OPUS_SET_PACKET_LOSS_PERC hint. */
  get smoothedLoss(): number {
    return this.#smoothed;
  }

  /**
   * Takes one loss report: the fraction (0..1) of the packets sent to the peer over the last
   * interval that did not arrive. Returns the encoding to use from now on. Throws KithError
   * VOICE_BAD_OPTION for a fraction outside 0..1.
   */
  report(lostFraction: number): Encoding {
    if (!(lostFraction >= 0 && lostFraction <= 1)) {
      throw new KithError(
        'VOICE_BAD_OPTION',
        `loss adapter: a loss fraction is in 0..1, got ${lostFraction}`,
      );
    }
    const weight = lostFraction > this.#smoothed ? RISE_WEIGHT : FALL_WEIGHT;
    this.#smoothed += (lostFraction - this.#smoothed) * weight;

    let entered = 0;
    LEVELS.forEach((level, i) => {
      if (this.#smoothed >= level.enterAt) entered = i;
    });
    if (entered > this.#level) {
      this.#level = entered;
      this.#calmReports = 0;
    } else if (this.#level > 0 && this.#smoothed < (LEVELS[this.#level] as Level).leaveBelow) {
      this.#calmReports += 1;
      if (this.#calmReports >= this.#o.holdReports) {
        this.#level -= 1;
        this.#calmReports = 0;
      }
    } else {
      this.#calmReports = 0;
    }
    return this.encoding;
  }
}
