// The reliable stream of a channel: messages of up to 64 KiB, delivered exactly once and in order
// over the channel's encrypted datagrams, which may be lost, duplicated or reordered. The frames and
// their byte layout are in reliable-frames.ts; the channel routes frame types 0x10-0x1f here.
//
// Sender: each message is cut into DATA frames with consecutive sequence numbers, queued (bounded
// by maxQueuedBytes: send() throws instead of growing) and sent within a window of `window`
// sequence numbers past the oldest unacknowledged frame. A frame is resent when the retransmission
// timer expires (RFC 6298), or as soon as a frame sent 3 or more transmissions after it is
// acknowledged (RFC 9002 §6.1.1's packet threshold, counted in transmissions rather than frames so
// that a resent frame can be found lost again). There is no congestion control: the stream carries light control
// traffic next to voice, and the window bounds any burst.
// Receiver: frames are buffered only within `window` of the next expected one, reassembled in
// sequence order and delivered once. ACKs (cumulative + selective) go out at once for a frame out
// of order or a duplicate, otherwise for every second frame or after ackDelayMs.
//
// Incarnations. The two directions are independent streams, and each sending half has an
// incarnation: a random nonzero u32 that its DATA frames carry and the ACKs answering them echo.
// When the sending half fails (nothing acknowledged for failureTimeoutMs, or maxRetransmits timeouts
// of one frame) it resets rather than dying: it drops its queue, picks a new incarnation, starts
// again at sequence 0 with fresh RTT state, and reports onFailure(reason, lostMessages); send() works
// on. resetSending() does the same on request. An ACK of any other incarnation is dropped. The
// receiving half follows the peer's incarnation: a DATA frame of another incarnation starts a new one
// if its sequence number is 0, discarding whatever of the old one was buffered (out-of-order frames,
// fragments of a partial message); any other frame of another incarnation is dropped without an ACK,
// so its sender resends it after sequence 0 has got through. A fresh receiver takes the incarnation
// of the first sequence-0 frame it sees, the same way.
//
// Why sequence 0 is the switch point: it is the one frame that says "a stream starts here", so a
// frame from the middle of a stream, old or new, can never make the receiver give up what it holds.
// The hazard left is a late sequence 0 of an older incarnation arriving after the new one's: it
// would switch the receiver back, throw away the new incarnation's state (whose later frames would
// then be dropped until the sender failed again), and deliver an old message after new ones, or a
// second time. An acknowledged sequence 0 is not sent again, and its last copy left at least
// failureTimeoutMs before a reset by timeout (the deadline counts from the last progress, which came
// after it), while the channel's replay window refuses a duplicated packet; that covers the usual
// case, but not all of them: a sequence 0 still unacknowledged (the peer may have it and its ACKs
// were lost) is resent until shortly before the deadline, and resetSending() may come at any moment,
// even just after the stream started. Two guards close the gap:
// - the receiver remembers the last RETIRED_INCARNATIONS incarnations it left and never goes back to
//   one, however late its frames (a new incarnation that collided with one of them, at odds of 8 in
//   2^32, would be dropped until its sender failed and drew another);
// - for an incarnation the receiver may never have seen, the sender holds the new sequence 0 back
//   until 3 PTOs after the last transmission of the old one (QUIC's draining period for delayed and
//   reordered packets, RFC 9000 §10.2), so it cannot overtake it short of that much reordering. This
//   costs nothing in the usual case: an old sequence 0 acknowledged after a single transmission has
//   no copy left on the way, and one resent was last sent long before.
//
// The known cost: a receiver that starts fresh because the peer's process restarted drops our frames
// from the middle of an incarnation, unacknowledged, until our sending half fails and resets, up to
// failureTimeoutMs later; what was in flight then is reported lost. A channel that learns of the
// restart first (a new handshake from the peer) can call resetSending() to start over at once.
// A protocol violation by the peer (fragment-order, message-too-large) still closes the whole stream:
// its owner may replace it with a new ReliableStream, whose new incarnation the peer's receiver takes
// as a fresh start.
//
// Timers (only these two, both through the injected Clock; close() cancels both, a reset of the
// sending half the first, a new incarnation of the peer the second):
//   retransmission  the RTO, running while any DATA frame is unacknowledged (RFC 6298 §5); never set
//                   past the failure deadline, last progress + failureTimeoutMs, where it resets the
//                   sending half. After a reset it may first run the hold of the new sequence 0.
//   ack delay       ackDelayMs, running while a received frame is unacknowledged (RFC 9000 §13.2.1)
//
// Callbacks (sendFrame, deliver, onFailure) run synchronously; what they throw reaches the caller of
// send()/receiveFrame()/resetSending() or the clock, and they may call send(), resetSending() or
// close() on this stream.
import { concatBytes } from '../crypto/bytes.js';
import { type Rng, systemRng } from '../crypto/random.js';
import { KithError } from '../errors.js';
import type { Cancel, Clock } from '../net/clock.js';
import {
  type AckFrame,
  type AckRange,
  DATA_HEADER_BYTES,
  type DataFrame,
  decodeFrame,
  encodeFrame,
  FRAME_ERRORS,
  type FrameError,
  MAX_ACK_RANGES,
  MAX_ACK_SPAN,
  MAX_FRAGMENTS,
} from './reliable-frames.js';

