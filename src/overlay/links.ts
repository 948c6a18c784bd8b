// The links of one node (docs/overlay-protocol.md "Linked packets"): each authenticated neighbour
// has a pair of random 32-bit indices (ours routes its packets to it, the way WireGuard's receiver
// index does, so a packet is matched without trying keys), per-direction MAC keys, a send counter
// and a replay window. The table is bounded; only a completed, signed exchange adds to it.
import { toHex } from '../crypto/bytes.js';
import type { Rng } from '../crypto/random.js';
import { ReplayWindow } from '../channel/replay.js';
import { mac16 } from '../channel/mac.js';
import { equalBytes } from '../crypto/bytes.js';
import type { Endpoint } from '../net/transport.js';
import { encodeLinked, type LinkedFrame, type LinkedMessage } from '../wire/overlay.js';
import type { LinkKeys } from './hello.js';

export interface Link {
  id: Uint8Array;
  idHex: string;
  endpoint: Endpoint;
  localIndex: number;
  remoteIndex: number;
  keys: LinkKeys;
  /** The peer's HELLO flags (entry peer, willing to relay). */
  flags: number;
  /** We sent the HELLO (the peer answered it). */
  initiator: boolean;
  sendCounter: number;
  replay: ReplayWindow;
  createdAt: number;
  lastReceived: number;
  lastSent: number;
  /** Last time the link carried something other than keepalives (for evicting unused links). */
  usedAt: number;
  /** Our endpoint as this peer last saw it (PONG or HELLO_ACK). */
  observed: Endpoint | null;
  rttMs: number | null;
  /** In our routing table (we keep it alive) or only a link the peer wanted. */
  inTable: boolean;
  /** Someone relies on it now (a relay pair, a lookup): kept alive even outside the table. */
  pinnedUntil: number;
  /** Responder side: the HELLO_ACK we sent and the HELLO it answered, to resend if it was lost. */
  helloAck: Uint8Array | null;
  helloHashHex: string;
  ackResends: number;
}

export class LinkTable {
  readonly #byIndex = new Map<number, Link>();
  readonly #byId = new Map<string, Link>();
  readonly #rng: Rng;

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** A fresh index not in use (random, so indices say nothing about how many links exist). */
  freeIndex(reserved: (index: number) => boolean): number {
    for (let i = 0; i < 64; i++) {
      const bytes = this.#rng(4);
      const index =
        (((bytes[0] as number) << 24) |
          ((bytes[1] as number) << 16) |
          ((bytes[2] as number) << 8) |
          (bytes[3] as number)) >>>
        0;
      if (index !== 0 && !this.#byIndex.has(index) && !reserved(index)) return index;
    }
    throw new Error('no free link index after 64 tries (the rng is broken)');
  }

  byIndex(index: number): Link | undefined {
    return this.#byIndex.get(index);
  }

  byId(idHex: string): Link | undefined {
    return this.#byId.get(idHex);
  }

  /** Adds a link; a previous link with the same peer is replaced (it restarted or re-linked). */
  add(link: Link): Link | undefined {
    const old = this.#byId.get(link.idHex);
    if (old) this.#byIndex.delete(old.localIndex);
    this.#byId.set(link.idHex, link);
    this.#byIndex.set(link.localIndex, link);
    return old;
  }

  remove(link: Link): void {
    if (this.#byId.get(link.idHex) === link) this.#byId.delete(link.idHex);
    if (this.#byIndex.get(link.localIndex) === link) this.#byIndex.delete(link.localIndex);
  }

  all(): Link[] {
    return [...this.#byId.values()];
  }

  /** A snapshot iterator (safe against removal while iterating, as Map iterators are). */
  values(): IterableIterator<Link> {
    return this.#byId.values();
  }
}

export function newLink(fields: {
  id: Uint8Array;
  endpoint: Endpoint;
  localIndex: number;
  remoteIndex: number;
  keys: LinkKeys;
  flags: number;
  initiator: boolean;
  now: number;
  observed: Endpoint | null;
}): Link {
  return {
    ...fields,
    idHex: toHex(fields.id),
    sendCounter: 0,
    replay: new ReplayWindow(),
    createdAt: fields.now,
    lastReceived: fields.now,
    lastSent: fields.now,
    usedAt: fields.now,
    rttMs: null,
    inTable: false,
    pinnedUntil: 0,
    helloAck: null,
    helloHashHex: '',
    ackResends: 0,
  };
}

/** Encodes and MACs one message for the link; the counter is spent. */
export function sealLinked(link: Link, message: LinkedMessage, now: number): Uint8Array {
  link.sendCounter += 1;
  link.lastSent = now;
  return encodeLinked(message, link.remoteIndex, link.sendCounter >>> 0, (input) =>
    mac16(link.keys.send, input),
  );
}

export type LinkedDrop = 'bad-mac' | 'replay';

/** Checks the MAC, then the counter; only then does the packet count as from the peer. */
export function openLinked(link: Link, frame: LinkedFrame): LinkedDrop | null {
  if (!equalBytes(mac16(link.keys.receive, frame.macInput), frame.mac)) return 'bad-mac';
  if (!link.replay.accept(frame.counter)) return 'replay';
  return null;
}
