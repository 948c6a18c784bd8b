// The 128x64 1-bit image the device shows (DESIGN §5): drawn by device/, flushed by the SSD1306
// driver, mirrored by the simulator's web panel and saved as PNG in tests, all from these bytes.
//
// Layout: the SSD1306's own page layout (datasheet §8.7 "Graphic Display Data RAM"): the screen
// is 8 pages of 8 pixel rows; byte (page * width + x) holds column x of that page, bit n being
// row page * 8 + n. So flushing a frame is one copy, and a page is the unit of partial updates.
export const OLED_WIDTH = 128;
export const OLED_HEIGHT = 64;

export class Framebuffer {
  readonly width: number;
  readonly height: number;
  readonly bytes: Uint8Array;

  constructor(width = OLED_WIDTH, height = OLED_HEIGHT) {
    if (height % 8 !== 0) throw new RangeError('a framebuffer height is a whole number of 8-row pages');
    this.width = width;
    this.height = height;
    this.bytes = new Uint8Array((width * height) / 8);
  }

  get pages(): number {
    return this.height / 8;
  }

  get(x: number, y: number): boolean {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return false;
    return (((this.bytes[(y >> 3) * this.width + x] as number) >> (y & 7)) & 1) === 1;
  }

  /** Sets one pixel; off-screen pixels are ignored, so drawing may run past the edges. */
  set(x: number, y: number, on: boolean): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y >> 3) * this.width + x;
    const bit = 1 << (y & 7);
    this.bytes[i] = on ? (this.bytes[i] as number) | bit : (this.bytes[i] as number) & ~bit;
  }

  clear(): void {
    this.bytes.fill(0);
  }

  copyFrom(other: Framebuffer): void {
    this.bytes.set(other.bytes);
  }

  /** The pages whose bytes differ from `other` (same size), for partial updates. */
  changedPages(other: Framebuffer): number[] {
    const changed: number[] = [];
    for (let p = 0; p < this.pages; p++) {
      const start = p * this.width;
      for (let i = start; i < start + this.width; i++) {
        if (this.bytes[i] !== other.bytes[i]) {
          changed.push(p);
          break;
        }
      }
    }
    return changed;
  }
}
