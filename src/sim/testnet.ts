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
import { Rendezvous } from '../overlay/rendezvous.js';
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

  #create(address: string, extra: Partial<OverlayOptions>): SimNode {
    const { rng, clock, net } = this.#opts;
    const identity: OverlayIdentity = { ed25519: generateEd25519(rng), x25519: generateX25519(rng) };
    const idHex = toHex(identity.ed25519.publicKey);
    this.#keys.set(idHex, identity.x25519.publicKey);
    const transport = net.bind(address, OVERLAY_PORT);
    const node = new OverlayNode({
      transport,
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
    return { address, identity, idHex, transport, node, relay, rendezvous };
  }
}
