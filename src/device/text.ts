// Setting text in the built-in font (device/font.ts) on a framebuffer: drawing at a position, in
// normal or inverted colours, at 1x or a whole-number scale (2x for call durations and the
// pairing code), measuring, fitting a width with an ellipsis, centring and wrapping. Widths count
// glyphs, not UTF-16 units, so an emoji in a name costs one cell like any other character.
import type { Framebuffer } from '../hal/framebuffer.js';
import { CELL_HEIGHT, CELL_WIDTH, ELLIPSIS, GLYPH_WIDTH, glyphFor, glyphUnits } from './font.js';

export interface TextStyle {
  /** Each font pixel becomes a scale x scale block; 1 unless given. */
  scale?: number;
  /**
   * Dark glyphs on lit cells, for a selected row or a title bar: the whole cell (gap column and
   * descender row included) is drawn, so consecutive glyphs form one solid band.
   */
  invert?: boolean;
}

/** Pixels the text covers: the last glyph's gap column is not counted, so centring is exact. */
export function textWidth(text: string, scale = 1): number {
  const glyphs = glyphUnits(text).length;
  return glyphs === 0 ? 0 : (glyphs * CELL_WIDTH - (CELL_WIDTH - GLYPH_WIDTH)) * scale;
}

/** Draws text with its top-left corner at (x, y); pixels off the frame are dropped. Returns the width. */
export function drawText(
  frame: Framebuffer,
  x: number,
  y: number,
  text: string,
  style: TextStyle = {},
): number {
  const scale = style.scale ?? 1;
  const invert = style.invert ?? false;
  let left = x;
  for (const unit of glyphUnits(text)) {
    const glyph = glyphFor(unit.codePointAt(0) as number);
    for (let row = 0; row < CELL_HEIGHT; row++) {
      const bits = glyph[row] ?? 0;
      for (let col = 0; col < CELL_WIDTH; col++) {
        const lit = col < GLYPH_WIDTH && ((bits >> (GLYPH_WIDTH - 1 - col)) & 1) === 1;
        if (!lit && !invert) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++)
            frame.set(left + col * scale + dx, y + row * scale + dy, lit !== invert);
        }
      }
    }
    left += CELL_WIDTH * scale;
  }
  return textWidth(text, scale);
}

/**
 * The text, cut to fit `maxWidth` pixels with an ellipsis glyph at the end when anything was cut.
 * Returns '' when not even the ellipsis fits.
 */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  return textWidth(text, scale) <= maxWidth ? text : withEllipsis(glyphUnits(text), maxWidth, scale);
}

/** As many of the glyphs as fit together with a final ellipsis (all of them if they do). */
function withEllipsis(units: string[], maxWidth: number, scale: number): string {
  // n glyphs plus the ellipsis take (n + 1) cells less the final gap.
  const keep = Math.min(
    units.length,
    Math.floor((maxWidth / scale + CELL_WIDTH - GLYPH_WIDTH) / CELL_WIDTH) - 1,
  );
  return keep < 0 ? '' : units.slice(0, keep).join('').trimEnd() + ELLIPSIS;
}

/** Draws text fitted to and centred in the span [left, left + width) (the whole frame by default). */
export function drawTextCentered(
  frame: Framebuffer,
  y: number,
  text: string,
  style: TextStyle & { left?: number; width?: number } = {},
): void {
  const left = style.left ?? 0;
  const width = style.width ?? frame.width - left;
  const fitted = fitText(text, width, style.scale ?? 1);
  drawText(frame, left + Math.floor((width - textWidth(fitted, style.scale ?? 1)) / 2), y, fitted, style);
}

/**
 * Breaks text into lines of at most `maxWidth` pixels at spaces; a word longer than a line is cut
 * where the line ends. At most `maxLines` lines: when the text needs more, the last one ends in an
 * ellipsis.
 */
export function wrapText(text: string, maxWidth: number, maxLines: number): string[] {
  const perLine = Math.max(1, Math.floor((maxWidth + CELL_WIDTH - GLYPH_WIDTH) / CELL_WIDTH));
  const lines: string[] = [];
  let line: string[] = [];
  const words = text.split(/\s+/).filter((w) => w !== '');
  for (const word of words) {
    let rest = glyphUnits(word);
    while (rest.length > 0) {
      const room = perLine - line.length - (line.length > 0 ? 1 : 0);
      if (rest.length <= room) {
        line = line.length > 0 ? [...line, ' ', ...rest] : rest;
        rest = [];
      } else if (line.length > 0) {
        lines.push(line.join(''));
        line = [];
      } else {
        lines.push(rest.slice(0, perLine).join(''));
        rest = rest.slice(perLine);
      }
    }
  }
  if (line.length > 0) lines.push(line.join(''));
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = withEllipsis(glyphUnits(kept[maxLines - 1] ?? ''), maxWidth, 1);
  return kept;
}
