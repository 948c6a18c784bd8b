// Cuts a raw S16_LE byte stream (arecord's stdout) into frames of exactly one 20 ms frame each. A pipe
// delivers whatever chunk sizes it likes, odd byte counts included, so bytes that do not yet make a
// whole frame wait for the next chunk.
import { samplesFromBytes } from './frame.js';

export class Reframer {
  private readonly pending: Uint8Array;
  private filled = 0;

  constructor(samplesPerFrame: number) {
    this.pending = new Uint8Array(samplesPerFrame * 2);
  }

  /** The frames that `chunk` completes, in order; each is a new array. */
  push(chunk: Uint8Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.pending.length - this.filled, chunk.length - offset);
      this.pending.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.pending.length) {
        frames.push(samplesFromBytes(this.pending));
        this.filled = 0;
      }
    }
    return frames;
  }
}
