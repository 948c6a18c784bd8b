// The overlay as the service runs it: one OverlayNode on the overlay's lane of the UDP socket,
// its relay and rendezvous, the contacts it may INVITE and accept INVITEs from (the store's), and
// `locate`, which the channel router calls for a contact that has no manual endpoint.
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Rng } from '../crypto/random.js';
import type { Clock } from '../net/clock.js';
import { type Endpoint, endpointKey, parseEndpoint, type Transport } from '../net/transport.js';
import { type NeighbourInfo, OverlayNode, type OverlayIdentity, type OverlayStats } from '../overlay/node.js';
import { Relay, type RelayStats } from '../overlay/relay.js';
import { type ContactKeys, Rendezvous, type RendezvousStats } from '../overlay/rendezvous.js';
import type { OverlayTimers } from '../overlay/timers.js';

export interface OverlayStatus extends OverlayStats {
  /** The PoW difficulty asked while calm (minDifficulty is above it under load). */
  baseDifficulty: number;
  entry: boolean;
  relaying: boolean;
  entryPeers: string[];
  relay: RelayStats;
  rendezvous: RendezvousStats;
  /** Set-up time (INVITE sent to path found) of the last few connections, newest last. */
  recentSetups: { peer: string; via: 'direct' | 'relay'; ms: number }[];
}

export interface RunningOverlay {
  node: OverlayNode;
  relay: Relay;
  rendezvous: Rendezvous;
  /** The channel's transport: its lane of the socket, with relay paths added. */
  channelTransport(lane: Transport): Transport;
  /** A path to a contact, for the channel router (ChannelContext.locate). */
  locate(peerId: string): Promise<Endpoint>;
  setContacts(contacts: { id: string; x25519Public: Uint8Array }[]): void;
  status(): OverlayStatus;
  peers(): NeighbourInfo[];
  close(): void;
}

export interface OverlayServiceOptions {
  config: Config;
  identity: OverlayIdentity;
  transport: Transport;
  clock: Clock;
  rng: Rng;
  log: Logger;
  timers?: Partial<OverlayTimers>;
}

const RECENT_SETUPS = 10;

export function startOverlay(opts: OverlayServiceOptions): RunningOverlay {
  const { config, log } = opts;
  const net = config.network;
  const entryPeers = net.entry_peers.map((text) => parseEndpoint(text));
  const node = new OverlayNode({
    transport: opts.transport,
    clock: opts.clock,
    rng: opts.rng,
    identity: opts.identity,
    entryPeers,
    entry: net.entry,
    relay: net.relay ?? net.entry,
    difficulty: net.pow_difficulty,
    ...(opts.timers ? { timers: opts.timers } : {}),
    log: (level, message) => log[level]({ overlay: true }, message),
  });
  const relay = new Relay(node);
  let contacts = new Map<string, ContactKeys>();
  const recentSetups: OverlayStatus['recentSetups'] = [];
  const rendezvous = new Rendezvous({
    node,
    identity: opts.identity,
    relay,
    contact: (id) => contacts.get(id) ?? null,
    lanCandidates: () => lanCandidates(opts.transport.local),
  });
  node.start();
  return {
    node,
    relay,
    rendezvous,
    channelTransport: (lane) => relay.channelTransport(lane),
    async locate(peerId) {
      const result = await rendezvous.connect(peerId);
      recentSetups.push({ peer: peerId.slice(0, 12), via: result.via, ms: Math.round(result.setupMs) });
      if (recentSetups.length > RECENT_SETUPS) recentSetups.shift();
      log.info(
        {
          peer: peerId.slice(0, 8),
          via: result.via,
          endpoint: endpointKey(result.endpoint),
          ms: Math.round(result.setupMs),
        },
        'path to contact found through the overlay',
      );
      return result.endpoint;
    },
    setContacts(list) {
      contacts = new Map(list.map((c) => [c.id, { x25519Public: c.x25519Public }]));
    },
    status: () => ({
      ...node.stats(),
      baseDifficulty: net.pow_difficulty,
      entry: net.entry,
      relaying: net.relay ?? net.entry,
      entryPeers: net.entry_peers,
      relay: relay.stats(),
      rendezvous: rendezvous.stats(),
      recentSetups: [...recentSetups],
    }),
    peers: () => node.neighbours(),
    close: () => node.close(),
  };
}

/**
 * Where a contact on our own network can reach us: the bound address, or when bound to every
 * interface, each interface's address (IPv4 first; link-local and loopback left out, as ICE does
 * for host candidates it cannot route).
 */
export function lanCandidates(local: Endpoint): Endpoint[] {
  if (local.address !== '0.0.0.0' && local.address !== '::') return [local];
  const out: Endpoint[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const iface of list ?? []) {
      if (iface.internal || iface.address.startsWith('fe80:') || iface.address.startsWith('169.254.'))
        continue;
      if (local.address === '0.0.0.0' && iface.family !== 'IPv4') continue;
      out.push({ address: iface.address, port: local.port });
    }
  }
  return out.sort((a, b) => Number(a.address.includes(':')) - Number(b.address.includes(':'))).slice(0, 3);
}
