// One node of the overlay (docs/overlay-protocol.md; DESIGN §3 "Overlay (DRP)"): it joins through
// entry peers, keeps authenticated links to a Kademlia table of neighbours (Maymounkov and
// Mazières 2002), answers and runs lookups, and forwards ROUTE messages greedily towards their
// destination ID with hop-by-hop acknowledgement. INVITE, PUNCH and relaying are built on top in
// rendezvous.ts and relay.ts. Everything takes its clock, transport and randomness as parameters,
// so thousands of nodes run in one process in virtual time.
//
// Order of checks for anything unauthenticated (a HELLO): length, clock, difficulty, the PoW hash,
// the replay cache, the signature budget, and only then the signature; nothing is stored before
// the signature verifies, and every table it can touch is bounded (timers.ts, OverlayLimits).
import { compareBytes, toHex } from '../crypto/bytes.js';
import { RateLimiter, RateMeter } from '../channel/ratelimit.js';
import type { Rng } from '../crypto/random.js';
import { generateX25519, x25519 } from '../crypto/x25519.js';
import { errorMessage, KithError } from '../errors.js';
import type { Clock } from '../net/clock.js';
import { type Endpoint, endpointKey, sameEndpoint, type Transport } from '../net/transport.js';
import type { KeyPair } from '../store/identity.js';
import {
  decodeLinkedBody,
  decodeLinkedFrame,
  decodeUnlinked,
  FIND_REPLY_MAX,
  type Hello,
  type HelloAck,
  HelloFlag,
  type LinkedMessage,
  OverlayType,
  type Punch,
} from '../wire/overlay.js';
import { requiredDifficulty } from './difficulty.js';
import {
  helloAckSignatureValid,
  helloHash,
  helloSignatureValid,
  linkKeys,
  signHello,
  signHelloAck,
} from './hello.js';
import { type Link, LinkTable, newLink, openLinked, sealLinked } from './links.js';
import { checkPow, DEFAULT_DIFFICULTY, MAX_DIFFICULTY, solvePow } from './pow.js';
import { RecentSet } from './recent.js';
import { byDistance, compareDistance, randomIdInBucket, RoutingTable, sameId } from './table.js';
import {
  DEFAULT_OVERLAY_LIMITS,
  DEFAULT_OVERLAY_TIMERS,
  type OverlayLimits,
  type OverlayTimers,
} from './timers.js';

export interface OverlayIdentity {
  ed25519: KeyPair;
  x25519: KeyPair;
}

export interface OverlayOptions {
  /** The overlay's share of the node's one UDP socket (net/mux.ts). */
  transport: Transport;
  clock: Clock;
  rng: Rng;
  identity: OverlayIdentity;
  entryPeers?: Endpoint[];
  /** We are an entry peer (others join through us); we relay for others. */
  entry?: boolean;
  relay?: boolean;
  /** The PoW difficulty we ask of others while calm, and solve for ourselves at least. */
  difficulty?: number;
  timers?: Partial<OverlayTimers>;
  limits?: Partial<OverlayLimits>;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** Why a packet was dropped; `kith status` shows these counts. */
export type OverlayDrop =
  | 'empty'
  | 'unknown-type'
  | 'bad-version'
  | 'bad-length'
  | 'bad-endpoint'
  | 'bad-field'
  | 'from-self'
  | 'stale-hello'
  | 'low-difficulty'
  | 'bad-pow'
  | 'replayed-hello'
  | 'pow-reused'
  | 'hello-budget'
  | 'bad-signature'
  | 'weak-key'
  | 'links-full'
  | 'unexpected-ack'
  | 'wrong-peer'
  | 'unknown-link'
  | 'bad-mac'
  | 'replay'
  | 'rate-limited'
  | 'duplicate-route'
  | 'ttl-expired'
  | 'no-route'
  | 'route-failed'
  | 'unexpected-reply'
  | 'undeliverable'
  | 'relay-refused'
  | 'relay-throttled'
  | 'bad-seal'
  | 'bad-invite'
  | 'not-contact'
  | 'stale-invite'
  | 'replayed-invite'
  | 'unknown-punch'
  | 'bad-punch';

export type NatBehaviour = 'unknown' | 'none' | 'endpoint-independent' | 'endpoint-dependent';

export interface NeighbourInfo {
  id: string;
  endpoint: string;
  inTable: boolean;
  initiator: boolean;
  entry: boolean;
  relay: boolean;
  rttMs: number | null;
  ageMs: number;
  idleMs: number;
}

export interface OverlayStats {
  id: string;
  joined: boolean;
  links: number;
  tableSize: number;
  observed: string | null;
  nat: NatBehaviour;
  minDifficulty: number;
  received: Partial<Record<string, number>>;
  sent: number;
  drops: Partial<Record<OverlayDrop, number>>;
  routes: {
    originated: number;
    forwarded: number;
    delivered: number;
    failed: number;
    pending: number;
    /** Delivered to us by hop count: hops[n] messages took n hops. */
    hops: number[];
  };
  tables: { helloReplay: number; seenMessages: number; pendingHellos: number; requestLimiter: number };
}

/** A ROUTE message as carried between hops. */
export interface RouteMessage {
  messageId: Uint8Array;
  ttl: number;
  kind: number;
  destination: Uint8Array;
  body: Uint8Array;
}

interface PendingHello {
  maxTries: number;
  endpoint: Endpoint;
  expectedId: Uint8Array | null;
  ephemeral: KeyPair;
  localIndex: number;
  tries: number;
  difficulty: number;
  hashHex: string;
  cancel: () => void;
  done: ((link: Link | null) => void)[];
}

interface PendingRoute {
  message: RouteMessage;
  candidates: Link[];
  current: number;
  triesOnCurrent: number;
  tries: number;
  sentTo: Set<string>;
  cancel: () => void;
  onDone?: (delivered: boolean) => void;
}

interface PendingFind {
  linkId: string;
  done: (nodes: { id: Uint8Array; endpoint: Endpoint }[] | null) => void;
  cancel: () => void;
}

/** Receives a ROUTE body that reached us (its destination); rendezvous.ts registers here. */
export type RouteHandler = (message: RouteMessage, via: Link) => void;
/** Receives linked packets of the relay types; relay.ts registers here. */
export type RelayHandler = (message: LinkedMessage, via: Link) => void;

export class OverlayNode {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly timers: OverlayTimers;
  readonly limits: OverlayLimits;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly #transport: Transport;
  readonly #identity: OverlayIdentity;
  readonly #entryPeers: Endpoint[];
  readonly #flags: number;
  readonly #baseDifficulty: number;
  readonly #log: (level: 'info' | 'warn', message: string) => void;
  readonly #links: LinkTable;
  readonly #table: RoutingTable<Link>;
  readonly #pendingHellos = new Map<string, PendingHello>();
  readonly #pendingByEndpoint = new Map<string, PendingHello>();
  readonly #helloReplay: RecentSet;
  /** How often each (sender, PoW timestamp) was used in a HELLO to us; bounded, oldest out. */
  readonly #powUses = new Map<string, number>();
  readonly #helloMeter: RateMeter;
  readonly #verifyBudget: RateLimiter;
  readonly #requests: RateLimiter;
  readonly #seen: RecentSet;
  readonly #routes = new Map<string, PendingRoute>();
  readonly #finds = new Map<number, PendingFind>();
  readonly #received: Record<string, number> = {};
  readonly #drops: Partial<Record<OverlayDrop, number>> = {};
  readonly #routeCounts = { originated: 0, forwarded: 0, delivered: 0, failed: 0 };
  /** ROUTE messages delivered to us, by the number of hops they took (index = hops). */
  readonly #hops: number[] = [];
  /** What each peer says our address is (PONG, HELLO_ACK); the basis of the NAT guess. */
  readonly #observed = new Map<string, Endpoint>();
  /** The lowest difficulty each entry peer or responder asked of us (by endpoint). */
  readonly #askedDifficulty = new Map<string, number>();
  #routeHandlers = new Map<number, RouteHandler>();
  #relayHandler: RelayHandler | null = null;
  #linkListeners = new Set<(link: Link, up: boolean) => void>();
  #pow: { timestamp: number; nonce: Uint8Array; difficulty: number } | null = null;
  #sent = 0;
  #joined = false;
  #joining = false;
  #lastJoinAttempt = -Infinity;
  #lastRefresh = 0;
  #cancelTick: (() => void) | null = null;
  #closed = false;

