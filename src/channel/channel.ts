// A channel: the encrypted, authenticated path to one contact (DESIGN §3 "Channel"), after
// WireGuard's per-peer state. It runs the KKpsk0 handshake (retrying with jitter), keeps up to
// three sessions (current; previous, so packets in flight across a rekey still open; next, a
// responder's session not yet confirmed by the initiator's first packet), rekeys by age and
// count, sends keepalives, follows the peer to a new address when an authentic packet arrives
// from there (roaming), and carries two streams: reliable ordered messages and datagrams.
//
// Timers are in channel/timers.ts; here they are scheduled lazily (a timer that fires checks the
// time of the last activity and re-arms itself), so no timer is touched per packet.
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { Rng } from '../crypto/random.js';
import { KithError } from '../errors.js';
import type { Cancel, Clock } from '../net/clock.js';
import { type Endpoint, MAX_PACKET_BYTES, sameEndpoint } from '../net/transport.js';
import {
  type CookieReply,
  encodeInitiation,
  encodeResponse,
  type Initiation as InitiationPacket,
  type Response,
  TRANSPORT_OVERHEAD,
  type Transport as TransportPacket,
} from '../wire/channel.js';
import { CookieJar } from './cookie.js';
import {
  decodePingId,
  encodeDatagram,
  encodePing,
  FrameType,
  RELIABLE_FIRST,
  RELIABLE_LAST,
} from './frames.js';
import { Initiation, respond, type StaticKeyPair } from './handshake.js';
import { epochOf, hintKey, hintTag } from './hint.js';
import { ReliableStream } from './reliable.js';
import { Session } from './session.js';
import type { ChannelTimers } from './timers.js';

/** The largest datagram payload: one packet minus transport overhead and the frame type. */
export const MAX_DATAGRAM_BYTES = MAX_PACKET_BYTES - TRANSPORT_OVERHEAD - 1;
/** Frames waiting for a session; beyond this a send fails rather than buffering without bound. */
const MAX_QUEUED_FRAMES = 256;
const PING_TIMEOUT_MS = 5_000;
const MAX_PINGS = 16;

export interface Peer {
  /** Stable identifier of the contact (the hex of its Ed25519 key). */
  id: string;
  name: string;
  x25519Public: Uint8Array;
  psk: Uint8Array;
  endpoint: Endpoint | null;
}

export interface ChannelEvents {
  onMessage(peerId: string, message: Uint8Array): void;
  onDatagram(peerId: string, datagram: Uint8Array): void;
  /** The reliable stream gave up on `lostMessages` unacknowledged messages and started over. */
  onStreamFailure?(peerId: string, reason: string, lostMessages: number): void;
}

/** What a channel needs from the router that owns the socket and the index table. */
export interface ChannelContext {
  clock: Clock;
  rng: Rng;
  timers: ChannelTimers;
  identity: StaticKeyPair;
  /** Random bytes chosen once per router (process run); told to peers in every handshake. */
  bootId: Uint8Array;
  events: ChannelEvents;
  send(packet: Uint8Array, to: Endpoint): void;
  /** A fresh random index that routes packets to this channel (a pending handshake for now). */
  allocateIndex(channel: Channel): number;
  /** From now on the index names this session. */
  bindIndex(index: number, session: Session): void;
  releaseIndex(index: number): void;
  /**
   * Finds a path to a peer that has no endpoint (the overlay's INVITE, rendezvous.ts); absent, a
   * channel without an endpoint cannot open. Resolves with the endpoint to handshake with.
   */
  locate?: (peerId: string) => Promise<Endpoint>;
}

export type ChannelDrop =
  | 'replay'
  | 'auth-failed'
  | 'expired-session'
  | 'too-many-messages'
  | 'unknown-frame'
  | 'bad-frame'
  | 'bad-response'
  | 'stale-response'
  | 'bad-cookie'
  | 'replayed-initiation'
  | 'queue-full';

export interface ChannelInfo {
  peer: string;
  name: string;
  endpoint: Endpoint | null;
  state: 'idle' | 'handshaking' | 'open';
  sessionAgeMs: number | null;
  rttMs: number | null;
  handshakes: number;
  /** Times the reliable stream gave up and started over, and the messages it lost doing so. */
  streamFailures: number;
  messagesLost: number;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  drops: Partial<Record<ChannelDrop, number>>;
}

interface Pending {
  initiation: Initiation;
  localIndex: number;
  firstAt: number;
  /** Initiations sent for this handshake so far. */
  attempts: number;
  cancelRetry: Cancel;
}

