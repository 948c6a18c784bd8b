// The channel router: owns the transport (the UDP socket or a sim link), the table of receiver
// indices, and the responder's admission path for initiations. Every packet is decoded with
// strict lengths and either handed to exactly one channel or dropped and counted by reason;
// nothing a packet contains can make this throw or grow a table without bound.
//
// Admission of an initiation, cheapest check first (WireGuard §5.3):
//   1. mac1 (one MAC): the sender knows our static public key;
//   2. under load (more than UNDER_LOAD_RATE initiations/s): a valid mac2, i.e. the sender
//      received a cookie at its source address; otherwise it gets a COOKIE packet and nothing else;
//   3. a token bucket per source address;
//   4. the hint tag names a contact (one table lookup);
//   5. only then the Noise handshake (Diffie-Hellman) with that contact's keys.
import type { Rng } from '../crypto/random.js';
import { KithError } from '../errors.js';
import type { Clock } from '../net/clock.js';
import type { Endpoint, Transport } from '../net/transport.js';
import { type DecodeFailure, decodeChannelPacket, type Initiation, PacketType } from '../wire/channel.js';
import { Channel, type ChannelEvents, type ChannelInfo, type Peer } from './channel.js';
import { CookieChecker } from './cookie.js';
import type { StaticKeyPair } from './handshake.js';
import { HintTable } from './hint.js';
import { RateLimiter, RateMeter } from './ratelimit.js';
import type { Session } from './session.js';
import { type ChannelTimers, DEFAULT_TIMERS } from './timers.js';

export type RouterDrop =
  | DecodeFailure
  | 'unknown-index'
  | 'bad-mac1'
  | 'cookie-sent'
  | 'rate-limited'
  | 'unknown-hint'
  | 'handshake-failed';

export interface RouterOptions {
  transport: Transport;
  clock: Clock;
  rng: Rng;
  /** Our X25519 static key pair (the identity's Noise key). */
  identity: StaticKeyPair;
  events: ChannelEvents;
  timers?: Partial<ChannelTimers>;
  /** Finds a path to a peer without an endpoint (the overlay); see ChannelContext.locate. */
  locate?: (peerId: string) => Promise<Endpoint>;
}

export interface RouterStats {
  channels: ChannelInfo[];
  drops: Partial<Record<RouterDrop, number>>;
  indices: number;
  rateLimiterEntries: number;
  cookiesSent: number;
}

interface IndexEntry {
  channel: Channel;
  session: Session | null;
}

export class ChannelRouter {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #timers: ChannelTimers;
  readonly #channels = new Map<string, Channel>();
  readonly #indices = new Map<number, IndexEntry>();
  readonly #hints: HintTable<string>;
  readonly #checker: CookieChecker;
  readonly #limiter: RateLimiter;
  readonly #load: RateMeter;
  readonly #drops: Partial<Record<RouterDrop, number>> = {};
  readonly #identity: StaticKeyPair;
  readonly #events: ChannelEvents;
  readonly #bootId: Uint8Array;
  #cookiesSent = 0;
  #closed = false;
  readonly #locate: RouterOptions['locate'];

