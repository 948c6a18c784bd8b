// Finding a path to a contact (docs/overlay-protocol.md "INVITE" and "PUNCH"; DESIGN §3): an
// INVITE routed to the contact's ID, sealed to its X25519 key so the nodes on the way learn only
// the destination; the contact answers the same way with its own candidates; both then send
// PUNCH probes to each other's candidates at once (UDP hole punching, Ford, Srisuresh and Kegel,
// "Peer-to-Peer Communication Across Network Address Translators", 2005, §3.3-3.4), and the
// first endpoint a valid PUNCH comes from is the path. When none comes within the punch window,
// the callee's relay carries the channel (relay.ts).
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { ed25519 } from '../crypto/ed25519.js';
import { mac16 } from '../channel/mac.js';
import { KithError } from '../errors.js';
import { type Endpoint, endpointKey, sameEndpoint } from '../net/transport.js';
import {
  decodeInvite,
  encodeInvite,
  type Invite,
  type InviteFields,
  inviteSignatureMessage,
  inviteSigned,
  MAX_CANDIDATES,
} from '../wire/invite.js';
import { encodePunch, type Punch, PunchFlag, RouteKind } from '../wire/overlay.js';
import type { Link } from './links.js';
import type { OverlayIdentity, OverlayNode, RouteMessage } from './node.js';
import { Relay } from './relay.js';
import { RecentSet } from './recent.js';
import { open, seal } from './seal.js';

export interface ContactKeys {
  x25519Public: Uint8Array;
}

export interface RendezvousOptions {
  node: OverlayNode;
  identity: OverlayIdentity;
  relay: Relay;
  /** A contact's keys by its ID (hex Ed25519 public key), null for strangers. */
  contact: (idHex: string) => ContactKeys | null;
  /** Our LAN endpoints, offered as the first candidates (a contact on the same network). */
  lanCandidates: () => Endpoint[];
  /** Told of every INVITE accepted from a contact (before it is answered). */
  onInvited?: (callerId: string) => void;
}

export interface PathResult {
  endpoint: Endpoint;
  via: 'direct' | 'relay';
  /** INVITE sent to path found, in clock milliseconds. */
  setupMs: number;
}

interface Exchange {
  inviteId: Uint8Array;
  peerId: string;
  punchKey: Uint8Array;
  role: 'caller' | 'callee';
  startedAt: number;
  candidates: Endpoint[];
  relay: { id: Uint8Array; endpoint: Endpoint } | null;
  /** The first endpoint a valid PUNCH came from. */
  path: Endpoint | null;
  punchReplies: number;
  timers: (() => void)[];
  settle: ((result: PathResult | Error) => void) | null;
}

export interface RendezvousStats {
  invitesSent: number;
  invitesReceived: number;
  answersReceived: number;
  direct: number;
  relayed: number;
  failed: number;
  exchanges: number;
}

const MAX_EXCHANGES = 64;
const MAX_PUNCH_REPLIES = 32;

