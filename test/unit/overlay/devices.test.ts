// Devices (an overlay node and a channel router on one socket) behind simulated NATs find each
// other by INVITE alone and open the encrypted channel: directly where hole punching works,
// through the callee's relay where it cannot (RFC 4787 behaviours, src/sim/nat.ts).
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { isRelayHandle } from '../../../src/overlay/relay.js';
import { compareDistance } from '../../../src/overlay/table.js';
import { Testnet, type SimDevice } from '../../../src/sim/testnet.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { NAT_PRESETS, type NatPreset } from '../../../src/sim/nat.js';
import { VirtualNetwork } from '../../../src/sim/virtual-network.js';
import { settle } from '../../helpers/settle.js';

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

describe('a caller behind a NAT', () => {
  // The callee, behind a port-restricted NAT, is linked only to the entry (nobody can link to it
  // unasked). When the caller is closer to the callee by XOR than the entry is, the caller has no
  // strictly closer neighbour: it must still hand its INVITE to the entry (docs "Reachability").
  function pair(seed: string) {
    const clock = new VirtualClock();
    const net = new VirtualNetwork({
      clock,
      rng: seededRng(utf8(`${seed}/net`)),
      defaultLink: { delayMs: 20 },
    });
    net.addNat('198.51.100.1', ['10.0.1.2'], NAT_PRESETS.portRestricted);
    net.addNat('198.51.100.2', ['10.0.2.2'], NAT_PRESETS.portRestricted);
    const testnet = new Testnet({ clock, net, rng: seededRng(utf8(`${seed}/nodes`)), difficulty: 4 });
    const entry = testnet.addEntry('203.0.113.1');
    return { clock, entry, a: testnet.addNode('10.0.1.2'), b: testnet.addNode('10.0.2.2') };
  }

  it('reaches a callee it is closer to than every neighbour it has', async () => {
    let w = pair('closer-0');
    for (let i = 1; i < 64 && compareDistance(w.b.node.id, w.a.node.id, w.entry.node.id) > 0; i++) {
      w = pair(`closer-${i}`);
    }
    expect(compareDistance(w.b.node.id, w.a.node.id, w.entry.node.id)).toBeLessThan(0);
    w.clock.advance(60_000);
    expect(w.b.node.stats().links).toBe(1);
    const result = await settle(w.clock, w.a.rendezvous.connect(w.b.idHex), 15_000);
    expect(w.b.rendezvous.stats().invitesReceived).toBe(1);
    expect(result.via).toBe('direct');
  });
});
