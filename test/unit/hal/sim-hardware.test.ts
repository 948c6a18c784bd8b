// The simulator's display, buttons and LEDs: state, change notifications, and the buttons going
// through the same input broker as the device's.
import { describe, expect, it } from 'vitest';
import type { ButtonId, InputEvent } from '../../../src/hal/buttons.js';
import { Framebuffer } from '../../../src/hal/framebuffer.js';
import { InputBroker } from '../../../src/hal/input-broker.js';
import { SimButtons } from '../../../src/hal/sim-buttons.js';
import { SimDisplay } from '../../../src/hal/sim-display.js';
import { SimLeds } from '../../../src/hal/sim-leds.js';
import { DEFAULT_CONTRAST } from '../../../src/hal/ssd1306.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';

describe('SimDisplay', () => {
  it('keeps a copy of the last frame and tells listeners when it changes', () => {
    const display = new SimDisplay();
    let changes = 0;
    const unsubscribe = display.onChange(() => (changes += 1));
    const fb = new Framebuffer();
    fb.set(5, 13, true);
    display.show(fb);
    expect(changes).toBe(1);
    display.show(fb); // the same picture again
    expect(changes).toBe(1);
    fb.set(6, 13, true); // the caller keeps drawing into its own buffer
    expect(display.frame().get(6, 13)).toBe(false);
    const copy = display.frame();
    copy.clear();
    expect(display.frame().get(5, 13)).toBe(true);
    unsubscribe();
    display.show(fb);
    expect(changes).toBe(1);
    expect(display.frame().get(6, 13)).toBe(true);
  });

  it('tracks power and contrast, starting on at the SSD1306 default', () => {
    const display = new SimDisplay();
    const states: unknown[] = [];
    display.onChange(() => states.push(display.state()));
    expect(display.state()).toEqual({ on: true, contrast: DEFAULT_CONTRAST });
    display.setPower(false);
    display.setPower(false);
    display.setContrast(20.4);
    display.setContrast(999);
    display.setPower(true);
    expect(states).toEqual([
      { on: false, contrast: DEFAULT_CONTRAST },
      { on: false, contrast: 20 },
      { on: false, contrast: 255 },
      { on: true, contrast: 255 },
    ]);
    expect(() => display.setContrast(Number.NaN)).toThrow(RangeError);
  });

  it('never fails, refuses another frame size, and is quiet after close', () => {
    const display = new SimDisplay();
    const errors: unknown[] = [];
    display.onError((e) => errors.push(e));
    expect(() => display.show(new Framebuffer(64, 32))).toThrow(RangeError);
    let changes = 0;
    display.onChange(() => (changes += 1));
    display.close();
    const fb = new Framebuffer();
    fb.set(0, 0, true);
    display.show(fb);
    display.setPower(false);
    expect(changes).toBe(0);
    expect(display.state().on).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('SimButtons', () => {
  it('passes injected edges on once started, and not after close', () => {
    const buttons = new SimButtons();
    const edges: [ButtonId, boolean][] = [];
    buttons.press('up', true); // before start: nobody listens
    buttons.start(
      (b, p) => edges.push([b, p]),
      () => {},
    );
    buttons.press('up', true);
    buttons.press('up', false);
    buttons.press('menu' as ButtonId, true); // from a web page, anything can come
    buttons.close();
    buttons.press('back', true);
    expect(edges).toEqual([
      ['up', true],
      ['up', false],
    ]);
    expect(() =>
      buttons.start(
        () => {},
        () => {},
      ),
    ).toThrow(expect.objectContaining({ code: 'HAL_MISUSE' }));
  });

  it('drives the input broker like a real driver', () => {
    const clock = new VirtualClock();
    const events: InputEvent[] = [];
    const broker = new InputBroker({ clock, onEvent: (e) => events.push(e) });
    const buttons = new SimButtons();
    buttons.start(
      (b, p) => broker.edge(b, p),
      () => {},
    );
    buttons.press('select', true);
    clock.advance(100);
    buttons.press('select', false);
    buttons.press('back', true);
    clock.advance(1000);
    buttons.press('back', false);
    expect(events).toEqual(['SELECT', 'BACK_LONG']);
    broker.close();
  });
});

describe('SimLeds', () => {
  it('reports state and notifies each change once', () => {
    const leds = new SimLeds();
    const seen: unknown[] = [];
    const unsubscribe = leds.onChange(() => seen.push(leds.state()));
    expect(leds.state()).toEqual({ green: false, red: false });
    leds.set('green', true);
    leds.set('green', true);
    leds.set('red', true);
    leds.set('toString' as 'red', true);
    const state = leds.state();
    state.green = false; // a copy
    expect(leds.state().green).toBe(true);
    unsubscribe();
    leds.set('green', false);
    expect(seen).toEqual([
      { green: true, red: false },
      { green: true, red: true },
    ]);
  });

  it('goes dark and quiet on close', () => {
    const leds = new SimLeds();
    leds.set('red', true);
    let changes = 0;
    leds.onChange(() => (changes += 1));
    leds.close();
    leds.set('green', true);
    expect(leds.state()).toEqual({ green: false, red: false });
    expect(changes).toBe(0);
  });
});
