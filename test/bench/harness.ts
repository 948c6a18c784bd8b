// A tiny benchmark harness shared by every bench module: time a function, print one JSON line per
// result so runs can be collected and compared by machine.

export interface MeasureOptions {
  /** Timed phase runs at least this long (after warm-up), unless maxIterations stops it first. */
  minMs?: number;
  maxIterations?: number;
}

export interface Measurement {
  opsPerSec: number;
  iterations: number;
}

// Reading the clock costs ~50 ns, as much as the cheapest operations measured here, so the clock is
// read once per batch sized to take about this long.
const BATCH_NS = 1_000_000n;

function elapsedSince(start: bigint): bigint {
  return process.hrtime.bigint() - start;
}

/** Runs fn in batches until `ns` nanoseconds or `maxIterations` calls; returns calls made and time taken. */
function runFor(
  fn: () => void,
  ns: bigint,
  maxIterations: number,
  batch: number,
): { iterations: number; ns: bigint } {
  const start = process.hrtime.bigint();
  let iterations = 0;
  let spent = 0n;
  while (spent < ns && iterations < maxIterations) {
    const count = Math.min(batch, maxIterations - iterations);
    for (let i = 0; i < count; i++) fn();
    iterations += count;
    spent = elapsedSince(start);
  }
  return { iterations, ns: spent };
}

export function measure(fn: () => void, opts: MeasureOptions = {}): Measurement {
  const minNs = BigInt(Math.round((opts.minMs ?? 300) * 1e6));
  const maxIterations = opts.maxIterations ?? 10_000_000;
  // Warm-up lets the JIT optimise fn (and its callees) before timing, and sizes the batches.
  const warm = runFor(fn, minNs / 4n, Math.max(1, Math.floor(maxIterations / 4)), 1);
  const perCallNs = warm.ns / BigInt(warm.iterations) || 1n;
  const batch = Math.max(1, Number(BATCH_NS / perCallNs));
  const timed = runFor(fn, minNs, maxIterations, batch);
  return {
    opsPerSec: Math.round(timed.iterations / (Number(timed.ns) / 1e9)),
    iterations: timed.iterations,
  };
}

/** Prints one record as a single JSON line on stdout. */
export function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}
