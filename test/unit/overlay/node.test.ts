import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { VirtualNetwork } from '../../../src/sim/virtual-network.js';
import { Testnet } from '../../../src/sim/testnet.js';
import { settle } from '../../helpers/settle.js';

function net(seed: string, loss = 0) {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({
    clock,
    rng: seededRng(utf8(`${seed}/net`)),
    defaultLink: { delayMs: 20, loss },
  });
  const testnet = new Testnet({ clock, net: network, rng: seededRng(utf8(`${seed}/nodes`)), difficulty: 4 });
  return { clock, network, testnet };
}

describe('overlay node', () => {
  it('joins through an entry peer and fills its table with verified neighbours', () => {
    const { clock, testnet } = net('join');
    testnet.addEntry('203.0.113.1');
    for (let i = 0; i < 30; i++) testnet.addNode(`198.51.100.${i + 1}`);
    clock.advance(60_000);
    for (const sim of testnet.nodes) {
      const stats = sim.node.stats();
      expect(stats.joined, sim.address).toBe(true);
      expect(stats.tableSize).toBeGreaterThan(3);
      expect(stats.nat).toBe('none');
      expect(stats.observed).toBe(`${sim.address}:4801`);
    }
  });

  it('connects two nodes by INVITE and PUNCH, with no endpoint given', async () => {
    const { clock, testnet } = net('invite');
    testnet.addEntry('203.0.113.1');
    for (let i = 0; i < 20; i++) testnet.addNode(`198.51.100.${i + 1}`);
    clock.advance(60_000);
    const a = testnet.nodes[3]!;
    const b = testnet.nodes[17]!;
    const result = await settle(clock, a.rendezvous.connect(b.idHex), 15_000);
    expect(result).toMatchObject({ via: 'direct', endpoint: { address: b.address, port: 4801 } });
    expect(b.rendezvous.stats().invitesReceived).toBe(1);
  });
});
