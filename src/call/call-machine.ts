// The call state machine (DESIGN §3 "Calls and voice"): one per device, since a device holds at
// most one call. It turns the user's actions, the peer's signalling (call/messages.ts) and the
// clock into signalling, media start/stop and one record per call.
//
//   idle --call()--> calling --RING--> calling (peer ringing) --ACCEPT--> active
//   idle --OFFER--> ringing --answer()--> active
//   any call --hangup()/reject()/fail()/timeout--> ending --END_ACK or ENDING--> idle
//   any call --REJECT/BUSY/HANGUP from the peer--> idle (END_ACK sent)
//
// Signalling rides the channel's reliable stream, which delivers once and in order only while the
// stream lives: it resets after 30 s without acknowledgement, and a restarted peer starts afresh.
// So nothing here relies on delivery: what must arrive is repeated until answered, every state
// but idle ends on a timer unless the peer keeps being heard, and every message is safe to receive
// twice or late. In particular:
// - a call is recorded (onEnded) the moment it ends, before the peer is told or acknowledged, and
//   ending only waits, boundedly, for the peer to confirm it knows;
// - a message about a call that is not the current one never changes the state (it is counted);
//   the calls that ended lately (call/recent-calls.ts) answer with their end message, so a
//   duplicate OFFER never rings twice and a peer still holding the call learns how it ended; a
//   call never seen at all is answered HANGUP(connection-lost) (a peer that restarted mid-call
//   ends at once instead of after LOST), and an end message for it gets END_ACK;
// - glare (both call each other at once): the OFFER with the larger call id survives on both
//   sides, compared byte by byte. The side whose own call loses drops it without a record (the
//   peer never rang it) and answers the winning call at once: its user pressed call to exactly
//   this peer;
// - a second OFFER while a call is in progress gets BUSY and is recorded as a busy incoming call;
//   the current call is untouched. An OFFER in ending starts the new call: the old one is
//   recorded and its peer is answered from the recent calls.
//
// Timeouts (each from entering the state, or the sub-state, it belongs to):
//   RETRY          2 s  OFFER until any answer, ACCEPT until the caller is heard in the call, and
//                       our end message until END_ACK, are sent again this often
//   REFRESH        5 s  while the callee rings, the caller repeats OFFER and the callee answers RING;
//                       in a call both send KEEPALIVE; so each side learns the other still holds the
//                       call, with or without voice
//   UNREACHABLE   10 s  calling with no answer at all -> 'unreachable'
//   RING          45 s  ringing unanswered -> REJECT(no-answer): 'no-answer' on both sides
//   RING_CAP      55 s  calling, from the first RING: RING + ENDING + 5 s. The callee decides
//                       no-answer; reaching this means its decision never came -> 'connection-lost'
//   LOST          20 s  ringing, calling after RING, or active, with nothing heard from the peer (no
//                       message about the call, no voice) -> 'connection-lost'
//   ENDING         5 s  ending: stop waiting for END_ACK -> idle
// So, whatever is lost, a side is idle again at most UNREACHABLE (calling before RING), RING_CAP
// (after RING), RING (ringing) or LOST past the last sign of its peer (active), plus ENDING.
import { toHex } from '../crypto/bytes.js';
import type { Rng } from '../crypto/random.js';
import { KithError } from '../errors.js';
import type { Cancel, Clock } from '../net/clock.js';
import { endMessageFor, incompatibleMessage, type LocalEndReason, reasonOf } from './end-messages.js';
import {
  CALL_ID_BYTES,
  type CallMessage,
  type CallMessageError,
  decodeCallMessage,
  encodeCallMessage,
  isEndMessage,
} from './messages.js';
import { type CallMetrics, callMetricsSchema } from '../store/call-metrics.js';
import { chooseParams, fitsOffer, type MediaParams, type OfferParams, offerProblem } from './params.js';
import type { CallDirection, CallRecord, EndReason } from '../store/call-record.js';
import { RecentCalls } from './recent-calls.js';

export const CALL_TIMEOUTS = Object.freeze({
  retryMs: 2_000,
  refreshMs: 5_000,
  unreachableMs: 10_000,
  ringMs: 45_000,
  ringCapMs: 55_000,
  lostMs: 20_000,
  endingMs: 5_000,
});

