// A flood at a node of the overlay while two devices set up a call (DESIGN §3 "Overlay (DRP)" Limits:
// "a global budget for unauthenticated packets, and PoW difficulty that rises under load. Nothing
// unauthenticated makes a node allocate state beyond a bounded table"; docs/overlay-protocol.md
// "Limits"). Real UDP on 127.0.0.1 only: the simulator's entry peer and six devices (whole services,
// in this process), and a separate socket that sends one node a bounded, paced burst of junk,
// truncated overlay packets, HELLOs (the spec's REGISTER) without the work, and HELLOs with the work
// but a bad signature. A baseline call first; then a fresh pair calls while the entry peer both
// joined through is flooded, and another while the callee itself is (in a network this small the
// devices link to each other directly, so the INVITE need not cross the entry; the callee is on
// the path by definition). Every call must connect. Printed: the flood's rate, what the flooded
// node counted, and the set-up times with and without the flood.
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/crypto/bytes.js';
import { generateEd25519 } from '../../src/crypto/ed25519.js';
import { type Rng, seededRng } from '../../src/crypto/random.js';
import type { RunningService } from '../../src/main.js';
import type { Endpoint } from '../../src/net/transport.js';
import type { OverlayDrop } from '../../src/overlay/node.js';
import { solvePow } from '../../src/overlay/pow.js';
import { type Simulator, startSimulator } from '../../src/sim/simulator.js';
import { encodeHello, HELLO_BYTES, OverlayType } from '../../src/wire/overlay.js';
import { tmpDir } from '../helpers/tmp.js';

const FLOOD_PACKETS = 20_000;
const FLOOD_MS = 4_000;
const TICK_MS = 10;
/** The entry asks 14 bits while calm; a flood of ~2,500 HELLOs/s raises that to 20 (50 × 2^6 > 2,500). */
const FLOODER_DIFFICULTY = 20;
const CALL_BOUND_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const idOf = (s: RunningService) => toHex(s.store.identity.ed25519.publicKey);

/** Calls, waits for the callee to ring, answers, waits for both to be in the call; times each step. */
async function setUpCall(caller: RunningService, callee: RunningService) {
  const start = performance.now();
  caller.calls.call(idOf(callee));
  await until('the callee to ring', () => callee.calls.live().state === 'ringing', CALL_BOUND_MS);
  const ringingMs = performance.now() - start;
  callee.calls.answer();
  await until(
    'both in the call',
    () => caller.calls.live().state === 'active' && callee.calls.live().state === 'active',
    CALL_BOUND_MS,
  );
  const path = caller.overlay.status().recentSetups.at(-1);
  return {
    ringingMs: Math.round(ringingMs),
    activeMs: Math.round(performance.now() - start),
    path: path ? { via: path.via, ms: path.ms } : null,
  };
}

async function hangUp(caller: RunningService, callee: RunningService): Promise<void> {
  caller.calls.hangup();
  await until(
    'both idle',
    () => caller.calls.live().state === 'idle' && callee.calls.live().state === 'idle',
    CALL_BOUND_MS,
  );
}

type Kind = 'junk' | 'truncated' | 'linked-unknown' | 'hello-no-work' | 'hello-bad-signature';

/** One HELLO identity's work, done once: the spec lets one solution serve every HELLO in its window. */
interface Work {
  id: Uint8Array;
  timestamp: number;
  nonce: Uint8Array;
}

function hello(rng: Rng, id: Uint8Array, timestamp: number, nonce: Uint8Array, difficulty: number) {
  const fields = {
    senderId: id,
    ephemeral: rng(32),
    timestamp,
    powNonce: nonce,
    difficulty,
    flags: 0,
    linkIndex: 1 + ((rng(1)[0] as number) << 16),
  };
  return encodeHello(fields, rng(64));
}