export class Rendezvous {
  readonly #node: OverlayNode;
  readonly #identity: OverlayIdentity;
  readonly #relay: Relay;
  readonly #contact: RendezvousOptions['contact'];
  readonly #lan: RendezvousOptions['lanCandidates'];
  readonly #onInvited: RendezvousOptions['onInvited'];
  readonly #exchanges = new Map<string, Exchange>();
  readonly #seenInvites: RecentSet;
  readonly #stats = {
    invitesSent: 0,
    invitesReceived: 0,
    answersReceived: 0,
    direct: 0,
    relayed: 0,
    failed: 0,
  };

  constructor(opts: RendezvousOptions) {
    this.#node = opts.node;
    this.#identity = opts.identity;
    this.#relay = opts.relay;
    this.#contact = opts.contact;
    this.#lan = opts.lanCandidates;
    this.#onInvited = opts.onInvited;
    const { clock, limits, timers } = this.#node;
    this.#seenInvites = new RecentSet(clock, limits.inviteReplayEntries, 2 * timers.inviteWindowMs);
    this.#node.onRoute(RouteKind.invite, (m, via) => this.#onInvite(m, via));
    this.#node.onRoute(RouteKind.answer, (m) => this.#onAnswer(m));
    this.#node.onPunch = (punch, from) => this.#onPunch(punch, from);
  }

  stats(): RendezvousStats {
    return { ...this.#stats, exchanges: this.#exchanges.size };
  }

  /** INVITE the contact `peerIdHex` and resolve with a working path to it. */
  connect(peerIdHex: string): Promise<PathResult> {
    return new Promise((resolve, reject) => {
      const keys = this.#contact(peerIdHex);
      if (!keys) {
        reject(new KithError('OVERLAY_NOT_CONTACT', `${peerIdHex.slice(0, 12)} is not a contact`));
        return;
      }
      if (this.#node.linkCount === 0) {
        reject(
          new KithError(
            'OVERLAY_NOT_JOINED',
            'no address is known and this device has no overlay neighbours to find one through (is network.entry_peers set, and is an entry peer reachable?)',
          ),
        );
        return;
      }
      const { rng, clock, timers } = this.#node;
      const exchange = this.#newExchange(rng(16), peerIdHex, rng(32), 'caller', [], null);
      exchange.settle = (result) => {
        exchange.settle = null;
        if (result instanceof Error) {
          this.#stats.failed += 1;
          this.#end(exchange);
          reject(result);
        } else {
          this.#stats[result.via === 'direct' ? 'direct' : 'relayed'] += 1;
          // Kept a little longer to answer the callee's remaining probes on this path.
          exchange.timers.push(clock.schedule(timers.punchWindowMs, () => this.#end(exchange)));
          resolve(result);
        }
      };
      exchange.timers.push(
        clock.schedule(timers.connectTimeoutMs, () =>
          exchange.settle?.(
            new KithError(
              'OVERLAY_CONNECT_TIMEOUT',
              `no answer from ${peerIdHex.slice(0, 12)} within ${timers.connectTimeoutMs / 1000} s`,
            ),
          ),
        ),
      );
      const destination = fromHex(peerIdHex);
      const body = this.#sealed(
        {
          kind: RouteKind.invite,
          senderId: this.#node.id,
          inviteId: exchange.inviteId,
          timestamp: Math.floor(clock.wallTime()),
          punchKey: exchange.punchKey,
          candidates: this.#candidates(),
          relay: this.#relayChoice(),
        },
        destination,
        keys.x25519Public,
      );
      this.#stats.invitesSent += 1;
      this.#node.route(RouteKind.invite, destination, body, (sent) => {
        if (!sent)
          exchange.settle?.(
            new KithError('OVERLAY_NO_ROUTE', `the INVITE to ${peerIdHex.slice(0, 12)} found no route`),
          );
      });
    });
  }

  // --- both roles ----------------------------------------------------------------------------

  #newExchange(
    inviteId: Uint8Array,
    peerId: string,
    punchKey: Uint8Array,
    role: Exchange['role'],
    candidates: Endpoint[],
    relay: Exchange['relay'],
  ): Exchange {
    if (this.#exchanges.size >= MAX_EXCHANGES) {
      const oldest = this.#exchanges.values().next().value as Exchange;
      oldest.settle?.(new KithError('OVERLAY_NO_PATH', 'too many connections being set up at once'));
      this.#end(oldest);
    }
    const exchange: Exchange = {
      inviteId,
      peerId,
      punchKey,
      role,
      startedAt: this.#node.clock.now(),
      candidates,
      relay,
      path: null,
      punchReplies: 0,
      timers: [],
      settle: null,
    };
    this.#exchanges.set(toHex(inviteId), exchange);
    return exchange;
  }

  #end(exchange: Exchange): void {
    for (const cancel of exchange.timers.splice(0)) cancel();
    this.#exchanges.delete(toHex(exchange.inviteId));
  }

  /** LAN endpoints, then the public one our neighbours see; at most MAX_CANDIDATES, no repeats. */
  #candidates(): Endpoint[] {
    const out: Endpoint[] = [];
    const observed = this.#node.observed();
    for (const e of [...(observed ? [observed] : []), ...this.#lan()]) {
      if (out.length < MAX_CANDIDATES && !out.some((o) => sameEndpoint(o, e))) out.push(e);
    }
    if (out.length === 0) out.push(this.#node.local);
    return out;
  }

  #relayChoice(): { id: Uint8Array; endpoint: Endpoint } | null {
    const link = this.#node.relayCandidates()[0];
    return link ? { id: link.id, endpoint: link.endpoint } : null;
  }

  #sealed(fields: InviteFields, destination: Uint8Array, recipientX25519: Uint8Array): Uint8Array {
    const signed = inviteSigned(fields);
    const signature = ed25519.sign(
      this.#identity.ed25519.secretKey,
      inviteSignatureMessage(destination, signed),
    );
    return seal(encodeInvite(fields, signature), recipientX25519, destination, this.#node.rng);
  }

  /** Opens and checks a sealed INVITE or answer; null (and a counted drop) when it is not good. */
  #opened(message: RouteMessage): { invite: Invite; senderHex: string; keys: ContactKeys } | null {
    const node = this.#node;
    const plain = open(message.body, this.#identity.x25519, node.id);
    if (!plain) return (node.drop('bad-seal'), null);
    const invite = decodeInvite(plain);
    if (typeof invite === 'string' || invite.kind !== message.kind) return (node.drop('bad-invite'), null);
    const senderHex = toHex(invite.senderId);
    const keys = this.#contact(senderHex);
    // Only a contact may invite us (and only its key can be checked); a stranger learns nothing.
    if (!keys) return (node.drop('not-contact'), null);
    if (!ed25519.verify(invite.senderId, inviteSignatureMessage(node.id, invite.signed), invite.signature)) {
      return (node.drop('bad-signature'), null);
    }
    if (Math.abs(node.clock.wallTime() - invite.timestamp) > node.timers.inviteWindowMs) {
      return (node.drop('stale-invite'), null);
    }
    return { invite, senderHex, keys };
  }

  #startPunching(exchange: Exchange): void {
    const { clock, timers } = this.#node;
    const flags = exchange.role === 'caller' ? PunchFlag.caller : 0;
    const rounds = Math.max(1, Math.floor(timers.punchWindowMs / timers.punchIntervalMs));
    let round = 0;
    const probe = () => {
      if (exchange.path && round > 2) return;
      for (const candidate of exchange.candidates) this.#sendPunch(exchange, flags, candidate);
      if (++round < rounds) exchange.timers.push(clock.schedule(timers.punchIntervalMs, probe));
    };
    probe();
  }

  #sendPunch(exchange: Exchange, flags: number, to: Endpoint): void {
    const packet = encodePunch(exchange.inviteId, flags, this.#node.rng(8), (tagged) =>
      mac16(exchange.punchKey, tagged),
    );
    this.#node.sendRaw(packet, to);
  }

  #onPunch(punch: Punch, from: Endpoint): void {
    const node = this.#node;
    const exchange = this.#exchanges.get(toHex(punch.inviteId));
    if (!exchange) return node.drop('unknown-punch');
    if (!equalBytes(mac16(exchange.punchKey, punch.tagged), punch.tag)) return node.drop('bad-punch');
    // Our own probe reflected back (a hairpin, or a candidate that is us) proves nothing.
    const fromCaller = (punch.flags & PunchFlag.caller) !== 0;
    if (fromCaller === (exchange.role === 'caller')) return node.drop('bad-punch');
    if ((punch.flags & PunchFlag.reply) === 0 && exchange.punchReplies < MAX_PUNCH_REPLIES) {
      // The probe came through: answer it on the very path it took (which may be an endpoint
      // the peer did not know it had: a symmetric NAT's fresh mapping, ICE's peer-reflexive).
      exchange.punchReplies += 1;
      const flags = (exchange.role === 'caller' ? PunchFlag.caller : 0) | PunchFlag.reply;
      this.#sendPunch(exchange, flags, from);
    }
    if (exchange.path) return;
    exchange.path = { address: from.address, port: from.port };
    if (exchange.role === 'caller') {
      exchange.settle?.({
        endpoint: exchange.path,
        via: 'direct',
        setupMs: node.clock.now() - exchange.startedAt,
      });
    }
  }

  // --- callee --------------------------------------------------------------------------------

  #onInvite(message: RouteMessage, _via: Link): void {
    const opened = this.#opened(message);
    if (!opened) return;
    const { invite, senderHex, keys } = opened;
    if (!this.#seenInvites.add(toHex(invite.inviteId))) return this.#node.drop('replayed-invite');
    this.#stats.invitesReceived += 1;
    this.#onInvited?.(senderHex);
    const { clock, timers } = this.#node;
    const exchange = this.#newExchange(
      invite.inviteId,
      senderHex,
      invite.punchKey,
      'callee',
      invite.candidates,
      invite.relay,
    );
    // Kept long enough to answer the caller's probes and, later, to tell a late PUNCH it is stale.
    exchange.timers.push(
      clock.schedule(timers.connectTimeoutMs + timers.punchWindowMs, () => this.#end(exchange)),
    );
    const answer = this.#sealed(
      {
        kind: RouteKind.answer,
        senderId: this.#node.id,
        inviteId: invite.inviteId,
        timestamp: Math.floor(clock.wallTime()),
        punchKey: new Uint8Array(32),
        candidates: this.#candidates(),
        relay: this.#relayChoice(),
      },
      invite.senderId,
      keys.x25519Public,
    );
    this.#node.route(RouteKind.answer, invite.senderId, answer);
    this.#startPunching(exchange);
  }

  // --- caller --------------------------------------------------------------------------------

  #onAnswer(message: RouteMessage): void {
    const opened = this.#opened(message);
    if (!opened) return;
    const { invite, senderHex } = opened;
    const exchange = this.#exchanges.get(toHex(invite.inviteId));
    if (!exchange || exchange.role !== 'caller' || exchange.peerId !== senderHex) {
      return this.#node.drop('unexpected-reply');
    }
    if (exchange.candidates.length > 0) return this.#node.drop('replayed-invite');
    this.#stats.answersReceived += 1;
    exchange.candidates = invite.candidates;
    exchange.relay = invite.relay;
    this.#startPunching(exchange);
    const { clock, timers } = this.#node;
    exchange.timers.push(clock.schedule(timers.punchWindowMs, () => this.#tryRelay(exchange)));
  }

  #tryRelay(exchange: Exchange): void {
    if (!exchange.settle || exchange.path) return;
    const relay = exchange.relay;
    if (!relay) {
      exchange.settle(
        new KithError(
          'OVERLAY_NO_PATH',
          `no direct path to ${exchange.peerId.slice(0, 12)} and it named no relay`,
        ),
      );
      return;
    }
    this.#node.link(relay.endpoint, relay.id, (link) => {
      if (!exchange.settle) return;
      if (!link) {
        exchange.settle(
          new KithError(
            'OVERLAY_NO_PATH',
            `no direct path to ${exchange.peerId.slice(0, 12)} and its relay ${endpointKey(relay.endpoint)} did not answer`,
          ),
        );
        return;
      }
      const endpoint = this.#relay.handleFor(link, exchange.peerId);
      exchange.settle({ endpoint, via: 'relay', setupMs: this.#node.clock.now() - exchange.startedAt });
    });
  }
}
