// The adaptive jitter buffer: first by hand (start, order, duplicates, late frames, growing by
// waiting, shrinking by quiet frames first, the cap, stop and restart, wrap), then on a virtual
// network carrying real voice packets from a paced sender (call-sim.ts): a clean path, a jitter
// step, ten minutes of random jitter with loss, and redundancy against random loss.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { uniformSource } from '../../../src/sim/uniform.js';
import {
  JITTER_DEFAULTS,
  JitterBuffer,
  type JitterBufferOptions,
  type JitterStats,
  type Playout,
} from '../../../src/voice/jitter-buffer.js';
import { type CallResult, FRAME_MS, type PopRecord, simulateCall } from './call-sim.js';

interface Arrival {
  seq: number;
  atMs: number;
  quiet?: boolean;
}

interface Output {
  atMs: number;
  playout: Playout;
  stats: JitterStats;
}

/**
 * Runs pushes and pops in time order (a push before a pop at the same time): `arrivals` as given,
 * pops every 20 ms from `firstPopMs` while t < `untilMs`.
 */
function drive(buffer: JitterBuffer, arrivals: Arrival[], firstPopMs: number, untilMs: number): Output[] {
  const pending = [...arrivals].sort((a, b) => a.atMs - b.atMs);
  const out: Output[] = [];
  let next = 0;
  for (let t = firstPopMs; t < untilMs; t += FRAME_MS) {
    for (; next < pending.length && (pending[next] as Arrival).atMs <= t; next++) {
      const a = pending[next] as Arrival;
      buffer.push(
        { seq: a.seq & 0xffff, payload: Uint8Array.of(a.seq & 0xff), quiet: a.quiet ?? false },
        a.atMs,
      );
    }
    out.push({ atMs: t, playout: buffer.pop(t), stats: buffer.stats });
  }
  return out;
}

/** Frames first..first+count-1 sent every 20 ms from time 0, each arriving `transitMs` later. */
function steady(
  first: number,
  count: number,
  transitMs: number,
  quiet?: (seq: number) => boolean,
): Arrival[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: first + i,
    atMs: i * FRAME_MS + transitMs,
    quiet: quiet?.(first + i) ?? false,
  }));
}

const kinds = (outs: Output[]) =>
  outs.map((o) => (o.playout.kind === 'silence' ? '-' : `${o.playout.kind[0]}${o.playout.seq}`));
const playedSeqs = (outs: Output[]) =>
  outs.flatMap((o) => (o.playout.kind === 'frame' ? [o.playout.seq] : []));

