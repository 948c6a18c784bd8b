// The overlay's scale scenario (issue 6: "2,000 nodes, 5 % loss, 10 % churn during the run"): a
// testnet of real OverlayNodes on a lossy virtual network joins, then runs while a fraction of
// its nodes leaves (half with a goodbye, half by vanishing) and as many new ones join, and random
// pairs of online nodes INVITE each other. It reports what the test asserts and the bench prints:
// INVITE delivery, connection outcomes and set-up times, hop counts, and table sizes against
// their bounds. Everything random comes from the seed, so a failure replays exactly.
import { utf8 } from '../crypto/bytes.js';
import { seededRng } from '../crypto/random.js';
import type { OverlayTimers } from '../overlay/timers.js';
import { type Summary, summarise } from './route-model.js';
import { type SimNode, Testnet } from './testnet.js';
import { VirtualClock } from './virtual-clock.js';
import { VirtualNetwork } from './virtual-network.js';

export interface ScenarioOptions {
  nodes: number;
  seed: string;
  entries?: number;
  loss?: number;
  delayMs?: number;
  jitterMs?: number;
  /** Fraction of the nodes that leave during the run (and as many new ones that join). */
  churn?: number;
  invites: number;
  /** Virtual time over which the nodes join, then over which the run (churn, INVITEs) goes. */
  joinMs: number;
  runMs: number;
  difficulty?: number;
  timers?: Partial<OverlayTimers>;
  /** Called between chunks of virtual time (progress for long runs). */
  progress?: (message: string) => void;
}

export interface ScenarioResult {
  nodes: number;
  invitesSent: number;
  invitesDelivered: number;
  deliveryRate: number;
  connects: { ok: number; failed: number; direct: number; relay: number; reasons: Record<string, number> };
  setupMs: Summary;
  hops: Summary & { histogram: number[] };
  churn: { left: number; joined: number };
  /** The largest value of each bounded table over every node at the end, and its bound. */
  bounds: Record<string, { max: number; bound: number }>;
  /** Drops by reason, summed over the nodes still up at the end. */
  drops: Record<string, number>;
  packets: number;
  wallMs: number;
  heapBytesPerNode: number;
}

/**
 * The timers a large simulation runs with: the same protocol, but keepalives every 15 s instead
 * of 5 s (the 5 s serves NAT mappings, which this public-address scenario has none of) and a
 * 3 s maintenance tick, so 2,000 nodes fit in a test's time. Dead links then take 60 s to notice,
 * which makes churn harder on routing, not easier.
 */
export const LARGE_SIM_TIMERS: Partial<OverlayTimers> = {
  tickMs: 3_000,
  pingIntervalMs: 15_000,
  linkTimeoutMs: 60_000,
};

