// A compact model of the overlay's routing alone, for network sizes the full node simulation
// cannot hold in memory (10 k to 1 M nodes): no crypto, no packets, only the rules of
// docs/overlay-protocol.md "Behaviour" → "Routing", applied to converged Kademlia tables
// (Maymounkov and Mazières, "Kademlia", 2002, §2.2).
//
// Layout. The N IDs live sorted in one Uint8Array, so index order is ID order and the nodes whose
// IDs start with a given prefix form one contiguous index range. Bucket i of node x (IDs sharing
// exactly i leading bits with x, src/overlay/table.ts) is therefore the range of the prefix "x's
// first i bits, then the opposite of x's bit i", found by binary search. Tables are one Int32Array
// of member indexes with per-node offsets: about 4 bytes per entry instead of an object per entry.
//
// Assumptions, each a modelling choice rather than a rule of the spec:
// - Converged tables: every non-empty bucket holds min(k, range size) members drawn uniformly
//   from its range. That is what joining (a lookup of one's own ID) plus bucket refresh (a lookup
//   of a random ID in the bucket's range every 5 minutes) converge to; a real table prefers
//   long-lived nodes (Kademlia §2.2), which only makes its members likelier to be online.
// - Churn: a fraction of the nodes is offline; they never receive and never ack, and hold no
//   table. Members were drawn from all nodes, so a table lists offline ones in proportion; each
//   such entry is still listed ("stale", as between a node's death and the 30 s link timeout of
//   "Keepalive") with probability `stale`, otherwise it has been replaced by a live node of the
//   same range (or dropped when the range has no other live node).
// - Time: one fixed one-way latency per link; a node forwards the moment it receives; an ack
//   takes one latency back, which must be shorter than the first retransmission wait.
//
// Routing ("Routing" in the spec, one rule per line): greedy to a listed neighbour strictly
// closer by XOR distance, best first; a HOP_ACK per hop; retransmission after 350 ms x 1.5^n, up
// to 8 s, at most 6 tries, the next-best neighbour after 2 unacknowledged ones; TTL 32, one less
// per hop; a message seen before is acked but not forwarded again. A lost ack therefore makes a
// second copy when the sender moves on to another neighbour; copies are followed in time order.
import type { Rng } from '../crypto/random.js';
import { compareDistance, ID_BITS, ID_BYTES } from '../overlay/table.js';
import { DEFAULT_OVERLAY_LIMITS, DEFAULT_OVERLAY_TIMERS, type OverlayTimers } from '../overlay/timers.js';

/** Sort keys hold the index in 24 bits (see #sortIds), which bounds the model's size. */
export const MAX_MODEL_NODES = 1 << 24;

/** Uniform draws from an Rng, read in large chunks: one keystream call per 16 k draws, not per draw. */
export class RandomStream {
  readonly #rng: Rng;
  #words: Uint32Array = new Uint32Array(0);
  #at = 0;

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  u32(): number {
    if (this.#at >= this.#words.length) {
      const bytes = this.#rng(65_536);
      // An Rng may hand back a view at any offset; Uint32Array needs 4-byte alignment.
      const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
      this.#words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
      this.#at = 0;
    }
    return this.#words[this.#at++] as number;
  }

  /** Uniform in [0, n), 1 <= n <= 2^32, by rejection so that no value is favoured. */
  below(n: number): number {
    const limit = 2 ** 32 - (2 ** 32 % n);
    // Each draw is rejected with probability < 1/2; 64 rejections in a row mean a broken Rng.
    for (let i = 0; i < 64; i++) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
    throw new Error('RandomStream: the Rng keeps returning the same values');
  }

  /** True with probability p (p <= 0 never, p >= 1 always). */
  chance(p: number): boolean {
    return this.u32() < p * 2 ** 32;
  }
}

export interface RouteModelOptions {
  nodes: number;
  /** Randomness for the IDs, the offline set and the tables. */
  rng: Rng;
  /** Members per bucket; the spec's k = 8 by default. */
  k?: number;
  /** Fraction of nodes offline, 0 by default. */
  offline?: number;
  /** Probability that a table entry naming an offline node is still listed; 1 by default (worst case). */
  stale?: number;
}

