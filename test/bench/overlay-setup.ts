// Call set-up through the overlay in simulation (issue 6 bench "Call set-up time (INVITE sent to
// channel open) in the simulation"): a 300-node testnet on a virtual network with 20 ± 10 ms
// per hop and 5 % loss, and devices (an overlay node and a channel router on one socket) behind
// each kind of NAT. For each pair of NAT kinds, repeated connects from a fresh channel: the
// overlay's part (INVITE sent to a path found, rendezvous.ts setupMs) and the whole (channel
// connect() called to the channel open, which adds the Noise handshake), in virtual ms.
// The 10 k and larger figures come from the routing model (overlay-scale.ts); the largest real-
// node figure is the 2,000-node test (test/unit/overlay/network.test.ts).
import { utf8 } from '../../src/crypto/bytes.js';
import { seededRng } from '../../src/crypto/random.js';
import { NAT_PRESETS, type NatPreset } from '../../src/sim/nat.js';
import { summarise } from '../../src/sim/route-model.js';
import { type SimDevice, Testnet } from '../../src/sim/testnet.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { VirtualNetwork } from '../../src/sim/virtual-network.js';
import { emit } from './harness.js';
import { settle } from '../helpers/settle.js';

const NODES = 300;
const CALLS = 10;
type Kind = NatPreset | 'public';
const PAIRS: [Kind, Kind][] = [
  ['public', 'public'],
  ['portRestricted', 'portRestricted'],
  ['fullCone', 'symmetric'],
  ['portRestricted', 'symmetric'],
  ['symmetric', 'symmetric'],
];

export async function run(): Promise<void> {
  const started = performance.now();
  const clock = new VirtualClock();
  const net = new VirtualNetwork({
    clock,
    rng: seededRng(utf8('setup/net')),
    defaultLink: { delayMs: 20, jitterMs: 10, loss: 0.05 },
  });
  const testnet = new Testnet({ clock, net, rng: seededRng(utf8('setup/nodes')), difficulty: 8 });
  testnet.addEntry('203.0.113.1');
  testnet.addEntry('203.0.113.2');
  for (let i = 0; i < NODES; i++) {
    testnet.addNode(`10.200.${i >> 8}.${i & 255}`);
    clock.advance(100, { maxSteps: 10_000_000 });
  }
  let site = 0;
  const device = (kind: Kind): SimDevice => {
    site += 1;
    if (kind === 'public') return testnet.addDevice(`192.0.2.${site}`);
    net.addNat(`198.51.100.${site}`, [`10.${site}.0.2`], NAT_PRESETS[kind]);
    return testnet.addDevice(`10.${site}.0.2`);
  };
  const pairs = PAIRS.map(([a, b]) => ({ kinds: [a, b], a: device(a), b: device(b) }));
  for (const { a, b } of pairs) testnet.introduce(a, b);
  clock.advance(30_000, { maxSteps: 10_000_000 });
  for (const { kinds, a, b } of pairs) {
    const overlayMs: number[] = [];
    const openMs: number[] = [];
    const via: Record<string, number> = {};
    let failed = 0;
    for (let i = 0; i < CALLS; i++) {
      testnet.resetChannels(a);
      testnet.resetChannels(b);
      const before = a.setups.length;
      const t0 = clock.now();
      try {
        await settle(clock, a.router.channel(b.idHex).connect(), 30_000, 5);
        openMs.push(clock.now() - t0);
        const setup = a.setups[before];
        if (setup) {
          overlayMs.push(setup.setupMs);
          via[setup.via] = (via[setup.via] ?? 0) + 1;
        }
      } catch {
        failed += 1;
      }
      clock.advance(2_000, { maxSteps: 10_000_000 });
    }
    const o = summarise(overlayMs);
    const c = summarise(openMs);
    emit({
      bench: 'overlay-setup',
      nodes: NODES,
      loss: 0.05,
      pair: kinds.join('-'),
      calls: CALLS,
      failed,
      via,
      overlay_ms_median: Math.round(o.median),
      overlay_ms_max: Math.round(o.max),
      channel_open_ms_median: Math.round(c.median),
      channel_open_ms_max: Math.round(c.max),
    });
  }
  emit({ bench: 'overlay-setup', wall_ms: Math.round(performance.now() - started) });
  for (const sim of [...testnet.nodes, ...testnet.entries]) sim.node.close();
}