/** The smallest frame the stream works with: a DATA header and some payload, or the largest ACK. */
export const MIN_FRAME_BYTES = 128;

/** What a stream can be tuned by; times in ms. */
export interface ReliableTunables {
  /** Sequence numbers in flight past the oldest unacknowledged one; also the receive window. */
  window: number;
  maxMessageBytes: number;
  /** Bytes of DATA frames (headers included) accepted by send() and not yet acknowledged. */
  maxQueuedBytes: number;
  /** Longest a received frame waits for its ACK (the peer's max_ack_delay, as this side's). */
  ackDelayMs: number;
  minRto: number;
  maxRto: number;
  /** Retransmission timeouts of one frame before the stream fails. */
  maxRetransmits: number;
  /** Time without a newly acknowledged frame, while frames are in flight, before the stream fails. */
  failureTimeoutMs: number;
}

export const RELIABLE_DEFAULTS: Readonly<ReliableTunables> = Object.freeze({
  /** 64 frames of ~1150 bytes: a whole 64 KiB message in one round trip, ~73 KB buffered per side. */
  window: 64,
  maxMessageBytes: 65_536,
  /** Four largest messages: enough to keep the window full, little memory for a peer that stalls. */
  maxQueuedBytes: 262_144,
  /** QUIC's default max_ack_delay (RFC 9000 §18.2). */
  ackDelayMs: 25,
  /**
   * Linux TCP's floor. RFC 6298 §2.4 asks for 1 s, but these samples are frequent and exclude the
   * peer's ack delay, as QUIC's are, and QUIC sets no floor at all (RFC 9002 §6.2.1).
   */
  minRto: 200,
  /**
   * Below the 60 s that RFC 6298 §2.5 sets for a cap: the stream fails at 30 s anyway, and 10 s
   * leaves a few probes within that bound.
   */
  maxRto: 10_000,
  /** 11 losses in a row of one frame at 20 % loss: 2 in 100 million. */
  maxRetransmits: 10,
  /** A peer that has not acknowledged anything for 30 s is gone, not slow. */
  failureTimeoutMs: 30_000,
});

/** RFC 6298 §2.1. */
const INITIAL_RTO_MS = 1000;
/** Clock granularity G of RFC 6298 §2, kGranularity of RFC 9002 §6.1.2. */
const GRANULARITY_MS = 1;
/** RFC 9002 §6.1.1 kPacketThreshold, RFC 5681 §3.2's three duplicate ACKs. */
const PACKET_THRESHOLD = 3;
/** RFC 9000 §13.2.2: acknowledge at least every second frame. */
const ACK_EVERY = 2;
/** Acknowledged frames at the head of the send queue are cut off in batches of at least this many. */
const COMPACT_AT = 1024;
const EMPTY = new Uint8Array(0);
/** Incarnations of the peer that the receiving half has left and will not go back to. */
const RETIRED_INCARNATIONS = 8;
/** PTOs after the old sequence 0 last left before a new incarnation's may go (RFC 9000 §10.2). */
const HOLD_PTOS = 3;

export interface ReliableStreamOptions extends Partial<ReliableTunables> {
  clock: Clock;
  /** Hands one frame to the channel, which encrypts and sends it as (part of) a UDP packet. */
  sendFrame(frame: Uint8Array): void;
  /** Delivers one complete message, exactly once, in the order the peer sent them. */
  deliver(message: Uint8Array): void;
  /**
   * The sending half failed and reset (the peer stopped acknowledging): `lostMessages` messages
   * queued or in flight were dropped, some of which may have arrived with their ACKs lost. It runs
   * after the reset, so it may send() at once on the new incarnation. Also called when the peer
   * broke the protocol, after which the stream is closed (canSend() is false); `lostMessages` then
   * counts what close() dropped from the send queue.
   */
  onFailure?(reason: string, lostMessages: number): void;
  /** Largest frame the channel carries; at least MIN_FRAME_BYTES. */
  maxFrameBytes: number;
  /** Draws the incarnations of the sending half; systemRng unless a test needs them reproducible. */
  rng?: Rng;
}

type Tunables = ReliableTunables & { maxFrameBytes: number };

