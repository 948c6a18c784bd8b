// The scale test: 2,000 overlay nodes with real crypto on a lossy virtual network, 10 %
// of them leaving (and as many joining) while random online pairs INVITE each other.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/sim/overlay-scenario.js';

describe('the overlay at scale, in virtual time', () => {
  it('delivers >= 99.9 % of INVITEs among 2,000 nodes at 5 % loss with 10 % churn, within every table bound', async () => {
    const result = await runScenario({
      nodes: 2000,
      seed: 'overlay-2000',
      loss: 0.05,
      churn: 0.1,
      invites: 1000,
      joinMs: 100_000,
      runMs: 120_000,
    });
    console.log(
      `2000 nodes: ${result.invitesDelivered}/${result.invitesSent} INVITEs delivered, ` +
        `hops median ${result.hops.median} p99 ${result.hops.p99} max ${result.hops.max}, ` +
        `connects ${JSON.stringify(result.connects)}, set-up median ${Math.round(result.setupMs.median)} ms ` +
        `p99 ${Math.round(result.setupMs.p99)} ms, churn ${JSON.stringify(result.churn)}, ` +
        `${result.packets} packets, ${result.wallMs} ms wall, ${result.heapBytesPerNode} heap bytes/node`,
    );
    expect(result.churn.left).toBe(200);
    expect(result.churn.joined).toBe(200);
    expect(result.invitesSent).toBeGreaterThanOrEqual(990);
    expect(result.deliveryRate).toBeGreaterThanOrEqual(0.999);
    expect(result.hops.max).toBeLessThanOrEqual(32);
    expect(result.hops.median).toBeGreaterThanOrEqual(1);
    for (const [name, { max, bound }] of Object.entries(result.bounds)) {
      expect(max, name).toBeLessThanOrEqual(bound);
    }
  }, 900_000);
});