describe('jitter buffer, driven by hand', () => {
  it('is silent before the first frame and until the initial delay has built up, then plays in order', () => {
    const buffer = new JitterBuffer();
    expect(buffer.pop(0)).toEqual({ kind: 'silence' });
    // Transit 10 ms; pops at 5, 25, 45, ...: D = t - 10 for frame 0, which reaches 40 at t = 65.
    const outs = drive(buffer, steady(0, 10, 10), 5, 245);
    expect(kinds(outs)).toEqual(['-', '-', '-', 'f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8']);
    expect(outs[3]?.stats.currentDelayMs).toBe(55);
    expect(buffer.stats).toMatchObject({
      received: 10,
      played: 9,
      concealed: 0,
      buffered: 1,
      targetDelayMs: 40,
    });
  });

  it('counts duplicates (a redundant copy of a frame here, a repeat of one played) and plays each frame once', () => {
    const buffer = new JitterBuffer();
    const arrivals = [
      ...steady(0, 10, 10),
      { seq: 3, atMs: 70 },
      { seq: 3, atMs: 71 },
      { seq: 1, atMs: 200 },
    ];
    const outs = drive(buffer, arrivals, 5, 245);
    expect(playedSeqs(outs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(buffer.stats).toMatchObject({ received: 13, duplicates: 3, late: 0, lost: 0, concealed: 0 });
  });

  it('conceals a frame missing at its time, counts it late when it comes, and never plays it', () => {
    const buffer = new JitterBuffer();
    const arrivals = steady(0, 10, 10).filter((a) => a.seq !== 4);
    arrivals.push({ seq: 4, atMs: 200 }, { seq: 4, atMs: 201 });
    const outs = drive(buffer, arrivals, 5, 245);
    // Frame 5 is already here when slot 4 comes due, so frame 4 is lost (not waited for).
    expect(kinds(outs).slice(3)).toEqual(['f0', 'f1', 'f2', 'f3', 'c4', 'f5', 'f6', 'f7', 'f8']);
    const atConceal = outs[7]?.stats;
    expect(atConceal).toMatchObject({ concealed: 1, inserted: 0, lost: 1, late: 0, lossBursts: 1 });
    // Arrived late: off the lost count, onto the late one; its second copy is a duplicate.
    expect(buffer.stats).toMatchObject({ concealed: 1, lost: 0, late: 1, duplicates: 1 });
  });

  it('waits for a missing frame when the buffer runs dry and the target allows, growing the delay', () => {
    const buffer = new JitterBuffer({ minDelayMs: 100, initialDelayMs: 40 });
    // Frames 0-2 on time, then the path stalls: 3 and the frames after it bunch up behind it at 170 ms.
    const arrivals = steady(0, 20, 10).map((a) => (a.seq >= 3 ? { ...a, atMs: Math.max(a.atMs, 170) } : a));
    const outs = drive(buffer, arrivals, 5, 525);
    expect(kinds(outs).slice(3, 12)).toEqual(['f0', 'f1', 'f2', 'c3', 'c3', 'c3', 'f3', 'f4', 'f5']);
    expect(buffer.stats).toMatchObject({ concealed: 3, inserted: 3, lost: 0, late: 0 });
    // Waiting put every later frame 60 ms later: the delay grew from 55 to 115.
    expect(outs[3]?.stats.currentDelayMs).toBe(55);
    expect(outs.at(-1)?.stats.currentDelayMs).toBe(115);
    expect(playedSeqs(outs)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('shrinks an excess delay by dropping quiet frames first, and loud ones only at the slow rate', () => {
    const quiet = (seq: number) => seq >= 20 && seq < 30;
    const buffer = new JitterBuffer({ initialDelayMs: 160 });
    const outs = drive(buffer, steady(0, 400, 10, quiet), 5, 8005);
    const played = playedSeqs(outs);
    expect(played).toEqual([...played].sort((a, b) => a - b));
    const droppedSeqs = Array.from({ length: played.at(-1) as number }, (_, i) => i).filter(
      (s) => !played.includes(s),
    );
    const drops = outs.filter((o, i) => i > 0 && o.stats.dropped > (outs[i - 1] as Output).stats.dropped);
    const dropTimes = drops.map((o) => o.atMs);
    // Quiet frames go first, at most one per 100 ms; loud ones wait for 1 s of excess, 1 s apart.
    expect(droppedSeqs.slice(0, 2)).toEqual([20, 26]);
    expect(droppedSeqs.slice(2).every((s) => !quiet(s))).toBe(true);
    expect(dropTimes[1]! - dropTimes[0]!).toBeGreaterThanOrEqual(JITTER_DEFAULTS.quietDropIntervalMs);
    for (let i = 2; i < dropTimes.length; i++) {
      expect(dropTimes[i]! - dropTimes[i - 1]!).toBeGreaterThanOrEqual(JITTER_DEFAULTS.loudDropIntervalMs);
    }
    // From 175 ms down into [T, T + 20) = [40, 60), a frame at a time, and no further.
    expect(outs[9]?.stats.currentDelayMs).toBe(175);
    expect(buffer.stats.dropped).toBe(6);
    expect(outs.at(-1)?.stats.currentDelayMs).toBe(55);
  });

  it('holds at most capacityFrames frames, counting the rest as overflow', () => {
    const buffer = new JitterBuffer();
    const capacity = 2 * Math.ceil(JITTER_DEFAULTS.maxDelayMs / JITTER_DEFAULTS.frameMs);
    const push = (seq: number, atMs: number) => buffer.push({ seq, payload: Uint8Array.of(1) }, atMs);
    push(100, 0);
    push(100 + capacity, 0);
    push(100 - capacity, 0);
    expect(buffer.stats).toMatchObject({ buffered: 1, overflow: 2 });
    for (let s = 101; s < 100 + capacity + 5; s++) push(s, 0);
    expect(buffer.stats).toMatchObject({ buffered: capacity, overflow: 7 });
    // Playing, the span counts from the next slot: what was played makes room, nothing more.
    expect(buffer.pop(100).kind).toBe('frame');
    const room = capacity - buffer.stats.buffered;
    for (let s = 100 + capacity; s < 100 + capacity + 10; s++) push(s, 100);
    expect(buffer.stats).toMatchObject({ buffered: capacity, overflow: 7 + 10 - room });
  });

  it('conceals for stopAfterMs after the last frame, then is silent until a new stream builds up', () => {
    const buffer = new JitterBuffer();
    const arrivals = [
      ...steady(0, 10, 10),
      ...steady(500, 10, 10).map((a) => ({ ...a, atMs: a.atMs + 3000 })),
    ];
    const outs = drive(buffer, arrivals, 5, 3145);
    const k = kinds(outs);
    // Frames 0-9, then concealment until 1 s after the last arrival (190 ms), then silence.
    expect(k.slice(3, 13)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9']);
    const lastConceal = outs.findLastIndex((o) => o.playout.kind === 'conceal');
    expect(outs[lastConceal]?.atMs).toBeLessThan(190 + 1000);
    expect(outs[lastConceal + 1]?.atMs).toBeGreaterThanOrEqual(190 + 1000);
    expect(k.slice(lastConceal + 1, lastConceal + 5)).toEqual(['-', '-', '-', '-']);
    // The new stream starts from its own first frame after its own initial delay.
    expect(k.slice(-7)).toEqual(['-', '-', '-', 'f500', 'f501', 'f502', 'f503']);
    expect(outs.at(-1)?.stats.currentDelayMs).toBe(55);
  });

  it('takes a frame from far behind after a stop as a new stream (the sender started over)', () => {
    const buffer = new JitterBuffer();
    const arrivals = [
      ...steady(20_000, 5, 10),
      ...steady(7, 5, 10).map((a) => ({ ...a, atMs: a.atMs + 2000 })),
    ];
    const outs = drive(buffer, arrivals, 5, 2145);
    expect(playedSeqs(outs)).toEqual([20_000, 20_001, 20_002, 20_003, 20_004, 7, 8, 9, 10]);
  });

  it('plays across the sequence number wrap in order', () => {
    const buffer = new JitterBuffer();
    const outs = drive(buffer, steady(65_530, 20, 10), 5, 405);
    expect(playedSeqs(outs)).toEqual([
      65_530, 65_531, 65_532, 65_533, 65_534, 65_535, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(buffer.stats.concealed).toBe(0);
  });

  it('refuses options out of range and frames no decoder gives', () => {
    const bad: JitterBufferOptions[] = [
      { frameMs: 0 },
      { minDelayMs: -1 },
      { minDelayMs: 100, maxDelayMs: 50 },
      { initialDelayMs: 300 },
      { windowMs: 10 },
      { percentile: 0 },
      { percentile: 1.5 },
      { quietDropIntervalMs: Number.NaN },
      { loudDropIntervalMs: -5 },
      { capacityFrames: 10 },
      { capacityFrames: 20.5 },
      { stopAfterMs: 0 },
    ];
    for (const options of bad) {
      expect(() => new JitterBuffer(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'VOICE_BAD_OPTION' }),
      );
    }
    const buffer = new JitterBuffer();
    for (const seq of [-1, 65_536, 1.5]) {
      expect(() => buffer.push({ seq, payload: Uint8Array.of(1) }, 0)).toThrow(
        expect.objectContaining({ code: 'VOICE_BAD_FRAME' }),
      );
    }
    expect(() => buffer.push({ seq: 1, payload: Uint8Array.of(1) }, Number.NaN)).toThrow(
      expect.objectContaining({ code: 'VOICE_BAD_FRAME' }),
    );
    expect(() => buffer.pop(Number.POSITIVE_INFINITY)).toThrow(
      expect.objectContaining({ code: 'VOICE_BAD_FRAME' }),
    );
  });
});

/** Stats at the last pop that played a frame: the call proper, before the tail the end leaves. */
function atLastFrame(result: CallResult): PopRecord {
  return result.pops.findLast((p) => p.playout.kind === 'frame') as PopRecord;
}

/** Slots concealed because their frame was missing, during the call proper. */
function missedSlots(stats: JitterStats): number {
  return stats.concealed - stats.inserted;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const delaysBetween = (result: CallResult, fromMs: number, toMs: number) =>
  result.pops
    .filter((p) => p.atMs >= fromMs && p.atMs < toMs && p.playout.kind !== 'silence')
    .map((p) => p.stats.currentDelayMs);

describe('jitter buffer on a virtual network', () => {
  it('plays every frame exactly once, in order, at the minimum delay, on a path without jitter or loss', () => {
    const result = simulateCall({
      seed: 'clean',
      durationMs: 60_000,
      redundancy: 0,
      phases: [{ fromMs: 0, link: { delayMs: 30 } }],
    });
    expect(result.playedFrames).toEqual(Array.from({ length: result.framesSent }, (_, i) => i));
    const last = atLastFrame(result).stats;
    expect(last).toMatchObject({ concealed: 0, dropped: 0, duplicates: 0, late: 0, lost: 0 });
    // D settles in [minDelay, minDelay + one frame): the playout clock's phase decides where.
    const delays = delaysBetween(result, 0, 60_000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(JITTER_DEFAULTS.minDelayMs);
    expect(Math.max(...delays)).toBeLessThan(JITTER_DEFAULTS.minDelayMs + FRAME_MS);
    expect(last.targetDelayMs).toBe(JITTER_DEFAULTS.minDelayMs);
  });

  it.each([
    [60, 0.005],
    [150, 0.01],
  ])(
    'follows a jitter step of 5 -> %i -> 5 ms up, and back to within 10 ms of its old delay within 15 s',
    (jitterMs, lateShare) => {
      const result = simulateCall({
        seed: 'jitter step',
        durationMs: 180_000,
        redundancy: 1,
        speech: true,
        phases: [
          { fromMs: 0, link: { delayMs: 40, jitterMs: 5 } },
          { fromMs: 60_000, link: { delayMs: 40, jitterMs } },
          { fromMs: 120_000, link: { delayMs: 40, jitterMs: 5 } },
        ],
      });
      const low = median(delaysBetween(result, 30_000, 60_000));
      const high = median(delaysBetween(result, 90_000, 120_000));
      expect(low).toBeLessThan(JITTER_DEFAULTS.minDelayMs + FRAME_MS);
      // The transit now spreads over about the jitter: the delay follows it up, within seconds.
      expect(high).toBeGreaterThanOrEqual(low + 15);
      expect(high).toBeLessThanOrEqual(low + jitterMs);
      const rose = result.pops.find(
        (p) => p.atMs >= 60_000 && p.stats.currentDelayMs >= low + 15,
      ) as PopRecord;
      expect(rose.atMs - 60_000).toBeLessThan(5_000);
      // After the network calms, the high samples leave the 10 s window and the excess is dropped:
      // back within half a frame of the old level, and staying there.
      const calm = result.pops.filter((p) => p.atMs >= 120_000 && p.atMs < 180_000);
      const lastAbove = calm.findLastIndex((p) => p.stats.currentDelayMs > low + 10);
      const settledAt = calm[lastAbove + 1]?.atMs ?? 120_000;
      expect(settledAt - 120_000).toBeLessThanOrEqual(15_000);
      // The cost: few frames late (the target moves once ~10 late samples are in the window).
      const last = atLastFrame(result).stats;
      expect(last.late).toBeLessThan(lateShare * result.framesSent);
      expect(missedSlots(last)).toBeLessThan(lateShare * result.framesSent);
    },
  );

  it('keeps its bounds and accounts for every slot over a 10-minute call with random jitter and 5 % loss', () => {
    const random = uniformSource(seededRng(utf8('ten minutes/phases')));
    const phases = Array.from({ length: 60 }, (_, i) => ({
      fromMs: i * 10_000,
      link: {
        delayMs: 20 + random() * 60,
        // Mostly moderate jitter, with spells far beyond what maxDelay can cover.
        jitterMs: random() < 0.2 ? random() * 250 : random() * 60,
        loss: 0.05,
        duplicate: 0.01,
        reorder: 0.01,
      },
    }));
    const result = simulateCall({
      seed: 'ten minutes',
      durationMs: 600_000,
      redundancy: 1,
      speech: true,
      phases,
    });
    const capacity = 2 * Math.ceil(JITTER_DEFAULTS.maxDelayMs / FRAME_MS);
    for (const pop of result.pops) {
      expect(pop.stats.currentDelayMs).toBeLessThanOrEqual(JITTER_DEFAULTS.maxDelayMs);
      expect(pop.stats.targetDelayMs).toBeLessThanOrEqual(JITTER_DEFAULTS.maxDelayMs);
    }
    expect(result.maxBuffered).toBeLessThanOrEqual(capacity);
    // In order, never twice.
    result.playedFrames.forEach((frame, i) => {
      if (i > 0) expect(frame).toBeGreaterThan(result.playedFrames[i - 1] as number);
    });
    // Every 20 ms slot from the first to the last frame played was played, concealed or dropped.
    const first = result.pops.find((p) => p.playout.kind !== 'silence') as PopRecord;
    const last = atLastFrame(result);
    if (first.playout.kind === 'silence' || last.playout.kind !== 'frame') throw new Error('no stream');
    const slots = last.playout.seq - first.playout.seq + 1;
    expect(last.stats.played + missedSlots(last.stats) + last.stats.dropped).toBe(slots);
    // And every pop output a frame, a concealment or silence.
    const s = result.final;
    const silent = result.pops.filter((p) => p.playout.kind === 'silence').length;
    expect(s.played + s.concealed + silent).toBe(result.pops.length);
    expect(s.played).toBe(result.playedFrames.length);
    // Redundancy recovered most of the network's 5 %; what stayed lost never arrived at all.
    expect(last.stats.lost).toBeLessThan(result.packetsLost / 5);
    expect(s.received).toBe(s.duplicates + s.late + s.overflow + s.played + s.dropped + s.buffered);
  });

  it.each([
    ['fast', -500, 'dropped'],
    ['slow', 500, 'inserted'],
  ] as const)('absorbs a sender clock running %s by %i ppm without the delay creeping', (_, ppm, counter) => {
    const result = simulateCall({
      seed: 'drift',
      durationMs: 600_000,
      redundancy: 1,
      speech: true,
      senderFrameMs: FRAME_MS * (1 + ppm * 1e-6),
      phases: [{ fromMs: 0, link: { delayMs: 40, jitterMs: 10 } }],
    });
    // 600 s at 500 ppm is 300 ms, 15 frames: dropped (fast) or inserted (slow), mostly in pauses.
    const last = atLastFrame(result).stats;
    expect(Math.abs(last[counter] - 15)).toBeLessThanOrEqual(1);
    expect(missedSlots(last)).toBe(0);
    const delays = delaysBetween(result, 10_000, 595_000);
    expect(Math.min(...delays)).toBeGreaterThan(JITTER_DEFAULTS.minDelayMs - 5);
    expect(Math.max(...delays)).toBeLessThan(JITTER_DEFAULTS.minDelayMs + FRAME_MS + 5);
  });

  it.each([
    [0, 0.08, 0.12],
    [1, 0, 0.02],
    [2, 0, 0.005],
  ] as const)(
    'with %i redundant frames per packet, 10 %% random loss leaves %f to %f of slots concealed',
    (depth, least, most) => {
      const result = simulateCall({
        seed: 'redundancy',
        durationMs: 120_000,
        redundancy: depth,
        phases: [{ fromMs: 0, link: { delayMs: 30, jitterMs: 10, loss: 0.1 } }],
      });
      expect(result.packetsLost / result.framesSent).toBeGreaterThan(0.09);
      const last = atLastFrame(result).stats;
      const concealedShare = missedSlots(last) / result.framesSent;
      expect(concealedShare).toBeGreaterThanOrEqual(least);
      expect(concealedShare).toBeLessThanOrEqual(most);
      // The copies wait for nothing: the minimum delay already covers one packet of lateness.
      expect(last.currentDelayMs).toBeLessThan(JITTER_DEFAULTS.minDelayMs + FRAME_MS);
    },
  );

  it('plays across the sequence number wrap on the network', () => {
    const result = simulateCall({
      seed: 'wrap',
      durationMs: 30_000,
      startSeq: 65_000,
      redundancy: 1,
      phases: [{ fromMs: 0, link: { delayMs: 30, jitterMs: 15 } }],
    });
    expect(result.playedFrames).toEqual(Array.from({ length: result.framesSent }, (_, i) => i));
    expect(atLastFrame(result).stats).toMatchObject({ concealed: 0, late: 0 });
  });
});