/**
 * Why a well-formed frame was dropped:
 * - beyond-window: DATA too far ahead of the next expected frame to buffer;
 * - ack-unsent: an ACK for a frame this side never sent;
 * - stale-incarnation: an ACK of an incarnation other than the sending half's current one, or DATA
 *   of an incarnation other than the peer's current one that does not start a new one (sequence
 *   number > 0, or an incarnation already left): never acknowledged, applied or delivered;
 * - fragment-order: DATA whose fragment fields contradict the message in progress (closes the stream);
 * - message-too-large: fragments adding up past maxMessageBytes (closes the stream);
 * - closed: arrived after close() or one of those two.
 */
const STREAM_DROPS = [
  'beyond-window',
  'ack-unsent',
  'stale-incarnation',
  'fragment-order',
  'message-too-large',
  'closed',
] as const;

/** Why a received frame was dropped: malformed (a FrameError), or unusable here. */
export type DropReason = FrameError | (typeof STREAM_DROPS)[number];

export interface ReliableStats {
  /** Messages accepted by send(). */
  messagesSent: number;
  /** Messages handed to deliver(). */
  messagesDelivered: number;
  /** DATA transmissions, retransmissions included. */
  framesSent: number;
  /** Frames handed to receiveFrame(), dropped ones included. */
  framesReceived: number;
  /** DATA retransmissions of both kinds. */
  retransmits: number;
  /** Of those, the ones sent because later frames were acknowledged first. */
  fastRetransmits: number;
  /** Expiries of the retransmission timer. */
  timeouts: number;
  acksSent: number;
  /** Valid ACKs received, whether or not they acknowledged anything new. */
  acksReceived: number;
  /** DATA frames received again: acknowledged again, never delivered again. */
  duplicates: number;
  dropped: Record<DropReason, number>;
  /** Smoothed RTT and its variation in ms (RFC 6298 §2); undefined before the first sample. */
  srtt: number | undefined;
  rttvar: number | undefined;
  /** The current retransmission timeout, in ms, backoff included. */
  rto: number;
  /** DATA frames sent and not yet acknowledged. */
  inFlight: number;
  /** Bytes of DATA frames accepted by send() and not yet acknowledged (sent or not). */
  queuedBytes: number;
  /** The sending half's current incarnation (never 0). */
  incarnation: number;
  /** Resets of the sending half: failures and resetSending() calls. */
  sendingResets: number;
  /** Messages those resets dropped, queued or in flight (some may have arrived, their ACKs lost). */
  messagesLost: number;
  /** The peer's incarnation the receiving half follows; 0 until a first one starts. */
  peerIncarnation: number;
  /** Times the receiving half moved from one incarnation of the peer to a new one. */
  peerResets: number;
  /**
   * Frames of the incarnation left, discarded on such a move: those held out of order, and the
   * fragments of a partial message.
   */
  framesDiscarded: number;
}

interface Outbound extends DataFrame {
  /** Transmissions so far; 0 while it waits for the window. */
  sends: number;
  /** Retransmissions caused by the timer, bounded by maxRetransmits. */
  timeouts: number;
  /** Clock time and transmission number of the latest transmission. */
  sentAt: number;
  txn: number;
  acked: boolean;
}

interface Inbound {
  index: number;
  count: number;
  payload: Uint8Array;
}

interface Reassembly {
  parts: Uint8Array[];
  bytes: number;
  count: number;
}

export class ReliableStream {
  readonly #clock: Clock;
  readonly #sendFrame: (frame: Uint8Array) => void;
  readonly #deliver: (message: Uint8Array) => void;
  readonly #onFailure: ((reason: string, lostMessages: number) => void) | undefined;
  readonly #rng: Rng;
  readonly #o: Tunables;
  readonly #maxPayload: number;
  #closed = false;

  // Sender. #outgoing[#outHead] is the frame with sequence number #sndUna; every frame below it is
  // acknowledged, every one below #sndNext has been sent, #nextSeq is the next to be queued. All of
  // it belongs to #incarnation; #resets counts the resets, so a loop that runs a callback can tell
  // that the state it walks has been replaced.
  #incarnation = 0;
  #resets = 0;
  #outgoing: Outbound[] = [];
  #outHead = 0;
  #sndUna = 0;
  #sndNext = 0;
  #nextSeq = 0;
  #txn = 0;
  /** Latest transmission, among frames sent only once, known to have arrived (loss detection). */
  #largestAckedTxn = 0;
  #inFlight = 0;
  #queuedBytes = 0;
  #lastProgress = 0;
  /**
   * When sequence 0 of this incarnation last left, while a copy of it may still be on its way
   * (-Infinity: not sent, or acknowledged after one transmission, whose one copy has then arrived).
   */
  #seq0SentAt = Number.NEGATIVE_INFINITY;
  /** No frame of this incarnation leaves before then (see the top of the file). */
  #holdUntil = Number.NEGATIVE_INFINITY;
  #rtoTimer: Cancel | null = null;
  #rto: number;
  #srtt: number | undefined;
  #rttvar: number | undefined;

