// The input broker on virtual time: presses, long presses, bounce, bursts, several buttons at once,
// and random edge sequences checked against what a press is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUTTONS, type ButtonId, type InputEvent } from '../../../src/hal/buttons.js';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_LONG_PRESS_MS, InputBroker } from '../../../src/hal/input-broker.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';

function setup(options: { debounceMs?: number; longPressMs?: number } = {}) {
  const clock = new VirtualClock();
  const events: { event: InputEvent; at: number }[] = [];
  const broker = new InputBroker({
    clock,
    onEvent: (event) => events.push({ event, at: clock.now() }),
    ...options,
  });
  const names = () => events.map((e) => e.event);
  /** Edges at the given offsets (ms from now), in order. */
  const edges = (button: ButtonId, steps: [number, boolean][]) => {
    let t = 0;
    for (const [at, pressed] of steps) {
      clock.advance(at - t);
      t = at;
      broker.edge(button, pressed);
    }
  };
  return { clock, broker, events, names, edges };
}

describe('InputBroker', () => {
  it('uses 30 ms debounce and 800 ms long press by default', () => {
    expect(DEFAULT_DEBOUNCE_MS).toBe(30);
    expect(DEFAULT_LONG_PRESS_MS).toBe(800);
  });

  it('emits a short press on release', () => {
    const t = setup();
    t.broker.edge('select', true);
    t.clock.advance(120);
    expect(t.names()).toEqual([]);
    t.broker.edge('select', false);
    expect(t.events).toEqual([{ event: 'SELECT', at: 120 }]);
  });

  it('emits a long press once, while the button is still held, and nothing on its release', () => {
    const t = setup();
    t.broker.edge('up', true);
    t.clock.advance(799);
    expect(t.names()).toEqual([]);
    t.clock.advance(1);
    expect(t.events).toEqual([{ event: 'UP_LONG', at: 800 }]);
    t.clock.advance(10_000);
    t.broker.edge('up', false);
    t.clock.advance(1000);
    expect(t.names()).toEqual(['UP_LONG']);
    expect(t.clock.pending).toBe(0);
  });

  it('takes a bouncy press and a bouncy release as one press', () => {
    const t = setup();
    t.edges('back', [
      [0, true],
      [1, false],
      [2, true],
      [4, false],
      [6, true],
      [300, false],
      [301, true],
      [303, false],
      [310, true],
      [312, false],
    ]);
    t.clock.advance(1000);
    expect(t.events).toEqual([{ event: 'BACK', at: 300 }]);
    expect(t.clock.pending).toBe(0);
  });

  it('does not lose a tap shorter than the debounce window', () => {
    const t = setup();
    t.edges('select', [
      [0, true],
      [10, false],
    ]);
    expect(t.names()).toEqual([]);
    t.clock.advance(100);
    expect(t.events).toEqual([{ event: 'SELECT', at: 30 }]);
  });

  it('does not stay held when a bounce ends released inside the window', () => {
    const t = setup();
    t.edges('up', [
      [0, true],
      [200, false],
      [205, true],
      [207, false],
    ]);
    t.clock.advance(2000);
    expect(t.names()).toEqual(['UP']);
  });

  it('counts each press of a fast burst', () => {
    const t = setup();
    const steps: [number, boolean][] = [];
    for (let i = 0; i < 10; i++) steps.push([i * 80, true], [i * 80 + 40, false]);
    t.edges('up', steps);
    t.clock.advance(1000);
    expect(t.names()).toEqual(Array<InputEvent>(10).fill('UP'));
  });

  it('stays bounded under an edge storm and gives at most one event for it', () => {
    const t = setup();
    // 10 000 edges within 20 ms, shorter than the debounce window.
    let maxPending = 0;
    for (let i = 0; i < 10_000; i++) {
      t.broker.edge('select', i % 2 === 0);
      if (i % 500 === 499) t.clock.advance(1);
      maxPending = Math.max(maxPending, t.clock.pending);
    }
    expect(maxPending).toBeLessThanOrEqual(2);
    t.broker.edge('select', false);
    t.clock.advance(5000);
    expect(t.events.length).toBeLessThanOrEqual(1);
    expect(t.clock.pending).toBe(0);
  });

  it('keeps interleaved buttons apart', () => {
    const t = setup();
    t.broker.edge('up', true);
    t.clock.advance(100);
    t.broker.edge('select', true);
    t.clock.advance(100);
    t.broker.edge('up', false); // UP at 200
    t.clock.advance(50);
    t.broker.edge('back', true);
    t.clock.advance(50);
    t.broker.edge('back', false); // BACK at 300
    t.clock.advance(700); // SELECT_LONG at 900
    t.broker.edge('select', false);
    t.clock.advance(1000);
    expect(t.events).toEqual([
      { event: 'UP', at: 200 },
      { event: 'BACK', at: 300 },
      { event: 'SELECT_LONG', at: 900 },
    ]);
  });

  it('ignores a repeated level', () => {
    const t = setup();
    t.broker.edge('up', true);
    t.clock.advance(100);
    t.broker.edge('up', true);
    t.clock.advance(100);
    t.broker.edge('up', false);
    t.clock.advance(100);
    t.broker.edge('up', false);
    expect(t.names()).toEqual(['UP']);
  });

  it('stops all timers on close and emits nothing after', () => {
    const t = setup();
    t.broker.edge('up', true);
    t.broker.edge('select', true);
    t.broker.edge('select', false);
    expect(t.clock.pending).toBeGreaterThan(0);
    t.broker.close();
    expect(t.clock.pending).toBe(0);
    t.broker.edge('back', true);
    t.clock.advance(5000);
    t.broker.edge('back', false);
    expect(t.names()).toEqual([]);
  });

  it('takes its times as options and refuses impossible ones', () => {
    const t = setup({ debounceMs: 5, longPressMs: 300 });
    t.broker.edge('up', true);
    t.clock.advance(300);
    expect(t.names()).toEqual(['UP_LONG']);
    const clock = new VirtualClock();
    const make = (debounceMs: number, longPressMs: number) => () =>
      new InputBroker({ clock, onEvent: () => {}, debounceMs, longPressMs });
    for (const [d, l] of [
      [-1, 800],
      [30, 30],
      [30, 10],
      [30, Number.NaN],
      [30, 60_000],
    ] as const) {
      expect(make(d, l)).toThrow(expect.objectContaining({ code: 'HAL_BAD_OPTION' }));
    }
  });
});