/** The flood's packets, in a fixed proportion, from seeded dice. */
function floodPacket(rng: Rng, n: number, work: Work): { kind: Kind; packet: Uint8Array } {
  const roll = n % 20;
  if (roll < 6) {
    // Random bytes of random length: any type byte, overlay lane, channel lane or neither.
    const length = 1 + (((rng(2)[0] as number) << 3) % 1200);
    return { kind: 'junk', packet: rng(length) };
  }
  if (roll < 8) {
    // A HELLO cut short.
    const full = hello(rng, rng(32), Date.now(), rng(8), 14);
    return { kind: 'truncated', packet: full.subarray(0, 1 + ((rng(1)[0] as number) % (HELLO_BYTES - 1))) };
  }
  if (roll < 10) {
    // A linked packet's shape (PING..BYE) for a link index that does not exist.
    const packet = rng(26 + ((rng(1)[0] as number) % 100));
    packet[0] = OverlayType.ping + ((packet[0] as number) % 10);
    packet[1] = 1;
    return { kind: 'linked-unknown', packet };
  }
  if (roll < 15) {
    // A random ID, current timestamp, a claim of 14-20 bits and no work behind it.
    const difficulty = 14 + ((rng(1)[0] as number) % 7);
    return { kind: 'hello-no-work', packet: hello(rng, rng(32), Date.now(), rng(8), difficulty) };
  }
  return {
    kind: 'hello-bad-signature',
    packet: hello(rng, work.id, work.timestamp, work.nonce, FLOODER_DIFFICULTY),
  };
}

interface FloodResult {
  sent: number;
  sendErrors: number;
  ms: number;
  byKind: Record<Kind, number>;
  overlayLane: number;
}

/** Sends FLOOD_PACKETS to `target` over FLOOD_MS, paced in ticks; bounded by the packet count. */
async function flood(target: Endpoint, work: Work): Promise<FloodResult> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const rng = seededRng(utf8('overlay flood'));
  const byKind: Record<Kind, number> = {
    junk: 0,
    truncated: 0,
    'linked-unknown': 0,
    'hello-no-work': 0,
    'hello-bad-signature': 0,
  };
  let sent = 0;
  let sendErrors = 0;
  let overlayLane = 0;
  const ticks = FLOOD_MS / TICK_MS;
  const perTick = Math.ceil(FLOOD_PACKETS / ticks);
  const start = performance.now();
  let n = 0;
  for (let tick = 0; tick < ticks && n < FLOOD_PACKETS; tick++) {
    for (let i = 0; i < perTick && n < FLOOD_PACKETS; i++, n++) {
      const { kind, packet } = floodPacket(rng, n, work);
      byKind[kind] += 1;
      const type = packet[0] as number;
      if (type >= 0x01 && type <= 0x1f) overlayLane += 1;
      socket.send(packet, target.port, target.address, (err) => {
        if (err) sendErrors += 1;
        else sent += 1;
      });
    }
    const due = start + (tick + 1) * TICK_MS;
    await sleep(Math.max(0, due - performance.now()));
  }
  await sleep(50); // the last send callbacks
  const ms = performance.now() - start;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return { sent, sendErrors, ms, byKind, overlayLane };
}

function delta(
  after: Partial<Record<OverlayDrop, number>>,
  before: Partial<Record<OverlayDrop, number>>,
): Partial<Record<OverlayDrop, number>> {
  const out: Partial<Record<OverlayDrop, number>> = {};
  for (const [reason, count] of Object.entries(after) as [OverlayDrop, number][]) {
    const d = count - (before[reason] ?? 0);
    if (d !== 0) out[reason] = d;
  }
  return out;
}

/** A neighbour of the flooded node, by short ID: nothing else may be linked to it. */
function neighbours(service: RunningService): string[] {
  return service.overlay.peers().map((p) => p.id);
}

