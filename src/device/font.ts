// The device's built-in bitmap font (DESIGN §5: the display is drawn by device/ "with a built-in
// bitmap font"), drawn for this project as data: no font file, no font package, the same pixels on
// the SSD1306, the web panel and the golden PNGs.
//
// Each glyph is 5 pixels wide in a 6x8 cell (the sixth column is the gap to the next glyph).
// Capitals, digits and ascenders use rows 0-6 (a 5x7 face); the x-height is rows 2-6; row 7 is
// only for descenders (g j p q y and the comma) and the underscore, so text lines are set 9 or more rows
// apart and a descender never touches the line below.
//
// Beyond printable ASCII (0x20-0x7E) the font has the symbols the screens use, each at its own
// Unicode code point, so it is also what that character shows as in a name:
//   U+2026 …  ellipsis in one cell (truncation)   U+25B6 ▶  arrow ("SELECT ▶ contacts")
//   U+260E ☎  phone handset (call screens)        U+2713 ✓  check mark (verified contact)
//   U+1F512   lock (the call is encrypted)        U+25CF ●  filled dot (network online)
//   U+25CB ○  hollow dot (network offline)        U+FFFD    replacement: a dark ? on a lit block
//
// Contact names are UTF-8 strings from contact cards, so non-ASCII is common. A letter with
// accents is shown as its base letter when that is ASCII (é -> e, Ö -> O: the name stays readable);
// every other code point (ß, 李, an emoji, a control character) shows as the replacement glyph,
// one per code point.

/** Pixels of a glyph; glyphs sit at the left of their cell. */
export const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 8;
/** The advance from one glyph to the next, and the height of a line of text. */
export const CELL_WIDTH = 6;
export const CELL_HEIGHT = 8;

export const ELLIPSIS = '\u2026';
export const ARROW = '\u25b6';
export const PHONE = '\u260e';
export const CHECK = '\u2713';
export const LOCK = '\u{1f512}';
export const DOT_FILLED = '\u25cf';
export const DOT_HOLLOW = '\u25cb';
export const REPLACEMENT = '\ufffd';

/**
 * Row pictures, top row first, '#' lit: 7 rows, or 8 for a glyph that uses the descender row.
 * Kept as [character, picture] pairs so a missing or misplaced glyph cannot shift the others.
 */
