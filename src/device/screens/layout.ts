// The layout the screens share, so every screen puts the same things in the same places: a lit
// title bar on top, a name in large letters when it fits, and button hints on the bottom lines.
//
//   rows  0-9   title bar (dark text on lit)        rows 46-53  hint line 1 (of 2)
//   rows 12-27  a large (2x) line, or 1x centred    rows 55-62  hint line (last)
import type { Framebuffer } from '../../hal/framebuffer.js';
import { fillRect } from '../draw.js';
import { CELL_HEIGHT } from '../font.js';
import { drawText, drawTextCentered, fitText, textWidth } from '../text.js';

const TITLE_HEIGHT = 10;
/** The top of a text line: the last one ends on the frame's last row but one. */
export const LINE_PITCH = 9;
const LAST_LINE_Y = 55;
/** Keeps text off the panel's edges, which the bezel may hide. */
export const MARGIN = 2;

/** The title bar, with an optional right-aligned note (a count, an icon drawn by the caller). */
export function drawTitleBar(frame: Framebuffer, title: string, right = ''): void {
  fillRect(frame, 0, 0, frame.width, TITLE_HEIGHT);
  const rightWidth = textWidth(right);
  if (right !== '') drawText(frame, frame.width - MARGIN - rightWidth, 1, right, { invert: true });
  const room = frame.width - 2 * MARGIN - (right === '' ? 0 : rightWidth + 6);
  drawText(frame, MARGIN, 1, fitText(title, room), { invert: true });
}

/**
 * A name (or any short line) in a 16-row band from `y`: at 2x when it fits the width, otherwise at
 * 1x, vertically centred in the band and cut with an ellipsis if needed.
 */
export function drawLarge(frame: Framebuffer, y: number, text: string): void {
  if (textWidth(text, 2) <= frame.width - 2 * MARGIN) {
    drawTextCentered(frame, y, text, { scale: 2 });
  } else {
    drawTextCentered(frame, y + CELL_HEIGHT / 2, text, { left: MARGIN, width: frame.width - 2 * MARGIN });
  }
}

/** Button hints on the bottom lines, the last hint on the last line. */
export function drawHints(frame: Framebuffer, ...hints: string[]): void {
  hints.forEach((hint, i) => {
    drawTextCentered(frame, LAST_LINE_Y - (hints.length - 1 - i) * LINE_PITCH, hint);
  });
}