/** Ended calls remembered for their peers' late messages. */
const RECENT_CALLS = 64;

export type CallState = 'idle' | 'calling' | 'ringing' | 'active' | 'ending';

/** A call that carries voice: what startMedia and stopMedia get (the same object for one call). */
export interface MediaCall {
  id: Uint8Array;
  peerId: string;
  direction: CallDirection;
  params: MediaParams;
  /** Milliseconds since the epoch. */
  startedAt: number;
  answeredAt: number;
}

export interface CallView {
  id: Uint8Array;
  peerId: string;
  direction: CallDirection;
  /** Calling: the callee's device rings (a RING came). */
  peerRinging: boolean;
  /** The codec parameters: an incoming call's from its OFFER on, an outgoing call's from its ACCEPT on. */
  params: MediaParams | null;
  /** Milliseconds since the epoch. */
  startedAt: number;
  answeredAt: number | null;
  /** Ending: why the call ended (it is already recorded). */
  endReason: EndReason | null;
}

export interface CallSnapshot {
  state: CallState;
  /** The call, in every state but idle. */
  call: CallView | null;
}

/**
 * What the machine counts:
 * - a decode failure (call/messages.ts) for a malformed message;
 * - stale: a message about a call that is not the current one (it is answered, never obeyed);
 * - wrong-peer: a message naming a call this device holds with another peer;
 * - unexpected: a message about the current call that means nothing in its state (a late duplicate);
 * - glare-lost: the peer's OFFER lost to ours;
 * - send-failed: `send` threw (the message counts as lost);
 * - media-failed: startMedia or stopMedia threw, or stopMedia returned metrics the schema refuses.
 */
export type CallCounter =
  CallMessageError | 'stale' | 'wrong-peer' | 'unexpected' | 'glare-lost' | 'send-failed' | 'media-failed';

export interface CallMachineOptions {
  /** This device's peer id: a call to it is refused. */
  selfId: string;
  clock: Clock;
  /** Call ids. */
  rng: Rng;
  /** What this device's voice pipeline can run; offered on every call, and the callee's limits. */
  capabilities: OfferParams;
  /** Puts a message on the peer's reliable stream (behind the service's call tag). */
  send(peerId: string, message: Uint8Array): void;
  /** Starts voice for a call that became active; a throw ends the call as 'error'. */
  startMedia(call: MediaCall): void;
  /** Stops voice when an active call ends; returns its metrics for the record, if any. */
  stopMedia(call: MediaCall): CallMetrics | null;
  /** After every input that changed the state, the peer ringing, or the call. */
  onStateChange(snapshot: CallSnapshot): void;
  /**
   * Once per call, when it ends; must commit the record before returning (DESIGN §7), since the
   * END_ACK that tells the peer its end is known follows right after.
   */
  onEnded(record: CallRecord): void;
}

interface Call {
  id: Uint8Array;
  /** The id in hex, for maps and comparisons. */
  key: string;
  peerId: string;
  direction: CallDirection;
  startedAt: number;
  /** clock.now() at the start: later times are startedAt plus monotonic time, so they never run backwards. */
  startedMono: number;
  answeredAt: number | null;
  /** Ours for an outgoing call, the caller's for an incoming one. */
  offer: OfferParams;
  params: MediaParams | null;
  peerRinging: boolean;
  /** Incoming and active: the caller was heard since our ACCEPT, so it has the ACCEPT. */
  confirmed: boolean;
  /** clock.now() when the peer was last heard about this call. */
  lastHeard: number;
  media: MediaCall | null;
  endReason: EndReason | null;
  /** Ending: the end message repeated until END_ACK. */
  endMessage: Uint8Array | null;
}

/**
 * Signalling for this device's one call. User actions throw KithError (CALL_*) when they make no
 * sense in the current state; messages and timers never throw. Callbacks run synchronously and
 * must not call back into the machine.
 */