const PICTURES: readonly (readonly [string, string])[] = [
  [' ', '..... ..... ..... ..... ..... ..... .....'],
  ['!', '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..'],
  ['"', '.#.#. .#.#. .#.#. ..... ..... ..... .....'],
  ['#', '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.'],
  ['$', '..#.. .#### #.#.. .###. ..#.# ####. ..#..'],
  ['%', '##... ##..# ...#. ..#.. .#... #..## ...##'],
  ['&', '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#'],
  ["'", '..#.. ..#.. .#... ..... ..... ..... .....'],
  ['(', '...#. ..#.. .#... .#... .#... ..#.. ...#.'],
  [')', '.#... ..#.. ...#. ...#. ...#. ..#.. .#...'],
  ['*', '..... ..#.. #.#.# .###. #.#.# ..#.. .....'],
  ['+', '..... ..#.. ..#.. ##### ..#.. ..#.. .....'],
  [',', '..... ..... ..... ..... ..... .##.. ..#.. .#...'],
  ['-', '..... ..... ..... ##### ..... ..... .....'],
  ['.', '..... ..... ..... ..... ..... .##.. .##..'],
  ['/', '..... ....# ...#. ..#.. .#... #.... .....'],
  ['0', '.###. #...# #..## #.#.# ##..# #...# .###.'],
  ['1', '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.'],
  ['2', '.###. #...# ....# ...#. ..#.. .#... #####'],
  ['3', '##### ...#. ..#.. ...#. ....# #...# .###.'],
  ['4', '...#. ..##. .#.#. #..#. ##### ...#. ...#.'],
  ['5', '##### #.... ####. ....# ....# #...# .###.'],
  ['6', '..##. .#... #.... ####. #...# #...# .###.'],
  ['7', '##### ....# ...#. ..#.. .#... .#... .#...'],
  ['8', '.###. #...# #...# .###. #...# #...# .###.'],
  ['9', '.###. #...# #...# .#### ....# ...#. .##..'],
  [':', '..... .##.. .##.. ..... .##.. .##.. .....'],
  [';', '..... .##.. .##.. ..... .##.. ..#.. .#...'],
  ['<', '...#. ..#.. .#... #.... .#... ..#.. ...#.'],
  ['=', '..... ..... ##### ..... ##### ..... .....'],
  ['>', '.#... ..#.. ...#. ....# ...#. ..#.. .#...'],
  ['?', '.###. #...# ....# ...#. ..#.. ..... ..#..'],
  ['@', '.###. #...# ....# .##.# #.#.# #.#.# .###.'],
  ['A', '.###. #...# #...# ##### #...# #...# #...#'],
  ['B', '####. #...# #...# ####. #...# #...# ####.'],
  ['C', '.###. #...# #.... #.... #.... #...# .###.'],
  ['D', '###.. #..#. #...# #...# #...# #..#. ###..'],
  ['E', '##### #.... #.... ####. #.... #.... #####'],
  ['F', '##### #.... #.... ####. #.... #.... #....'],
  ['G', '.###. #...# #.... #.### #...# #...# .####'],
  ['H', '#...# #...# #...# ##### #...# #...# #...#'],
  ['I', '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.'],
  ['J', '..### ...#. ...#. ...#. ...#. #..#. .##..'],
  ['K', '#...# #..#. #.#.. ##... #.#.. #..#. #...#'],
  ['L', '#.... #.... #.... #.... #.... #.... #####'],
  ['M', '#...# ##.## #.#.# #.#.# #...# #...# #...#'],
  ['N', '#...# #...# ##..# #.#.# #..## #...# #...#'],
  ['O', '.###. #...# #...# #...# #...# #...# .###.'],
  ['P', '####. #...# #...# ####. #.... #.... #....'],
  ['Q', '.###. #...# #...# #...# #.#.# #..#. .##.#'],
  ['R', '####. #...# #...# ####. #.#.. #..#. #...#'],
  ['S', '.#### #.... #.... .###. ....# ....# ####.'],
  ['T', '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..'],
  ['U', '#...# #...# #...# #...# #...# #...# .###.'],
  ['V', '#...# #...# #...# #...# #...# .#.#. ..#..'],
  ['W', '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.'],
  ['X', '#...# #...# .#.#. ..#.. .#.#. #...# #...#'],
  ['Y', '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..'],
  ['Z', '##### ....# ...#. ..#.. .#... #.... #####'],
  ['[', '.###. .#... .#... .#... .#... .#... .###.'],
  ['\\', '..... #.... .#... ..#.. ...#. ....# .....'],
  [']', '.###. ...#. ...#. ...#. ...#. ...#. .###.'],
  ['^', '..#.. .#.#. #...# ..... ..... ..... .....'],
  ['_', '..... ..... ..... ..... ..... ..... ..... #####'],
  ['`', '.#... ..#.. ...#. ..... ..... ..... .....'],
  ['a', '..... ..... .###. ....# .#### #...# .####'],
  ['b', '#.... #.... #.##. ##..# #...# #...# ####.'],
  ['c', '..... ..... .###. #.... #.... #...# .###.'],
  ['d', '....# ....# .##.# #..## #...# #...# .####'],
  ['e', '..... ..... .###. #...# ##### #.... .###.'],
  ['f', '..##. .#..# .#... ###.. .#... .#... .#...'],
  ['g', '..... ..... .#### #...# #...# .#### ....# .###.'],
  ['h', '#.... #.... #.##. ##..# #...# #...# #...#'],
  ['i', '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.'],
  ['j', '...#. ..... ..##. ...#. ...#. ...#. #..#. .##..'],
  ['k', '#.... #.... #..#. #.#.. ##... #.#.. #..#.'],
  ['l', '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.'],
  ['m', '..... ..... ##.#. #.#.# #.#.# #...# #...#'],
  ['n', '..... ..... #.##. ##..# #...# #...# #...#'],
  ['o', '..... ..... .###. #...# #...# #...# .###.'],
  ['p', '..... ..... ####. #...# #...# ####. #.... #....'],
  ['q', '..... ..... .#### #...# #...# .#### ....# ....#'],
  ['r', '..... ..... #.##. ##..# #.... #.... #....'],
  ['s', '..... ..... .###. #.... .###. ....# ####.'],
  ['t', '.#... .#... ###.. .#... .#... .#..# ..##.'],
  ['u', '..... ..... #...# #...# #...# #..## .##.#'],
  ['v', '..... ..... #...# #...# #...# .#.#. ..#..'],
  ['w', '..... ..... #...# #...# #.#.# #.#.# .#.#.'],
  ['x', '..... ..... #...# .#.#. ..#.. .#.#. #...#'],
  ['y', '..... ..... #...# #...# #...# .#### ....# .###.'],
  ['z', '..... ..... ##### ...#. ..#.. .#... #####'],
  ['{', '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.'],
  ['|', '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..'],
  ['}', '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#...'],
  ['~', '..... ..... .#... #.#.# ...#. ..... .....'],
  [ELLIPSIS, '..... ..... ..... ..... ..... ..... #.#.#'],
  [ARROW, '#.... ##... ###.. ####. ###.. ##... #....'],
  [PHONE, '##... ##... #.... #.... .#... ..### ...##'],
  [CHECK, '..... ....# ...## #.##. ###.. .#... .....'],
  [LOCK, '.###. #...# #...# ##### ##.## ##.## #####'],
  [DOT_FILLED, '..... .###. ##### ##### ##### .###. .....'],
  [DOT_HOLLOW, '..... .###. #...# #...# #...# .###. .....'],
  [REPLACEMENT, '#...# .###. ####. ###.# ##.## ##### ##.##'],
];