  constructor(opts: OverlayOptions) {
    this.#transport = opts.transport;
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.#identity = opts.identity;
    this.id = opts.identity.ed25519.publicKey;
    this.idHex = toHex(this.id);
    this.#entryPeers = opts.entryPeers ?? [];
    this.#flags = (opts.entry ? HelloFlag.entry : 0) | ((opts.relay ?? opts.entry) ? HelloFlag.relay : 0);
    this.#baseDifficulty = opts.difficulty ?? DEFAULT_DIFFICULTY;
    if (!(
      Number.isInteger(this.#baseDifficulty) &&
      this.#baseDifficulty >= 0 &&
      this.#baseDifficulty <= MAX_DIFFICULTY
    )) {
      throw new KithError(
        'OVERLAY_BAD_OPTION',
        `PoW difficulty must be 0..${MAX_DIFFICULTY}, got ${opts.difficulty}`,
      );
    }
    this.timers = { ...DEFAULT_OVERLAY_TIMERS, ...opts.timers };
    this.limits = { ...DEFAULT_OVERLAY_LIMITS, ...opts.limits };
    this.#log = opts.log ?? (() => {});
    this.#links = new LinkTable(this.rng);
    this.#table = new RoutingTable<Link>(this.id, this.limits.k);
    this.#helloReplay = new RecentSet(
      this.clock,
      this.limits.helloReplayEntries,
      2 * this.timers.helloWindowMs,
    );
    this.#helloMeter = new RateMeter(this.clock);
    this.#verifyBudget = new RateLimiter(
      this.clock,
      this.limits.helloVerifyBudget,
      this.limits.helloVerifyBudget,
      1,
    );
    this.#requests = new RateLimiter(
      this.clock,
      this.limits.requestsPerSecond,
      this.limits.requestBurst,
      this.limits.maxLinks,
    );
    this.#seen = new RecentSet(this.clock, this.limits.seenMessages, this.timers.seenMessageMs);
    this.#transport.onPacket((packet, from) => this.handlePacket(packet, from));
  }

  get local(): Endpoint {
    return this.#transport.local;
  }

  get flags(): number {
    return this.#currentFlags();
  }

  /**
   * Our flags as of now: "reachable" once neighbours report our address as the one we are bound
   * to (no NAT), or as an entry peer (public by configuration). Only reachable nodes are given out
   * in FIND replies and used as routing hops: a node behind a NAT can be linked only by itself,
   * and as a hop it would be a dead end (its table holds only the nodes it could link to).
   */
  #currentFlags(): number {
    const reachable = (this.#flags & HelloFlag.entry) !== 0 || this.natBehaviour() === 'none';
    return this.#flags | (reachable ? HelloFlag.reachable : 0);
  }

  get joined(): boolean {
    return this.#joined;
  }

  get linkCount(): number {
    return this.#links.size;
  }

  /** Starts joining (when entry peers are configured) and the maintenance tick. */
  start(): void {
    if (this.#cancelTick || this.#closed) return;
    this.#scheduleTick();
    this.join();
  }

  close(): void {
    if (this.#closed) return;
    for (const link of this.#links.all()) this.#send(link, { type: OverlayType.bye, reason: 0 });
    this.#closed = true;
    this.#cancelTick?.();
    for (const p of this.#pendingHellos.values()) p.cancel();
    for (const r of this.#routes.values()) r.cancel();
    for (const f of this.#finds.values()) f.cancel();
    this.#transport.close();
  }

  // --- public operations ---------------------------------------------------------------------

  /** Joins through the entry peers: link to them, then look up our own ID and refresh buckets. */
  join(): void {
    if (this.#closed || this.#joining) return;
    const entries = this.#entryPeers.filter((e) => !sameEndpoint(e, this.local));
    this.#lastJoinAttempt = this.clock.now();
    if (entries.length === 0) {
      // An entry peer with no one to join through is the network's first node.
      this.#joined = this.#links.size > 0 || this.#flags !== 0;
      return;
    }
    this.#joining = true;
    let waiting = entries.length;
    let any = false;
    for (const endpoint of entries) {
      this.link(endpoint, null, (link) => {
        any ||= link !== null;
        if (--waiting > 0) return;
        if (!any) {
          this.#joining = false;
          this.#log('warn', 'no entry peer answered; will retry');
          return;
        }
        this.lookup(this.id, (closest) => {
          this.#joining = false;
          // Joined once someone answered our lookup: linked to the entry peers alone, no one
          // would find us (they do not keep every joiner); the tick tries again.
          this.#joined = closest.length > 0;
          if (this.#joined) this.#log('info', `joined the overlay with ${this.#table.size} neighbours`);
          this.#refreshBuckets();
        });
      });
    }
  }

  /** Links to the node at `endpoint` (its ID checked when given); `done(null)` when it never answers. */
  link(
    endpoint: Endpoint,
    expectedId: Uint8Array | null,
    done: (link: Link | null) => void,
    tries = this.timers.helloTries,
  ): void {
    if (this.#closed) return done(null);
    if (expectedId) {
      const existing = this.#links.byId(toHex(expectedId));
      if (existing) return done(existing);
      if (sameId(expectedId, this.id)) return done(null);
    }
    const key = endpointKey(endpoint);
    const pending = this.#pendingByEndpoint.get(key);
    if (pending) {
      pending.done.push(done);
      return;
    }
    const ephemeral = generateX25519(this.rng);
    const hello: PendingHello = {
      endpoint,
      expectedId,
      ephemeral,
      localIndex: this.#links.freeIndex((i) => this.#indexPending(i)),
      tries: 0,
      maxTries: tries,
      difficulty: Math.max(this.#baseDifficulty, this.#askedDifficulty.get(key) ?? 0),
      hashHex: '',
      cancel: () => {},
      done: [done],
    };
    this.#pendingByEndpoint.set(key, hello);
    this.#sendHello(hello);
  }

  /**
   * Iterative lookup of the nodes closest to `target` (Kademlia §2.3): link to and ask the α
   * closest not yet asked, until the k closest known have all answered or failed. Each node that
   * answers is linked, which is how our table fills.
   */
  lookup(target: Uint8Array, done: (closest: Link[]) => void, maxAsked = 4 * this.limits.k): void {
    type State = 'known' | 'asking' | 'answered' | 'failed';
    const shortlist = new Map<string, { id: Uint8Array; endpoint: Endpoint; state: State }>();
    for (const link of this.#table.closest(target, this.limits.k)) {
      shortlist.set(link.idHex, { id: link.id, endpoint: link.endpoint, state: 'known' });
    }
    for (const link of this.#links.all()) {
      if (!shortlist.has(link.idHex))
        shortlist.set(link.idHex, { id: link.id, endpoint: link.endpoint, state: 'known' });
    }
    let asking = 0;
    let asked = 0;
    let finished = false;
    const ordered = () => byDistance(target, [...shortlist.values()], (c) => c.id);
    const finish = () => {
      if (finished) return;
      finished = true;
      const answered = ordered()
        .filter((c) => c.state === 'answered')
        .slice(0, this.limits.k)
        .map((c) => this.#links.byId(toHex(c.id)))
        .filter((l): l is Link => l !== undefined);
      done(answered);
    };
    const step = () => {
      if (finished || this.#closed) return;
      const live = ordered()
        .filter((c) => c.state !== 'failed')
        .slice(0, this.limits.k);
      const next = live.filter((c) => c.state === 'known');
      if (next.length === 0 || asked >= maxAsked) {
        if (asking === 0) finish();
        return;
      }
      for (const candidate of next) {
        if (asking >= this.limits.alpha || asked >= maxAsked) break;
        candidate.state = 'asking';
        asking += 1;
        asked += 1;
        // Two tries (3 s): a candidate behind a NAT never answers, and a lookup must not wait for it.
        this.link(
          candidate.endpoint,
          candidate.id,
          (link) => {
            if (!link || this.#closed) {
              candidate.state = 'failed';
              asking -= 1;
              return step();
            }
            link.pinnedUntil = Math.max(link.pinnedUntil, this.clock.now() + this.timers.lookupStepMs * 4);
            this.#find(link, target, (nodes) => {
              asking -= 1;
              candidate.state = nodes ? 'answered' : 'failed';
              for (const n of nodes ?? []) {
                const hex = toHex(n.id);
                if (!shortlist.has(hex) && !sameId(n.id, this.id)) {
                  shortlist.set(hex, { id: n.id, endpoint: n.endpoint, state: 'known' });
                }
              }
              step();
            });
          },
          2,
        );
      }
    };
    step();
  }

  /** Sends a ROUTE message towards `destination` (greedy, hop-acked); `onDone` says if the first hop took it. */
  route(kind: number, destination: Uint8Array, body: Uint8Array, onDone?: (sent: boolean) => void): void {
    const message: RouteMessage = {
      messageId: this.rng(8),
      ttl: this.limits.initialTtl,
      kind,
      destination,
      body,
    };
    this.#seen.add(toHex(message.messageId));
    this.#routeCounts.originated += 1;
    if (sameId(destination, this.id)) {
      onDone?.(true);
      this.#deliver(message, null);
      return;
    }
    this.#forward(message, null, onDone);
  }

  onRoute(kind: number, handler: RouteHandler): void {
    this.#routeHandlers.set(kind, handler);
  }

  onRelay(handler: RelayHandler): void {
    this.#relayHandler = handler;
  }

  onLink(listener: (link: Link, up: boolean) => void): () => void {
    this.#linkListeners.add(listener);
    return () => this.#linkListeners.delete(listener);
  }

  /** Sends one linked message to a neighbour (relay.ts and rendezvous.ts use this). */
  sendTo(link: Link, message: LinkedMessage): void {
    this.#send(link, message);
  }

  linkById(idHex: string): Link | undefined {
    return this.#links.byId(idHex);
  }

  /** Sends an unlinked packet (PUNCH) from the overlay's socket. */
  sendRaw(packet: Uint8Array, to: Endpoint): void {
    this.#sent += 1;
    this.#transport.send(packet, to);
  }

  /** Decoded PUNCH packets go here; rendezvous.ts registers. */
  onPunch: ((punch: Punch, from: Endpoint) => void) | null = null;

  /** Linked neighbours willing to relay, entry peers first (they are publicly reachable). */
  relayCandidates(): Link[] {
    return this.#links
      .all()
      .filter((l) => (l.flags & HelloFlag.relay) !== 0)
      .sort((a, b) => (b.flags & HelloFlag.entry) - (a.flags & HelloFlag.entry) || a.createdAt - b.createdAt);
  }

  /** Our public endpoint as neighbours report it (the most common report), or null. */
  observed(): Endpoint | null {
    const counts = new Map<string, { e: Endpoint; n: number }>();
    for (const e of this.#observed.values()) {
      const k = endpointKey(e);
      const c = counts.get(k) ?? { e, n: 0 };
      c.n += 1;
      counts.set(k, c);
    }
    let best: { e: Endpoint; n: number } | null = null;
    for (const c of counts.values()) if (!best || c.n > best.n) best = c;
    return best?.e ?? null;
  }

  /**
   * NAT behaviour as our neighbours' reports show it (RFC 4787 §4.1 terms): reports equal to our
   * bound address mean no NAT; one public port for every peer means endpoint-independent mapping
   * (hole punching works); different ports per peer mean endpoint-dependent (symmetric) mapping.
   */
  natBehaviour(): NatBehaviour {
    const reports = [...this.#observed.values()];
    if (reports.length === 0) return 'unknown';
    const local = this.local;
    if (
      reports.every(
        (e) => e.port === local.port && (e.address === local.address || isWildcard(local.address)),
      )
    ) {
      return 'none';
    }
    if (reports.length < 2) return 'unknown';
    const ports = new Set(reports.map((e) => e.port));
    return ports.size === 1 ? 'endpoint-independent' : 'endpoint-dependent';
  }

  minDifficulty(): number {
    return requiredDifficulty(this.#baseDifficulty, this.#helloMeter.rate(), this.limits.helloCalmRate);
  }

  neighbours(): NeighbourInfo[] {
    const now = this.clock.now();
    return byDistance(this.id, this.#links.all(), (l) => l.id).map((l) => ({
      id: l.idHex,
      endpoint: endpointKey(l.endpoint),
      inTable: l.inTable,
      initiator: l.initiator,
      entry: (l.flags & HelloFlag.entry) !== 0,
      relay: (l.flags & HelloFlag.relay) !== 0,
      rttMs: l.rttMs,
      ageMs: Math.round(now - l.createdAt),
      idleMs: Math.round(now - l.lastReceived),
    }));
  }

  stats(): OverlayStats {
    const observed = this.observed();
    return {
      id: this.idHex,
      joined: this.#joined,
      links: this.#links.size,
      tableSize: this.#table.size,
      observed: observed ? endpointKey(observed) : null,
      nat: this.natBehaviour(),
      minDifficulty: this.minDifficulty(),
      received: { ...this.#received },
      sent: this.#sent,
      drops: { ...this.#drops },
      routes: {
        ...this.#routeCounts,
        pending: this.#routes.size,
        hops: Array.from(this.#hops, (n) => n ?? 0),
      },
      tables: {
        helloReplay: this.#helloReplay.size,
        seenMessages: this.#seen.size,
        pendingHellos: this.#pendingHellos.size,
        requestLimiter: this.#requests.size,
      },
    };
  }

  /** Counts a drop (rendezvous.ts and relay.ts count theirs here too, so status shows one list). */
  drop(reason: OverlayDrop): void {
    this.#drops[reason] = (this.#drops[reason] ?? 0) + 1;
  }

  // --- packets in ----------------------------------------------------------------------------

  handlePacket(packet: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    try {
      this.#handle(packet, from);
    } catch (err) {
      // Input never gets here by design (decoders do not throw); a bug must not kill the node.
      this.#log('warn', `overlay packet handling failed: ${errorMessage(err)}`);
    }
  }

  #handle(packet: Uint8Array, from: Endpoint): void {
    const type = packet[0];
    if (type === OverlayType.hello || type === OverlayType.helloAck || type === OverlayType.punch) {
      const decoded = decodeUnlinked(packet);
      if (typeof decoded === 'string') return this.drop(decoded);
      this.#count(decoded.type);
      if (decoded.type === OverlayType.hello) return this.#onHello(decoded, packet, from);
      if (decoded.type === OverlayType.helloAck) return this.#onHelloAck(decoded, from);
      this.onPunch?.(decoded, from);
      return;
    }
    const frame = decodeLinkedFrame(packet);
    if (typeof frame === 'string') return this.drop(frame);
    const link = this.#links.byIndex(frame.receiverIndex);
    if (!link) return this.drop('unknown-link');
    const bad = openLinked(link, frame);
    if (bad) return this.drop(bad);
    const message = decodeLinkedBody(frame.type, frame.body);
    if (typeof message === 'string') return this.drop(message);
    this.#count(message.type);
    const now = this.clock.now();
    link.lastReceived = now;
    // An authenticated packet from a new address: the neighbour's NAT rebound or it roamed.
    if (!sameEndpoint(link.endpoint, from)) link.endpoint = { address: from.address, port: from.port };
    switch (message.type) {
      case OverlayType.ping:
        link.flags = message.flags;
        this.#noteObserved(link, message.observed);
        return this.#send(link, {
          type: OverlayType.pong,
          timestamp: message.timestamp,
          observed: from,
          flags: this.#currentFlags(),
        });
      case OverlayType.pong: {
        link.flags = message.flags;
        link.rttMs = Math.max(0, Math.floor(now) - message.timestamp);
        this.#noteObserved(link, message.observed);
        return;
      }
      case OverlayType.find:
        if (!this.#requests.allow(link.idHex)) return this.drop('rate-limited');
        link.usedAt = now;
        return this.#send(link, {
          type: OverlayType.findReply,
          requestId: message.requestId,
          nodes: this.#table
            .closest(
              message.target,
              FIND_REPLY_MAX,
              (e) => e !== link && (e.flags & HelloFlag.reachable) !== 0,
            )
            .map((e) => ({ id: e.id, endpoint: e.endpoint })),
        });
      case OverlayType.findReply: {
        const pending = this.#finds.get(message.requestId);
        if (!pending || pending.linkId !== link.idHex) return this.drop('unexpected-reply');
        this.#finds.delete(message.requestId);
        pending.cancel();
        return pending.done(message.nodes);
      }
      case OverlayType.route:
        if (!this.#requests.allow(link.idHex)) return this.drop('rate-limited');
        link.usedAt = now;
        return this.#onRoute(message, link);
      case OverlayType.hopAck:
        return this.#onHopAck(toHex(message.messageId), link);
      case OverlayType.relay:
      case OverlayType.relayed:
        link.usedAt = now;
        if (this.#relayHandler) this.#relayHandler(message, link);
        else this.drop('undeliverable');
        return;
      case OverlayType.bye:
        return this.#removeLink(link, 'said goodbye');
    }
  }

  #count(type: number): void {
    const name = TYPE_NAMES[type] ?? `0x${type.toString(16)}`;
    this.#received[name] = (this.#received[name] ?? 0) + 1;
  }

  // --- links ---------------------------------------------------------------------------------

  #indexPending(index: number): boolean {
    for (const p of this.#pendingHellos.values()) if (p.localIndex === index) return true;
    return false;
  }

  #currentPow(difficulty: number): { timestamp: number; nonce: Uint8Array; difficulty: number } {
    const now = this.clock.wallTime();
    const pow = this.#pow;
    // One solution serves every HELLO for most of the ±5 min window (docs "HELLO"): a minute is
    // left as margin for clock skew between us and the receiver.
    if (pow && pow.difficulty >= difficulty && now - pow.timestamp < this.timers.helloWindowMs - 60_000)
      return pow;
    const timestamp = Math.floor(now);
    const nonce = solvePow(timestamp, this.id, difficulty, this.rng, 2 ** (difficulty + 6));
    if (!nonce)
      throw new KithError('OVERLAY_POW_FAILED', `no proof of work found at difficulty ${difficulty}`);
    this.#pow = { timestamp, nonce, difficulty };
    return this.#pow;
  }

  #sendHello(p: PendingHello): void {
    if (this.#closed) return;
    if (p.hashHex) this.#pendingHellos.delete(p.hashHex);
    const pow = this.#currentPow(p.difficulty);
    const packet = signHello(this.#identity.ed25519, {
      senderId: this.id,
      ephemeral: p.ephemeral.publicKey,
      timestamp: pow.timestamp,
      powNonce: pow.nonce,
      difficulty: pow.difficulty,
      flags: this.#currentFlags(),
      linkIndex: p.localIndex,
    });
    p.hashHex = toHex(helloHash(packet));
    this.#pendingHellos.set(p.hashHex, p);
    p.tries += 1;
    p.cancel = this.clock.schedule(this.timers.helloRetryMs * 2 ** (p.tries - 1), () => {
      if (p.tries >= p.maxTries) return this.#finishHello(p, null);
      // Unanswered twice: maybe the peer is under load and wants more work (it stays silent
      // rather than tell an unauthenticated sender its threshold); one more bit per try after
      // that, at most 4 above our own, so a lost packet never costs seconds of solving.
      if (p.tries >= 2) p.difficulty = Math.min(MAX_DIFFICULTY, this.#baseDifficulty + 4, p.difficulty + 1);
      this.#sendHello(p);
    });
    this.sendRaw(packet, p.endpoint);
  }

  #finishHello(p: PendingHello, link: Link | null): void {
    p.cancel();
    this.#pendingHellos.delete(p.hashHex);
    this.#pendingByEndpoint.delete(endpointKey(p.endpoint));
    for (const done of p.done) done(link);
  }

  #onHello(hello: Hello, packet: Uint8Array, from: Endpoint): void {
    if (sameId(hello.senderId, this.id)) return this.drop('from-self');
    if (Math.abs(this.clock.wallTime() - hello.timestamp) > this.timers.helloWindowMs)
      return this.drop('stale-hello');
    const min = this.minDifficulty();
    if (hello.difficulty < min) return this.drop('low-difficulty');
    if (!checkPow(hello.timestamp, hello.senderId, hello.powNonce, hello.difficulty))
      return this.drop('bad-pow');
    // Load is what costs us signature checks: HELLOs that carry the work. Counting the ones
    // without it would let a flood of free junk raise the bar for honest joiners.
    this.#helloMeter.mark();
    const hash = helloHash(packet);
    const hashHex = toHex(hash);
    if (this.#helloReplay.has(hashHex)) {
      // The same HELLO again from the same place: our HELLO_ACK was lost and the sender retried.
      // Send the same ack again (no new link, no signature work), a few times at most; from
      // anywhere else, or more often, it is a replay.
      const link = this.#links.byId(toHex(hello.senderId));
      if (
        link?.helloAck &&
        link.helloHashHex === hashHex &&
        sameEndpoint(link.endpoint, from) &&
        link.ackResends < MAX_ACK_RESENDS
      ) {
        link.ackResends += 1;
        this.sendRaw(link.helloAck, from);
        return;
      }
      return this.drop('replayed-hello');
    }
    // One proof of work serves a few HELLOs to us (re-linking after a lost link), not a flood:
    // beyond that each HELLO needs a fresh solution, which is what makes flooding cost work.
    const powKey = `${toHex(hello.senderId)}:${hello.timestamp}`;
    const uses = this.#powUses.get(powKey) ?? 0;
    if (uses >= MAX_POW_USES) return this.drop('pow-reused');
    if (!this.#verifyBudget.allow('hello')) return this.drop('hello-budget');
    if (!helloSignatureValid(hello)) return this.drop('bad-signature');
    this.#helloReplay.add(hashHex);
    if (uses === 0 && this.#powUses.size >= this.limits.helloReplayEntries) {
      const oldest = this.#powUses.keys().next().value;
      if (oldest !== undefined) this.#powUses.delete(oldest);
    }
    this.#powUses.set(powKey, uses + 1);
    if (
      this.#links.size >= this.limits.maxLinks &&
      !this.#links.byId(toHex(hello.senderId)) &&
      !this.#evictUnused()
    ) {
      return this.drop('links-full');
    }
    const ephemeral = generateX25519(this.rng);
    let shared: Uint8Array;
    try {
      shared = x25519.sharedSecret(ephemeral.secretKey, hello.ephemeral);
    } catch {
      return this.drop('weak-key');
    }
    const now = this.clock.now();
    const link = newLink({
      id: hello.senderId,
      endpoint: { address: from.address, port: from.port },
      localIndex: this.#links.freeIndex((i) => this.#indexPending(i)),
      remoteIndex: hello.linkIndex,
      keys: linkKeys(shared, hello.senderId, this.id, false),
      flags: hello.flags,
      initiator: false,
      now,
      observed: null,
    });
    const ack = signHelloAck(this.#identity.ed25519, {
      responderId: this.id,
      ephemeral: ephemeral.publicKey,
      helloHash: hash,
      observed: from,
      linkIndex: link.localIndex,
      minDifficulty: min,
      flags: this.#currentFlags(),
    });
    link.helloAck = ack;
    link.helloHashHex = hashHex;
    this.#addLink(link);
    this.sendRaw(ack, from);
  }

  /** A neighbour's report of our address; when it changes our reachability, everyone hears at once. */
  #noteObserved(link: Link, observed: Endpoint): void {
    const before = this.#currentFlags();
    this.#observed.set(link.idHex, observed);
    if (this.#currentFlags() !== before) this.#announceFlags();
  }

  #announceFlags(): void {
    const flags = this.#currentFlags();
    const now = Math.floor(this.clock.now());
    for (const link of this.#links.values())
      this.#send(link, { type: OverlayType.ping, timestamp: now, flags, observed: link.endpoint });
  }

  #onHelloAck(ack: HelloAck, from: Endpoint): void {
    const p = this.#pendingHellos.get(toHex(ack.helloHash));
    if (!p) return this.drop('unexpected-ack');
    if (sameId(ack.responderId, this.id)) return this.drop('from-self');
    if (p.expectedId && !sameId(p.expectedId, ack.responderId)) return this.drop('wrong-peer');
    if (!helloAckSignatureValid(ack)) return this.drop('bad-signature');
    let shared: Uint8Array;
    try {
      shared = x25519.sharedSecret(p.ephemeral.secretKey, ack.ephemeral);
    } catch {
      return this.drop('weak-key');
    }
    this.#askedDifficulty.set(endpointKey(p.endpoint), ack.minDifficulty);
    const link = newLink({
      id: ack.responderId,
      endpoint: { address: from.address, port: from.port },
      localIndex: p.localIndex,
      remoteIndex: ack.linkIndex,
      keys: linkKeys(shared, this.id, ack.responderId, true),
      flags: ack.flags,
      initiator: true,
      now: this.clock.now(),
      observed: ack.observed,
    });
    const used = this.#addLink(link);
    if (used) this.#noteObserved(used, ack.observed);
    this.#finishHello(p, used);
  }

  /** Installs a new link; returns the link to use with that peer (the old one wins a tie). */
  #addLink(link: Link): Link | null {
    const existing = this.#links.byId(link.idHex);
    if (
      existing &&
      existing.initiator !== link.initiator &&
      this.clock.now() - existing.createdAt < SIMULTANEOUS_OPEN_MS
    ) {
      // Both sides sent HELLO at once and each answered the other's: two links, and each side
      // would keep a different one. Both keep the one the lower ID initiated.
      const weAreLower = compareBytes(this.id, link.id) < 0;
      const keep = link.initiator === weAreLower ? link : existing;
      if (keep === existing) return existing;
    }
    if (this.#links.size >= this.limits.maxLinks && !existing && !this.#evictUnused()) {
      // Only reachable on the initiating side: we asked for more links than we may hold.
      this.#send(link, { type: OverlayType.bye, reason: 1 });
      return null;
    }
    const old = this.#links.add(link);
    if (old) this.#forgetLink(old);
    const result = this.#table.add(link);
    link.inTable = result.status === 'added' || result.status === 'updated';
    for (const listener of this.#linkListeners) listener(link, true);
    return link;
  }

  /** Frees a slot: the link unused longest that is neither a table member nor pinned. */
  #evictUnused(): boolean {
    const now = this.clock.now();
    let victim: Link | null = null;
    for (const l of this.#links.all()) {
      if (l.inTable || l.pinnedUntil > now) continue;
      if (!victim || l.usedAt < victim.usedAt) victim = l;
    }
    if (!victim) return false;
    this.#send(victim, { type: OverlayType.bye, reason: 1 });
    this.#removeLink(victim, 'evicted for a new link');
    return true;
  }

  #removeLink(link: Link, why: string): void {
    this.#links.remove(link);
    this.#forgetLink(link);
    if (why !== 'said goodbye' && why !== 'evicted for a new link')
      this.#log('info', `link to ${link.idHex.slice(0, 12)} ${why}`);
  }

  #forgetLink(link: Link): void {
    this.#observed.delete(link.idHex);
    if (link.inTable) {
      this.#table.remove(link.id);
      link.inTable = false;
      // A freed bucket place goes to a link we already hold in that bucket, if any.
      const bucket = this.#table.bucketOf(link.id);
      for (const other of this.#links.all()) {
        if (!other.inTable && this.#table.bucketOf(other.id) === bucket && other !== link) {
          const r = this.#table.add(other);
          other.inTable = r.status === 'added';
          if (other.inTable) break;
        }
      }
    }
    for (const listener of this.#linkListeners) listener(link, false);
  }

  #send(link: Link, message: LinkedMessage): void {
    const now = this.clock.now();
    if (message.type !== OverlayType.ping && message.type !== OverlayType.pong) link.usedAt = now;
    this.sendRaw(sealLinked(link, message, now), link.endpoint);
  }

  // --- lookups -------------------------------------------------------------------------------

  /** One FIND, sent up to FIND_TRIES times (a lost request or reply must not end a lookup). */
  #find(link: Link, target: Uint8Array, done: PendingFind['done'], attempt = 1): void {
    let requestId = 0;
    for (let i = 0; i < 16 && (requestId === 0 || this.#finds.has(requestId)); i++) {
      requestId = new DataView(this.rng(4).buffer).getUint32(0);
    }
    const cancel = this.clock.schedule(this.timers.lookupStepMs / FIND_TRIES, () => {
      this.#finds.delete(requestId);
      if (attempt < FIND_TRIES && this.#links.byId(link.idHex) === link && !this.#closed) {
        this.#find(link, target, done, attempt + 1);
      } else done(null);
    });
    this.#finds.set(requestId, { linkId: link.idHex, done, cancel });
    this.#send(link, { type: OverlayType.find, requestId, target });
  }

  /** Kademlia's join refresh: a lookup in every bucket farther than our closest neighbour, in turn. */
  #refreshBuckets(): void {
    this.#lastRefresh = this.clock.now();
    const closest = this.#table.closest(this.id, 1)[0];
    const depth = closest ? this.#table.bucketOf(closest.id) : 0;
    const buckets = Array.from({ length: Math.min(depth, 24) }, (_, i) => i);
    const next = () => {
      const index = buckets.shift();
      if (index === undefined || this.#closed) return;
      // A refresh only needs a few live nodes in the bucket's range, not the k closest anywhere:
      // half a bucket of them, linked; the rest of the bucket fills as other nodes link to us.
      this.lookup(randomIdInBucket(this.id, index, this.rng(32)), () => next(), this.limits.k / 2);
    };
    next();
  }

  // --- routing -------------------------------------------------------------------------------

  #onRoute(message: RouteMessage & { type?: number }, via: Link): void {
    // Acked before anything else: the hop took responsibility (the sender stops retransmitting).
    this.#send(via, { type: OverlayType.hopAck, messageId: message.messageId });
    if (!this.#seen.add(toHex(message.messageId))) return this.drop('duplicate-route');
    const msg: RouteMessage = {
      messageId: message.messageId,
      ttl: message.ttl,
      kind: message.kind,
      destination: message.destination,
      body: message.body,
    };
    if (sameId(msg.destination, this.id)) return this.#deliver(msg, via);
    if (msg.ttl <= 1) return this.drop('ttl-expired');
    this.#routeCounts.forwarded += 1;
    this.#forward({ ...msg, ttl: msg.ttl - 1 }, via);
  }

  #deliver(message: RouteMessage, via: Link | null): void {
    const handler = this.#routeHandlers.get(message.kind);
    if (!handler || !via) {
      if (!handler) this.drop('undeliverable');
      return;
    }
    this.#routeCounts.delivered += 1;
    // Hops taken: each forwarding node decremented the TTL once, and the last hop reached us.
    const hops = Math.min(this.limits.initialTtl, this.limits.initialTtl - message.ttl + 1);
    this.#hops[hops] = (this.#hops[hops] ?? 0) + 1;
    handler(message, via);
  }

  #forward(message: RouteMessage, from: Link | null, onDone?: (sent: boolean) => void, looked = false): void {
    if (this.#closed) return;
    if (this.#routes.size >= this.limits.pendingRoutes) {
      this.drop('route-failed');
      onDone?.(false);
      return;
    }
    // Greedy: only neighbours strictly closer to the destination than we are (so every hop makes
    // progress and no loop can form), best first; the next ones are the fallbacks.
    const target = message.destination;
    // A node behind a NAT is linked only to the few reachable nodes it linked to itself, so it
    // may be closer to the destination than all of them. Its own messages may go to any of them
    // (closest first): it is never a hop for others, so no loop can form through it.
    const unreachableOrigin = from === null && (this.#currentFlags() & HelloFlag.reachable) === 0;
    const candidates = byDistance(
      target,
      this.#links
        .all()
        .filter(
          (l) =>
            l !== from &&
            (unreachableOrigin || compareDistance(target, l.id, this.id) < 0) &&
            ((l.flags & HelloFlag.reachable) !== 0 || sameId(l.id, target)),
        ),
      (l) => l.id,
    ).slice(0, this.timers.routeMaxTries);
    if (candidates.length === 0) {
      if (!looked) {
        // A gap in our table (no neighbour yet in the destination's bucket, e.g. we joined when
        // the network was small): a lookup of the destination links nodes there, which also
        // fills the bucket for next time; then forward once more.
        this.lookup(message.destination, () => this.#forward(message, from, onDone, true));
        return;
      }
      this.drop('no-route');
      onDone?.(false);
      return;
    }
    const idHex = toHex(message.messageId);
    const pending: PendingRoute = {
      message,
      candidates,
      current: 0,
      triesOnCurrent: 0,
      tries: 0,
      sentTo: new Set(),
      cancel: () => {},
      onDone,
    };
    this.#routes.set(idHex, pending);
    this.#transmitRoute(idHex, pending);
  }

  #transmitRoute(idHex: string, p: PendingRoute): void {
    if (this.#closed) return;
    let link = p.candidates[p.current] as Link;
    // The chosen neighbour may have gone since; skip to one still linked.
    while (this.#links.byId(link.idHex) !== link && p.current + 1 < p.candidates.length) {
      p.current += 1;
      p.triesOnCurrent = 0;
      link = p.candidates[p.current] as Link;
    }
    p.tries += 1;
    p.triesOnCurrent += 1;
    p.sentTo.add(link.idHex);
    const wait = Math.min(
      this.timers.routeMaxRetryMs,
      this.timers.routeFirstRetryMs * this.timers.routeBackoff ** (p.tries - 1),
    );
    p.cancel = this.clock.schedule(wait, () => {
      if (p.tries >= this.timers.routeMaxTries) {
        this.#routes.delete(idHex);
        this.#routeCounts.failed += 1;
        this.drop('route-failed');
        p.onDone?.(false);
        return;
      }
      if (p.triesOnCurrent >= this.timers.routeTriesPerNeighbour) {
        p.current = (p.current + 1) % p.candidates.length;
        p.triesOnCurrent = 0;
      }
      this.#transmitRoute(idHex, p);
    });
    this.#send(link, { type: OverlayType.route, ...p.message });
  }

  #onHopAck(idHex: string, via: Link): void {
    const p = this.#routes.get(idHex);
    if (!p || !p.sentTo.has(via.idHex)) return this.drop('unexpected-reply');
    p.cancel();
    this.#routes.delete(idHex);
    p.onDone?.(true);
  }

  // --- maintenance ---------------------------------------------------------------------------

  #scheduleTick(): void {
    // Jittered so that thousands of simulated nodes (or a room of devices) do not tick in step.
    const jitter = ((this.rng(1)[0] as number) / 255) * 200;
    this.#cancelTick = this.clock.schedule(
      this.timers.tickMs * 0.9 + jitter * (this.timers.tickMs / 1000),
      () => {
        this.#tick();
        if (!this.#closed) this.#scheduleTick();
      },
    );
  }

  #tick(): void {
    const now = this.clock.now();
    for (const link of this.#links.values()) {
      const silent = now - link.lastReceived;
      if (silent > this.timers.linkTimeoutMs) {
        this.#removeLink(link, `timed out after ${Math.round(silent / 1000)} s of silence`);
        continue;
      }
      const wanted = link.inTable || link.pinnedUntil > now;
      // One side pings (the initiator: it is the one behind a NAT, if either is); the other only
      // when the initiator has fallen silent, so a healthy link costs one PING and PONG per interval.
      const due = link.initiator ? this.timers.pingIntervalMs : this.timers.pingIntervalMs * 1.5;
      if (wanted && silent >= due && now - link.lastSent >= this.timers.pingIntervalMs / 2) {
        this.#send(link, {
          type: OverlayType.ping,
          timestamp: Math.floor(now),
          flags: this.#currentFlags(),
          observed: link.endpoint,
        });
      }
    }
    // A node with entry peers is joined while it has links (it rejoins otherwise); the first
    // node of a network, with none, is joined as an entry peer or once someone links to it.
    if (this.#entryPeers.length === 0)
      this.#joined = (this.#flags & HelloFlag.entry) !== 0 || this.#links.size > 0;
    else if (this.#links.size === 0) this.#joined = false;
    const retryJoin = Math.min(60_000, this.timers.helloRetryMs * 2 ** this.timers.helloTries);
    if (!this.#joined && !this.#joining && now - this.#lastJoinAttempt > retryJoin) this.join();
    if (this.#joined && now - this.#lastRefresh > this.timers.bucketRefreshMs) this.#refreshBuckets();
  }
}

/** HELLO_ACKs resent for one link when its HELLO comes again (the ack was lost). */
const MAX_ACK_RESENDS = 3;
/** HELLOs to one node that one proof-of-work solution may carry. */
const MAX_POW_USES = 4;
/** Two links to one peer set up within this long of each other are a simultaneous open. */
const SIMULTANEOUS_OPEN_MS = 10_000;

/** Tries of one FIND within lookupStepMs. */
const FIND_TRIES = 3;

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(OverlayType).map(([name, value]) => [value, name]),
);

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