/** The spec's retransmission rules, as named in src/overlay/timers.ts. */
export type RouteTimers = Pick<
  OverlayTimers,
  'routeFirstRetryMs' | 'routeBackoff' | 'routeMaxRetryMs' | 'routeMaxTries' | 'routeTriesPerNeighbour'
>;

export interface RouteParams {
  /** Probability that one packet (a ROUTE, or a HOP_ACK) is lost, each independently. */
  loss: number;
  /** One-way latency of every link, ms. */
  latencyMs: number;
  random: RandomStream;
  timers?: RouteTimers;
  /** The initial TTL, 32 by default. */
  ttl?: number;
  /**
   * What a node does when it has tried every closer neighbour routeTriesPerNeighbour times and
   * has tries left. The spec ("at most 6 tries", "the next-best neighbour after 2") does not say;
   * 'start-over' (the default) goes on from the best again until the tries are spent, 'give-up'
   * stops there.
   */
  afterLastNeighbour?: AfterLastNeighbour;
}

export type AfterLastNeighbour = 'start-over' | 'give-up';

/** One transmission of a ROUTE from a node to a neighbour (for tests and instrumentation). */
export interface HopTrace {
  from: number;
  to: number;
  /** This hop's try count before this one (0-based, across neighbours). */
  attempt: number;
  /** Virtual ms since the source sent the message. */
  sentAtMs: number;
  /** The ROUTE reached `to` (which forwards it only if it had not seen it before). */
  arrived: boolean;
  /** Its HOP_ACK reached `from`. */
  acked: boolean;
}

/**
 * Why a message was not delivered (the copy that survived longest, when lost acks made several):
 * `stuck`, the node holding it lists no strictly closer neighbour that is online, so no loss rate
 * matters; `tries`, it lists one but its tries all went unacknowledged (lost, or spent on offline
 * neighbours listed ahead of it); `ttl`, a copy arrived with its TTL used up.
 */
export type RouteFailure = 'stuck' | 'tries' | 'ttl';

/**
 * `transmissions`: ROUTE packets sent in all; `forwarders`: nodes that forwarded a copy (the
 * source included), up to the delivery. `hops` and `timeMs` are those of the first copy to arrive.
 */
export type RouteOutcome =
  | { delivered: true; hops: number; timeMs: number; transmissions: number; forwarders: number }
  | { delivered: false; reason: RouteFailure; transmissions: number; forwarders: number };

/** Virtual ms from a hop's first try to each of its tries: waits of first x backoff^n, capped. */
export function retrySchedule(timers: RouteTimers): number[] {
  const at = [0];
  let wait = timers.routeFirstRetryMs;
  for (let n = 0; n < timers.routeMaxTries; n++) {
    at.push((at[n] as number) + Math.min(wait, timers.routeMaxRetryMs));
    wait *= timers.routeBackoff;
  }
  // at[n] is when try n goes out; at[routeMaxTries] is when the last try is given up.
  return at;
}

function bitAt(ids: Uint8Array, node: number, bit: number): number {
  return ((ids[node * ID_BYTES + (bit >> 3)] as number) >> (7 - (bit & 7))) & 1;
}

