// Devices (an overlay node and a channel router on one socket) behind simulated NATs find each
// other by INVITE alone and open the encrypted channel: directly where hole punching works,
// through the callee's relay where it cannot (RFC 4787 behaviours, src/sim/nat.ts).
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { isRelayHandle } from '../../../src/overlay/relay.js';
import { Testnet, type SimDevice } from '../../../src/sim/testnet.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { NAT_PRESETS, type NatPreset } from '../../../src/sim/nat.js';
import { VirtualNetwork } from '../../../src/sim/virtual-network.js';

async function settle<T>(clock: VirtualClock, promise: Promise<T>, maxMs: number): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let t = 0; t < maxMs && !done; t += 10) {
    clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
  return promise;
}

function world(seed: string) {
  const clock = new VirtualClock();
  const net = new VirtualNetwork({
    clock,
    rng: seededRng(utf8(`${seed}/net`)),
    defaultLink: { delayMs: 15, jitterMs: 5, loss: 0.02 },
  });
  const testnet = new Testnet({ clock, net, rng: seededRng(utf8(`${seed}/nodes`)), difficulty: 4 });
  testnet.addEntry('203.0.113.1');
  for (let i = 0; i < 25; i++) testnet.addNode(`198.51.100.${i + 1}`);
  let site = 0;
  const device = (nat: NatPreset | 'public'): SimDevice => {
    site += 1;
    if (nat === 'public') return testnet.addDevice(`192.0.2.${site}`);
    net.addNat(`192.0.2.${100 + site}`, [`10.${site}.0.2`], NAT_PRESETS[nat]);
    return testnet.addDevice(`10.${site}.0.2`);
  };
  return { clock, net, testnet, device };
}

const cases: [NatPreset | 'public', NatPreset | 'public', 'direct' | 'relay'][] = [
  ['public', 'portRestricted', 'direct'],
  ['portRestricted', 'portRestricted', 'direct'],
  ['fullCone', 'symmetric', 'direct'],
  ['portRestricted', 'symmetric', 'relay'],
  ['symmetric', 'symmetric', 'relay'],
];

describe('devices behind NATs', () => {
  it.each(cases)('%s calls %s: the channel opens %s', async (natA, natB, via) => {
    const { clock, testnet, device } = world(`${natA}-${natB}`);
    const a = device(natA);
    const b = device(natB);
    testnet.introduce(a, b);
    clock.advance(30_000);
    expect(
      [a.node.stats(), b.node.stats()].map((s) => s.joined),
      JSON.stringify([a.node.stats(), b.node.stats()]),
    ).toEqual([true, true]);
    await settle(clock, a.router.channel(b.idHex).connect(), 20_000);
    expect(a.setups).toHaveLength(1);
    expect(a.setups[0]?.via).toBe(via);
    expect(isRelayHandle(a.setups[0]!.endpoint)).toBe(via === 'relay');
    // The channel carries data both ways over that path.
    const rtt = await settle(clock, a.router.channel(b.idHex).ping(), 5_000);
    expect(rtt).toBeGreaterThan(0);
    expect(b.router.channel(a.idHex).info().state).toBe('open');
    if (via === 'relay') {
      const relayed = testnet.entries[0]!.relay.stats();
      expect(relayed.forwardedPackets).toBeGreaterThan(2);
    }
  });
});
