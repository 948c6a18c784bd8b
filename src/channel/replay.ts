// Sliding anti-replay window over 64-bit packet counters, as in RFC 6479: a ring of bitmap
// blocks, so sliding the window forward clears whole blocks instead of shifting bits, and each
// check is O(1). With 32-bit blocks and WINDOW_BLOCKS blocks, the window accepts any counter
// no more than (WINDOW_BLOCKS - 1) * 32 below the highest seen: 4064 packets, comfortably more
// than the 2048 the design asks for (a voice stream at 50 packets/s reorders far less).
//
// Two steps on purpose (WireGuard does the same): `check` before decryption is cheap and
// rejects old or repeated counters; `accept` after the packet authenticated records it. A forged
// packet therefore can never move the window.
const BLOCK_BITS = 32;
const WINDOW_BLOCKS = 128;
const RING_MASK = WINDOW_BLOCKS - 1;
export const REPLAY_WINDOW = (WINDOW_BLOCKS - 1) * BLOCK_BITS;

export class ReplayWindow {
  readonly #bitmap = new Uint32Array(WINDOW_BLOCKS);
  /** Highest counter accepted so far; -1 before the first. */
  #top = -1;

  /** Could `counter` still be new? (Not a duplicate, not older than the window.) */
  check(counter: number): boolean {
    if (counter > this.#top) return true;
    if (this.#top - counter >= REPLAY_WINDOW) return false;
    const block = Math.floor(counter / BLOCK_BITS) & RING_MASK;
    return ((this.#bitmap[block] as number) & (1 << (counter % BLOCK_BITS))) === 0;
  }

  /** Records an authenticated counter; false when it was already seen or is too old. */
  accept(counter: number): boolean {
    if (!this.check(counter)) return false;
    if (counter > this.#top) {
      const topBlock = Math.floor(this.#top / BLOCK_BITS);
      const newBlock = Math.floor(counter / BLOCK_BITS);
      // Clear the blocks the window slides over; never more than the whole ring.
      const clear = Math.min(newBlock - topBlock, WINDOW_BLOCKS);
      for (let i = 1; i <= clear; i++) this.#bitmap[(topBlock + i) & RING_MASK] = 0;
      this.#top = counter;
    }
    const block = Math.floor(counter / BLOCK_BITS) & RING_MASK;
    this.#bitmap[block] = (this.#bitmap[block] as number) | (1 << (counter % BLOCK_BITS));
    return true;
  }
}