interface PingWait {
  sentAt: number;
  resolve(rttMs: number): void;
  reject(err: Error): void;
  cancel: Cancel;
}

export class Channel {
  #peer: Peer;
  /** The endpoint the directory last gave us, to tell its changes from our roaming. */
  #configuredEndpoint: Endpoint | null;
  #hintKey: Uint8Array;
  #jar: CookieJar;
  readonly #ctx: ChannelContext;
  #reliable: ReliableStream;
  /** The peer's boot id from the last handshake (hex), to notice when it restarted. */
  #peerBootId: string | null = null;
  #streamFailures = 0;
  #messagesLost = 0;
  #current: Session | null = null;
  #previous: Session | null = null;
  #next: Session | null = null;
  #pending: Pending | null = null;
  #waiters: { resolve(): void; reject(err: Error): void }[] = [];
  #queue: Uint8Array[] = [];
  #greatestTimestamp = -1;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #lastReceivedAt = Number.NEGATIVE_INFINITY;
  /** Data arrived and we have sent nothing since: the peer would like a sign of life. */
  #owesKeepalive = false;
  /** When we first sent data that nothing has answered since (null: all answered). */
  #unansweredSince: number | null = null;
  #silenceTimer: Cancel | null = null;
  #keepaliveTimer: Cancel | null = null;
  #expiryTimer: Cancel | null = null;
  #pings = new Map<number, PingWait>();
  #closed = false;
  /** A locate() is in flight; the handshake starts when it resolves. */
  #locating = false;
  #handshakes = 0;
  #stats = { packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0 };
  #drops: Partial<Record<ChannelDrop, number>> = {};
  #rttMs: number | null = null;

  constructor(peer: Peer, ctx: ChannelContext) {
    this.#ctx = ctx;
    this.#peer = peer;
    this.#configuredEndpoint = peer.endpoint;
    this.#hintKey = hintKey(peer.psk);
    this.#jar = new CookieJar(peer.x25519Public, ctx.clock, ctx.timers.cookieMaxAgeMs);
    this.#reliable = this.#newStream();
  }

  #newStream(): ReliableStream {
    return new ReliableStream({
      clock: this.#ctx.clock,
      rng: this.#ctx.rng,
      maxFrameBytes: MAX_PACKET_BYTES - TRANSPORT_OVERHEAD,
      sendFrame: (frame) => this.#sendFrame(frame),
      deliver: (message) => this.#ctx.events.onMessage(this.#peer.id, message),
      onFailure: (reason, lost) => {
        this.#streamFailures += 1;
        this.#messagesLost += lost;
        // A stream the peer broke (bad fragments) is closed for good; a fresh one takes its place,
        // and the peer's receiver follows it to the new incarnation.
        if (!this.#closed && !this.#reliable.canSend(0)) this.#reliable = this.#newStream();
        this.#ctx.events.onStreamFailure?.(this.#peer.id, reason, lost);
      },
    });
  }

