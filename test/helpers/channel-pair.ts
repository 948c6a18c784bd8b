// Two (or more) channel routers on the virtual network, in virtual time, each knowing the others
// as contacts. Everything random comes from seeds, so a failing run can be replayed exactly.
import { generateX25519 } from '../../src/crypto/x25519.js';
import { seededRng, type Rng } from '../../src/crypto/random.js';
import { utf8 } from '../../src/crypto/bytes.js';
import type { ChannelEvents, Peer } from '../../src/channel/channel.js';
import { ChannelRouter } from '../../src/channel/router.js';
import type { ChannelTimers } from '../../src/channel/timers.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { type LinkConditions, type SimTransport, VirtualNetwork } from '../../src/sim/virtual-network.js';

export interface Node {
  name: string;
  keys: { publicKey: Uint8Array; secretKey: Uint8Array };
  transport: SimTransport;
  router: ChannelRouter;
  messages: Map<string, Uint8Array[]>;
  datagrams: Map<string, Uint8Array[]>;
}

export interface World {
  clock: VirtualClock;
  net: VirtualNetwork;
  rng: Rng;
  nodes: Node[];
  /** The peer record `of` has for `about`. */
  peer(of: Node, about: Node, opts?: { psk?: Uint8Array; withEndpoint?: boolean }): Peer;
}

export function world(
  opts: { seed?: string; link?: Partial<LinkConditions>; timers?: Partial<ChannelTimers> } = {},
) {
  const seed = opts.seed ?? 'channel';
  const clock = new VirtualClock();
  const net = new VirtualNetwork({
    clock,
    rng: seededRng(utf8(`${seed}/net`)),
    defaultLink: opts.link ?? {},
  });
  const rng = seededRng(utf8(`${seed}/test`));
  const pairPsk = new Map<string, Uint8Array>();
  const nodes: Node[] = [];
  const w: World & {
    add(name: string, opts?: { wallShiftMs?: number; reuse?: Node; events?: ChannelEvents }): Node;
  } = {
    clock,
    net,
    rng,
    nodes,
    peer(of, about, popts = {}) {
      const key = [of.name, about.name].sort().join('|');
      if (!pairPsk.has(key)) pairPsk.set(key, rng(32));
      return {
        id: about.name,
        name: about.name,
        x25519Public: about.keys.publicKey,
        psk: popts.psk ?? (pairPsk.get(key) as Uint8Array),
        endpoint: popts.withEndpoint === false ? null : about.transport.local,
      };
    },
    add(name, addOpts = {}) {
      // A node whose wall clock disagrees with the others' (hint epochs), same monotonic time.
      const shift = addOpts.wallShiftMs ?? 0;
      const nodeClock =
        shift === 0
          ? clock
          : {
              now: () => clock.now(),
              wallTime: () => clock.wallTime() + shift,
              schedule: clock.schedule.bind(clock),
            };
      // `reuse`: the same device restarted (its keys and address, a new process: nothing else).
      const keys = addOpts.reuse?.keys ?? generateX25519(seededRng(utf8(`${seed}/${name}/keys`)));
      const transport = addOpts.reuse
        ? net.bind(addOpts.reuse.transport.local.address, addOpts.reuse.transport.local.port)
        : net.bind(`127.0.0.${nodes.length + 1}`, 4801);
      const messages = new Map<string, Uint8Array[]>();
      const datagrams = new Map<string, Uint8Array[]>();
      const push = (m: Map<string, Uint8Array[]>, k: string, v: Uint8Array) => {
        const list = m.get(k) ?? [];
        list.push(v.slice());
        m.set(k, list);
      };
      const router = new ChannelRouter({
        transport,
        clock: nodeClock,
        rng: seededRng(utf8(`${seed}/${name}/rng`)),
        identity: keys,
        timers: opts.timers ?? {},
        events: addOpts.events ?? {
          onMessage: (peer, m) => push(messages, peer, m),
          onDatagram: (peer, d) => push(datagrams, peer, d),
        },
      });
      const node = { name: addOpts.reuse?.name ?? name, keys, transport, router, messages, datagrams };
      nodes.push(node);
      return node;
    },
  };
  return w;
}

/** A and B, each with the other as a contact; A knows B's address, B learns A's from the handshake. */
export function pair(opts: Parameters<typeof world>[0] = {}) {
  const w = world(opts);
  const a = w.add('A');
  const b = w.add('B');
  a.router.setPeers([w.peer(a, b)]);
  b.router.setPeers([w.peer(b, a, { withEndpoint: false })]);
  return { ...w, a, b, ab: a.router.channel('B'), ba: b.router.channel('A') };
}
