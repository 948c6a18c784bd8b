// A call in progress: who, for how long (MM:SS, H:MM:SS past an hour, in large digits), and how
// it sounds, as 0-4 bars on the status line (like the idle screen's, not a title bar: the bars
// read best lit on dark), with a lock for the end-to-end encryption.
//
// Bars from the live E-model MOS, at the ITU-T G.109 user-satisfaction boundaries (R = 80, 70,
// 60, 50 converted to MOS by G.107):
//   MOS >= 4.0  4 bars  satisfied           MOS >= 3.1  2 bars  many users dissatisfied
//   MOS >= 3.6  3 bars  some dissatisfied   MOS >= 2.6  1 bar   nearly all dissatisfied
//   below, or no voice measured yet (null): 0 bars
import type { Framebuffer } from '../../hal/framebuffer.js';
import { hline, QUALITY_ICON_WIDTH, qualityBars } from '../draw.js';
import { LOCK } from '../font.js';
import { drawText, drawTextCentered } from '../text.js';
import { drawHints, drawLarge, MARGIN } from './layout.js';

export interface InCallModel {
  contactName: string;
  /** Since the call was answered. */
  durationMs: number;
  /** Live MOS (1-4.5), null before any voice. */
  mos: number | null;
}

const MOS_FOR_BARS = [4.0, 3.6, 3.1, 2.6] as const;

export function barsForMos(mos: number | null): number {
  if (mos === null) return 0;
  const index = MOS_FOR_BARS.findIndex((threshold) => mos >= threshold);
  return index === -1 ? 0 : MOS_FOR_BARS.length - index;
}

/** MM:SS, or H:MM:SS from an hour on; a negative duration (clock skew) shows as 00:00. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(total / 3600);
  const minutesSeconds = `${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
  return hours > 0 ? `${hours}:${minutesSeconds}` : minutesSeconds;
}

export function drawInCall(frame: Framebuffer, model: InCallModel): void {
  drawText(frame, MARGIN, 0, `${LOCK} In call`);
  qualityBars(frame, frame.width - MARGIN - QUALITY_ICON_WIDTH, 0, barsForMos(model.mos));
  hline(frame, 0, 9, frame.width);
  drawLarge(frame, 13, model.contactName);
  drawTextCentered(frame, 32, formatDuration(model.durationMs), { scale: 2 });
  drawHints(frame, 'BACK hangs up');
}
