// The hint tag (DESIGN §3 "Channel"): in Noise KK neither static key is sent, so the responder
// must know who is calling before it can read the first message. The initiation carries
// MAC(hint key, epoch), where the hint key comes from the pairing PSK that only the two of them
// hold; the responder keeps a table of the tags of every contact for the epochs around its own
// and finds the caller with one lookup, with no Diffie-Hellman and no trial decryption.
//
// An observer learns nothing about who calls whom, and cannot link two initiations of the same
// pair across epochs (HINT_EPOCH, channel/timers.ts); initiations within one epoch share a tag.
// Accepting HINT_SKEW_EPOCHS either side tolerates devices whose clocks disagree by minutes.
import { toHex, utf8 } from '../crypto/bytes.js';
import { deriveKey, mac16 } from './mac.js';

const TAG_LABEL = utf8('kith hint v1');

export function hintKey(psk: Uint8Array): Uint8Array {
  return deriveKey(psk, 'kith hint key v1');
}

export function epochOf(wallTimeMs: number, epochMs: number): number {
  return Math.floor(wallTimeMs / epochMs);
}

export function hintTag(key: Uint8Array, epoch: number): Uint8Array {
  const e = new Uint8Array(8);
  new DataView(e.buffer).setBigUint64(0, BigInt(epoch));
  return mac16(key, TAG_LABEL, e);
}

export interface HintPeer<Id> {
  id: Id;
  hintKey: Uint8Array;
}

/** Tag -> peer for the epochs around the current one; rebuilt when the epoch or the peers change. */
export class HintTable<Id> {
  readonly #epochMs: number;
  readonly #skew: number;
  #peers: HintPeer<Id>[] = [];
  #builtFor: number | null = null;
  readonly #table = new Map<string, Id>();

  constructor(epochMs: number, skewEpochs: number) {
    this.#epochMs = epochMs;
    this.#skew = skewEpochs;
  }

  setPeers(peers: HintPeer<Id>[]): void {
    this.#peers = peers;
    this.#builtFor = null;
  }

  lookup(tag: Uint8Array, wallTimeMs: number): Id | null {
    const epoch = epochOf(wallTimeMs, this.#epochMs);
    if (this.#builtFor !== epoch) this.#rebuild(epoch);
    return this.#table.get(toHex(tag)) ?? null;
  }

  get size(): number {
    return this.#table.size;
  }

  #rebuild(epoch: number): void {
    this.#table.clear();
    for (const peer of this.#peers) {
      for (let e = epoch - this.#skew; e <= epoch + this.#skew; e++)
        this.#table.set(toHex(hintTag(peer.hintKey, e)), peer.id);
    }
    this.#builtFor = epoch;
  }
}