export class CallMachine {
  readonly #o: CallMachineOptions;
  readonly #recent = new RecentCalls(RECENT_CALLS);
  #state: CallState = 'idle';
  #call: Call | null = null;
  readonly #timers = new Set<Cancel>();
  /** Bumped at every transition: a timer armed in an earlier state does nothing. */
  #generation = 0;
  #changed = false;
  #depth = 0;
  #closed = false;
  readonly #counters: Partial<Record<CallCounter, number>> = {};

  constructor(options: CallMachineOptions) {
    const problem = offerProblem(options.capabilities);
    if (problem) throw new KithError('CALL_BAD_PARAMS', `call capabilities: ${problem}`);
    this.#o = options;
  }

  get state(): CallState {
    return this.#state;
  }

  snapshot(): CallSnapshot {
    const call = this.#call;
    return {
      state: this.#state,
      call: call && {
        id: call.id,
        peerId: call.peerId,
        direction: call.direction,
        peerRinging: this.#state === 'calling' && call.peerRinging,
        params: call.params,
        startedAt: call.startedAt,
        answeredAt: call.answeredAt,
        endReason: call.endReason,
      },
    };
  }

  counters(): Partial<Record<CallCounter, number>> {
    return { ...this.#counters };
  }

  // --- the user ---------------------------------------------------------------------------------

  /** Calls a peer; returns the new call's id. Allowed when idle, or ending (cutting that short). */
  call(peerId: string): Uint8Array {
    this.#checkOpen();
    if (peerId === this.#o.selfId) throw new KithError('CALL_SELF', 'a device cannot call itself');
    if (this.#state !== 'idle' && this.#state !== 'ending') {
      throw new KithError('CALL_NOT_IDLE', `a call is already ${this.#state}; hang up first`);
    }
    return this.#input(() => {
      const id = this.#o.rng(CALL_ID_BYTES);
      const call = this.#newCall(id, peerId, 'outgoing', this.#o.capabilities, null);
      this.#enter('calling', call);
      this.#sendOffer(call);
      return id;
    });
  }

  /** Answers the ringing call. */
  answer(): void {
    const { call, params } = this.#ringing();
    this.#input(() => this.#activate(call, params));
  }

  /** Declines the ringing call. */
  reject(): void {
    this.#ringing();
    this.#input(() => this.#endLocally('rejected'));
  }

