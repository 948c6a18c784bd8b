// The PNG encoder: a valid file (signature, chunk order, CRC-32 of PNG spec §5.5 computed here
// independently of zlib.crc32), whose pixels, inflated here with zlib, are the framebuffer's,
// scaled nearest-neighbour.
import fc from 'fast-check';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Framebuffer } from '../../../src/hal/framebuffer.js';
import { encodePng, PNG_SIGNATURE } from '../../../src/hal/png.js';
import { pngChunks } from '../../helpers/golden.js';

/** The table-driven CRC-32 of PNG spec §5.5 / Annex D, polynomial 0xEDB88320. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function randomFrame(seed: number, width = 128, height = 64): Framebuffer {
  const frame = new Framebuffer(width, height);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < frame.bytes.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    frame.bytes[i] = s & 0xff;
  }
  return frame;
}

/** Pixels of the PNG, reconstructed here: IDAT inflated, filter bytes checked, bits unpacked. */
function pixelsOf(png: Uint8Array): {
  width: number;
  height: number;
  get: (x: number, y: number) => boolean;
} {
  const chunks = pngChunks(png);
  const ihdr = new DataView((chunks[0] as { data: Uint8Array }).data.slice().buffer);
  const width = ihdr.getUint32(0);
  const height = ihdr.getUint32(4);
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = Math.ceil(width / 8) + 1;
  expect(raw.length).toBe(stride * height);
  for (let y = 0; y < height; y++) expect(raw[y * stride]).toBe(0);
  return {
    width,
    height,
    get: (x, y) => (((raw[y * stride + 1 + (x >> 3)] as number) >> (7 - (x & 7))) & 1) === 1,
  };
}

describe('encodePng', () => {
  it('writes the signature, then IHDR, IDAT and IEND with correct CRCs', () => {
    const png = encodePng(randomFrame(7), { scale: 2 });
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(Array.from(PNG_SIGNATURE)).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const chunks = pngChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    for (const chunk of chunks) {
      const typed = new Uint8Array(4 + chunk.data.length);
      typed.set(new TextEncoder().encode(chunk.type));
      typed.set(chunk.data, 4);
      expect(chunk.crc, chunk.type).toBe(crc(typed));
    }
    // 256x128, bit depth 1, greyscale, deflate, adaptive filtering, no interlace.
    expect(Array.from(chunks[0]?.data ?? [])).toEqual([0, 0, 1, 0, 0, 0, 0, 128, 1, 0, 0, 0, 0]);
    expect(chunks[2]?.data.length).toBe(0);
  });

  it('checks the CRC routine of this test against the PNG spec example value', () => {
    // CRC-32 of "IEND" with no data, as every PNG ends: AE 42 60 82.
    expect(crc(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('holds exactly the framebuffer pixels, lit as white, at any scale', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 5 }), (seed, scale) => {
        const frame = randomFrame(seed);
        const image = pixelsOf(encodePng(frame, { scale }));
        expect([image.width, image.height]).toEqual([128 * scale, 64 * scale]);
        for (let y = 0; y < image.height; y++) {
          for (let x = 0; x < image.width; x++) {
            if (image.get(x, y) !== frame.get(Math.floor(x / scale), Math.floor(y / scale))) {
              throw new Error(`pixel ${x},${y} at scale ${scale} differs`);
            }
          }
        }
      }),
      { numRuns: 20 },
    );
  });

  it('pads rows whose width is not a multiple of 8 with dark bits', () => {
    const frame = new Framebuffer(13, 8);
    for (let x = 0; x < 13; x++) frame.set(x, 3, true);
    const image = pixelsOf(encodePng(frame, { scale: 1 }));
    expect(image.width).toBe(13);
    for (let x = 0; x < 16; x++) expect(image.get(x, 3)).toBe(x < 13);
  });

  it('is deterministic', () => {
    expect(encodePng(randomFrame(3), { scale: 3 })).toEqual(encodePng(randomFrame(3), { scale: 3 }));
  });

  it('refuses a scale that is not a whole number from 1 to 16', () => {
    for (const scale of [0, -1, 1.5, 17, Number.NaN]) {
      expect(() => encodePng(new Framebuffer(), { scale })).toThrow(RangeError);
    }
    expect(() => encodePng(new Framebuffer(), { scale: 16 })).not.toThrow();
  });
});
