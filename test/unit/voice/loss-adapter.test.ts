// The loss adapter: loss report sequences against the redundancy and bitrate chosen after them,
// the budget arithmetic, and the hysteresis that keeps noisy reports from flapping the encoder.
import { describe, expect, it } from 'vitest';
import { type Encoding, LOSS_ADAPTER_DEFAULTS, LossAdapter } from '../../../src/voice/loss-adapter.js';

const CLEAN: Encoding = { redundancy: 0, bitrateBps: 32_000 };
const ONE_COPY: Encoding = { redundancy: 1, bitrateBps: 16_000 };
const TWO_COPIES: Encoding = { redundancy: 2, bitrateBps: 12_000 };

/** The encodings after each report. */
function run(reports: number[], adapter = new LossAdapter()): Encoding[] {
  return reports.map((loss) => adapter.report(loss));
}

const times = (n: number, loss: number) => Array.from({ length: n }, () => loss);

describe('loss adapter', () => {
  it('starts clean: no redundancy at the full bitrate', () => {
    expect(new LossAdapter().encoding).toEqual(CLEAN);
    expect(LOSS_ADAPTER_DEFAULTS).toMatchObject({
      budgetBps: 32_000,
      minBitrateBps: 12_000,
      maxBitrateBps: 32_000,
    });
  });

  const table: [string, number[], Encoding][] = [
    ['no loss', times(30, 0), CLEAN],
    ['a lone lost packet (2 % of one report)', [0, 0, 0.02, 0, 0, 0], CLEAN],
    [
      'a lost packet every other report',
      [...times(10, 0), ...times(10, 0.02).map((l, i) => (i % 2 ? l : 0))],
      CLEAN,
    ],
    ['1 % all along', times(60, 0.01), CLEAN],
    ['3 % for two reports', [0, 0.03, 0.03], ONE_COPY],
    ['5 % all along', times(60, 0.05), ONE_COPY],
    ['a single report of 6 %', [0, 0.06], ONE_COPY],
    ['10 % for three reports', [0, 0.1, 0.1, 0.1], TWO_COPIES],
    ['a single report of 30 %', [0, 0.3], TWO_COPIES],
    ['20 % all along', times(60, 0.2), TWO_COPIES],
    [
      '10 % then 5 % for a minute: held, 5 % is inside the band',
      [...times(10, 0.1), ...times(60, 0.05)],
      TWO_COPIES,
    ],
    ['10 % then 2 % for a minute', [...times(10, 0.1), ...times(60, 0.02)], ONE_COPY],
    ['10 % then nothing for a minute', [...times(10, 0.1), ...times(60, 0)], CLEAN],
    ['5 % then nothing for 10 s: held', [...times(10, 0.05), ...times(10, 0)], ONE_COPY],
    ['5 % then nothing for 30 s', [...times(10, 0.05), ...times(30, 0)], CLEAN],
  ];

  it.each(table)('%s', (_, reports, expected) => {
    expect(run(reports).at(-1)).toEqual(expected);
  });

  it('rises at once and falls one level at a time, after holding', () => {
    const encodings = run([...times(5, 0.2), ...times(60, 0)]);
    const redundancy = encodings.map((e) => e.redundancy);
    expect(redundancy.slice(0, 5)).toEqual([2, 2, 2, 2, 2]);
    const firstOne = redundancy.indexOf(1);
    const firstZero = redundancy.indexOf(0);
    // Each step down waits for the smoothed loss to fall below the level's exit and 5 reports more.
    expect(firstOne).toBeGreaterThan(5 + LOSS_ADAPTER_DEFAULTS.holdReports);
    expect(firstZero).toBeGreaterThan(firstOne + LOSS_ADAPTER_DEFAULTS.holdReports);
    // Never back up on the way down, never a level skipped.
    for (let i = 6; i < redundancy.length; i++) {
      const step = (redundancy[i - 1] as number) - (redundancy[i] as number);
      expect(step === 0 || step === 1).toBe(true);
    }
  });

  it('does not flap on loss that hovers around a threshold', () => {
    // Reports alternating between 1 % and 4 %: the smoothed loss stays near 2.5 %.
    const reports = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0.01 : 0.04));
    const redundancy = run(reports).map((e) => e.redundancy);
    const changes = redundancy.filter((r, i) => i > 0 && r !== redundancy[i - 1]).length;
    expect(changes).toBeLessThanOrEqual(1);
    expect(redundancy.at(-1)).toBe(1);
    // Bursts of loss every 10 reports: each may raise the level, but it does not drop in between.
    const bursty = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 0.1 : 0));
    const levels = run(bursty).map((e) => e.redundancy);
    const flips = levels.filter((r, i) => i > 0 && r !== levels[i - 1]).length;
    expect(flips).toBeLessThanOrEqual(2);
  });

  it('smooths fast upwards and slowly downwards', () => {
    const adapter = new LossAdapter();
    adapter.report(0.1);
    expect(adapter.smoothedLoss).toBeCloseTo(0.05, 10);
    adapter.report(0.1);
    expect(adapter.smoothedLoss).toBeCloseTo(0.075, 10);
    adapter.report(0);
    expect(adapter.smoothedLoss).toBeCloseTo(0.075 * (7 / 8), 10);
  });

  it('spends a different budget within different bounds the same way', () => {
    const adapter = new LossAdapter({ budgetBps: 48_000, minBitrateBps: 16_000, maxBitrateBps: 40_000 });
    expect(adapter.encoding).toEqual({ redundancy: 0, bitrateBps: 40_000 });
    expect(run([0.05, 0.05], adapter).at(-1)).toEqual({ redundancy: 1, bitrateBps: 24_000 });
    expect(run([0.2, 0.2], adapter).at(-1)).toEqual({ redundancy: 2, bitrateBps: 16_000 });
    const slow = new LossAdapter({ holdReports: 1 });
    expect(run([0.05, 0.05, ...times(25, 0)], slow).at(-1)).toEqual(CLEAN);
  });

  it('refuses options and reports out of range', () => {
    const bad = [
      { minBitrateBps: 0 },
      { minBitrateBps: 20_000, maxBitrateBps: 10_000 },
      { budgetBps: Number.NaN },
      { holdReports: 0 },
      { holdReports: 1.5 },
    ];
    for (const options of bad) {
      expect(() => new LossAdapter(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'VOICE_BAD_OPTION' }),
      );
    }
    const adapter = new LossAdapter();
    for (const loss of [-0.01, 1.01, Number.NaN]) {
      expect(() => adapter.report(loss)).toThrow(expect.objectContaining({ code: 'VOICE_BAD_OPTION' }));
    }
    expect(adapter.encoding).toEqual(CLEAN);
  });
});