  /** Ends the call: cancels an outgoing one, declines a ringing one, hangs up an active one. */
  hangup(): void {
    this.#checkOpen();
    if (this.#state === 'idle') throw new KithError('CALL_NO_CALL', 'there is no call to hang up');
    // Already over: a second press is not an error.
    if (this.#state === 'ending') return;
    this.#input(() => this.#endLocally(this.#state === 'ringing' ? 'rejected' : 'hangup-local'));
  }

  /** The voice pipeline failed during a call: ends it as 'error'. Nothing to do without a call. */
  fail(): void {
    if (this.#closed || !this.#inCall()) return;
    this.#input(() => this.#endLocally('error'));
  }

  /** Voice arrived from the peer (the pipeline calls this per packet; it only notes the time). */
  mediaAlive(): void {
    const call = this.#call;
    if (this.#state !== 'active' || !call) return;
    call.lastHeard = this.#o.clock.now();
    call.confirmed = true;
  }

  /**
   * The service stops: a call in progress ends as the user's hangup (told to the peer once, without
   * waiting), every timer is cancelled, and the machine takes no more input.
   */
  close(): void {
    if (this.#closed) return;
    this.#input(() => {
      if (this.#inCall()) this.#endLocally(this.#state === 'ringing' ? 'rejected' : 'hangup-local');
      this.#enter('idle', null);
      this.#closed = true;
    });
  }

  // --- the peer ---------------------------------------------------------------------------------

  /** A message from a peer's reliable stream, after the service's call tag. */
  receive(peerId: string, bytes: Uint8Array): void {
    if (this.#closed) return;
    const decoded = decodeCallMessage(bytes);
    if (!decoded.ok) return this.#count(decoded.reason);
    const message = decoded.message;
    const key = toHex(message.callId);
    this.#input(() => {
      const call = this.#call;
      if (call?.key !== key) return this.#aboutOtherCall(peerId, key, message);
      if (call.peerId !== peerId) return this.#count('wrong-peer');
      this.#fromPeer(call, message);
    });
  }

  #fromPeer(call: Call, message: CallMessage): void {
    call.lastHeard = this.#o.clock.now();
    if (this.#state === 'ending') {
      if (message.type === 'end-ack') return this.#enter('idle', null);
      if (isEndMessage(message)) {
        // Both ended at once: each side keeps its own record, and this one needs no more waiting.
        this.#sendTo(call, { type: 'end-ack', callId: call.id });
        return this.#enter('idle', null);
      }
      // The peer still holds the call: it has not heard our end yet.
      if (call.endMessage) this.#send(call.peerId, call.endMessage);
      return;
    }
    if (isEndMessage(message)) return this.#endedByPeer(call, reasonOf(message));
    switch (message.type) {
      case 'offer':
        // The caller repeats OFFER until it hears our answer, and while we ring.
        if (call.direction !== 'incoming') break;
        if (this.#state === 'ringing') return this.#sendTo(call, { type: 'ring', callId: call.id });
        if (this.#state === 'active') return this.#sendAccept(call);
        break;
      case 'ring':
        if (this.#state !== 'calling') break;
        if (!call.peerRinging) {
          call.peerRinging = true;
          this.#enter('calling', call);
        }
        return;
      case 'accept':
        if (call.direction !== 'outgoing') break;
        if (this.#state === 'calling') {
          if (!fitsOffer(message.params, call.offer)) return this.#endLocally('error');
          call.params = message.params;
          return this.#activate(call, message.params);
        }
        // The callee repeats ACCEPT until it hears from us in the call.
        if (this.#state === 'active') return this.#sendTo(call, { type: 'keepalive', callId: call.id });
        break;
      case 'keepalive':
        if (this.#state === 'active') {
          call.confirmed = true;
          return;
        }
        // Calling: the callee answered and our copy of its ACCEPT is still to come; it is alive.
        if (this.#state === 'calling') return;
        break;
    }
    this.#count('unexpected');
  }

  #aboutOtherCall(peerId: string, key: string, message: CallMessage): void {
    const recent = this.#recent.get(key);
    if (recent && recent.peerId !== peerId) return this.#count('wrong-peer');
    if (!recent && message.type === 'offer') return this.#offered(peerId, key, message);
    this.#count('stale');
    if (isEndMessage(message)) {
      this.#send(peerId, encodeCallMessage({ type: 'end-ack', callId: message.callId }));
    } else if (message.type !== 'end-ack') {
      const reply = recent
        ? recent.reply
        : encodeCallMessage({ type: 'hangup', callId: message.callId, reason: 'connection-lost' });
      if (reply) this.#send(peerId, reply);
    }
  }

  #offered(peerId: string, key: string, offer: Extract<CallMessage, { type: 'offer' }>): void {
    const current = this.#call;
    if (this.#state === 'calling' && current?.peerId === peerId) {
      if (compareBytes(offer.callId, current.id) < 0) return this.#count('glare-lost');
      return this.#incoming(peerId, key, offer, true);
    }
    if (this.#state !== 'idle' && this.#state !== 'ending') return this.#refuse(peerId, offer.callId, 'busy');
    this.#incoming(peerId, key, offer, false);
  }

  #incoming(
    peerId: string,
    key: string,
    offer: Extract<CallMessage, { type: 'offer' }>,
    answerAtOnce: boolean,
  ): void {
    const params = chooseParams(offer.params, this.#o.capabilities);
    // The state is left alone: a caller we cannot run would get the same answer from our own call.
    if (!params) return this.#refuse(peerId, offer.callId, 'error');
    const call = this.#newCall(offer.callId, peerId, 'incoming', offer.params, params, key);
    this.#enter('ringing', call);
    if (answerAtOnce) this.#activate(call, params);
    else this.#sendTo(call, { type: 'ring', callId: call.id });
  }

  /** An OFFER ended on arrival (busy, or parameters we cannot run): recorded, answered, no state. */
  #refuse(peerId: string, callId: Uint8Array, reason: 'busy' | 'error'): void {
    const reply = reason === 'busy' ? endMessageFor(callId, 'busy') : incompatibleMessage(callId);
    this.#recent.add(toHex(callId), { peerId, reply });
    const now = Math.round(this.#o.clock.wallTime());
    this.#o.onEnded({
      id: callId,
      direction: 'incoming',
      peerId,
      startedAt: now,
      answeredAt: null,
      endedAt: now,
      endReason: reason,
      metrics: null,
    });
    this.#send(peerId, reply);
  }

  // --- transitions ------------------------------------------------------------------------------

  #newCall(
    id: Uint8Array,
    peerId: string,
    direction: CallDirection,
    offer: OfferParams,
    params: MediaParams | null,
    key = toHex(id),
  ): Call {
    const { clock } = this.#o;
    return {
      id,
      key,
      peerId,
      direction,
      startedAt: Math.round(clock.wallTime()),
      startedMono: clock.now(),
      answeredAt: null,
      offer,
      params,
      peerRinging: false,
      confirmed: false,
      lastHeard: clock.now(),
      media: null,
      endReason: null,
      endMessage: null,
    };
  }

  /** Calling (ACCEPT came) or ringing (answered) to active: voice first, then the peer is told. */
  #activate(call: Call, params: MediaParams): void {
    const media: MediaCall = {
      id: call.id,
      peerId: call.peerId,
      direction: call.direction,
      params,
      startedAt: call.startedAt,
      answeredAt: this.#wallNow(call),
    };
    try {
      this.#o.startMedia(media);
    } catch {
      this.#count('media-failed');
      return this.#endLocally('error');
    }
    call.media = media;
    call.answeredAt = media.answeredAt;
    this.#enter('active', call);
    if (call.direction === 'incoming') this.#sendAccept(call);
    // The caller's first KEEPALIVE confirms the ACCEPT at once, before any voice.
    else this.#sendTo(call, { type: 'keepalive', callId: call.id });
  }

  /** This side ends the call: recorded now, then the peer is told until it confirms. */
  #endLocally(reason: LocalEndReason): void {
    const call = this.#call;
    if (!call) return;
    const endMessage = endMessageFor(call.id, reason);
    const record = this.#finish(call, reason, endMessage);
    call.endMessage = endMessage;
    this.#enter('ending', call);
    this.#o.onEnded(record);
    this.#send(call.peerId, endMessage);
  }

  /** The peer ended the call: recorded, then acknowledged. */
  #endedByPeer(call: Call, reason: EndReason): void {
    const record = this.#finish(call, reason, null);
    this.#enter('idle', null);
    this.#o.onEnded(record);
    this.#sendTo(call, { type: 'end-ack', callId: call.id });
  }