  constructor(opts: RouterOptions) {
    this.#transport = opts.transport;
    this.#clock = opts.clock;
    this.#rng = opts.rng;
    this.#identity = opts.identity;
    this.#events = opts.events;
    this.#locate = opts.locate;
    this.#bootId = opts.rng(8);
    this.#timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.#hints = new HintTable(this.#timers.hintEpochMs, this.#timers.hintSkewEpochs);
    this.#checker = new CookieChecker(
      opts.identity.publicKey,
      opts.clock,
      opts.rng,
      this.#timers.cookieSecretMaxAgeMs,
    );
    this.#limiter = new RateLimiter(
      opts.clock,
      this.#timers.handshakeRatePerSecond,
      this.#timers.handshakeBurst,
    );
    this.#load = new RateMeter(opts.clock);
    opts.transport.onPacket((packet, from) => this.handlePacket(packet, from));
  }

  get local(): Endpoint {
    return this.#transport.local;
  }

  /** The contacts a channel may exist with; channels of removed contacts are closed. */
  setPeers(peers: Peer[]): void {
    const seen = new Set<string>();
    for (const peer of peers) {
      seen.add(peer.id);
      const existing = this.#channels.get(peer.id);
      if (existing) existing.update(peer);
      else this.#channels.set(peer.id, new Channel(peer, this.#context()));
    }
    for (const [id, channel] of this.#channels) {
      if (!seen.has(id)) {
        channel.close();
        this.#channels.delete(id);
      }
    }
    this.#hints.setPeers([...this.#channels.values()].map((c) => ({ id: c.peer.id, hintKey: c.hintKey })));
  }

  channel(peerId: string): Channel {
    const channel = this.#channels.get(peerId);
    if (!channel) throw new KithError('CHANNEL_UNKNOWN_PEER', `no contact ${peerId} to open a channel with`);
    return channel;
  }

  /** Every packet for the channel layer enters here (public so a socket shared with the overlay can forward). */
  handlePacket(packet: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    const decoded = decodeChannelPacket(packet);
    if (typeof decoded === 'string') return this.#drop(decoded);
    switch (decoded.type) {
      case PacketType.initiation:
        return this.#admit(decoded, from);
      case PacketType.response: {
        const entry = this.#indices.get(decoded.receiverIndex);
        if (!entry || entry.session) return this.#drop('unknown-index');
        if (!this.#checker.checkMac1(decoded.macInput1, decoded.mac1)) return this.#drop('bad-mac1');
        return entry.channel.receiveResponse(decoded, from);
      }
      case PacketType.cookie: {
        const entry = this.#indices.get(decoded.receiverIndex);
        if (!entry || entry.session) return this.#drop('unknown-index');
        return entry.channel.receiveCookie(decoded);
      }
      default: {
        const entry = this.#indices.get(decoded.receiverIndex);
        if (!entry?.session) return this.#drop('unknown-index');
        return entry.channel.receiveTransport(entry.session, decoded, from);
      }
    }
  }

  stats(): RouterStats {
    return {
      channels: [...this.#channels.values()].map((c) => c.info()),
      drops: { ...this.#drops },
      indices: this.#indices.size,
      rateLimiterEntries: this.#limiter.size,
      cookiesSent: this.#cookiesSent,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const channel of this.#channels.values()) channel.close();
    this.#channels.clear();
    this.#transport.close();
  }

  #admit(packet: Initiation, from: Endpoint): void {
    if (!this.#checker.checkMac1(packet.macInput1, packet.mac1)) return this.#drop('bad-mac1');
    const rate = this.#load.mark();
    if (
      rate > this.#timers.underLoadRatePerSecond &&
      !this.#checker.checkMac2(packet.macInput2, packet.mac2, from)
    ) {
      this.#cookiesSent += 1;
      this.#transport.send(this.#checker.reply(packet.senderIndex, packet.mac1, from), from);
      return this.#drop('cookie-sent');
    }
    if (!this.#limiter.allow(from.address)) return this.#drop('rate-limited');
    const peerId = this.#hints.lookup(packet.hint, this.#clock.wallTime());
    const channel = peerId === null ? undefined : this.#channels.get(peerId);
    if (!channel) return this.#drop('unknown-hint');
    if (!channel.receiveInitiation(packet, from)) this.#drop('handshake-failed');
  }

  #context() {
    return {
      clock: this.#clock,
      rng: this.#rng,
      timers: this.#timers,
      identity: this.#identity,
      bootId: this.#bootId,
      events: this.#events,
      send: (packet: Uint8Array, to: Endpoint) => this.#transport.send(packet, to),
      allocateIndex: (channel: Channel) => {
        let index: number;
        do index = new DataView(this.#rng(4).buffer).getUint32(0);
        while (this.#indices.has(index));
        this.#indices.set(index, { channel, session: null });
        return index;
      },
      bindIndex: (index: number, session: Session) => {
        const entry = this.#indices.get(index);
        if (entry) entry.session = session;
      },
      releaseIndex: (index: number) => {
        this.#indices.delete(index);
      },
      ...(this.#locate ? { locate: this.#locate } : {}),
    };
  }

  #drop(reason: RouterDrop): void {
    this.#drops[reason] = (this.#drops[reason] ?? 0) + 1;
  }
}