const CHUNK_MS = 250;
/** A node is not chosen for an INVITE while it leaves within this long (it could not answer). */
const LEAVE_MARGIN_MS = 20_000;

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const heapBefore = process.memoryUsage().heapUsed;
  const clock = new VirtualClock();
  const net = new VirtualNetwork({
    clock,
    rng: seededRng(utf8(`${o.seed}/net`)),
    defaultLink: { delayMs: o.delayMs ?? 20, jitterMs: o.jitterMs ?? 10, loss: o.loss ?? 0.05 },
  });
  const dice = seededRng(utf8(`${o.seed}/scenario`));
  const uniform = () => new DataView(dice(4).buffer).getUint32(0) / 2 ** 32;
  const pick = <T>(list: T[]): T => list[Math.floor(uniform() * list.length)] as T;
  const delivered = new Map<string, number>();
  const testnet = new Testnet({
    clock,
    net,
    rng: seededRng(utf8(`${o.seed}/nodes`)),
    difficulty: o.difficulty ?? 8,
    timers: { ...LARGE_SIM_TIMERS, ...o.timers },
    onInvited: (callee, caller) => {
      const key = `${callee}|${caller}`;
      delivered.set(key, (delivered.get(key) ?? 0) + 1);
    },
  });
  let addressCount = 0;
  const nextAddress = () => {
    const i = addressCount++;
    return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  };
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += CHUNK_MS) {
      clock.advance(Math.min(CHUNK_MS, ms - t), { maxSteps: 50_000_000 });
      // Promise callbacks (connect results) run between chunks, as they would between packets.
      await new Promise((r) => setImmediate(r));
    }
  };

  for (let i = 0; i < (o.entries ?? 2); i++) testnet.addEntry(`203.0.113.${i + 1}`);
  for (let i = 0; i < o.nodes; i++) {
    testnet.addNode(nextAddress());
    await run(o.joinMs / o.nodes);
  }
  o.progress?.(`joined ${o.nodes} nodes in ${Math.round(performance.now() - started)} ms`);

  // The run: leaves, joins and INVITEs at random times, in time order.
  type Event = { at: number; kind: 'leave' | 'join' | 'invite'; graceful?: boolean; node?: SimNode };
  const events: Event[] = [];
  const leaving = new Map<SimNode, number>();
  const churnCount = Math.round((o.churn ?? 0.1) * o.nodes);
  const pool = [...testnet.nodes];
  for (let i = 0; i < churnCount; i++) {
    const node = pool.splice(Math.floor(uniform() * pool.length), 1)[0] as SimNode;
    const at = uniform() * o.runMs;
    leaving.set(node, at);
    events.push({ at, kind: 'leave', graceful: i % 2 === 0, node });
    events.push({ at: uniform() * o.runMs, kind: 'join' });
  }
  for (let i = 0; i < o.invites; i++) events.push({ at: uniform() * o.runMs, kind: 'invite' });
  events.sort((a, b) => a.at - b.at);

  const start = clock.now();
  const sent = new Map<string, number>();
  const connects: ScenarioResult['connects'] = { ok: 0, failed: 0, direct: 0, relay: 0, reasons: {} };
  const setups: number[] = [];
  let invitesSent = 0;
  let left = 0;
  let joined = 0;
  for (const event of events) {
    const wait = start + event.at - clock.now();
    if (wait > 0) await run(wait);
    if (event.kind === 'leave' && event.node) {
      testnet.remove(event.node, event.graceful === true);
      left += 1;
    } else if (event.kind === 'join') {
      testnet.addNode(nextAddress());
      joined += 1;
    } else {
      const now = clock.now() - start;
      const candidates = testnet.nodes.filter(
        (n) => n.node.joined && (leaving.get(n) ?? Infinity) > now + LEAVE_MARGIN_MS,
      );
      if (candidates.length < 2) continue;
      const caller = pick(candidates);
      let callee = pick(candidates);
      while (callee === caller) callee = pick(candidates);
      const key = `${callee.idHex}|${caller.idHex}`;
      sent.set(key, (sent.get(key) ?? 0) + 1);
      invitesSent += 1;
      caller.rendezvous.connect(callee.idHex).then(
        (r) => {
          connects.ok += 1;
          connects[r.via] += 1;
          setups.push(r.setupMs);
        },
        (err: unknown) => {
          connects.failed += 1;
          const code = (err as { code?: string }).code ?? 'error';
          connects.reasons[code] = (connects.reasons[code] ?? 0) + 1;
        },
      );
    }
  }
  // Long enough for the last INVITE's retransmissions and connect timeout.
  await run(15_000);
  o.progress?.(
    `ran ${o.runMs} ms with ${invitesSent} INVITEs in ${Math.round(performance.now() - started)} ms`,
  );

  let invitesDelivered = 0;
  for (const [key, n] of sent) invitesDelivered += Math.min(n, delivered.get(key) ?? 0);
  const histogram: number[] = [];
  const drops: Record<string, number> = {};
  const bounds: ScenarioResult['bounds'] = {};
  const bound = (name: string, value: number, limit: number) => {
    const b = (bounds[name] ??= { max: 0, bound: limit });
    b.max = Math.max(b.max, value);
  };
  for (const sim of [...testnet.nodes, ...testnet.entries]) {
    const s = sim.node.stats();
    const { limits } = sim.node;
    s.routes.hops.forEach((n, hops) => (histogram[hops] = (histogram[hops] ?? 0) + n));
    for (const [reason, n] of Object.entries(s.drops)) drops[reason] = (drops[reason] ?? 0) + (n ?? 0);
    bound('links', s.links, limits.maxLinks);
    bound('table', s.tableSize, limits.maxLinks);
    bound('helloReplay', s.tables.helloReplay, limits.helloReplayEntries);
    bound('seenMessages', s.tables.seenMessages, limits.seenMessages);
    bound('pendingRoutes', s.routes.pending, limits.pendingRoutes);
    bound('requestLimiter', s.tables.requestLimiter, limits.maxLinks);
    bound('relayPairs', sim.relay.stats().pairs, limits.relayPairs);
    bound('exchanges', sim.rendezvous.stats().exchanges, 64);
  }
  const allHops = histogram.flatMap((n, hops) => Array<number>(n ?? 0).fill(hops));
  const result: ScenarioResult = {
    nodes: o.nodes,
    invitesSent,
    invitesDelivered,
    deliveryRate: invitesSent === 0 ? 0 : invitesDelivered / invitesSent,
    connects,
    setupMs: summarise(setups),
    hops: { ...summarise(allHops), histogram: Array.from(histogram, (n) => n ?? 0) },
    churn: { left, joined },
    bounds,
    drops,
    packets: net.stats.sent,
    wallMs: Math.round(performance.now() - started),
    heapBytesPerNode: Math.round(
      (process.memoryUsage().heapUsed - heapBefore) / (testnet.nodes.length + testnet.entries.length),
    ),
  };
  for (const sim of [...testnet.nodes, ...testnet.entries]) sim.node.close();
  return result;
}