/** A glyph: GLYPH_HEIGHT rows, top first; bit 4 of a row is its leftmost pixel. */
export type Glyph = Uint8Array;

function parsePicture(char: string, picture: string): Glyph {
  const rows = picture.split(' ');
  if (rows.length < 7 || rows.length > GLYPH_HEIGHT || rows.some((r) => !/^[.#]{5}$/.test(r))) {
    throw new Error(`font: the picture of ${JSON.stringify(char)} is not 7 or 8 rows of 5 pixels`);
  }
  const glyph = new Uint8Array(GLYPH_HEIGHT);
  rows.forEach((row, y) => {
    for (let x = 0; x < GLYPH_WIDTH; x++) if (row[x] === '#') glyph[y] = (glyph[y] as number) | (16 >> x);
  });
  return glyph;
}

const GLYPHS: ReadonlyMap<number, Glyph> = new Map(
  PICTURES.map(([char, picture]) => [char.codePointAt(0) as number, parsePicture(char, picture)]),
);
const REPLACEMENT_GLYPH = GLYPHS.get(0xfffd) as Glyph;

/**
 * What a string shows as, one entry per glyph: the code points of its NFC form, combining marks
 * dropped (an e followed by a combining accent is one glyph, as a precomposed é is; a mark with
 * nothing precomposed simply vanishes), so an emoji is one glyph, not two halves of a pair.
 */
export function glyphUnits(text: string): string[] {
  return Array.from(text.normalize('NFC')).filter((char) => !/\p{M}/u.test(char));
}

/** The glyph shown for one code point: its own, its unaccented ASCII letter's, or the replacement. */
export function glyphFor(codePoint: number): Glyph {
  const own = GLYPHS.get(codePoint);
  if (own) return own;
  // Canonical decomposition splits é into e + a combining accent; anything that does not come apart
  // into one printable ASCII character and marks only (Hangul splits into jamo, ß not at all) shows
  // as the replacement.
  const [base, ...marks] = Array.from(String.fromCodePoint(codePoint).normalize('NFD'));
  const baseCode = base?.codePointAt(0) ?? 0;
  const foldable = baseCode >= 0x20 && baseCode <= 0x7e && marks.every((m) => /\p{M}/u.test(m));
  return (foldable && GLYPHS.get(baseCode)) || REPLACEMENT_GLYPH;
}
