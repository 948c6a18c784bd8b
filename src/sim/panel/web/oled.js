// Draws a device's framebuffer onto its canvas, one canvas pixel per OLED pixel (CSS scales it up),
// so the canvas holds exactly the image the SSD1306 would show and a test can read it back.
//
// The bytes are in the SSD1306 page layout (hal/framebuffer.ts): byte page * width + x holds
// column x of an 8-row page, bit n being row page * 8 + n.

/** A lit pixel: the blue-white of a monochrome OLED. Dark pixels are black. */
const LIT = /** @type {const} */ ([170, 215, 255]);

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {ImageData} image the canvas-sized buffer drawn into, reused across frames
 * @param {Uint8Array} bytes width * height / 8 bytes
 */
export function drawFrame(ctx, image, bytes) {
  const { width, height, data } = image;
  for (let y = 0; y < height; y++) {
    const row = (y >> 3) * width;
    const bit = y & 7;
    for (let x = 0; x < width; x++) {
      const lit = (((bytes[row + x] ?? 0) >> bit) & 1) === 1;
      const i = (y * width + x) * 4;
      data[i] = lit ? LIT[0] : 0;
      data[i + 1] = lit ? LIT[1] : 0;
      data[i + 2] = lit ? LIT[2] : 0;
      data[i + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

/**
 * The frame bytes of an `update` message, or null when they are not base64 of the right length.
 * @param {string} base64
 * @param {number} length
 * @returns {Uint8Array | null}
 */
export function decodeFrame(base64, length) {
  let binary;
  try {
    binary = atob(base64);
  } catch {
    return null;
  }
  if (binary.length !== length) return null;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * How bright the SSD1306 looks at a contrast setting (0..255): never quite dark while on.
 * @param {number} contrast
 */
export function brightness(contrast) {
  return 0.3 + (0.7 * Math.min(255, Math.max(0, contrast))) / 255;
}
