// The calls this machine ended lately, and what to say if their peer still asks about them.
//
// Every message may arrive twice or late, and a peer that missed our end message keeps asking:
// its caller re-sends OFFER, its callee re-sends ACCEPT, a call in progress sends KEEPALIVE. A
// duplicate OFFER of a call that already ended must not ring again, and a peer still holding the
// call must hear that it ended, and how. A bounded table suffices: a peer asks for seconds, not
// for hundreds of calls.

export interface RecentCall {
  peerId: string;
  /** The end message to repeat to the peer, or null when the peer ended the call itself. */
  reply: Uint8Array | null;
}

export class RecentCalls {
  readonly #capacity: number;
  /** By hex call id, oldest first (a Map keeps insertion order). */
  readonly #calls = new Map<string, RecentCall>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(callKey: string, call: RecentCall): void {
    this.#calls.delete(callKey);
    this.#calls.set(callKey, call);
    if (this.#calls.size > this.#capacity) {
      const oldest = this.#calls.keys().next();
      if (!oldest.done) this.#calls.delete(oldest.value);
    }
  }

  get(callKey: string): RecentCall | undefined {
    return this.#calls.get(callKey);
  }
}
