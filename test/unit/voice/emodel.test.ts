// The E-model (ITU-T G.107): its reference point with every input at the default, the delay knee,
// monotonicity in delay, loss and burstiness, the R-to-MOS mapping, and a table of inputs against
// MOS ranges worked out by hand from the G.107 equations.
import { describe, expect, it } from 'vitest';
import { idd, mos, OPUS_BPL, OPUS_IE, rFactor } from '../../../src/voice/emodel.js';

describe('E-model reference points', () => {
  it('rates a call with no delay and no loss R = 93.2, MOS 4.41 (G.107 with its defaults)', () => {
    const r = rFactor({ delayMs: 0, lossPercent: 0 });
    expect(r).toBeCloseTo(93.2, 1);
    expect(mos(r)).toBeCloseTo(4.41, 2);
  });

  it('charges nothing for absolute delay up to 100 ms, and more and more past it', () => {
    expect(idd(0)).toBe(0);
    expect(idd(100)).toBe(0);
    expect(idd(101)).toBeGreaterThan(0);
    expect(idd(101)).toBeLessThan(1e-6);
    // Worked from G.107 eq. 7-27/7-28: X = log2(Ta / 100).
    expect(idd(150)).toBeCloseTo(0.1635, 3);
    expect(idd(200)).toBeCloseTo(3.0444, 3);
    expect(idd(300)).toBeCloseTo(14.7607, 3);
    expect(idd(400)).toBeCloseTo(24.0701, 3);
    // The knee: the next 100 ms cost far more than the first 100 ms (echo alone).
    const r = (delayMs: number) => rFactor({ delayMs, lossPercent: 0 });
    expect(r(0) - r(100)).toBeLessThan(3);
    expect(r(200) - r(300)).toBeGreaterThan(4 * (r(0) - r(100)));
  });

  it('maps R to MOS by G.107 Annex B, within 1..4.5', () => {
    expect(mos(-5)).toBe(1);
    expect(mos(0)).toBe(1);
    expect(mos(3)).toBe(1); // the polynomial dips just below 1 here
    expect(mos(50)).toBeCloseTo(1 + 1.75 + 50 * -10 * 50 * 7e-6, 10);
    expect(mos(80)).toBeCloseTo(4.024, 10);
    expect(mos(100)).toBe(4.5);
    expect(mos(120)).toBe(4.5);
    for (let r = 6.5; r < 100; r += 0.5) expect(mos(r + 0.5)).toBeGreaterThan(mos(r));
  });

  it('takes Opus as Ie = 0 and Bpl = 19 unless told otherwise', () => {
    expect(OPUS_IE).toBe(0);
    expect(OPUS_BPL).toBe(19);
    const given = rFactor({ delayMs: 50, lossPercent: 2, ie: OPUS_IE, bpl: OPUS_BPL });
    expect(rFactor({ delayMs: 50, lossPercent: 2 })).toBe(given);
    // Ie,eff = 0 + 95 · 2 / (2 + 19) = 9.05: that is what 2 % costs.
    expect(rFactor({ delayMs: 0, lossPercent: 0 }) - rFactor({ delayMs: 0, lossPercent: 2 })).toBeCloseTo(
      9.05,
      2,
    );
    // A codec with an impairment of its own, or a weaker concealment, rates lower.
    expect(rFactor({ delayMs: 0, lossPercent: 0, ie: 11 })).toBeCloseTo(93.2 - 11, 1);
    expect(rFactor({ delayMs: 0, lossPercent: 2, bpl: 4.3 })).toBeLessThan(
      rFactor({ delayMs: 0, lossPercent: 2 }),
    );
  });
});

describe('E-model monotonicity', () => {
  const delays = [0, 25, 50, 100, 150, 200, 300, 400, 600];
  const losses = [0, 0.5, 1, 2, 5, 10, 20];

  it('falls with delay at every loss, and with loss at every delay', () => {
    for (const lossPercent of losses) {
      const scores = delays.map((delayMs) => mos(rFactor({ delayMs, lossPercent })));
      for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1] as number);
    }
    for (const delayMs of delays) {
      const ratings = losses.map((lossPercent) => rFactor({ delayMs, lossPercent }));
      for (let i = 1; i < ratings.length; i++) expect(ratings[i]).toBeLessThan(ratings[i - 1] as number);
    }
  });

  it('falls as the same loss gets burstier', () => {
    const ratings = [1, 1.5, 2, 4, 8].map((burstR) => rFactor({ delayMs: 100, lossPercent: 5, burstR }));
    for (let i = 1; i < ratings.length; i++) expect(ratings[i]).toBeLessThan(ratings[i - 1] as number);
    expect(rFactor({ delayMs: 100, lossPercent: 0, burstR: 4 })).toBe(
      rFactor({ delayMs: 100, lossPercent: 0 }),
    );
  });
});

describe('E-model table', () => {
  // Worked by hand from G.107 §7 with the Table 3 defaults, Ie = 0, Bpl = 19 (expected MOS ± 0.01).
  const table: [number, number, number, number][] = [
    // delayMs, lossPercent, burstR, MOS
    [0, 0, 1, 4.409],
    [50, 0, 1, 4.38],
    [100, 0, 1, 4.355],
    [150, 0, 1, 4.328],
    [200, 0, 1, 4.223],
    [300, 0, 1, 3.719],
    [400, 0, 1, 3.216],
    [0, 1, 1, 4.299],
    [0, 2, 1, 4.171],
    [0, 5, 1, 3.753],
    [0, 10, 1, 3.123],
    [150, 1, 1, 4.191],
    [150, 3, 1, 3.889],
    [150, 3, 2, 3.849],
    [250, 5, 1, 3.068],
    [400, 20, 1, 1.093],
  ];

  it.each(table)('delay %i ms, loss %f %%, BurstR %f: MOS %f', (delayMs, lossPercent, burstR, expected) => {
    expect(Math.abs(mos(rFactor({ delayMs, lossPercent, burstR })) - expected)).toBeLessThanOrEqual(0.01);
  });

  it('refuses inputs out of range', () => {
    const bad = [
      { delayMs: -1, lossPercent: 0 },
      { delayMs: Number.NaN, lossPercent: 0 },
      { delayMs: Number.POSITIVE_INFINITY, lossPercent: 0 },
      { delayMs: 0, lossPercent: -0.1 },
      { delayMs: 0, lossPercent: 101 },
      { delayMs: 0, lossPercent: Number.NaN },
      { delayMs: 0, lossPercent: 1, burstR: 0.5 },
      { delayMs: 0, lossPercent: 1, ie: -1 },
      { delayMs: 0, lossPercent: 1, ie: 96 },
      { delayMs: 0, lossPercent: 1, bpl: 0 },
    ];
    for (const input of bad) {
      expect(() => rFactor(input), JSON.stringify(input)).toThrow(
        expect.objectContaining({ code: 'VOICE_BAD_OPTION' }),
      );
    }
    expect(() => mos(Number.NaN)).toThrow(expect.objectContaining({ code: 'VOICE_BAD_OPTION' }));
  });
});
