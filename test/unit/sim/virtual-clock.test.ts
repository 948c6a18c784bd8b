// The virtual clock: ordering, cancelling, nested scheduling, run bounds, wall time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EPOCH_MS, SimLimitError, VirtualClock } from '../../../src/sim/virtual-clock.js';

describe('VirtualClock', () => {
  it('starts at 0 and moves only when advanced', () => {
    const clock = new VirtualClock();
    expect(clock.now()).toBe(0);
    clock.advance(250);
    expect(clock.now()).toBe(250);
    clock.advance(0);
    expect(clock.now()).toBe(250);
  });

  it('gives wall time as the epoch plus virtual time', () => {
    expect(new VirtualClock().wallTime()).toBe(DEFAULT_EPOCH_MS);
    const clock = new VirtualClock({ epochMs: 1_000_000 });
    clock.advance(1234);
    expect(clock.wallTime()).toBe(1_001_234);
  });

  it('runs calls by time, then in the order they were scheduled', () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    clock.schedule(10, () => ran.push('a@10'));
    clock.schedule(5, () => ran.push('b@5'));
    clock.schedule(10, () => ran.push('c@10'));
    clock.schedule(5, () => ran.push('d@5'));
    clock.schedule(0, () => ran.push('e@0'));
    clock.advance(10);
    expect(ran).toEqual(['e@0', 'b@5', 'd@5', 'a@10', 'c@10']);
  });

  it('runs each call at its own time and stops exactly at the end of the window', () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    for (const ms of [3, 7, 10, 11]) clock.schedule(ms, () => times.push(clock.now()));
    clock.advance(10);
    expect(times).toEqual([3, 7, 10]);
    expect(clock.now()).toBe(10);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    expect(times).toEqual([3, 7, 10, 11]);
  });

  it('treats a negative delay as now, and rejects NaN, infinite and backward times', () => {
    const clock = new VirtualClock();
    clock.advance(5);
    let ranAt = -1;
    clock.schedule(-100, () => (ranAt = clock.now()));
    clock.advance(0);
    expect(ranAt).toBe(5);
    expect(() => clock.schedule(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => clock.schedule(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(clock.pending).toBe(0);
  });

  it('cancels: the call never runs, pending drops, a second cancel or a cancel after running does nothing', () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    const cancelA = clock.schedule(5, () => ran.push('a'));
    const cancelB = clock.schedule(5, () => ran.push('b'));
    clock.schedule(5, () => ran.push('c'));
    expect(clock.pending).toBe(3);
    cancelA();
    cancelA();
    expect(clock.pending).toBe(2);
    clock.advance(5);
    expect(ran).toEqual(['b', 'c']);
    expect(clock.pending).toBe(0);
    cancelB();
    expect(clock.pending).toBe(0);
  });

  it('lets a call cancel one due at the same time', () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    clock.schedule(1, () => {
      ran.push('first');
      cancelSecond();
    });
    const cancelSecond = clock.schedule(1, () => ran.push('second'));
    clock.advance(1);
    expect(ran).toEqual(['first']);
  });

  it('runs calls scheduled by calls when they fall due within the window', () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    clock.schedule(5, () => {
      ran.push(`outer@${clock.now()}`);
      clock.schedule(0, () => ran.push(`same-time@${clock.now()}`));
      clock.schedule(3, () => {
        ran.push(`inner@${clock.now()}`);
        clock.schedule(10, () => ran.push(`late@${clock.now()}`));
      });
    });
    clock.schedule(5, () => ran.push(`sibling@${clock.now()}`));
    clock.advance(10);
    expect(ran).toEqual(['outer@5', 'sibling@5', 'same-time@5', 'inner@8']);
    expect(clock.pending).toBe(1);
    clock.advance(8);
    expect(ran.at(-1)).toBe('late@18');
  });

  it('schedules at an absolute time, clamped to now', () => {
    const clock = new VirtualClock();
    const ran: number[] = [];
    clock.advance(10);
    clock.scheduleAt(15, () => ran.push(clock.now()));
    clock.scheduleAt(2, () => ran.push(clock.now()));
    clock.advance(10);
    expect(ran).toEqual([10, 15]);
  });

  it('lets an exception from a call out of advance, and stays usable', () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    clock.schedule(1, () => ran.push('before'));
    clock.schedule(2, () => {
      throw new Error('boom');
    });
    clock.schedule(3, () => ran.push('after'));
    expect(() => clock.advance(10)).toThrow('boom');
    expect(clock.now()).toBe(2);
    expect(ran).toEqual(['before']);
    expect(clock.pending).toBe(1);
    clock.advance(8);
    expect(ran).toEqual(['before', 'after']);
    expect(clock.now()).toBe(10);
  });

  it('refuses to be driven from inside a scheduled call', () => {
    const clock = new VirtualClock();
    clock.schedule(1, () => clock.advance(1));
    expect(() => clock.advance(1)).toThrow(/inside a scheduled call/);
    clock.schedule(1, () => clock.runUntilIdle());
    expect(() => clock.runUntilIdle()).toThrow(/inside a scheduled call/);
  });

  describe('runUntil', () => {
    it('stops at the call that makes the condition true', () => {
      const clock = new VirtualClock();
      let count = 0;
      for (let i = 1; i <= 10; i++) clock.schedule(i * 100, () => (count += 1));
      clock.runUntil(() => count === 4);
      expect(clock.now()).toBe(400);
      expect(clock.pending).toBe(6);
    });

    it('returns at once if the condition already holds', () => {
      const clock = new VirtualClock();
      clock.schedule(1, () => {});
      clock.runUntil(() => true);
      expect(clock.now()).toBe(0);
      expect(clock.pending).toBe(1);
    });

    it('throws when nothing is left to run and the condition is false', () => {
      const clock = new VirtualClock();
      clock.schedule(5, () => {});
      const err = catchError(() => clock.runUntil(() => false));
      expect(err).toBeInstanceOf(SimLimitError);
      expect(err).toMatchObject({ limit: 'idle' });
      expect(clock.now()).toBe(5);
    });

    it('throws when the next call lies beyond maxMs', () => {
      const clock = new VirtualClock();
      const tick = () => clock.schedule(1000, tick);
      tick();
      const err = catchError(() => clock.runUntil(() => false, { maxMs: 5000 }));
      expect(err).toMatchObject({ limit: 'time' });
      expect((err as Error).message).toMatch(/not done within 5000 virtual ms/);
      expect(clock.now()).toBe(5000);
    });

    it('throws after maxSteps calls, even if virtual time stands still', () => {
      const clock = new VirtualClock();
      const spin = () => clock.schedule(0, spin);
      spin();
      const err = catchError(() => clock.runUntil(() => false, { maxSteps: 1000 }));
      expect(err).toMatchObject({ limit: 'steps' });
      expect((err as Error).message).toMatch(/not done after 1000 calls/);
    });
  });

  describe('runUntilIdle', () => {
    it('runs everything, including calls scheduled along the way', () => {
      const clock = new VirtualClock();
      let left = 50;
      const chain = () => {
        left -= 1;
        if (left > 0) clock.schedule(10, chain);
      };
      clock.schedule(10, chain);
      clock.runUntilIdle();
      expect(left).toBe(0);
      expect(clock.now()).toBe(500);
      expect(clock.pending).toBe(0);
    });

    it('throws on a periodic timer that never stops, by time and by steps', () => {
      const clock = new VirtualClock();
      const tick = () => clock.schedule(25, tick);
      tick();
      expect(catchError(() => clock.runUntilIdle({ maxMs: 1000 }))).toMatchObject({ limit: 'time' });
      expect(catchError(() => clock.runUntilIdle({ maxMs: 1e9, maxSteps: 10 }))).toMatchObject({
        limit: 'steps',
      });
    });
  });

  it('bounds advance() in steps, so a zero-delay loop fails instead of hanging', () => {
    const clock = new VirtualClock();
    const spin = () => clock.schedule(0, spin);
    spin();
    expect(catchError(() => clock.advance(1, { maxSteps: 500 }))).toMatchObject({ limit: 'steps' });
  });

  it('runs any mix of schedules and cancels in (time, scheduling) order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ms: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), {
          maxLength: 200,
        }),
        (ops) => {
          const clock = new VirtualClock();
          const ran: number[] = [];
          const cancels = ops.map((op, i) => clock.schedule(op.ms, () => ran.push(i)));
          ops.forEach((op, i) => op.cancel && cancels[i]?.());
          const expected = ops
            .map((op, i) => ({ ...op, i }))
            .filter((op) => !op.cancel)
            .sort((a, b) => a.ms - b.ms || a.i - b.i)
            .map((op) => op.i);
          expect(clock.pending).toBe(expected.length);
          clock.runUntilIdle();
          expect(ran).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps order and count when many cancels compact the queue', () => {
    const clock = new VirtualClock();
    const ran: number[] = [];
    const n = 20_000;
    // Times out of order, with many ties, so the rebuilt heap has real work to do.
    const cancels = Array.from({ length: n }, (_, i) => clock.schedule((i * 7919) % 1000, () => ran.push(i)));
    for (let i = 0; i < n; i++) if (i % 5 !== 0) cancels[i]?.();
    expect(clock.pending).toBe(n / 5);
    clock.runUntilIdle();
    const expected = Array.from({ length: n / 5 }, (_, k) => k * 5).sort(
      (a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || a - b,
    );
    expect(ran).toEqual(expected);
    expect(clock.pending).toBe(0);
  });
});

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
