// Scale sanity check: a thousand hosts exchanging a hundred thousand packets run to completion
// within bounded steps, with every packet accounted for. No wall-clock assertion: the bound on
// steps is what turns a runaway simulation into a failure rather than a hang.
import { expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { VirtualNetwork } from '../../../src/sim/virtual-network.js';

it('runs 1 000 hosts exchanging 100 000 packets to completion', () => {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({
    clock,
    rng: seededRng(utf8('throughput')),
    defaultLink: { delayMs: 20, jitterMs: 30, loss: 0.01, duplicate: 0.001, reorder: 0.01 },
  });
  const hostCount = 1000;
  const perHost = 100;
  const hosts = Array.from({ length: hostCount }, (_, i) =>
    network.bind(`10.${(i >> 8) & 0xff}.${i & 0xff}.1`, 7000),
  );
  let received = 0;
  for (const host of hosts) host.onPacket(() => (received += 1));
  hosts.forEach((host, i) => {
    for (let k = 0; k < perHost; k++) {
      // Spread over ten virtual seconds, to peers all over the network, by fixed arithmetic.
      const peer = hosts[(i * 7919 + k * 104_729 + 1) % hostCount];
      if (peer === undefined) throw new Error('unreachable');
      const packet = new Uint8Array(64);
      clock.schedule((i * 13 + k * 101) % 10_000, () => host.send(packet, peer.local));
    }
  });

  clock.runUntilIdle({ maxMs: 60_000, maxSteps: 300_000 });

  const stats = network.stats;
  expect(stats.sent).toBe(hostCount * perHost);
  expect(stats.delivered).toBe(received);
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  expect(dropped).toBe(0);
  expect(stats.delivered + stats.lost).toBe(stats.sent + stats.duplicated);
  expect(clock.pending).toBe(0);
});
