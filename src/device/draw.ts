// Drawing primitives on the 1-bit framebuffer (hal/framebuffer.ts) for the screens: filled
// rectangles (a lit bar behind inverted text), rules, and the one icon that varies with a value
// (call quality bars). Single pixels are Framebuffer.set. Fixed icons are glyphs
// of the font (device/font.ts), so they scale and invert with text. Everything clips at the frame's
// edges, as Framebuffer.set does, so a screen may draw past them.
import type { Framebuffer } from '../hal/framebuffer.js';

export function fillRect(frame: Framebuffer, x: number, y: number, w: number, h: number, on = true): void {
  for (let row = y; row < y + h; row++) for (let col = x; col < x + w; col++) frame.set(col, row, on);
}

export function hline(frame: Framebuffer, x: number, y: number, w: number, on = true): void {
  fillRect(frame, x, y, w, 1, on);
}

/** Bars of the quality icon, and its size: 4 bars 2 px wide, 1 px apart, 2, 4, 6 and 8 px tall. */
const QUALITY_BARS = 4;
export const QUALITY_ICON_WIDTH = QUALITY_BARS * 3 - 1;
const QUALITY_ICON_HEIGHT = QUALITY_BARS * 2;

/**
 * The signal-strength style icon with `bars` of 4 filled, its top-left at (x, y). Bars not earned
 * stay as a one-pixel stub on the baseline, so "0 bars" still reads as a quality icon, not a gap.
 */
export function qualityBars(frame: Framebuffer, x: number, y: number, bars: number): void {
  const bottom = y + QUALITY_ICON_HEIGHT;
  for (let i = 0; i < QUALITY_BARS; i++) {
    const height = i < bars ? (i + 1) * 2 : 1;
    fillRect(frame, x + i * 3, bottom - height, 2, height);
  }
}
