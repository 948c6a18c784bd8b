// PNG snapshots of a framebuffer (DESIGN §5: the frame the SSD1306 gets is "saved as PNG in
// tests"): the golden images of the device screens, and anything else that wants a picture of the
// screen. Lit pixels are white on black, as the OLED shows them.
//
// The image is 1-bit greyscale (PNG spec §11.2.2 IHDR: colour type 0, bit depth 1), not
// interlaced, every scanline with filter type 0 (None), the pixels scaled up by a whole number
// with nearest neighbour so a 128x64 screen is reviewable. Chunk CRCs are zlib.crc32 (Node >=
// 20.15), which is the CRC-32 of PNG spec §5.5. The encoder is deterministic: the same frame and
// scale give the same bytes with the same zlib.
import { crc32, deflateSync } from 'node:zlib';
import type { Framebuffer } from './framebuffer.js';

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Enough for any review; a larger scale is a mistake that would allocate megabytes. */
const MAX_PNG_SCALE = 16;

export function encodePng(frame: Framebuffer, options: { scale?: number } = {}): Uint8Array {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_PNG_SCALE) {
    throw new RangeError(`PNG scale must be a whole number from 1 to ${MAX_PNG_SCALE}, got ${scale}`);
  }
  const width = frame.width * scale;
  const height = frame.height * scale;

  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  // Bit depth 1, colour type 0 (greyscale), compression 0, filter method 0, interlace 0.
  ihdr.set([1, 0, 0, 0, 0], 8);

  const rowBytes = Math.ceil(width / 8);
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    // raw[row start] stays 0: filter type None.
    const start = y * (rowBytes + 1) + 1;
    for (let x = 0; x < width; x++) {
      if (frame.get(Math.floor(x / scale), Math.floor(y / scale))) {
        const i = start + (x >> 3);
        raw[i] = (raw[i] as number) | (0x80 >> (x & 7));
      }
    }
  }

  return concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Length, type, data, and the CRC of type and data (PNG spec §5.3). */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