function compareIdsAt(ids: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const d = (ids[a * ID_BYTES + i] as number) - (ids[b * ID_BYTES + i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export class RouteModel {
  readonly size: number;
  readonly k: number;
  readonly offlineFraction: number;
  readonly stale: number;
  /** size x 32 bytes, ascending. */
  readonly ids: Uint8Array;
  /** 1 for an online node. */
  readonly online: Uint8Array;
  /** Node x's table is entries[offsets[x] .. offsets[x + 1]), grouped by bucket, -1 for a dropped entry. */
  readonly offsets: Uint32Array;
  readonly entries: Int32Array;
  readonly onlineCount: number;
  /** seen[x] === message stamp: x has received the message being routed (the seen-ID cache). */
  readonly #seen: Int32Array;
  #stamp = 0;

  constructor(options: RouteModelOptions) {
    const { nodes, rng } = options;
    const k = options.k ?? DEFAULT_OVERLAY_LIMITS.k;
    const offline = options.offline ?? 0;
    const stale = options.stale ?? 1;
    if (!Number.isInteger(nodes) || nodes < 2 || nodes > MAX_MODEL_NODES) {
      throw new RangeError(`nodes must be an integer in 2..${MAX_MODEL_NODES}`);
    }
    if (!Number.isInteger(k) || k < 1 || k > 255) throw new RangeError('k must be an integer in 1..255');
    if (!(offline >= 0 && offline < 1)) throw new RangeError('offline must be in [0, 1)');
    if (!(stale >= 0 && stale <= 1)) throw new RangeError('stale must be in [0, 1]');
    this.size = nodes;
    this.k = k;
    this.offlineFraction = offline;
    this.stale = stale;
    const random = new RandomStream(rng);
    this.ids = RouteModel.#sortIds(rng(nodes * ID_BYTES), nodes);
    this.online = new Uint8Array(nodes).fill(1);
    const down = Math.round(offline * nodes);
    this.onlineCount = nodes - down;
    RouteModel.#pickOffline(this.online, down, random);
    this.offsets = new Uint32Array(nodes + 1);
    this.entries = this.#buildTables(random);
    this.#seen = new Int32Array(nodes);
  }

  /** The ID of node `i` (a view, not a copy). */
  id(i: number): Uint8Array {
    return this.ids.subarray(i * ID_BYTES, (i + 1) * ID_BYTES);
  }

  isOnline(i: number): boolean {
    return this.online[i] === 1;
  }

  /** Node x's table entries (a view; -1 marks an entry dropped for want of a live replacement). */
  table(x: number): Int32Array {
    return this.entries.subarray(this.offsets[x] as number, this.offsets[x + 1] as number);
  }

  /** Bytes of the tables (entries and offsets). */
  get tableBytes(): number {
    return this.entries.byteLength + this.offsets.byteLength;
  }

  /** Bytes of every array the model keeps. */
  get bytes(): number {
    return this.tableBytes + this.ids.byteLength + this.online.byteLength + this.#seen.byteLength;
  }

  /** The index range [lo, hi) of the nodes in bucket `bucket` of node x, by binary search. */
  bucketRange(x: number, bucket: number): [number, number] {
    if (bucket < 0 || bucket >= ID_BITS) throw new RangeError(`a bucket is 0..${ID_BITS - 1}`);
    return [this.#lowerBound(x, bucket, false), this.#lowerBound(x, bucket, true)];
  }

  /**
   * Routes one message from `source` to `destination` by the spec's rules and returns what
   * happened; `trace` sees every transmission. Copies made by lost acks are followed in time
   * order, and the message counts as delivered when any copy reaches the destination.
   */
  route(
    source: number,
    destination: number,
    params: RouteParams,
    trace?: (hop: HopTrace) => void,
  ): RouteOutcome {
    const timers = params.timers ?? DEFAULT_OVERLAY_TIMERS;
    const ttl = params.ttl ?? DEFAULT_OVERLAY_LIMITS.initialTtl;
    const { loss, latencyMs, random } = params;
    const afterLast = params.afterLastNeighbour ?? 'start-over';
    if (source === destination) throw new RangeError('source and destination must differ');
    if (!this.isOnline(source)) throw new RangeError('an offline node sends nothing');
    if (2 * latencyMs >= timers.routeFirstRetryMs) {
      // Otherwise every hop would retransmit before its ack could arrive, which the model omits.
      throw new RangeError('the round trip must be shorter than the first retransmission wait');
    }
    const schedule = retrySchedule(timers);
    if (++this.#stamp === 0x7fffffff) {
      this.#seen.fill(0);
      this.#stamp = 1;
    }
    const stamp = this.#stamp;
    // Copies on their way: arrival time, receiving node, hops so far. Extracted earliest first,
    // so the first copy to reach a node is the one it forwards (later ones are acked, not forwarded).
    const qTime: number[] = [0];
    const qNode: number[] = [source];
    const qHops: number[] = [0];
    let transmissions = 0;
    let forwarders = 0;
    let failure: RouteFailure = 'stuck';
    let failureAt = -1;
    const fail = (reason: RouteFailure, at: number): void => {
      // With several copies, the reported reason is that of the copy that survived longest.
      if (at >= failureAt) {
        failure = reason;
        failureAt = at;
      }
    };
    // Each node forwards at most once (the seen stamp) and puts at most routeMaxTries copies on
    // their way, so this many extractions empty the queue; the bound turns a bug into an error.
    const maxSteps = 1 + this.size * timers.routeMaxTries;
    for (let step = 0; qTime.length > 0; step++) {
      if (step > maxSteps) throw new Error('route-model: step bound exceeded');
      let first = 0;
      for (let i = 1; i < qTime.length; i++) if ((qTime[i] as number) < (qTime[first] as number)) first = i;
      const now = qTime[first] as number;
      const node = qNode[first] as number;
      const hops = qHops[first] as number;
      qTime.splice(first, 1);
      qNode.splice(first, 1);
      qHops.splice(first, 1);
      if (this.#seen[node] === stamp) continue;
      this.#seen[node] = stamp;
      if (node === destination) return { delivered: true, hops, timeMs: now, transmissions, forwarders };
      // The source sends with TTL `ttl`; each hop decrements it; a copy arriving at 0 goes no further.
      if (hops >= ttl) {
        fail('ttl', now);
        continue;
      }
      forwarders += 1;
      const candidates = this.#closerNeighbours(node, destination);
      // Tries go best first, routeTriesPerNeighbour to each; when the list runs out before
      // routeMaxTries, it starts over from the best ('start-over') or the node gives up ('give-up').
      const budget =
        afterLast === 'give-up'
          ? Math.min(timers.routeMaxTries, candidates.length * timers.routeTriesPerNeighbour)
          : candidates.length > 0
            ? timers.routeMaxTries
            : 0;
      let tries = 0;
      let acked = false;
      for (; tries < budget && !acked; tries++) {
        const next = candidates[
          Math.floor(tries / timers.routeTriesPerNeighbour) % candidates.length
        ] as number;
        const sentAt = now + (schedule[tries] as number);
        const arrived = this.online[next] === 1 && !random.chance(loss);
        acked = arrived && !random.chance(loss);
        transmissions += 1;
        trace?.({ from: node, to: next, attempt: tries, sentAtMs: sentAt, arrived, acked });
        if (arrived) {
          qTime.push(sentAt + latencyMs);
          qNode.push(next);
          qHops.push(hops + 1);
        }
      }
      if (acked) continue;
      const anyOnline = candidates.some((c) => this.online[c] === 1);
      fail(anyOnline ? 'tries' : 'stuck', now + (schedule[tries] as number));
    }
    return { delivered: false, reason: failure, transmissions, forwarders };
  }

  /**
   * Node x's listed neighbours strictly closer to the destination by XOR distance, closest first
   * (the spec's greedy rule; offline ones included, x cannot know yet). Those are all of the
   * bucket holding the destination, and also those deeper-bucket members that share x's top
   * differing bit with the destination but are closer below it, so every entry is tested.
   */
  #closerNeighbours(x: number, destination: number): number[] {
    const out: number[] = [];
    const end = this.offsets[x + 1] as number;
    for (let e = this.offsets[x] as number; e < end; e++) {
      const member = this.entries[e] as number;
      if (member >= 0 && this.#closer(member, x, destination)) out.push(member);
    }
    const target = this.id(destination);
    out.sort((a, b) => compareDistance(target, this.id(a), this.id(b)));
    return out;
  }

  /**
   * compareDistance(destination, y, x) < 0 on the flat array: y is closer exactly when, at the
   * first bit where y and x differ, y agrees with the destination. A view per entry per hop (to
   * call compareDistance itself) cost more than the rest of the routing put together.
   */
  #closer(y: number, x: number, destination: number): boolean {
    const ids = this.ids;
    for (let i = 0; i < ID_BYTES; i++) {
      const xi = ids[x * ID_BYTES + i] as number;
      const differ = xi ^ (ids[y * ID_BYTES + i] as number);
      if (differ !== 0) {
        const top = 0x80000000 >>> Math.clz32(differ);
        return ((xi ^ (ids[destination * ID_BYTES + i] as number)) & top) !== 0;
      }
    }
    return false;
  }

  /**
   * The first index whose ID's first bucket+1 bits are >= (or, with `after`, >) the prefix of
   * bucket `bucket` of x: x's first `bucket` bits, then the opposite of x's bit `bucket`.
   */
  #lowerBound(x: number, bucket: number, after: boolean): number {
    const lastByte = bucket >> 3;
    const lastMask = (0xff00 >> ((bucket & 7) + 1)) & 0xff;
    const flip = 0x80 >> (bucket & 7);
    const ids = this.ids;
    const comparePrefix = (j: number): number => {
      for (let i = 0; i <= lastByte; i++) {
        let want = ids[x * ID_BYTES + i] as number;
        let have = ids[j * ID_BYTES + i] as number;
        if (i === lastByte) {
          want = (want ^ flip) & lastMask;
          have &= lastMask;
        }
        if (have !== want) return have - want;
      }
      return 0;
    };
    let lo = 0;
    let hi = this.size;
    // Binary search: at most log2(size) + 1 rounds.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = comparePrefix(mid);
      if (c < 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Sorts `count` random IDs. Keys of 64 bits (the first 40 bits of the ID, then the original
   * index in 24 bits) sort natively as a BigUint64Array; IDs equal in their first 40 bits (about
   * one pair at 1 M nodes) are put in order by an insertion pass over the full 32 bytes.
   */
  static #sortIds(raw: Uint8Array, count: number): Uint8Array {
    const keys = new BigUint64Array(count);
    const words = new Uint32Array(keys.buffer);
    const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    const [low, high] = littleEndian ? [0, 1] : [1, 0];
    for (let i = 0; i < count; i++) {
      const o = i * ID_BYTES;
      words[2 * i + high] =
        (((raw[o] as number) << 24) |
          ((raw[o + 1] as number) << 16) |
          ((raw[o + 2] as number) << 8) |
          (raw[o + 3] as number)) >>>
        0;
      words[2 * i + low] = (((raw[o + 4] as number) << 24) | i) >>> 0;
    }
    keys.sort();
    const ids = new Uint8Array(count * ID_BYTES);
    for (let j = 0; j < count; j++) {
      const i = (words[2 * j + low] as number) & 0xffffff;
      ids.set(raw.subarray(i * ID_BYTES, (i + 1) * ID_BYTES), j * ID_BYTES);
    }
    const held = new Uint8Array(ID_BYTES);
    for (let j = 1; j < count; j++) {
      if (compareIdsAt(ids, j - 1, j) <= 0) {
        if (compareIdsAt(ids, j - 1, j) === 0) throw new Error('route-model: two nodes drew the same ID');
        continue;
      }
      held.set(ids.subarray(j * ID_BYTES, (j + 1) * ID_BYTES));
      let at = j;
      // Only IDs tied on their first 40 bits are out of order, so this moves a handful of places.
      for (; at > 0; at--) {
        let greater = false;
        for (let b = 0; b < ID_BYTES; b++) {
          const d = (ids[(at - 1) * ID_BYTES + b] as number) - (held[b] as number);
          if (d !== 0) {
            greater = d > 0;
            break;
          }
        }
        if (!greater) break;
        ids.copyWithin(at * ID_BYTES, (at - 1) * ID_BYTES, at * ID_BYTES);
      }
      ids.set(held, at * ID_BYTES);
    }
    return ids;
  }

  /** Marks exactly `down` nodes offline, chosen uniformly (a partial Fisher-Yates shuffle). */
  static #pickOffline(online: Uint8Array, down: number, random: RandomStream): void {
    const order = new Int32Array(online.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    for (let i = 0; i < down; i++) {
      const j = i + random.below(order.length - i);
      const picked = order[j] as number;
      order[j] = order[i] as number;
      order[i] = picked;
      online[picked] = 0;
    }
  }

  /**
   * Visits every split of the binary trie of the sorted IDs: at depth d, the range [lo, hi) of
   * IDs sharing a d-bit prefix divides at `mid` by bit d, and [mid, hi) is bucket d of every node
   * in [lo, mid) and the other way round. N log N visits in all, against a binary search per node
   * per bucket.
   */
  #walk(
    lo: number,
    hi: number,
    depth: number,
    visit: (lo: number, mid: number, hi: number, depth: number) => void,
  ): void {
    // Depth rises every round and stops at ID_BITS; the recursion is as deep as the trie.
    for (; hi - lo > 1 && depth < ID_BITS; depth++) {
      let a = lo;
      let b = hi;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (bitAt(this.ids, m, depth) === 0) a = m + 1;
        else b = m;
      }
      const mid = a;
      if (mid === lo || mid === hi) continue;
      visit(lo, mid, hi, depth);
      this.#walk(lo, mid, depth + 1, visit);
      lo = mid;
    }
  }

  #buildTables(random: RandomStream): Int32Array {
    const { k, online, offsets } = this;
    const counts = new Uint16Array(this.size);
    this.#walk(0, this.size, 0, (lo, mid, hi) => {
      const up = Math.min(k, hi - mid);
      const down = Math.min(k, mid - lo);
      for (let x = lo; x < mid; x++) if (online[x] === 1) counts[x] = (counts[x] as number) + up;
      for (let x = mid; x < hi; x++) if (online[x] === 1) counts[x] = (counts[x] as number) + down;
    });
    let total = 0;
    for (let x = 0; x < this.size; x++) {
      offsets[x] = total;
      total += counts[x] as number;
    }
    offsets[this.size] = total;
    if (total > 2 ** 31 - 1) throw new RangeError('route-model: too many table entries');
    const entries = new Int32Array(total);
    // Buckets are filled shallow to deep (the walk reaches a node's depth d before d + 1), so each
    // node's entries come out grouped by bucket; `counts` is reused as the fill cursor.
    counts.fill(0);
    this.#walk(0, this.size, 0, (lo, mid, hi) => {
      for (let x = lo; x < hi; x++) {
        if (online[x] !== 1) continue;
        const at = (offsets[x] as number) + (counts[x] as number);
        const n =
          x < mid
            ? this.#sampleBucket(mid, hi, entries, at, random)
            : this.#sampleBucket(lo, mid, entries, at, random);
        counts[x] = (counts[x] as number) + n;
      }
    });
    return entries;
  }

  /** Draws min(k, to - from) members of [from, to) into out[at ..], applying churn; returns how many. */
  #sampleBucket(from: number, to: number, out: Int32Array, at: number, random: RandomStream): number {
    const size = to - from;
    const n = Math.min(this.k, size);
    if (size <= this.k) {
      for (let i = 0; i < n; i++) out[at + i] = from + i;
    } else {
      // Floyd's algorithm: k distinct values uniformly, in exactly k draws.
      for (let j = size - n, c = 0; j < size; j++, c++) {
        const t = from + random.below(j + 1);
        let taken = false;
        for (let i = at; i < at + c; i++) if (out[i] === t) taken = true;
        out[at + c] = taken ? from + j : t;
      }
    }
    for (let i = at; i < at + n; i++) {
      if (this.online[out[i] as number] === 1 || random.chance(this.stale)) continue;
      out[i] = this.#liveReplacement(from, to, out, at, n, random);
    }
    return n;
  }

  /** A live node of [from, to) not already in out[at .. at + n), or -1 when none turns up. */
  #liveReplacement(
    from: number,
    to: number,
    out: Int32Array,
    at: number,
    n: number,
    random: RandomStream,
  ): number {
    const listed = (y: number): boolean => {
      for (let i = at; i < at + n; i++) if (out[i] === y) return true;
      return false;
    };
    const size = to - from;
    if (size <= 4 * this.k) {
      const free: number[] = [];
      for (let y = from; y < to; y++) if (this.online[y] === 1 && !listed(y)) free.push(y);
      return free.length === 0 ? -1 : (free[random.below(free.length)] as number);
    }
    // A large range: draw until a live, unlisted node turns up. With most nodes online this takes
    // one or two draws; 64 failures mean the range is nearly all offline, and the entry is dropped.
    for (let i = 0; i < 64; i++) {
      const y = from + random.below(size);
      if (this.online[y] === 1 && !listed(y)) return y;
    }
    return -1;
  }
}

