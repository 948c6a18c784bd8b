// A test network of overlay nodes in one process, in virtual time (hyperdht's testnet idea): entry
// peers and ordinary nodes on the virtual network, each a real OverlayNode with its own identity,
// relay and rendezvous, and every node a "contact" of every other (standing in for pairing), so any
// two can INVITE each other. Used by the overlay's tests and benchmarks.
import { toHex } from '../crypto/bytes.js';
import { generateEd25519 } from '../crypto/ed25519.js';
import type { Rng } from '../crypto/random.js';
import { generateX25519 } from '../crypto/x25519.js';
import type { Endpoint } from '../net/transport.js';
import { OverlayNode, type OverlayIdentity, type OverlayOptions } from '../overlay/node.js';
import { Relay } from '../overlay/relay.js';
import { type PathResult, Rendezvous } from '../overlay/rendezvous.js';
import type { Peer } from '../channel/channel.js';
import { cardPsk } from '../channel/psk.js';
import { ChannelRouter } from '../channel/router.js';
import { CHANNEL_LANE, mux, OVERLAY_LANE } from '../net/mux.js';
import type { OverlayLimits, OverlayTimers } from '../overlay/timers.js';
import type { SimTransport, VirtualNetwork } from './virtual-network.js';
import type { VirtualClock } from './virtual-clock.js';

export const OVERLAY_PORT = 4801;

export interface SimNode {
  address: string;
  identity: OverlayIdentity;
  idHex: string;
  transport: SimTransport;
  node: OverlayNode;
  relay: Relay;
  rendezvous: Rendezvous;
}

/** A node that is also a device: a channel router shares its socket, and finds contacts by INVITE. */
export interface SimDevice extends SimNode {
  router: ChannelRouter;
  /** Overlay set-up of each path this device found (INVITE sent to path), newest last. */
  setups: PathResult[];
}

export interface TestnetOptions {
  clock: VirtualClock;
  net: VirtualNetwork;
  rng: Rng;
  /** PoW difficulty of every node; low in large simulations (the cost is measured in benches). */
  difficulty?: number;
  timers?: Partial<OverlayTimers>;
  limits?: Partial<OverlayLimits>;
  /** Told of every INVITE a node accepts: (callee, caller) as hex IDs. */
  onInvited?: (calleeId: string, callerId: string) => void;
}

export class Testnet {
  readonly entries: SimNode[] = [];
  readonly nodes: SimNode[] = [];
  readonly #opts: TestnetOptions;
  readonly #keys = new Map<string, Uint8Array>();
  readonly #peers = new Map<SimNode, Map<string, Peer>>();

  constructor(opts: TestnetOptions) {
    this.#opts = opts;
  }

  get entryEndpoints(): Endpoint[] {
    return this.entries.map((e) => e.transport.local);
  }

  /** An entry peer (public, relays) joining through the entries added before it. */
  addEntry(address: string, extra: Partial<OverlayOptions> = {}): SimNode {
    const sim = this.#create(address, {
      entry: true,
      relay: true,
      entryPeers: this.entryEndpoints,
      ...extra,
    });
    this.entries.push(sim);
    return sim;
  }

  /** An ordinary node joining through the entry peers. */
  addNode(address: string, extra: Partial<OverlayOptions> = {}): SimNode {
    const sim = this.#create(address, { entryPeers: this.entryEndpoints, ...extra });
    this.nodes.push(sim);
    return sim;
  }

  /** A device: an ordinary node with a channel router on the same socket (net/mux.ts), as the service runs. */
  addDevice(address: string, extra: Partial<OverlayOptions> = {}): SimDevice {
    const sim = this.#create(address, { entryPeers: this.entryEndpoints, ...extra }, true);
    this.nodes.push(sim);
    return sim as SimDevice;
  }

  /** Makes two devices contacts of each other's channel routers, with no endpoint (as cards do). */
  introduce(a: SimDevice, b: SimDevice): void {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const psk = cardPsk(
        { x25519Secret: me.identity.x25519.secretKey, ed25519Public: me.identity.ed25519.publicKey },
        { x25519Public: other.identity.x25519.publicKey, ed25519Public: other.identity.ed25519.publicKey },
      );
      const peers = this.#peers.get(me) ?? new Map<string, Peer>();
      peers.set(other.idHex, {
        id: other.idHex,
        name: other.address,
        x25519Public: other.identity.x25519.publicKey,
        psk,
        endpoint: null,
      });
      this.#peers.set(me, peers);
      me.router.setPeers([...peers.values()]);
    }
  }

  /** Forgets every channel of a device (the next connect finds its path anew). */
  resetChannels(device: SimDevice): void {
    device.router.setPeers([]);
    device.router.setPeers([...(this.#peers.get(device)?.values() ?? [])]);
  }

  /** Removes a node: closed with BYEs when `graceful`, else it just stops (power cut). */
  remove(sim: SimNode, graceful: boolean): void {
    if (graceful) sim.node.close();
    else {
      this.#opts.net.setDown(sim.address, true);
      sim.node.close();
      this.#opts.net.setDown(sim.address, false);
    }
    const list = this.nodes.includes(sim) ? this.nodes : this.entries;
    list.splice(list.indexOf(sim), 1);
  }

  #create(address: string, extra: Partial<OverlayOptions>, device = false): SimNode | SimDevice {
    const { rng, clock, net } = this.#opts;
    const identity: OverlayIdentity = { ed25519: generateEd25519(rng), x25519: generateX25519(rng) };
    const idHex = toHex(identity.ed25519.publicKey);
    this.#keys.set(idHex, identity.x25519.publicKey);
    const transport = net.bind(address, OVERLAY_PORT);
    const lanes = device ? mux(transport) : null;
    const node = new OverlayNode({
      transport: lanes ? lanes.lane(OVERLAY_LANE) : transport,
      clock,
      rng,
      identity,
      ...(this.#opts.difficulty !== undefined ? { difficulty: this.#opts.difficulty } : {}),
      ...(this.#opts.timers ? { timers: this.#opts.timers } : {}),
      ...(this.#opts.limits ? { limits: this.#opts.limits } : {}),
      ...extra,
    });
    const relay = new Relay(node);
    const rendezvous = new Rendezvous({
      node,
      identity,
      relay,
      contact: (id) => {
        const x25519Public = this.#keys.get(id);
        return x25519Public ? { x25519Public } : null;
      },
      lanCandidates: () => [transport.local],
      onInvited: (caller) => this.#opts.onInvited?.(idHex, caller),
    });
    node.start();
    const sim = { address, identity, idHex, transport, node, relay, rendezvous };
    if (!lanes) return sim;
    const setups: PathResult[] = [];
    const router = new ChannelRouter({
      transport: relay.channelTransport(lanes.lane(CHANNEL_LANE)),
      clock,
      rng,
      identity: identity.x25519,
      events: { onMessage: () => {}, onDatagram: () => {} },
      locate: (peerId) =>
        rendezvous.connect(peerId).then((result) => {
          setups.push(result);
          return result.endpoint;
        }),
    });
    return { ...sim, router, setups };
  }
}
