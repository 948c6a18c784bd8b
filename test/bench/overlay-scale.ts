// Overlay routing at scale (issue: overlay): hop count (median, p99), INVITE delivery rate and
// time to deliver at 10 k, 100 k and 1 M simulated nodes, at 0 and 5 % loss with 10 % of the
// nodes offline, and the memory per simulated node. Goal at 1 M: median <= 6 and p99 <= 10 hops,
// delivery >= 99.9 % at 5 % loss. The full node (real crypto and packets) cannot be held in
// memory at these sizes, so this runs the compact model of the routing rules alone,
// src/sim/route-model.ts (docs/overlay-protocol.md "Behaviour" → "Routing").
//
// Staleness (the fraction of offline nodes tables still list) is the model's least known input,
// so two values run: 1, every offline node still listed (as if all had died in the last 30 s,
// the worst case), and 0.25 (nodes offline for 2 minutes on average, listed for the 30 s link
// timeout of it).
//
// Memory: the model's arrays are ArrayBuffers, outside the V8 heap, so --max-old-space-size does
// not bound them and no child process is needed; what bounds them is the machine's memory. A size
// whose estimated need exceeds 80 % of what is available (free RAM, or the cgroup's limit less its
// usage) is skipped with the reason printed.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { utf8 } from '../../src/crypto/bytes.js';
import { seededRng } from '../../src/crypto/random.js';
import { estimateModelBytes, RouteModel, runRoutes } from '../../src/sim/route-model.js';
import { emit } from './harness.js';

const SIZES = [10_000, 100_000, 1_000_000];
const LOSSES = [0, 0.05];
const STALENESS = [1, 0.25];
const OFFLINE = 0.1;
const MESSAGES = 20_000;
const LATENCY_MS = 40;
// Building also holds the unsorted IDs, the sort keys and a shuffle order: about 50 bytes a node.
const BUILD_BYTES_PER_NODE = 50;
const GOAL = { hopsMedian: 6, hopsP99: 10, delivered: 0.999 };

/**
 * Full collections before each memory reading, so garbage does not count as the model's. V8 frees
 * ArrayBuffer memory on a background thread after a collection, so the reading waits a little.
 */
function collector(): () => Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
  return async () => {
    for (let i = 0; i < 2; i++) {
      if (typeof gc === 'function') gc();
      await sleep(50);
    }
  };
}

function cgroupFree(): number {
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (max === 'max') return Infinity;
    return Number(max) - Number(readFileSync('/sys/fs/cgroup/memory.current', 'utf8').trim());
  } catch {
    return Infinity;
  }
}

/** Why `nodes` cannot be built here, or undefined when it can. */
function tooBig(nodes: number): string | undefined {
  const need = estimateModelBytes(nodes) + nodes * BUILD_BYTES_PER_NODE;
  const available = Math.min(freemem(), cgroupFree());
  if (need > 0.8 * available) {
    return `needs about ${mb(need)} MB, only ${mb(available)} MB of memory is available`;
  }
  const heap = getHeapStatistics();
  if (heap.heap_size_limit - heap.used_heap_size < 64 * 2 ** 20) return 'the V8 heap is nearly full';
  return undefined;
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

function usedBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function msSince(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e6);
}

async function scale(nodes: number, stale: number, settle: () => Promise<void>): Promise<void> {
  const name = `overlay.scale.${nodes}n.stale${stale}`;
  const skip = tooBig(nodes);
  if (skip !== undefined) {
    process.stderr.write(`${name}: skipped, ${skip}\n`);
    emit({ bench: name, nodes, skipped: skip });
    return;
  }
  await settle();
  const before = usedBytes();
  const started = process.hrtime.bigint();
  const model = new RouteModel({
    nodes,
    offline: OFFLINE,
    stale,
    rng: seededRng(utf8(`kith scale ${nodes}`)),
  });
  const buildMs = msSince(started);
  await settle();
  const measuredBytesPerNode = Math.round((usedBytes() - before) / nodes);
  for (const loss of LOSSES) {
    const routing = process.hrtime.bigint();
    const result = runRoutes(model, {
      messages: MESSAGES,
      loss,
      latencyMs: LATENCY_MS,
      rng: seededRng(utf8(`kith scale routes ${nodes} ${loss}`)),
    });
    const routeMs = msSince(routing);
    emit({
      bench: `${name}.loss${loss * 100}`,
      ...result,
      measuredBytesPerNode,
      modelBytesPerNode: Math.round(model.bytes / nodes),
      tableBytesPerNode: Math.round(model.tableBytes / nodes),
      buildMs,
      routeMs,
      goal: GOAL,
      meetsGoal:
        result.hops.median <= GOAL.hopsMedian &&
        result.hops.p99 <= GOAL.hopsP99 &&
        (loss > 0.05 || result.deliveredFraction >= GOAL.delivered),
    });
  }
}

export async function run(): Promise<void> {
  const settle = collector();
  for (const nodes of SIZES) for (const stale of STALENESS) await scale(nodes, stale, settle);
}
