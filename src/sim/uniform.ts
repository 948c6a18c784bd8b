// Uniform numbers in [0, 1) drawn from an Rng byte stream: the dice the virtual network rolls for
// loss, jitter, duplication and reordering, reproducible from the Rng's seed.
import type { Rng } from '../crypto/random.js';

/** Bytes fetched per call to the Rng: one call per 1024 numbers instead of one per number. */
const CHUNK_BYTES = 4096;

/**
 * Reads the Rng in chunks, so an Rng shared with other code sees its stream consumed ahead of use;
 * runs stay reproducible, but give the network its own Rng if the other consumer's values matter.
 */
export function uniformSource(rng: Rng): () => number {
  let view: DataView = new DataView(new ArrayBuffer(0));
  let offset = 0;
  return () => {
    if (offset + 4 > view.byteLength) {
      const bytes = rng(CHUNK_BYTES);
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      offset = 0;
    }
    const value = view.getUint32(offset, true);
    offset += 4;
    return value / 2 ** 32;
  };
}
