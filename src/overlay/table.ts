// The routing table of the overlay (docs/overlay-protocol.md "Behaviour"): Kademlia's k-buckets
// over XOR distance (Maymounkov and Mazières, "Kademlia", 2002, §2.2 and §2.4). Bucket i holds
// nodes whose distance from us has its highest set bit at position 255 - i, i.e. IDs sharing
// exactly i leading bits with ours; each holds at most `k` nodes, least recently seen first.
//
// A full bucket keeps its old entries (§2.2: long-lived nodes are likely to stay) and reports
// the least recently seen one, so the caller can ping it and evict it only if it is dead. That
// policy is also what makes the table resist being flooded by fresh IDs.
export const ID_BYTES = 32;
export const ID_BITS = ID_BYTES * 8;

export interface TableEntry {
  id: Uint8Array;
}

/** How many leading bits two IDs share (256 when equal). */
export function sharedPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = ((a[i] as number) ^ (b[i] as number)) & 0xff;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** Negative when `a` is closer to `target` than `b` (XOR distance), 0 when as close, positive otherwise. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = ((a[i] as number) ^ (target[i] as number)) & 0xff;
    const db = ((b[i] as number) ^ (target[i] as number)) & 0xff;
    if (da !== db) return da - db;
  }
  return 0;
}

/**
 * The first 48 bits of the XOR distance as a number: sorting by it orders IDs by distance except
 * among IDs that agree in those bits (never, in practice, between distinct random IDs); `byDistance`
 * breaks such ties exactly. Sorting with plain numbers is what keeps a 10,000-node simulation fast.
 */
export function distanceKey(target: Uint8Array, id: Uint8Array): number {
  let key = 0;
  for (let i = 0; i < 6; i++) key = key * 256 + (((id[i] as number) ^ (target[i] as number)) & 0xff);
  return key;
}

/** Sorts `items` by XOR distance of `idOf(item)` from `target`, closest first (in place). */
export function byDistance<T>(target: Uint8Array, items: T[], idOf: (item: T) => Uint8Array): T[] {
  const keys = new Map<T, number>();
  for (const item of items) keys.set(item, distanceKey(target, idOf(item)));
  return items.sort(
    (a, b) => (keys.get(a) as number) - (keys.get(b) as number) || compareDistance(target, idOf(a), idOf(b)),
  );
}

export function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return compareDistance(a, a, b) === 0;
}

export type AddResult<T> =
  | { status: 'added' | 'updated' }
  /** The bucket is full: `oldest` is the entry to ping; call `replace` if it is dead. */
  | { status: 'full'; oldest: T }
  | { status: 'self' };

export class RoutingTable<T extends TableEntry> {
  readonly self: Uint8Array;
  readonly k: number;
  /** buckets[i]: entries sharing exactly i leading bits with self, least recently seen first. */
  readonly #buckets: T[][] = Array.from({ length: ID_BITS }, () => []);
  #size = 0;

  constructor(self: Uint8Array, k = 8) {
    if (self.length !== ID_BYTES) throw new RangeError(`a node ID is ${ID_BYTES} bytes`);
    this.self = self;
    this.k = k;
  }

  get size(): number {
    return this.#size;
  }

  bucketOf(id: Uint8Array): number {
    return sharedPrefixBits(this.self, id);
  }

  get(id: Uint8Array): T | undefined {
    const bucket = this.#buckets[this.bucketOf(id)];
    return bucket?.find((e) => sameId(e.id, id));
  }

  /** Adds or refreshes (moves to the most recently seen end) an entry. */
  add(entry: T): AddResult<T> {
    const index = this.bucketOf(entry.id);
    if (index === ID_BITS) return { status: 'self' };
    const bucket = this.#buckets[index] as T[];
    const at = bucket.findIndex((e) => sameId(e.id, entry.id));
    if (at !== -1) {
      bucket.splice(at, 1);
      bucket.push(entry);
      return { status: 'updated' };
    }
    if (bucket.length >= this.k) return { status: 'full', oldest: bucket[0] as T };
    bucket.push(entry);
    this.#size += 1;
    return { status: 'added' };
  }

  /** Evicts `old` for `entry` in the same bucket (after `old` failed to answer). */
  replace(old: T, entry: T): void {
    if (this.remove(old.id)) this.add(entry);
  }

  remove(id: Uint8Array): boolean {
    const bucket = this.#buckets[this.bucketOf(id)];
    const at = bucket?.findIndex((e) => sameId(e.id, id)) ?? -1;
    if (!bucket || at === -1) return false;
    bucket.splice(at, 1);
    this.#size -= 1;
    return true;
  }

  /** The `n` entries closest to `target`, closest first, optionally only those `accept` allows. */
  closest(target: Uint8Array, n: number, accept?: (entry: T) => boolean): T[] {
    const all: T[] = [];
    for (const bucket of this.#buckets) for (const e of bucket) if (!accept || accept(e)) all.push(e);
    return byDistance(target, all, (e) => e.id).slice(0, n);
  }

  entries(): T[] {
    return this.#buckets.flat();
  }

  /** Indexes of buckets that hold at least one entry (for refresh lookups). */
  usedBuckets(): number[] {
    const used: number[] = [];
    this.#buckets.forEach((b, i) => {
      if (b.length > 0) used.push(i);
    });
    return used;
  }
}

/** A random ID that falls into bucket `index` of a table around `self` (for bucket refresh). */
export function randomIdInBucket(self: Uint8Array, index: number, random: Uint8Array): Uint8Array {
  const id = random.slice(0, ID_BYTES);
  // Copy the first `index` bits of self, then flip bit `index`: exactly `index` shared bits.
  for (let bit = 0; bit <= index && bit < ID_BITS; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const selfBit = (self[byte] as number) & mask;
    const want = bit < index ? selfBit : selfBit ^ mask;
    id[byte] = ((id[byte] as number) & ~mask) | want;
  }
  return id;
}
