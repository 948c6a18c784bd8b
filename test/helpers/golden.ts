// Golden images of the device screens: each test renders a screen into a framebuffer and compares
// it with test/golden/<name>.png, a PNG a reviewer can open. With UPDATE_GOLDEN=1 in the
// environment the PNGs are (re)written instead of compared.
//
// The comparison is by pixels, not bytes: the PNG is decoded (only what hal/png.ts writes: 1-bit
// greyscale, filter None) and compared with the frame, so a Node upgrade that changes zlib's
// compressed bytes does not fail every golden. On a mismatch the new image is written to the
// temporary directory and the failure names it, for a side-by-side look.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { Framebuffer } from '../../src/hal/framebuffer.js';
import { encodePng, PNG_SIGNATURE } from '../../src/hal/png.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../golden/', import.meta.url));
/** Each screen pixel is a 4x4 block in the golden PNGs: 512x256, readable at a glance. */
export const GOLDEN_SCALE = 4;

export interface PngChunk {
  type: string;
  data: Uint8Array;
  crc: number;
}

/** The chunks of a PNG, in order; throws on a bad signature or a chunk running past the end. */
export function pngChunks(png: Uint8Array): PngChunk[] {
  if (!PNG_SIGNATURE.every((b, i) => png[i] === b)) throw new Error('not a PNG: bad signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  for (let at = PNG_SIGNATURE.length; at < png.length;) {
    if (at + 12 > png.length) throw new Error(`PNG chunk header at ${at} runs past the end`);
    const length = view.getUint32(at);
    if (at + 12 + length > png.length) throw new Error(`PNG chunk at ${at} runs past the end`);
    chunks.push({
      type: new TextDecoder().decode(png.subarray(at + 4, at + 8)),
      data: png.subarray(at + 8, at + 8 + length),
      crc: view.getUint32(at + 8 + length),
    });
    at += 12 + length;
  }
  return chunks;
}

/** Decodes a 1-bit greyscale, filter-None PNG (what encodePng writes) to one 0/1 byte per pixel. */
export function decodePng(png: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  const chunks = pngChunks(png);
  const ihdr = chunks.find((c) => c.type === 'IHDR');
  if (!ihdr || ihdr.data.length !== 13) throw new Error('PNG has no valid IHDR');
  const header = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13);
  const width = header.getUint32(0);
  const height = header.getUint32(4);
  if (ihdr.data[8] !== 1 || ihdr.data[9] !== 0 || ihdr.data[12] !== 0) {
    throw new Error('PNG is not 1-bit greyscale without interlace');
  }
  const idat = chunks.filter((c) => c.type === 'IDAT').map((c) => c.data);
  const raw = inflateSync(Buffer.concat(idat));
  const rowBytes = Math.ceil(width / 8);
  if (raw.length !== (rowBytes + 1) * height) throw new Error(`PNG image data is ${raw.length} bytes`);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const start = y * (rowBytes + 1);
    if (raw[start] !== 0) throw new Error(`PNG row ${y} uses filter ${raw[start]}, not None`);
    for (let x = 0; x < width; x++)
      pixels[y * width + x] = ((raw[start + 1 + (x >> 3)] as number) >> (7 - (x & 7))) & 1;
  }
  return { width, height, pixels };
}

/** Compares `frame` with test/golden/<name>.png, or writes that file when UPDATE_GOLDEN=1. */
export function expectGolden(name: string, frame: Framebuffer): void {
  const path = join(GOLDEN_DIR, `${name}.png`);
  const png = encodePng(frame, { scale: GOLDEN_SCALE });
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, png);
    return;
  }
  if (!existsSync(path))
    throw new Error(`no golden image ${path}; run the test with UPDATE_GOLDEN=1 to make it`);
  const want = decodePng(readFileSync(path));
  const got = decodePng(png);
  let differing = 0;
  for (let i = 0; i < got.pixels.length; i++) if (got.pixels[i] !== want.pixels[i]) differing++;
  if (want.width !== got.width || want.height !== got.height || differing > 0) {
    const actual = join(tmpdir(), `kith-golden-${name}.actual.png`);
    writeFileSync(actual, png);
    throw new Error(
      `${name}: ${differing} of ${got.pixels.length} pixels differ from ${path} ` +
        `(${want.width}x${want.height} there); the new image is ${actual}. ` +
        'If the change is intended, rerun with UPDATE_GOLDEN=1 and review the PNGs.',
    );
  }
}
