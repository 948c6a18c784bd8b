// The E-model of ITU-T G.107 (06/2015): a call's transmission rating R and its estimated mean
// opinion score, from the one-way mouth-to-ear delay and the packet loss left after redundancy and
// the jitter buffer, for the call metrics (DESIGN §3 "Calls and voice").
//
// R = Ro − Is − Id − Ie,eff + A (G.107 §7.1, eq. 7-1), every input other than delay and loss at its
// G.107 Table 3 default, so the E-model's own terms are computed, not assumed:
//   Ro = 15 − 1.5 (SLR + No) = 94.77 and Is = 1.41 with the defaults (§7.2-7.3), leaving
//   Ro − Is = 93.35; with no delay Id = 0.15 (listener echo), hence R = 93.2, MOS 4.41.
//   Id = Idte + Idle + Idd (§7.4): talker echo, listener echo and absolute delay. The echo paths
//   are taken as the mouth-to-ear path, T = Ta and Tr = 2 Ta (one echo round trip), with the
//   default echo losses TELR = 65 dB and WEPL = 110 dB: a headset with working echo control.
//   Idd = 0 up to Ta = mT = 100 ms and grows past it (eq. 7-27, with sT = 1).
//   Ie,eff = Ie + (95 − Ie) Ppl / (Ppl / BurstR + Bpl) (§7.5, eq. 7-29); Ppl in percent.
//   A = 0: no advantage of access assumed (Table 3).
// R to MOS: G.107 Annex B. The polynomial dips below 1 for 0 < R < 6.5, where MOS is held
// at 1, the floor of the scale.
//
// Ie and Bpl for Opus. No standard values exist. G.107 is the narrowband model (its best R, 93.2,
// is G.711); the wideband model G.107.1 extends the same scale to 129, so narrowband G.711 sits
// 129 − 93.2 = 35.8 points below its top. The closest standardised counterpart of Opus/SILK
// wideband at 12-32 kbit/s is G.722.2 (AMR-WB), whose wideband impairment at 12.65 kbit/s is
// Ie,wb = 13 (G.113 Appendix IV, Table IV.1): under 35.8, that is better than narrowband G.711, so
// on G.107's scale, which has nothing above G.711, OPUS_IE = 0 at every bitrate we use. (The
// estimate measures delay and loss; it cannot rank our bitrates.) For loss, Bpl depends on the
// concealment and the packet length: libopus in SILK mode conceals by LPC and pitch extrapolation
// as CELP codecs do, over 20 ms frames, so OPUS_BPL = 19.0, the value for G.729A (CELP, 20 ms
// packets, random loss) in G.113 Appendix I, Table I.3 (for comparison G.711 with Appendix I
// concealment over 10 ms packets has 25.1, GSM-EFR 10.0). Both are planning values, overridable.
//
// Constants: the G.107 Table 3 defaults (DEFAULTS below), mT = 100 ms, sT = 1, A = 0,
// OPUS_IE = 0, OPUS_BPL = 19.0.
import { KithError } from '../errors.js';

/** See the file comment: Opus wideband at 12-32 kbit/s on G.107's narrowband scale. */
export const OPUS_IE = 0;
/** See the file comment: G.729A's packet-loss robustness (G.113 Table I.3). */
export const OPUS_BPL = 19.0;

/** G.107 Table 3 defaults (dB unless noted). */
const DEFAULTS = {
  /** Send and receive loudness ratings. */
  SLR: 8,
  RLR: 2,
  /** Sidetone masking rating, listener sidetone rating. */
  STMR: 15,
  LSTR: 18,
  /** D-value of the telephone, send side. */
  Ds: 3,
  /** Talker echo loudness rating, weighted echo path loss. */
  TELR: 65,
  WEPL: 110,
  /** Circuit noise (dBm0p), noise floor at the receive side (dBmp). */
  Nc: -70,
  Nfor: -64,
  /** Room noise at the send and receive side (dB(A)). */
  Ps: 35,
  Pr: 35,
  /** Quantizing distortion units. */
  qdu: 1,
} as const;
/** Delay sensitivity (Table 3): Idd starts at mT ms, with slope parameter sT. */
const M_T = 100;
const S_T = 1;
const ADVANTAGE = 0;

export interface EModelInput {
  /** One-way mouth-to-ear delay Ta (ms): network, jitter buffer, codec and audio devices. */
  delayMs: number;
  /** Ppl: share of frames lost after recovery, in percent (0-100). */
  lossPercent: number;
  /** BurstR (>= 1): 1 for random loss, more for bursty loss (G.107 §7.5). Default 1. */
  burstR?: number;
  /** Equipment impairment factor. Default OPUS_IE. */
  ie?: number;
  /** Packet-loss robustness factor. Default OPUS_BPL. */
  bpl?: number;
}

/**
 * The transmission rating R (G.107 eq. 7-1) for a delay and a loss, the rest at G.107 defaults.
 * Throws KithError VOICE_BAD_OPTION for an input out of its range.
 */
