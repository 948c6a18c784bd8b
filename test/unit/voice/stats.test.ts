// Loss measurements: the network loss meter (RFC 3550 §A.3 counting, per interval, across the wrap,
// with reordering, duplicates and a sender that starts over), and the E-model inputs read from a
// jitter buffer's counters, for random and bursty loss.
import { describe, expect, it } from 'vitest';
import type { JitterStats } from '../../../src/voice/jitter-buffer.js';
import { LossMeter, residualLoss } from '../../../src/voice/stats.js';

function feed(meter: LossMeter, seqs: number[]): void {
  for (const seq of seqs) meter.onPacket(seq & 0xffff);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('loss meter', () => {
  it('counts nothing before the first packet', () => {
    expect(new LossMeter().interval()).toEqual({ expected: 0, received: 0, lostFraction: 0 });
  });

  it('counts the gaps of each interval and of the whole stream, across the sequence wrap', () => {
    const meter = new LossMeter();
    // 65 500 .. 65 549 (wrapping at 65 536) with every 10th lost.
    feed(
      meter,
      range(65_500, 65_550).filter((s) => s % 10 !== 3),
    );
    expect(meter.interval()).toEqual({ expected: 50, received: 45, lostFraction: 0.1 });
    feed(meter, range(65_550, 65_600));
    expect(meter.interval()).toEqual({ expected: 50, received: 50, lostFraction: 0 });
    expect(meter.total).toEqual({ expected: 100, received: 95, lostFraction: 0.05 });
  });

  it('takes reordered packets as received, and floors loss at 0 when duplicates outnumber gaps', () => {
    const meter = new LossMeter();
    feed(meter, [10, 12, 11, 13, 15, 14]);
    expect(meter.interval()).toEqual({ expected: 6, received: 6, lostFraction: 0 });
    feed(meter, [16, 16, 16, 18]);
    expect(meter.interval()).toEqual({ expected: 3, received: 4, lostFraction: 0 });
  });

  it('ignores a stray packet far away, and starts over when a second one follows it', () => {
    const meter = new LossMeter();
    feed(meter, range(100, 150));
    feed(meter, [40_000]);
    feed(meter, range(150, 200));
    expect(meter.interval()).toEqual({ expected: 100, received: 100, lostFraction: 0 });
    // The sender started over at 7: the first packet is a probe, the second confirms it.
    feed(meter, range(7, 57));
    expect(meter.interval()).toEqual({ expected: 49, received: 49, lostFraction: 0 });
    feed(meter, [57, 59]);
    expect(meter.interval()).toEqual({ expected: 3, received: 2, lostFraction: 1 / 3 });
  });
});

function stats(counts: Partial<JitterStats>): JitterStats {
  return {
    received: 0,
    duplicates: 0,
    late: 0,
    overflow: 0,
    played: 0,
    concealed: 0,
    inserted: 0,
    lost: 0,
    dropped: 0,
    lossBursts: 0,
    buffered: 0,
    currentDelayMs: 0,
    meanDelayMs: 0,
    targetDelayMs: 0,
    jitterMs: 0,
    transitSpreadMs: 0,
    ...counts,
  };
}

describe('residual loss for the E-model', () => {
  it('is no loss, BurstR 1, when nothing was concealed but insertions', () => {
    expect(residualLoss(stats({}))).toEqual({ lossPercent: 0, burstR: 1 });
    expect(residualLoss(stats({ played: 100, concealed: 3, inserted: 3 }))).toEqual({
      lossPercent: 0,
      burstR: 1,
    });
  });

  it('counts the slots concealed for a missing frame over all slots that passed', () => {
    // 1000 slots: 940 played, 10 dropped, 50 concealed as missing (plus 5 insertions), in 50 runs of 1.
    const result = residualLoss(
      stats({ played: 940, dropped: 10, concealed: 55, inserted: 5, lossBursts: 50 }),
    );
    expect(result.lossPercent).toBeCloseTo(5, 10);
    // Runs of one at 5 % loss are a little less bursty than random: held at 1.
    expect(result.burstR).toBe(1);
  });

  it('reads runs longer than random loss gives as BurstR > 1', () => {
    // 1000 slots, 100 missing in 10 runs of 10: random 10 % loss would average runs of 1 / 0.9.
    const result = residualLoss(stats({ played: 900, concealed: 100, lossBursts: 10 }));
    expect(result.lossPercent).toBeCloseTo(10, 10);
    expect(result.burstR).toBeCloseTo((100 * 0.9) / 10, 10);
  });
});