  /** A peer whose boot id changed restarted and lost its stream state: start ours over at once. */
  #notePeerBoot(bootId: Uint8Array): void {
    const id = toHex(bootId);
    if (this.#peerBootId !== null && this.#peerBootId !== id) {
      const lost = this.#reliable.resetSending();
      this.#messagesLost += lost;
      if (lost > 0) this.#ctx.events.onStreamFailure?.(this.#peer.id, 'peer restarted', lost);
    }
    this.#peerBootId = id;
  }

  get peer(): Peer {
    return this.#peer;
  }

  get hintKey(): Uint8Array {
    return this.#hintKey;
  }

  /** New contact data (a changed endpoint or PSK) from the store. */
  update(peer: Peer): void {
    const keysChanged = !equalBytes(peer.psk, this.#peer.psk);
    // The address a peer roamed to wins over the stored one, unless the stored one was changed
    // (by hand, or later by the overlay): only then is it news.
    const configuredChanged = !sameOptionalEndpoint(peer.endpoint, this.#configuredEndpoint);
    this.#configuredEndpoint = peer.endpoint;
    this.#peer = configuredChanged ? peer : { ...peer, endpoint: this.#peer.endpoint };
    if (keysChanged) {
      this.#hintKey = hintKey(peer.psk);
      this.#jar = new CookieJar(peer.x25519Public, this.#ctx.clock, this.#ctx.timers.cookieMaxAgeMs);
    }
  }

  /** Resolves once a session is open, starting a handshake if needed. */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new KithError('CHANNEL_CLOSED', 'channel is closed'));
    if (this.#usable(this.#current)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#startHandshake();
    });
  }

  /** Queues a message on the reliable stream (up to 64 KiB; delivered once, in order). */
  send(message: Uint8Array): void {
    this.#ensureOpen();
    this.#reliable.send(message);
  }

  sendDatagram(datagram: Uint8Array): void {
    this.#ensureOpen();
    if (datagram.length > MAX_DATAGRAM_BYTES) {
      throw new KithError('CHANNEL_DATAGRAM_TOO_LARGE', `a datagram is at most ${MAX_DATAGRAM_BYTES} bytes`);
    }
    this.#sendFrame(encodeDatagram(datagram));
  }

  /** Round trip of a PING frame over the channel (opening it first if needed), in milliseconds. */
  ping(timeoutMs = PING_TIMEOUT_MS): Promise<number> {
    // Sent at once when the channel is open, so the round trip measures the network, not us.
    if (this.#usable(this.#current)) return this.#ping(timeoutMs);
    return this.connect().then(() => this.#ping(timeoutMs));
  }

  #ping(timeoutMs: number): Promise<number> {
    if (this.#pings.size >= MAX_PINGS) {
      return Promise.reject(new KithError('CHANNEL_PING_TIMEOUT', 'too many pings in flight'));
    }
    let id = 0;
    do id = new DataView(this.#ctx.rng(4).buffer).getUint32(0);
    while (this.#pings.has(id));
    return new Promise<number>((resolve, reject) => {
      const cancel = this.#ctx.clock.schedule(timeoutMs, () => {
        this.#pings.delete(id);
        reject(
          new KithError('CHANNEL_PING_TIMEOUT', `no answer from ${this.#peer.name} within ${timeoutMs} ms`),
        );
      });
      this.#pings.set(id, { sentAt: this.#ctx.clock.now(), resolve, reject, cancel });
      this.#sendFrame(encodePing(FrameType.ping, id));
    });
  }

  info(): ChannelInfo {
    const now = this.#ctx.clock.now();
    return {
      peer: this.#peer.id,
      name: this.#peer.name,
      endpoint: this.#peer.endpoint,
      state: this.#usable(this.#current) ? 'open' : this.#pending ? 'handshaking' : 'idle',
      sessionAgeMs: this.#current ? Math.round(now - this.#current.createdAt) : null,
      rttMs: this.#rttMs ?? this.#reliable.rtt ?? null,
      handshakes: this.#handshakes,
      streamFailures: this.#streamFailures,
      messagesLost: this.#messagesLost,
      ...this.#stats,
      drops: { ...this.#drops },
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reliable.close();
    this.#cancelPending();
    for (const s of [this.#current, this.#previous, this.#next]) this.#retire(s);
    this.#current = this.#previous = this.#next = null;
    this.#keepaliveTimer?.();
    this.#expiryTimer?.();
    this.#silenceTimer?.();
    const closed = new KithError('CHANNEL_CLOSED', 'channel is closed');
    for (const w of this.#waiters.splice(0)) w.reject(closed);
    for (const p of this.#pings.values()) {
      p.cancel();
      p.reject(closed);
    }
    this.#pings.clear();
    this.#queue = [];
  }

  // --- handshake, initiator side -------------------------------------------------------------

  #startHandshake(): void {
    if (this.#pending || this.#closed || this.#locating) return;
    if (!this.#peer.endpoint) {
      const locate = this.#ctx.locate;
      if (!locate) {
        this.#failWaiters(new KithError('CHANNEL_NO_ENDPOINT', `no known address for ${this.#peer.name}`));
        return;
      }
      this.#locating = true;
      locate(this.#peer.id).then(
        (endpoint) => {
          this.#locating = false;
          if (this.#closed) return;
          if (!this.#peer.endpoint) this.#peer = { ...this.#peer, endpoint: { ...endpoint } };
          this.#startHandshake();
        },
        (err: unknown) => {
          this.#locating = false;
          this.#queue = [];
          this.#failWaiters(err instanceof Error ? err : new Error(String(err)));
        },
      );
      return;
    }
    this.#sendInitiation(this.#ctx.clock.now(), 0);
  }

  #sendInitiation(firstAt: number, attempt: number): void {
    const { clock, timers, rng } = this.#ctx;
    const endpoint = this.#peer.endpoint;
    if (!endpoint) return;
    if (this.#pending) this.#ctx.releaseIndex(this.#pending.localIndex);
    const initiation = new Initiation(
      this.#ctx.identity,
      this.#peer.x25519Public,
      this.#peer.psk,
      rng,
      clock.wallTime(),
      this.#ctx.bootId,
    );
    const localIndex = this.#ctx.allocateIndex(this);
    const tag = hintTag(this.#hintKey, epochOf(clock.wallTime(), timers.hintEpochMs));
    const packet = this.#jar.stamp(encodeInitiation(localIndex, tag, initiation.message));
    const jitter = new DataView(rng(2).buffer).getUint16(0) % (timers.rekeyTimeoutJitterMs + 1);
    // Someone is waiting for a call to connect: the first retries come sooner than WireGuard's
    // fixed REKEY_TIMEOUT, doubling up to it, so one lost packet costs a second, not five.
    const wait = Math.min(timers.rekeyTimeoutMs, timers.firstRetryMs * 2 ** attempt);
    const cancelRetry = clock.schedule(wait + jitter, () => this.#retry());
    this.#pending = { initiation, localIndex, firstAt, attempts: attempt + 1, cancelRetry };
    this.#transmit(packet, endpoint);
  }

  #retry(): void {
    const pending = this.#pending;
    if (!pending || this.#closed) return;
    if (this.#ctx.clock.now() - pending.firstAt >= this.#ctx.timers.rekeyAttemptTimeMs) {
      this.#cancelPending();
      this.#queue = [];
      // A path the overlay found may be stale now (the peer moved); the next attempt finds a new one.
      if (!this.#configuredEndpoint && this.#ctx.locate) this.#peer = { ...this.#peer, endpoint: null };
      this.#failWaiters(
        new KithError(
          'CHANNEL_HANDSHAKE_TIMEOUT',
          `no handshake with ${this.#peer.name} after ${this.#ctx.timers.rekeyAttemptTimeMs / 1000} s`,
        ),
      );
      return;
    }
    this.#sendInitiation(pending.firstAt, pending.attempts);
  }

  #cancelPending(): void {
    if (!this.#pending) return;
    this.#pending.cancelRetry();
    this.#ctx.releaseIndex(this.#pending.localIndex);
    this.#pending = null;
  }

  /** Message 2 for our pending initiation (the router matched its receiver index). */
  receiveResponse(packet: Response, from: Endpoint): void {
    const pending = this.#pending;
    if (!pending || pending.localIndex !== packet.receiverIndex) return this.#drop('stale-response');
    let keys;
    try {
      keys = pending.initiation.complete(packet.noise);
    } catch {
      // A forged or corrupt response must not cost us the handshake: a later genuine one may come.
      return this.#drop('bad-response');
    }
    pending.cancelRetry();
    this.#pending = null;
    this.#handshakes += 1;
    const session = new Session(
      {
        localIndex: pending.localIndex,
        remoteIndex: packet.senderIndex,
        initiator: true,
        sendKey: keys.sendKey,
        receiveKey: keys.receiveKey,
      },
      this.#ctx.clock.now(),
    );
    this.#ctx.bindIndex(pending.localIndex, session);
    this.#notePeerBoot(keys.peerBootId);
    this.#roam(from);
    this.#install(session);
    // Confirms the session to the responder at once, even when we have nothing else to send.
    if (this.#queue.length === 0) this.#sendFrame(new Uint8Array(0));
  }

  receiveCookie(reply: CookieReply): void {
    if (!this.#pending || reply.receiverIndex !== this.#pending.localIndex || !this.#jar.consume(reply)) {
      this.#drop('bad-cookie');
    }
    // The retry timer sends the next initiation, now with mac2; WireGuard waits likewise.
  }

  // --- handshake, responder side -------------------------------------------------------------

  /** An initiation the router admitted (MACs, rate, hint all checked) and traced to this peer. */
  receiveInitiation(packet: InitiationPacket, from: Endpoint): boolean {
    let responded;
    try {
      responded = respond(
        this.#ctx.identity,
        this.#peer.x25519Public,
        this.#peer.psk,
        this.#ctx.rng,
        packet.noise,
      );
    } catch {
      return false;
    }
    // WireGuard's TAI64N rule: only an initiation newer than every earlier one is accepted, so a
    // recorded initiation replayed later creates nothing.
    if (responded.timestampMs <= this.#greatestTimestamp) {
      this.#drop('replayed-initiation');
      return true;
    }
    this.#greatestTimestamp = responded.timestampMs;
    const reply = responded.reply(this.#ctx.bootId);
    this.#notePeerBoot(responded.peerBootId);
    this.#handshakes += 1;
    const localIndex = this.#ctx.allocateIndex(this);
    const session = new Session(
      {
        localIndex,
        remoteIndex: packet.senderIndex,
        initiator: false,
        sendKey: reply.sendKey,
        receiveKey: reply.receiveKey,
      },
      this.#ctx.clock.now(),
    );
    this.#ctx.bindIndex(localIndex, session);
    this.#retire(this.#next);
    this.#next = session;
    this.#roam(from);
    this.#transmit(this.#jar.stamp(encodeResponse(localIndex, packet.senderIndex, reply.message)), from);
    this.#armExpiry();
    return true;
  }

  // --- transport -----------------------------------------------------------------------------

  /** A transport packet for one of our sessions (the router matched the receiver index). */
  receiveTransport(session: Session, packet: TransportPacket, from: Endpoint): void {
    const { clock, timers } = this.#ctx;
    if (clock.now() - session.createdAt >= timers.rejectAfterTimeMs) return this.#drop('expired-session');
    if (packet.counter >= timers.rejectAfterMessages) return this.#drop('too-many-messages');
    const plaintext = session.open(packet);
    if (plaintext === 'replay' || plaintext === 'auth-failed') return this.#drop(plaintext);
    this.#stats.packetsReceived += 1;
    this.#stats.bytesReceived += packet.sealed.length + packet.header.length;
    this.#lastReceivedAt = clock.now();
    this.#unansweredSince = null;
    if (session === this.#next) {
      this.#next = null;
      session.confirmed = true;
      this.#install(session);
    }
    this.#roam(from);
    // Only data asks for a keepalive back; answering keepalives with keepalives would never stop.
    if (plaintext.length > 0) {
      this.#owesKeepalive = true;
      this.#armKeepalive();
    }
    // The responder of a session rekeys when receiving on one about to expire (WireGuard §6.2).
    if (
      session === this.#current &&
      !session.initiator &&
      clock.now() - session.createdAt >=
        timers.rejectAfterTimeMs - timers.keepaliveTimeoutMs - timers.rekeyTimeoutMs
    ) {
      this.#startHandshake();
    }
    this.#handleFrame(plaintext);
  }

  #handleFrame(frame: Uint8Array): void {
    const type = frame[0];
    if (type === undefined) return; // keepalive
    if (type >= RELIABLE_FIRST && type <= RELIABLE_LAST) return this.#reliable.receiveFrame(frame);
    switch (type) {
      case FrameType.datagram:
        this.#ctx.events.onDatagram(this.#peer.id, frame.subarray(1));
        return;
      case FrameType.ping: {
        const id = decodePingId(frame);
        if (id === null) return this.#drop('bad-frame');
        this.#sendFrame(encodePing(FrameType.pong, id));
        return;
      }
      case FrameType.pong: {
        const id = decodePingId(frame);
        const wait = id === null ? undefined : this.#pings.get(id);
        if (id === null || !wait) return this.#drop('bad-frame');
        this.#pings.delete(id);
        wait.cancel();
        this.#rttMs = this.#ctx.clock.now() - wait.sentAt;
        wait.resolve(this.#rttMs);
        return;
      }
      default:
        this.#drop('unknown-frame');
    }
  }

  #sendFrame(frame: Uint8Array): void {
    if (this.#closed) return;
    const session = this.#current;
    if (!this.#usable(session) || !this.#peer.endpoint) {
      if (this.#queue.length >= MAX_QUEUED_FRAMES) {
        this.#drop('queue-full');
        return;
      }
      if (frame.length > 0) this.#queue.push(frame);
      this.#startHandshake();
      return;
    }
    this.#transmit(session.seal(frame), this.#peer.endpoint);
    if (frame.length > 0) this.#expectAnswer();
    const { clock, timers } = this.#ctx;
    if (
      session.initiator &&
      (clock.now() - session.createdAt >= timers.rekeyAfterTimeMs ||
        session.sent >= timers.rekeyAfterMessages)
    ) {
      this.#startHandshake();
    }
  }

  #transmit(packet: Uint8Array, to: Endpoint): void {
    this.#stats.packetsSent += 1;
    this.#stats.bytesSent += packet.length;
    this.#lastSentAt = this.#ctx.clock.now();
    this.#owesKeepalive = false;
    this.#ctx.send(packet, to);
  }

  /** A session is usable for sending while confirmed, young enough and below the message limit. */
  #usable(session: Session | null): session is Session {
    if (!session || !session.confirmed) return false;
    const { clock, timers } = this.#ctx;
    return (
      clock.now() - session.createdAt < timers.rejectAfterTimeMs && session.sent < timers.rejectAfterMessages
    );
  }

  #install(session: Session): void {
    this.#retire(this.#previous);
    this.#previous = this.#current;
    this.#current = session;
    this.#armExpiry();
    for (const w of this.#waiters.splice(0)) w.resolve();
    const queued = this.#queue;
    this.#queue = [];
    for (const frame of queued) this.#sendFrame(frame);
  }

  #retire(session: Session | null): void {
    if (!session) return;
    this.#ctx.releaseIndex(session.localIndex);
    session.destroy();
  }

  #roam(from: Endpoint): void {
    if (!this.#peer.endpoint || !sameEndpoint(this.#peer.endpoint, from)) {
      this.#peer = { ...this.#peer, endpoint: { address: from.address, port: from.port } };
    }
  }

  /** After receiving, if we send nothing within KEEPALIVE_TIMEOUT, an empty packet tells the
   * peer we are alive (WireGuard's passive keepalive). */
  #armKeepalive(): void {
    if (this.#keepaliveTimer) return;
    const { clock, timers } = this.#ctx;
    this.#keepaliveTimer = clock.schedule(timers.keepaliveTimeoutMs, () => {
      this.#keepaliveTimer = null;
      if (this.#closed || !this.#usable(this.#current)) return;
      if (this.#owesKeepalive) this.#sendFrame(new Uint8Array(0));
      if (clock.now() - this.#lastReceivedAt < timers.keepaliveTimeoutMs) this.#armKeepalive();
    });
  }

  /**
   * WireGuard's "new handshake" timer (§6.5): data sent and nothing at all received for
   * KEEPALIVE_TIMEOUT + REKEY_TIMEOUT means the session is dead at the other end (the peer
   * restarted, or moved without telling us), so a fresh handshake is started. A live peer always
   * answers data within KEEPALIVE_TIMEOUT, with its own data or a keepalive.
   */
  #expectAnswer(): void {
    const { clock, timers } = this.#ctx;
    this.#unansweredSince ??= clock.now();
    if (this.#silenceTimer) return;
    const check = () => {
      this.#silenceTimer = null;
      if (this.#closed || this.#unansweredSince === null) return;
      const due = this.#unansweredSince + timers.keepaliveTimeoutMs + timers.rekeyTimeoutMs;
      if (clock.now() < due) {
        this.#silenceTimer = clock.schedule(due - clock.now(), check);
        return;
      }
      this.#unansweredSince = null;
      this.#startHandshake();
    };
    this.#silenceTimer = clock.schedule(timers.keepaliveTimeoutMs + timers.rekeyTimeoutMs, check);
  }

  /** Sessions past their age are destroyed, and a channel idle for IDLE_CLOSE drops all keys. */
  #armExpiry(): void {
    if (this.#expiryTimer) return;
    const { clock, timers } = this.#ctx;
    this.#expiryTimer = clock.schedule(timers.rejectAfterTimeMs, () => {
      this.#expiryTimer = null;
      const now = clock.now();
      const expired = (session: Session | null) =>
        session !== null && now - session.createdAt >= timers.rejectAfterTimeMs;
      if (expired(this.#previous)) {
        this.#retire(this.#previous);
        this.#previous = null;
      }
      if (expired(this.#next)) {
        this.#retire(this.#next);
        this.#next = null;
      }
      const lastActivity = Math.max(this.#lastSentAt, this.#lastReceivedAt);
      if (
        this.#current &&
        now - this.#current.createdAt >= timers.rejectAfterTimeMs &&
        now - lastActivity >= timers.idleCloseMs
      ) {
        this.#retire(this.#current);
        this.#current = null;
      }
      if (this.#current || this.#previous || this.#next) this.#armExpiry();
    });
  }

  #ensureOpen(): void {
    if (this.#closed) throw new KithError('CHANNEL_CLOSED', 'channel is closed');
  }

  #failWaiters(err: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  #drop(reason: ChannelDrop): void {
    this.#drops[reason] = (this.#drops[reason] ?? 0) + 1;
  }
}

function sameOptionalEndpoint(a: Endpoint | null, b: Endpoint | null): boolean {
  return a === null || b === null ? a === b : sameEndpoint(a, b);
}