describe('InputBroker on random edges', () => {
  const step = fc.record({
    button: fc.constantFrom(...BUTTONS),
    pressed: fc.boolean(),
    // Mostly bounce-length gaps, sometimes long holds.
    dt: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1500 })),
  });

  it('emits only for real presses, one event per press at most, with bounded state', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const clock = new VirtualClock();
        const raw: Record<ButtonId, boolean> = { up: false, select: false, back: false };
        const pressesSinceEvent: Record<ButtonId, number> = { up: 0, select: 0, back: 0 };
        const problems: string[] = [];
        const broker = new InputBroker({
          clock,
          onEvent: (event) => {
            const button = event.replace('_LONG', '').toLowerCase() as ButtonId;
            const long = event.endsWith('_LONG');
            // No event without a press since the last event of that button: never two for one press.
            if (pressesSinceEvent[button] === 0) problems.push(`${event} at ${clock.now()} without a press`);
            pressesSinceEvent[button] = 0;
            // A press is reported released, a long press while held.
            if (raw[button] !== long)
              problems.push(`${event} at ${clock.now()} with the button ${raw[button] ? 'down' : 'up'}`);
          },
        });
        for (const s of steps) {
          clock.advance(s.dt);
          raw[s.button] = s.pressed;
          if (s.pressed) pressesSinceEvent[s.button] += 1;
          broker.edge(s.button, s.pressed);
          if (clock.pending > 2 * BUTTONS.length) problems.push(`${clock.pending} timers pending`);
        }
        for (const b of BUTTONS) {
          clock.advance(100);
          raw[b] = false;
          broker.edge(b, false);
        }
        clock.advance(5000);
        if (clock.pending !== 0) problems.push(`${clock.pending} timers left after all buttons came up`);
        expect(problems).toEqual([]);
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it('turns clean presses into exactly the expected events', () => {
    const press = fc.record({
      button: fc.constantFrom(...BUTTONS),
      holdMs: fc.oneof(fc.integer({ min: 30, max: 799 }), fc.integer({ min: 800, max: 3000 })),
      gapMs: fc.integer({ min: 30, max: 500 }),
    });
    fc.assert(
      fc.property(fc.array(press, { maxLength: 50 }), (presses) => {
        const clock = new VirtualClock();
        const got: InputEvent[] = [];
        const broker = new InputBroker({ clock, onEvent: (e) => got.push(e) });
        for (const p of presses) {
          broker.edge(p.button, true);
          clock.advance(p.holdMs);
          broker.edge(p.button, false);
          clock.advance(p.gapMs);
        }
        const expected = presses.map((p) => {
          const name = p.button.toUpperCase() as 'UP' | 'SELECT' | 'BACK';
          return p.holdMs >= 800 ? (`${name}_LONG` as const) : name;
        });
        expect(got).toEqual(expected);
      }),
      { numRuns: 300, seed: 2 },
    );
  });
});