  #finish(call: Call, reason: EndReason, reply: Uint8Array | null): CallRecord {
    const metrics = this.#stopMedia(call);
    call.endReason = reason;
    this.#recent.add(call.key, { peerId: call.peerId, reply });
    return {
      id: call.id,
      direction: call.direction,
      peerId: call.peerId,
      startedAt: call.startedAt,
      answeredAt: call.answeredAt,
      endedAt: this.#wallNow(call),
      endReason: reason,
      metrics,
    };
  }

  #stopMedia(call: Call): CallMetrics | null {
    const media = call.media;
    if (!media) return null;
    call.media = null;
    let metrics: unknown;
    try {
      metrics = this.#o.stopMedia(media);
    } catch {
      this.#count('media-failed');
      return null;
    }
    if (metrics === null) return null;
    // A pipeline bug costs the figures, never the record the store would refuse with them.
    const checked = callMetricsSchema.safeParse(metrics);
    if (checked.success) return checked.data;
    this.#count('media-failed');
    return null;
  }

  /** Enters a state (again, for a sub-state) with its timers, and nothing else. */
  #enter(state: CallState, call: Call | null): void {
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    this.#generation += 1;
    this.#state = state;
    this.#call = call;
    this.#changed = true;
    if (!call) return;
    const t = CALL_TIMEOUTS;
    call.lastHeard = this.#o.clock.now();
    switch (state) {
      case 'calling':
        if (!call.peerRinging) {
          this.#every(t.retryMs, () => this.#sendOffer(call));
          this.#after(t.unreachableMs, () => this.#endLocally('unreachable'));
        } else {
          this.#every(t.refreshMs, () => this.#sendOffer(call));
          this.#after(t.ringCapMs, () => this.#endLocally('connection-lost'));
          this.#watchPeer(call);
        }
        break;
      case 'ringing':
        this.#after(t.ringMs, () => this.#endLocally('no-answer'));
        this.#watchPeer(call);
        break;
      case 'active':
        this.#every(t.refreshMs, () => this.#sendTo(call, { type: 'keepalive', callId: call.id }));
        if (call.direction === 'incoming') {
          this.#every(t.retryMs, () => {
            if (!call.confirmed) this.#sendAccept(call);
          });
        }
        this.#watchPeer(call);
        break;
      case 'ending':
        this.#every(t.retryMs, () => {
          if (call.endMessage) this.#send(call.peerId, call.endMessage);
        });
        this.#after(t.endingMs, () => this.#enter('idle', null));
        break;
    }
  }

  /** Ends the call as lost once the peer has been silent for LOST; checked lazily, not per packet. */
  #watchPeer(call: Call): void {
    const { lostMs } = CALL_TIMEOUTS;
    const check = (): void => {
      const silent = this.#o.clock.now() - call.lastHeard;
      if (silent >= lostMs) this.#endLocally('connection-lost');
      else this.#after(lostMs - silent, check);
    };
    this.#after(lostMs, check);
  }

  #after(ms: number, fn: () => void): void {
    const generation = this.#generation;
    const cancel = this.#o.clock.schedule(ms, () => {
      this.#timers.delete(cancel);
      if (generation === this.#generation) this.#input(fn);
    });
    this.#timers.add(cancel);
  }

  #every(ms: number, fn: () => void): void {
    const generation = this.#generation;
    this.#after(ms, () => {
      fn();
      if (generation === this.#generation) this.#every(ms, fn);
    });
  }

  /** Runs one input; the state change, if any, is reported once, after the whole input. */
  #input<T>(fn: () => T): T {
    this.#depth += 1;
    try {
      return fn();
    } finally {
      this.#depth -= 1;
      if (this.#depth === 0 && this.#changed) {
        this.#changed = false;
        this.#o.onStateChange(this.snapshot());
      }
    }
  }

  // --- helpers ----------------------------------------------------------------------------------

  #sendOffer(call: Call): void {
    this.#sendTo(call, { type: 'offer', callId: call.id, params: call.offer });
  }

  #sendAccept(call: Call): void {
    if (call.params) this.#sendTo(call, { type: 'accept', callId: call.id, params: call.params });
  }

  #sendTo(call: Call, message: CallMessage): void {
    this.#send(call.peerId, encodeCallMessage(message));
  }

  #send(peerId: string, bytes: Uint8Array): void {
    try {
      this.#o.send(peerId, bytes);
    } catch {
      // A message that cannot be sent is a lost message, which every state already survives.
      this.#count('send-failed');
    }
  }

  #wallNow(call: Call): number {
    return call.startedAt + Math.round(this.#o.clock.now() - call.startedMono);
  }

  #inCall(): boolean {
    return this.#state === 'calling' || this.#state === 'ringing' || this.#state === 'active';
  }

  /** The ringing call and the parameters chosen for it when its OFFER came. */
  #ringing(): { call: Call; params: MediaParams } {
    this.#checkOpen();
    const call = this.#call;
    if (this.#state !== 'ringing' || !call?.params) {
      throw new KithError('CALL_NOT_RINGING', `no incoming call is ringing (the call is ${this.#state})`);
    }
    return { call, params: call.params };
  }

  #checkOpen(): void {
    if (this.#closed) throw new KithError('CALL_CLOSED', 'call signalling has stopped');
  }

  #count(counter: CallCounter): void {
    this.#counters[counter] = (this.#counters[counter] ?? 0) + 1;
  }
}

/** Unsigned lexicographic order of two equal-length ids: the glare tie-break both sides compute alike. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