export function rFactor(input: EModelInput): number {
  const { delayMs, lossPercent } = input;
  const burstR = input.burstR ?? 1;
  const ie = input.ie ?? OPUS_IE;
  const bpl = input.bpl ?? OPUS_BPL;
  check('delayMs', Number.isFinite(delayMs) && delayMs >= 0, 'a time >= 0');
  check('lossPercent', lossPercent >= 0 && lossPercent <= 100, 'a percentage in 0..100');
  check('burstR', Number.isFinite(burstR) && burstR >= 1, 'a number >= 1');
  check('ie', ie >= 0 && ie <= 95, 'in 0..95');
  check('bpl', Number.isFinite(bpl) && bpl > 0, 'a number > 0');
  const { Ro, Is, No } = basicRatings(delayMs);
  const id = talkerEcho(delayMs, No) + listenerEcho(2 * delayMs, Ro) + idd(delayMs);
  const ieEff = ie + ((95 - ie) * lossPercent) / (lossPercent / burstR + bpl);
  return Ro - Is - id - ieEff + ADVANTAGE;
}

/** Estimated mean opinion score for a rating R: G.107 Annex B, held within 1..4.5. */
export function mos(r: number): number {
  if (Number.isNaN(r)) throw new KithError('VOICE_BAD_OPTION', 'E-model: R is not a number');
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.max(1, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

/** Idd, the impairment of absolute one-way delay Ta (G.107 eq. 7-27, 7-28): 0 up to mT = 100 ms. */
export function idd(taMs: number): number {
  if (taMs <= M_T) return 0;
  const x = Math.log10(taMs / M_T) / Math.log10(2);
  const e = 6 * S_T;
  return 25 * ((1 + x ** e) ** (1 / e) - 3 * (1 + (x / 3) ** e) ** (1 / e) + 2);
}

/** Ro, Is and the noise No (G.107 §7.2, §7.3) at the defaults; T only moves Ist, and barely. */
function basicRatings(tMs: number): { Ro: number; Is: number; No: number } {
  const d = DEFAULTS;
  const OLR = d.SLR + d.RLR;
  const Nos = d.Ps - d.SLR - d.Ds - 100 + 0.004 * (d.Ps - OLR - d.Ds - 14) ** 2;
  const Pre = d.Pr + 10 * Math.log10(1 + 10 ** ((10 - d.LSTR) / 10));
  const Nor = d.RLR - 121 + Pre + 0.008 * (Pre - 35) ** 2;
  const Nfo = d.Nfor + d.RLR;
  const No = 10 * Math.log10(10 ** (d.Nc / 10) + 10 ** (Nos / 10) + 10 ** (Nor / 10) + 10 ** (Nfo / 10));
  const Ro = 15 - 1.5 * (d.SLR + No);

  const Xolr = OLR + 0.2 * (64 + No - d.RLR);
  const Iolr = 20 * ((1 + (Xolr / 8) ** 8) ** (1 / 8) - Xolr / 8);
  const STMRo = -10 * Math.log10(10 ** (-d.STMR / 10) + Math.exp(-tMs / 4) * 10 ** (-d.TELR / 10));
  const Ist =
    12 * (1 + ((STMRo - 13) / 6) ** 8) ** (1 / 8) -
    28 * (1 + ((STMRo + 1) / 19.4) ** 35) ** (1 / 35) -
    13 * (1 + ((STMRo - 3) / 33) ** 13) ** (1 / 13) +
    29;
  const Q = 37 - 15 * Math.log10(d.qdu);
  const G = 1.07 + 0.258 * Q + 0.0602 * Q ** 2;
  const Z = 46 / 30 - G / 40;
  const Y = (Ro - 100) / 15 + 46 / 8.4 - G / 9;
  const Iq = 15 * Math.log10(1 + 10 ** Y + 10 ** Z);
  return { Ro, Is: Iolr + Ist + Iq, No };
}

/** Idte (G.107 eq. 7-19 to 7-22) for a talker echo delayed T ms (STMR >= 9, so no TERVs). */
function talkerEcho(tMs: number, No: number): number {
  const d = DEFAULTS;
  const TERV = d.TELR - 40 * Math.log10((1 + tMs / 10) / (1 + tMs / 150)) + 6 * Math.exp(-0.3 * tMs ** 2);
  const Roe = -1.5 * (No - d.RLR);
  const Re = 80 + 2.5 * (TERV - 14);
  return ((Roe - Re) / 2 + Math.sqrt((Roe - Re) ** 2 / 4 + 100) - 1) * (1 - Math.exp(-tMs));
}

/** Idle (G.107 eq. 7-25, 7-26) for a listener echo with round trip Tr ms. */
function listenerEcho(trMs: number, Ro: number): number {
  const Rle = 10.5 * (DEFAULTS.WEPL + 7) * (trMs + 1) ** -0.25;
  return (Ro - Rle) / 2 + Math.sqrt((Ro - Rle) ** 2 / 4 + 169);
}

function check(name: string, ok: boolean, allowed: string): void {
  if (!ok) throw new KithError('VOICE_BAD_OPTION', `E-model: ${name} must be ${allowed}`);
}