export interface RunOptions extends Omit<RouteParams, 'random'> {
  messages: number;
  /** Randomness for the endpoints and the losses (separate from the model's). */
  rng: Rng;
  trace?: (hop: HopTrace) => void;
}

export interface Summary {
  median: number;
  p99: number;
  max: number;
}

export interface RunResult {
  nodes: number;
  k: number;
  offline: number;
  stale: number;
  loss: number;
  latencyMs: number;
  messages: number;
  delivered: number;
  deliveredFraction: number;
  /** Over delivered messages (NaN when none was). */
  hops: Summary;
  timeMs: Summary;
  failures: Record<RouteFailure, number>;
  transmissionsPerMessage: number;
  /** Nodes off the delivering path that forwarded a copy (lost acks make copies), per delivered message. */
  extraForwardersPerDelivered: number;
}

/** The nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

/** Median, p99 and maximum by nearest rank (NaN for no values). */
export function summarise(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  return { median: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: percentile(sorted, 1) };
}

/** Routes `messages` messages, each between two distinct online nodes drawn uniformly. */
export function runRoutes(model: RouteModel, options: RunOptions): RunResult {
  if (model.onlineCount < 2) throw new RangeError('at least two nodes must be online');
  const { messages, rng, trace, ...rest } = options;
  const params: RouteParams = { ...rest, random: new RandomStream(rng) };
  const random = params.random;
  const pickOnline = (): number => {
    // At least 2 online nodes, so a draw succeeds with probability >= 2 / size; the bound is for
    // runaway, not for expected, cases.
    for (let i = 0; i < 1_000_000; i++) {
      const x = random.below(model.size);
      if (model.isOnline(x)) return x;
    }
    throw new Error('route-model: no online node found');
  };
  const hops: number[] = [];
  const times: number[] = [];
  const failures: Record<RouteFailure, number> = { stuck: 0, tries: 0, ttl: 0 };
  let transmissions = 0;
  let extra = 0;
  for (let m = 0; m < messages; m++) {
    const source = pickOnline();
    let destination = pickOnline();
    for (let i = 0; destination === source && i < 1_000_000; i++) destination = pickOnline();
    const outcome = model.route(source, destination, params, trace);
    transmissions += outcome.transmissions;
    if (outcome.delivered) {
      hops.push(outcome.hops);
      times.push(outcome.timeMs);
      // The delivering path has one forwarder per hop (the source and each relay on it).
      extra += outcome.forwarders - outcome.hops;
    } else {
      failures[outcome.reason] += 1;
    }
  }
  return {
    nodes: model.size,
    k: model.k,
    offline: model.offlineFraction,
    stale: model.stale,
    loss: params.loss,
    latencyMs: params.latencyMs,
    messages,
    delivered: hops.length,
    deliveredFraction: messages === 0 ? Number.NaN : hops.length / messages,
    hops: summarise(Float64Array.from(hops)),
    timeMs: summarise(Float64Array.from(times)),
    failures,
    transmissionsPerMessage: messages === 0 ? 0 : transmissions / messages,
    extraForwardersPerDelivered: hops.length === 0 ? 0 : extra / hops.length,
  };
}

/** Bytes the model's arrays take for `nodes` nodes, estimated before building (for memory checks). */
export function estimateModelBytes(nodes: number, k = DEFAULT_OVERLAY_LIMITS.k): number {
  // Buckets 0 .. log2(N/k) are full (k each); the deeper ones hold about 2k more in all.
  const entriesPerNode = k * (Math.max(0, Math.log2(nodes / k)) + 3);
  return nodes * (ID_BYTES + 1 + 4 + 4 + 4 * entriesPerNode);
}