  // Receiver, following the peer's incarnation #peerIncarnation (0: none yet; #retired holds the
  // last ones left). Every frame below #cumulative has been received; #buffer holds those above it.
  #peerIncarnation = 0;
  readonly #retired: number[] = [];
  #cumulative = 0;
  readonly #buffer = new Map<number, Inbound>();
  #partial: Reassembly | null = null;
  #largestSeq = -1;
  #largestArrival = 0;
  #unacked = 0;
  #ackTimer: Cancel | null = null;

  readonly #counters = {
    messagesSent: 0,
    messagesDelivered: 0,
    framesSent: 0,
    framesReceived: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    acksSent: 0,
    acksReceived: 0,
    duplicates: 0,
    sendingResets: 0,
    messagesLost: 0,
    peerResets: 0,
    framesDiscarded: 0,
  };
  readonly #dropped = Object.fromEntries(
    [...FRAME_ERRORS, ...STREAM_DROPS].map((reason) => [reason, 0]),
  ) as Record<DropReason, number>;

  /** Throws RELIABLE_BAD_OPTION naming the first option out of range. */
  constructor(options: ReliableStreamOptions) {
    this.#clock = options.clock;
    this.#sendFrame = options.sendFrame;
    this.#deliver = options.deliver;
    this.#onFailure = options.onFailure;
    this.#rng = options.rng ?? systemRng;
    this.#o = resolveTunables(options);
    this.#maxPayload = this.#o.maxFrameBytes - DATA_HEADER_BYTES;
    this.#rto = this.#initialRto();
    this.#incarnation = this.#drawIncarnation();
  }

  /** The smoothed round-trip time in ms, once a frame has been acknowledged. */
  get rtt(): number | undefined {
    return this.#srtt;
  }

  get stats(): ReliableStats {
    return {
      ...this.#counters,
      dropped: { ...this.#dropped },
      srtt: this.#srtt,
      rttvar: this.#rttvar,
      rto: this.#rto,
      inFlight: this.#inFlight,
      queuedBytes: this.#queuedBytes,
      incarnation: this.#incarnation,
      peerIncarnation: this.#peerIncarnation,
    };
  }

  /** Whether send() would accept a message of this many bytes now. */
  canSend(messageBytes: number): boolean {
    return (
      !this.#closed &&
      messageBytes <= this.#o.maxMessageBytes &&
      this.#queuedBytes + this.#wireBytes(messageBytes) <= this.#o.maxQueuedBytes
    );
  }

  /**
   * Queues a message (copied) and sends what the window allows. Throws RELIABLE_CLOSED,
   * RELIABLE_MESSAGE_TOO_LARGE, or RELIABLE_QUEUE_FULL when the unacknowledged bytes would pass
   * maxQueuedBytes; the caller retries once acknowledgements drain the queue (see canSend).
   */
  send(message: Uint8Array): void {
    if (this.#closed) throw new KithError('RELIABLE_CLOSED');
    const { maxMessageBytes, maxQueuedBytes } = this.#o;
    if (message.length > maxMessageBytes) {
      throw new KithError(
        'RELIABLE_MESSAGE_TOO_LARGE',
        `a message of ${message.length} bytes is over the limit of ${maxMessageBytes}`,
      );
    }
    const wireBytes = this.#wireBytes(message.length);
    if (this.#queuedBytes + wireBytes > maxQueuedBytes) {
      throw new KithError(
        'RELIABLE_QUEUE_FULL',
        `send queue holds ${this.#queuedBytes} of ${maxQueuedBytes} bytes; this message needs ${wireBytes}`,
      );
    }
    // A private copy: the caller may reuse its buffer, and a Buffer's slice() would share memory.
    const copy = new Uint8Array(message);
    const count = this.#fragments(message.length);
    for (let index = 0; index < count; index++) {
      const payload = copy.subarray(index * this.#maxPayload, (index + 1) * this.#maxPayload);
      const seq = this.#nextSeq++;
      this.#outgoing.push({
        type: 'data',
        incarnation: this.#incarnation,
        seq,
        index,
        count,
        payload,
        sends: 0,
        timeouts: 0,
        sentAt: 0,
        txn: 0,
        acked: false,
      });
    }
    this.#queuedBytes += wireBytes;
    this.#counters.messagesSent += 1;
    this.#pump();
  }

  /**
   * Takes one frame from the peer (authenticated by the channel). Never throws for the frame's
   * sake: a malformed or unusable frame is dropped and counted in stats.dropped.
   */
  receiveFrame(bytes: Uint8Array): void {
    this.#counters.framesReceived += 1;
    if (this.#closed) return this.#drop('closed');
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return this.#drop(decoded.error);
    if (decoded.frame.type === 'data') this.#onData(decoded.frame);
    else this.#onAck(decoded.frame);
  }

  /**
   * Starts the sending half over: drops every message queued or in flight, picks a new incarnation
   * and restarts at sequence 0 with fresh RTT state, as a failure does, for when the channel learns
   * that the peer restarted (its fresh receiver would drop the rest of the old incarnation). Returns
   * the number of messages dropped; onFailure is not called. Does nothing on a closed stream.
   */
  resetSending(): number {
    if (this.#closed) return 0;
    const lost = this.#pendingMessages();
    this.#rtoTimer?.();
    this.#rtoTimer = null;
    // Computed from the RTT state about to be dropped; the max keeps the hold of an incarnation
    // reset before its sequence 0 ever left.
    this.#holdUntil = Math.max(this.#holdUntil, this.#seq0SentAt + HOLD_PTOS * this.#pto());
    this.#seq0SentAt = Number.NEGATIVE_INFINITY;
    this.#resets += 1;
    this.#incarnation = this.#drawIncarnation();
    this.#outgoing = [];
    this.#outHead = this.#sndUna = this.#sndNext = this.#nextSeq = 0;
    this.#txn = this.#largestAckedTxn = 0;
    this.#inFlight = this.#queuedBytes = 0;
    this.#lastProgress = 0;
    this.#rto = this.#initialRto();
    this.#srtt = this.#rttvar = undefined;
    this.#counters.sendingResets += 1;
    this.#counters.messagesLost += lost;
    return lost;
  }

  /** Stops the stream: cancels both timers and discards everything queued or buffered. */
  close(): void {
    this.#closed = true;
    this.#rtoTimer?.();
    this.#ackTimer?.();
    this.#rtoTimer = this.#ackTimer = null;
    this.#outgoing = [];
    this.#outHead = this.#inFlight = this.#queuedBytes = 0;
    this.#buffer.clear();
    this.#partial = null;
  }

  /** The peer stopped acknowledging: the sending half resets, and the stream stays open. */
  #failSending(reason: string): void {
    if (this.#closed) return;
    const lost = this.resetSending();
    this.#onFailure?.(reason, lost);
  }

  /** The peer broke the protocol: nothing after this point can be delivered in order. */
  #failProtocol(reason: string): void {
    if (this.#closed) return;
    const lost = this.#pendingMessages();
    this.close();
    this.#onFailure?.(reason, lost);
  }

  /** Messages queued or in flight: those with a frame at or past #sndUna, each ending in one. */
  #pendingMessages(): number {
    let messages = 0;
    for (let i = this.#outHead; i < this.#outgoing.length; i++) {
      const frame = this.#outgoing[i] as Outbound;
      if (frame.index === frame.count - 1) messages += 1;
    }
    return messages;
  }

  #initialRto(): number {
    return clamp(INITIAL_RTO_MS, this.#o.minRto, this.#o.maxRto);
  }

  /** The RTO without backoff: RFC 6298 §2.3 plus the peer's ack delay (RFC 9002 §6.2.1's PTO). */
  #pto(): number {
    if (this.#srtt === undefined || this.#rttvar === undefined) return this.#initialRto();
    const pto = this.#srtt + Math.max(GRANULARITY_MS, 4 * this.#rttvar) + this.#o.ackDelayMs;
    return clamp(pto, this.#o.minRto, this.#o.maxRto);
  }

  /** A random nonzero u32 other than the current incarnation. */
  #drawIncarnation(): number {
    for (;;) {
      const bytes = this.#rng(4);
      const value = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
      if (value !== 0 && value !== this.#incarnation) return value;
    }
  }

  #drop(reason: DropReason): void {
    this.#dropped[reason] += 1;
  }

  #fragments(messageBytes: number): number {
    return Math.max(1, Math.ceil(messageBytes / this.#maxPayload));
  }

  #wireBytes(messageBytes: number): number {
    return messageBytes + this.#fragments(messageBytes) * DATA_HEADER_BYTES;
  }

  /** The queued frame with this sequence number, for #sndUna <= seq < #nextSeq. */
  #frameAt(seq: number): Outbound {
    return this.#outgoing[this.#outHead + seq - this.#sndUna] as Outbound;
  }

  #pump(): void {
    const hold = this.#holdUntil - this.#clock.now();
    if (this.#sndNext === 0 && this.#nextSeq > 0 && hold > 0) {
      // Nothing is in flight, so the retransmission timer is free to end the hold.
      this.#rtoTimer ??= this.#clock.schedule(hold, () => {
        this.#rtoTimer = null;
        this.#pump();
      });
      return;
    }
    while (this.#sndNext < this.#nextSeq && this.#sndNext < this.#sndUna + this.#o.window) {
      this.#transmit(this.#frameAt(this.#sndNext++));
      if (this.#closed) return;
    }
  }

  #transmit(frame: Outbound): void {
    const now = this.#clock.now();
    if (frame.sends === 0) {
      // The failure clock starts when frames go out after a quiet spell, not at the last ACK before it.
      if (this.#inFlight === 0) this.#lastProgress = now;
      this.#inFlight += 1;
    } else {
      this.#counters.retransmits += 1;
    }
    frame.sends += 1;
    frame.sentAt = now;
    if (frame.seq === 0) this.#seq0SentAt = now;
    frame.txn = ++this.#txn;
    this.#counters.framesSent += 1;
    if (this.#rtoTimer === null) this.#armRto(); // RFC 6298 §5.1
    this.#sendFrame(encodeFrame(frame));
  }

  #armRto(): void {
    this.#rtoTimer?.();
    const untilFailure = this.#lastProgress + this.#o.failureTimeoutMs - this.#clock.now();
    // Decided here rather than by comparing times when it fires, which rounding could get wrong.
    const atDeadline = untilFailure <= this.#rto;
    this.#rtoTimer = this.#clock.schedule(atDeadline ? untilFailure : this.#rto, () => {
      this.#rtoTimer = null;
      if (atDeadline) this.#failSending(`no acknowledgement for ${this.#o.failureTimeoutMs} ms`);
      else this.#onRto();
    });
  }

  #onRto(): void {
    this.#counters.timeouts += 1;
    this.#rto = Math.min(this.#rto * 2, this.#o.maxRto); // RFC 6298 §5.5
    // RFC 6298 §5.4 resends the earliest frame and TCP's slow start then resends the rest
    // (RFC 5681 §3.1); without congestion control that comes to resending every unacknowledged frame.
    const resets = this.#resets;
    for (let seq = this.#sndUna; seq < this.#sndNext; seq++) {
      const frame = this.#frameAt(seq);
      if (frame.acked) continue;
      if (frame.timeouts >= this.#o.maxRetransmits) {
        return this.#failSending(`frame ${seq} was not acknowledged after ${frame.timeouts} retransmissions`);
      }
      frame.timeouts += 1;
      this.#transmit(frame); // restarts the timer with the backed-off RTO (RFC 6298 §5.6)
      if (this.#closed || this.#resets !== resets) return;
    }
  }

  #onAck(ack: AckFrame): void {
    // Of an incarnation reset since: its sequence numbers mean nothing to the current one.
    if (ack.incarnation !== this.#incarnation) return this.#drop('stale-incarnation');
    // Ranges ascend from past the cumulative point, so the last one ends highest.
    const end = ack.ranges.at(-1)?.end ?? ack.cumulative;
    if (end > this.#sndNext) return this.#drop('ack-unsent');
    this.#counters.acksReceived += 1;
    const now = this.#clock.now();
    // An RTT sample only from a newly acknowledged largest frame (RFC 9002 §5.1) sent once (Karn's
    // rule, RFC 6298 §3): an ACK of a resent frame cannot say which transmission it answers.
    const largest = end - 1 >= this.#sndUna ? this.#frameAt(end - 1) : undefined;
    const sample = largest && !largest.acked && largest.sends === 1 ? now - largest.sentAt : undefined;
    let progress = this.#acknowledge(this.#sndUna, ack.cumulative);
    for (const range of ack.ranges) {
      progress = this.#acknowledge(Math.max(range.start, this.#sndUna), range.end) || progress;
    }
    if (!progress) return;
    this.#lastProgress = now;
    if (sample !== undefined) this.#updateRtt(sample, ack.ackDelayUs / 1000);
    while (this.#sndUna < this.#sndNext && this.#frameAt(this.#sndUna).acked) {
      this.#sndUna += 1;
      this.#outHead += 1;
    }
    if (this.#outHead >= COMPACT_AT && this.#outHead * 2 >= this.#outgoing.length) {
      this.#outgoing.splice(0, this.#outHead);
      this.#outHead = 0;
    }
    const resets = this.#resets;
    for (let seq = this.#sndUna; seq < this.#sndNext; seq++) {
      const frame = this.#frameAt(seq);
      if (frame.acked || this.#largestAckedTxn - frame.txn < PACKET_THRESHOLD) continue;
      this.#counters.fastRetransmits += 1;
      this.#transmit(frame);
      if (this.#closed || this.#resets !== resets) return;
    }
    if (this.#inFlight > 0) {
      this.#armRto(); // RFC 6298 §5.3
    } else {
      this.#rtoTimer?.(); // RFC 6298 §5.2
      this.#rtoTimer = null;
    }
    this.#pump();
  }

  /** Marks sent frames [from, to) acknowledged; true if any was not already. */
  #acknowledge(from: number, to: number): boolean {
    let any = false;
    for (let seq = from; seq < to; seq++) {
      const frame = this.#frameAt(seq);
      if (frame.acked) continue;
      any = true;
      frame.acked = true;
      this.#inFlight -= 1;
      this.#queuedBytes -= DATA_HEADER_BYTES + frame.payload.length;
      if (frame.sends === 1) this.#largestAckedTxn = Math.max(this.#largestAckedTxn, frame.txn);
      if (frame.seq === 0 && frame.sends === 1) this.#seq0SentAt = Number.NEGATIVE_INFINITY;
      frame.payload = EMPTY;
    }
    return any;
  }

  #updateRtt(latest: number, peerAckDelayMs: number): void {
    // The peer's delay is trusted up to the one this side uses (both run these defaults), as QUIC
    // caps it at max_ack_delay (RFC 9002 §5.3). QUIC also never subtracts below min_rtt; here that
    // would leave the delay in every sample when every ACK is delayed (sporadic one-frame messages),
    // and the cap already bounds what a wrong report can do.
    const rtt = Math.max(GRANULARITY_MS, latest - Math.min(peerAckDelayMs, this.#o.ackDelayMs));
    if (this.#srtt === undefined || this.#rttvar === undefined) {
      this.#srtt = rtt; // RFC 6298 §2.2
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt); // RFC 6298 §2.3
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    // A new sample also ends any backoff (RFC 6298 §5, the note after step 5.7).
    this.#rto = this.#pto();
  }

  #onData(frame: DataFrame): void {
    const seq = frame.seq;
    if (frame.incarnation !== this.#peerIncarnation) {
      // Only a first frame starts an incarnation (see the top of the file), and never one left before.
      if (seq !== 0 || this.#retired.includes(frame.incarnation)) return this.#drop('stale-incarnation');
      this.#startPeerIncarnation(frame.incarnation);
    }
    if (seq < this.#cumulative || this.#buffer.has(seq)) {
      this.#counters.duplicates += 1;
      return this.#sendAck(); // the ACK that covered it may have been lost
    }
    if (seq >= this.#cumulative + this.#o.window) return this.#drop('beyond-window');
    if (seq > this.#largestSeq) {
      this.#largestSeq = seq;
      this.#largestArrival = this.#clock.now();
    }
    const inOrder = seq === this.#cumulative && this.#buffer.size === 0;
    this.#unacked += 1;
    // A copy: the channel may reuse the buffer the frame was decrypted into.
    this.#buffer.set(seq, { index: frame.index, count: frame.count, payload: new Uint8Array(frame.payload) });
    this.#consume();
    if (this.#closed) return;
    // RFC 9000 §13.2.1-13.2.2: at once when a frame arrives out of order or fills a gap, otherwise
    // for every second frame or after the ack delay.
    if (!inOrder || this.#unacked >= ACK_EVERY) {
      this.#sendAck();
    } else {
      this.#ackTimer ??= this.#clock.schedule(this.#o.ackDelayMs, () => {
        this.#ackTimer = null;
        this.#sendAck();
      });
    }
  }

  /** Leaves the peer's current incarnation, if any, with all it buffered, for a new one at sequence 0. */
  #startPeerIncarnation(incarnation: number): void {
    if (this.#peerIncarnation !== 0) {
      this.#counters.peerResets += 1;
      this.#counters.framesDiscarded += this.#buffer.size + (this.#partial?.parts.length ?? 0);
      this.#retired.push(this.#peerIncarnation);
      if (this.#retired.length > RETIRED_INCARNATIONS) this.#retired.shift();
    }
    this.#peerIncarnation = incarnation;
    // An ACK still owed to the old incarnation is of no use: its sender has reset.
    this.#ackTimer?.();
    this.#ackTimer = null;
    this.#unacked = 0;
    this.#cumulative = 0;
    this.#buffer.clear();
    this.#partial = null;
    this.#largestSeq = -1;
    this.#largestArrival = 0;
  }

  /**
   * Takes buffered frames from the next expected one up to the first gap. State is settled before
   * each deliver(), so one that throws leaves the stream consistent, and the next new frame to
   * arrive carries on from there.
   */
  #consume(): void {
    for (let frame = this.#buffer.get(this.#cumulative); frame !== undefined;) {
      this.#buffer.delete(this.#cumulative);
      this.#cumulative += 1;
      const message = this.#reassemble(frame);
      if (this.#closed) return;
      if (message !== undefined) {
        this.#counters.messagesDelivered += 1;
        this.#deliver(message);
        if (this.#closed) return;
      }
      frame = this.#buffer.get(this.#cumulative);
    }
  }

  /** Adds the next frame in sequence to the message in progress; returns the message once complete. */
  #reassemble(frame: Inbound): Uint8Array | undefined {
    const partial = this.#partial;
    const expected = partial === null ? 0 : partial.parts.length;
    if (frame.index !== expected || (partial !== null && frame.count !== partial.count)) {
      // The frames before it are acknowledged already, so there is no dropping just this one: the
      // peer's stream is broken and nothing after it can be delivered in order.
      this.#drop('fragment-order');
      this.#failProtocol(`peer sent fragment ${frame.index} of ${frame.count} where ${expected} was due`);
      return undefined;
    }
    const parts = partial?.parts ?? [];
    parts.push(frame.payload);
    const bytes = (partial?.bytes ?? 0) + frame.payload.length;
    if (bytes > this.#o.maxMessageBytes) {
      this.#drop('message-too-large');
      this.#failProtocol(`peer sent a message over ${this.#o.maxMessageBytes} bytes`);
      return undefined;
    }
    if (parts.length < frame.count) {
      this.#partial = { parts, bytes, count: frame.count };
      return undefined;
    }
    this.#partial = null;
    return parts.length === 1 ? parts[0] : concatBytes(...parts);
  }

  #sendAck(): void {
    this.#ackTimer?.();
    this.#ackTimer = null;
    this.#unacked = 0;
    this.#counters.acksSent += 1;
    const ackDelayUs = (this.#clock.now() - this.#largestArrival) * 1000;
    this.#sendFrame(
      encodeFrame({
        type: 'ack',
        incarnation: this.#peerIncarnation,
        cumulative: this.#cumulative,
        ackDelayUs,
        ranges: this.#sackRanges(),
      }),
    );
  }

  /** The buffered frames as ranges, the highest MAX_ACK_RANGES of them (RFC 9000 §13.2.3). */
  #sackRanges(): AckRange[] {
    const ranges: AckRange[] = [];
    for (const seq of [...this.#buffer.keys()].sort((a, b) => a - b)) {
      const last = ranges.at(-1);
      if (last?.end === seq) last.end += 1;
      else ranges.push({ start: seq, end: seq + 1 });
    }
    return ranges.slice(-MAX_ACK_RANGES);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function resolveTunables(options: ReliableStreamOptions): Tunables {
  const o: Tunables = {
    maxFrameBytes: options.maxFrameBytes,
    window: options.window ?? RELIABLE_DEFAULTS.window,
    maxMessageBytes: options.maxMessageBytes ?? RELIABLE_DEFAULTS.maxMessageBytes,
    maxQueuedBytes: options.maxQueuedBytes ?? RELIABLE_DEFAULTS.maxQueuedBytes,
    ackDelayMs: options.ackDelayMs ?? RELIABLE_DEFAULTS.ackDelayMs,
    minRto: options.minRto ?? RELIABLE_DEFAULTS.minRto,
    maxRto: options.maxRto ?? RELIABLE_DEFAULTS.maxRto,
    maxRetransmits: options.maxRetransmits ?? RELIABLE_DEFAULTS.maxRetransmits,
    failureTimeoutMs: options.failureTimeoutMs ?? RELIABLE_DEFAULTS.failureTimeoutMs,
  };
  const check = (name: keyof Tunables, ok: boolean, allowed: string) => {
    if (!ok) throw new KithError('RELIABLE_BAD_OPTION', `${name} must be ${allowed}, got ${o[name]}`);
  };
  const isInteger = Number.isSafeInteger;
  const isTime = (ms: number) => Number.isFinite(ms) && ms >= 0;
  check(
    'maxFrameBytes',
    isInteger(o.maxFrameBytes) && o.maxFrameBytes >= MIN_FRAME_BYTES,
    `>= ${MIN_FRAME_BYTES}`,
  );
  check('window', isInteger(o.window) && o.window >= 1 && o.window <= MAX_ACK_SPAN, `in 1..${MAX_ACK_SPAN}`);
  const maxPayload = o.maxFrameBytes - DATA_HEADER_BYTES;
  const maxFragments = Math.max(1, Math.ceil(o.maxMessageBytes / maxPayload));
  check(
    'maxMessageBytes',
    isInteger(o.maxMessageBytes) && o.maxMessageBytes >= 0 && maxFragments <= MAX_FRAGMENTS,
    `>= 0 and fit in ${MAX_FRAGMENTS} frames`,
  );
  const largestMessage = o.maxMessageBytes + maxFragments * DATA_HEADER_BYTES;
  check(
    'maxQueuedBytes',
    isInteger(o.maxQueuedBytes) && o.maxQueuedBytes >= largestMessage,
    `>= ${largestMessage}, the frames of one largest message`,
  );
  check('ackDelayMs', isTime(o.ackDelayMs), 'a finite number >= 0');
  check('minRto', isTime(o.minRto) && o.minRto > 0, 'a finite number > 0');
  check('maxRto', isTime(o.maxRto) && o.maxRto >= o.minRto, `a finite number >= minRto (${o.minRto})`);
  check('maxRetransmits', isInteger(o.maxRetransmits) && o.maxRetransmits >= 1, 'an integer >= 1');
  check('failureTimeoutMs', isTime(o.failureTimeoutMs) && o.failureTimeoutMs > 0, 'a finite number > 0');
  return o;
}
