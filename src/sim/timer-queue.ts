// The virtual clock's queue of scheduled calls: a binary min-heap ordered by (time, insertion
// order). Cancelling is lazy (the entry is marked and skipped when it reaches the top), so it costs
// O(1); when cancelled entries outnumber live ones the heap is rebuilt without them, so protocols that
// arm and cancel a timer per packet do not make the heap grow without bound.

interface Entry {
  readonly time: number;
  readonly seq: number;
  /** Cleared when the call is cancelled or taken, which is what makes a second cancel a no-op. */
  fn: (() => void) | undefined;
}

/** Below this many cancelled entries a rebuild costs more than the skipping it saves. */
const COMPACT_MIN = 1024;

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class TimerQueue {
  private heap: Entry[] = [];
  private nextSeq = 0;
  private live = 0;
  private cancelled = 0;

  /** Calls queued and neither taken nor cancelled. */
  get size(): number {
    return this.live;
  }

  push(time: number, fn: () => void): () => void {
    const entry: Entry = { time, seq: this.nextSeq++, fn };
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    this.live += 1;
    return () => {
      if (entry.fn === undefined) return;
      entry.fn = undefined;
      this.live -= 1;
      this.cancelled += 1;
      if (this.cancelled >= COMPACT_MIN && this.cancelled > this.live) this.compact();
    };
  }

  /** The time of the earliest live call, or undefined when none is queued. */
  peekTime(): number | undefined {
    return this.top()?.time;
  }

  /** Removes and returns the earliest live call. */
  take(): { time: number; fn: () => void } | undefined {
    const entry = this.top();
    if (entry?.fn === undefined) return undefined;
    const fn = entry.fn;
    entry.fn = undefined;
    this.removeTop();
    this.live -= 1;
    return { time: entry.time, fn };
  }

  /** The top entry after discarding cancelled ones above it. */
  private top(): Entry | undefined {
    let entry = this.heap[0];
    while (entry !== undefined && entry.fn === undefined) {
      this.removeTop();
      this.cancelled -= 1;
      entry = this.heap[0];
    }
    return entry;
  }

  private removeTop(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private compact(): void {
    this.heap = this.heap.filter((entry) => entry.fn !== undefined);
    this.cancelled = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const entry = heap[index];
    if (entry === undefined) return;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as Entry;
      if (!before(entry, parent)) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = entry;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const entry = heap[index];
    if (entry === undefined) return;
    const length = heap.length;
    let i = index;
    for (;;) {
      const leftIndex = 2 * i + 1;
      if (leftIndex >= length) break;
      let childIndex = leftIndex;
      let child = heap[leftIndex] as Entry;
      const right = heap[leftIndex + 1];
      if (right !== undefined && before(right, child)) {
        childIndex = leftIndex + 1;
        child = right;
      }
      if (!before(child, entry)) break;
      heap[i] = child;
      i = childIndex;
    }
    heap[i] = entry;
  }
}
