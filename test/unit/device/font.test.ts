// The built-in font and text setting: every glyph drawn and inside its cell, non-ASCII shown as
// a base letter or the replacement glyph, and measuring, fitting, centring and wrapping by pixels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Framebuffer } from '../../../src/hal/framebuffer.js';
import {
  CELL_HEIGHT,
  CELL_WIDTH,
  CHECK,
  ARROW,
  DOT_FILLED,
  DOT_HOLLOW,
  ELLIPSIS,
  glyphFor,
  glyphUnits,
  LOCK,
  PHONE,
  REPLACEMENT,
} from '../../../src/device/font.js';
import { drawText, drawTextCentered, fitText, textWidth, wrapText } from '../../../src/device/text.js';

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
const SYMBOLS = [ELLIPSIS, ARROW, PHONE, CHECK, LOCK, DOT_FILLED, DOT_HOLLOW, REPLACEMENT];
/** The glyphs that reach into the descender row (row 7). */
const DESCENDERS = new Set(['g', 'j', 'p', 'q', 'y', ',', '_']);

/** The lit pixels of `text` drawn at (8, 8) on an otherwise dark frame. */
function litPixels(text: string, style: { scale?: number; invert?: boolean } = {}): [number, number][] {
  const frame = new Framebuffer();
  drawText(frame, 8, 8, text, style);
  const lit: [number, number][] = [];
  for (let y = 0; y < frame.height; y++)
    for (let x = 0; x < frame.width; x++) if (frame.get(x, y)) lit.push([x, y]);
  return lit;
}

function pattern(text: string): string {
  return litPixels(text)
    .map(([x, y]) => `${x},${y}`)
    .join(' ');
}

describe('glyphs', () => {
  it.each([...PRINTABLE, ...SYMBOLS])(
    '%j is drawn inside its 5x8 glyph box, the gap column empty',
    (char) => {
      const lit = litPixels(char);
      if (char === ' ') {
        expect(lit).toEqual([]);
        return;
      }
      expect(lit.length).toBeGreaterThan(0);
      for (const [x, y] of lit) {
        expect(x).toBeGreaterThanOrEqual(8);
        expect(x).toBeLessThan(8 + CELL_WIDTH - 1);
        expect(y).toBeGreaterThanOrEqual(8);
        expect(y).toBeLessThan(8 + CELL_HEIGHT);
      }
      // Only descenders may use row 7, so lines 9 rows apart never touch.
      if (!DESCENDERS.has(char)) expect(lit.every(([, y]) => y < 8 + 7)).toBe(true);
    },
  );

  it('gives every printable ASCII character and symbol a glyph of its own', () => {
    const seen = new Map<string, string>();
    for (const char of [...PRINTABLE, ...SYMBOLS]) {
      const key = pattern(char);
      expect(
        seen.get(key),
        `${JSON.stringify(char)} looks like ${JSON.stringify(seen.get(key))}`,
      ).toBeUndefined();
      seen.set(key, char);
    }
  });

  it('shows an accented letter as its base letter and anything else as the replacement glyph', () => {
    expect(glyphFor('é'.codePointAt(0) as number)).toEqual(glyphFor(0x65));
    expect(glyphFor('Å'.codePointAt(0) as number)).toEqual(glyphFor(0x41));
    for (const char of ['李', 'ß', '한', '\n', '\u007f', '😀']) {
      expect(glyphFor(char.codePointAt(0) as number), JSON.stringify(char)).toEqual(glyphFor(0xfffd));
    }
  });

  it('counts one glyph per code point: an emoji is one, a combining accent none', () => {
    expect(glyphUnits('a😀b')).toEqual(['a', '😀', 'b']);
    expect(glyphUnits('Zoe\u0308')).toEqual(['Z', 'o', 'ë']);
    expect(glyphUnits('q\u0303')).toEqual(['q']);
    expect(pattern('Zoe\u0308')).toBe(pattern('Zoe'));
    expect(textWidth('😀')).toBe(textWidth('x'));
  });
});

describe('text', () => {
  it('measures n glyphs as n cells less the last gap, times the scale', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('a')).toBe(5);
    expect(textWidth('abc')).toBe(17);
    expect(textWidth('abc', 2)).toBe(34);
    expect(drawText(new Framebuffer(), 0, 0, 'abc')).toBe(17);
  });

  it('scales each font pixel to a block', () => {
    const small = litPixels('K');
    const large = new Set(litPixels('K', { scale: 2 }).map(([x, y]) => `${x},${y}`));
    expect(large.size).toBe(small.length * 4);
    for (const [x, y] of small) {
      const [bx, by] = [8 + (x - 8) * 2, 8 + (y - 8) * 2];
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        expect(large.has(`${bx + dx},${by + dy}`)).toBe(true);
      }
    }
  });

  it('inverts: a lit band of whole cells with the glyph dark', () => {
    const lit = new Set(litPixels('Hi', { invert: true }).map(([x, y]) => `${x},${y}`));
    expect(lit.size).toBe(2 * CELL_WIDTH * CELL_HEIGHT - litPixels('Hi').length);
    for (const [x, y] of litPixels('Hi')) expect(lit.has(`${x},${y}`)).toBe(false);
  });

  it('fits text to a width, ending in an ellipsis when cut', () => {
    expect(fitText('Alice', 29)).toBe('Alice');
    expect(fitText('Alice', 28)).toBe(`Ali${ELLIPSIS}`);
    expect(fitText('Al ice', 23)).toBe(`Al${ELLIPSIS}`);
    expect(fitText('Alice', 4)).toBe('');
    expect(fitText('Alice', 5)).toBe(ELLIPSIS);
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer({ min: 0, max: 140 }),
        fc.integer({ min: 1, max: 3 }),
        (text, width, scale) => {
          const fitted = fitText(text, width, scale);
          expect(textWidth(fitted, scale)).toBeLessThanOrEqual(Math.max(width, 0));
          if (textWidth(text, scale) <= width) expect(fitted).toBe(text);
          else if (fitted !== '') expect(fitted.endsWith(ELLIPSIS)).toBe(true);
        },
      ),
    );
  });

  it('centres text in a span', () => {
    const frame = new Framebuffer();
    drawTextCentered(frame, 0, 'II');
    // "II" is 11 pixels wide: (128 - 11) / 2 rounds down to 58.
    const xs = [];
    for (let x = 0; x < frame.width; x++) for (let y = 0; y < 8; y++) if (frame.get(x, y)) xs.push(x);
    expect(Math.min(...xs)).toBe(58 + 1);
    expect(Math.max(...xs)).toBe(58 + 6 + 3);
  });

  it('wraps at spaces, cuts words longer than a line, and ends an overflow in an ellipsis', () => {
    expect(wrapText('the quick brown fox', 59, 4)).toEqual(['the quick', 'brown fox']);
    expect(wrapText('abcdefghijkl', 29, 4)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('one two three four five', 29, 2)).toEqual(['one', `two${ELLIPSIS}`]);
    expect(wrapText('  ', 29, 2)).toEqual([]);
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.integer({ min: 5, max: 128 }),
        fc.integer({ min: 1, max: 6 }),
        (text, width, lines) => {
          const wrapped = wrapText(text, width, lines);
          expect(wrapped.length).toBeLessThanOrEqual(lines);
          for (const line of wrapped) expect(textWidth(line)).toBeLessThanOrEqual(width);
        },
      ),
    );
  });
});