describe('a flood at a node of the overlay while two devices set up a call', () => {
  let sim: Simulator;
  let work: Work;
  let baseline: Awaited<ReturnType<typeof setUpCall>>;
  let legitimate: Set<string>;

  beforeAll(async () => {
    // The flooder's one piece of work, done before anything runs (2^20 hashes, about a second).
    const rng = seededRng(utf8('flooder'));
    const id = generateEd25519(rng).publicKey;
    const timestamp = Date.now();
    const nonce = solvePow(timestamp, id, FLOODER_DIFFICULTY, rng);
    if (!nonce) throw new Error('no PoW for the flooder');
    work = { id, timestamp, nonce };
    // Six devices: a pair for the baseline and a fresh pair for each flood, so every call is the
    // pair's first and must find its path by INVITE (no channel is open yet).
    sim = await startSimulator({ devices: 6, port: 0, root: tmpDir() });
    legitimate = new Set([sim.entry, ...sim.devices.map((d) => d.service)].map(idOf));
    expect(sim.devices.every((d) => d.service.overlay.node.joined)).toBe(true);
    const [ada, bo] = sim.devices.map((d) => d.service) as [RunningService, RunningService];
    baseline = await setUpCall(ada, bo);
    await hangUp(ada, bo);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  /** Floods `target` while `caller` calls `callee`; checks what the target counted and kept. */
  async function floodedCall(
    name: string,
    target: RunningService,
    caller: RunningService,
    callee: RunningService,
  ) {
    const overlay = target.overlay;
    const before = overlay.status();
    let peakDifficulty = before.minDifficulty;
    const sampler = setInterval(() => {
      peakDifficulty = Math.max(peakDifficulty, overlay.node.minDifficulty());
    }, 50);
    const flooding = flood(target.udp, work);
    try {
      await sleep(500); // the flood is at full rate before the call starts
      const flooded = await setUpCall(caller, callee);
      const result = await flooding;
      await sleep(200); // the last packets are read
      const after = overlay.status();
      await hangUp(caller, callee);

      const drops = delta(after.drops, before.drops);
      const counted = Object.values(drops).reduce((a, b) => a + (b ?? 0), 0);
      console.log(
        JSON.stringify({
          overlayFlood: {
            target: name,
            flood: {
              sent: result.sent,
              sendErrors: result.sendErrors,
              seconds: +(result.ms / 1000).toFixed(2),
              packetsPerSecond: Math.round(result.sent / (result.ms / 1000)),
              byKind: result.byKind,
              overlayLane: result.overlayLane,
            },
            counted: {
              droppedByReason: drops,
              total: counted,
              ofOverlayLane: +(counted / result.overlayLane).toFixed(3),
              minDifficulty: {
                before: before.minDifficulty,
                peak: peakDifficulty,
                after: after.minDifficulty,
              },
              tables: after.tables,
              links: { before: before.links, after: after.links },
              routesForwarded: after.routes.forwarded - before.routes.forwarded,
            },
            callMs: { baseline, flooded },
            // ROUTEs delivered to the callee so far, by hops taken (index = hops).
            calleeRouteHops: callee.overlay.status().routes.hops,
          },
        }),
      );

      // The flood happened, and the target saw it as one: each kind counted under its reason.
      expect(result.sent).toBeGreaterThan(0.9 * FLOOD_PACKETS);
      expect(counted).toBeGreaterThan(0.5 * result.overlayLane);
      expect(drops['bad-length']).toBeGreaterThan(0);
      expect(drops['unknown-link']).toBeGreaterThan(0);
      expect((drops['bad-pow'] ?? 0) + (drops['low-difficulty'] ?? 0)).toBeGreaterThan(0);
      // The HELLOs with work reached the signature check, which kept to its budget per second.
      const signatureChecks = drops['bad-signature'] ?? 0;
      expect(signatureChecks + (drops['hello-budget'] ?? 0)).toBeGreaterThan(0);
      expect(signatureChecks).toBeLessThanOrEqual(
        overlay.node.limits.helloVerifyBudget * Math.ceil(result.ms / 1000 + 1),
      );
      expect(peakDifficulty).toBeGreaterThan(before.minDifficulty);
      // Nothing unauthenticated got a link or grew a table past its bound.
      for (const id of neighbours(target)) expect(legitimate.has(id), `neighbour ${id}`).toBe(true);
      expect(overlay.node.linkById(toHex(work.id))).toBeUndefined();
      const { limits } = overlay.node;
      expect(after.links).toBeLessThanOrEqual(limits.maxLinks);
      expect(after.tables.helloReplay).toBeLessThanOrEqual(limits.helloReplayEntries);
      expect(after.tables.seenMessages).toBeLessThanOrEqual(limits.seenMessages);
      expect(after.tables.requestLimiter).toBeLessThanOrEqual(limits.maxLinks);
      expect(after.tables.pendingHellos).toBeLessThanOrEqual(limits.maxLinks);
      // And the call connected in time (setUpCall throws past CALL_BOUND_MS).
      expect(flooded.activeMs).toBeLessThan(CALL_BOUND_MS);
    } finally {
      clearInterval(sampler);
      await flooding.catch(() => {});
    }
  }

  it('at the entry peer both joined through: the call connects, the entry counts the flood within its bounds', async () => {
    const [, , cy, di] = sim.devices.map((d) => d.service) as RunningService[];
    await floodedCall('entry', sim.entry, cy as RunningService, di as RunningService);
  });

  it('at the callee itself: the call still connects, and the callee counts the flood within its bounds', async () => {
    const [, , , , ed, flo] = sim.devices.map((d) => d.service) as RunningService[];
    await floodedCall('callee', flo as RunningService, ed as RunningService, flo as RunningService);
  });
});
