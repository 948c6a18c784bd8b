// The sysfs-GPIO fallback: GPIO numbers resolved from a fake /sys/class/gpio tree (the H3's fixed
// bases and a new Raspberry Pi kernel's 512+ bases), and the button and LED drivers on a fake onoff.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKithError, type KithError } from '../../../src/errors.js';
import type { ButtonId } from '../../../src/hal/buttons.js';
import {
  type GpioPin,
  listGpioChips,
  loadOnoff,
  type OnoffModule,
  resolveGpio,
  usableOnoff,
} from '../../../src/hal/gpio.js';
import { GpioButtons } from '../../../src/hal/gpio-buttons.js';
import { GpioLeds } from '../../../src/hal/gpio-leds.js';
import { tmpDir } from '../../helpers/tmp.js';

const H3 = ['1c20800.pinctrl'];
const PI = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'];

/** A sysfs root whose class/gpio holds these controllers. */
function sysfs(chips: { label: string; base: number; ngpio: number }[]): string {
  const root = tmpDir('kith-gpio-');
  const dir = join(root, 'class', 'gpio');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'export'), '');
  for (const c of chips) {
    const chip = join(dir, `gpiochip${c.base}`);
    mkdirSync(chip);
    writeFileSync(join(chip, 'label'), `${c.label}\n`);
    writeFileSync(join(chip, 'base'), `${c.base}\n`);
    writeFileSync(join(chip, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}

const nanopi = () =>
  sysfs([
    { label: '1c20800.pinctrl', base: 0, ngpio: 224 },
    { label: '1f02c00.pinctrl', base: 352, ngpio: 32 },
  ]);
const pi4 = () =>
  sysfs([
    { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    { label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
  ]);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (isKithError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('gpiochip base resolution', () => {
  it('adds the line to the base of the controller with that label', () => {
    const root = nanopi();
    expect(
      listGpioChips(root)
        .map((c) => c.label)
        .sort(),
    ).toEqual(['1c20800.pinctrl', '1f02c00.pinctrl']);
    expect(resolveGpio({ gpiochip: H3, line: 203 }, root)).toBe(203); // PG11
    expect(resolveGpio({ gpiochip: ['1f02c00.pinctrl'], line: 10 }, root)).toBe(362); // PL10
  });

  it('follows a base moved to 512 and up, trying the labels in order', () => {
    expect(resolveGpio({ gpiochip: PI, line: 17 }, pi4())).toBe(529);
    const pi5 = sysfs([
      { label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
      { label: 'pinctrl-rp1', base: 571, ngpio: 54 },
    ]);
    expect(resolveGpio({ gpiochip: PI, line: 17 }, pi5)).toBe(588);
  });

  it('says which controllers it found when the profile names another', () => {
    let err: unknown;
    try {
      resolveGpio({ gpiochip: H3, line: 6 }, pi4());
    } catch (e) {
      err = e;
    }
    expect(isKithError(err, 'GPIO_CHIP_MISSING')).toBe(true);
    expect((err as Error).message).toContain('"pinctrl-bcm2711" (base 512)');
  });

  it('refuses a line beyond the controller, and a kernel without sysfs GPIO', () => {
    expect(codeOf(() => resolveGpio({ gpiochip: PI, line: 58 }, pi4()))).toBe('GPIO_LINE_FAILED');
    expect(codeOf(() => resolveGpio({ gpiochip: PI, line: 1 }, tmpDir('kith-empty-')))).toBe(
      'GPIO_UNAVAILABLE',
    );
  });
});

class FakeGpio implements GpioPin {
  static accessible = true;
  static made: FakeGpio[] = [];
  /** Constructing a line with this number throws EBUSY. */
  static busy: number | undefined;
  readonly args: unknown[];
  readonly written: number[] = [];
  unexported = false;
  failWrites = false;
  private listener: ((err: Error | null | undefined, value: 0 | 1) => void) | undefined;

  constructor(...args: unknown[]) {
    if (args[0] === FakeGpio.busy)
      throw Object.assign(new Error('EBUSY: resource busy or locked, write'), { code: 'EBUSY' });
    this.args = args;
    FakeGpio.made.push(this);
  }

  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void {
    this.listener = callback;
  }

  writeSync(value: 0 | 1): void {
    if (this.failWrites) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    this.written.push(value);
  }

  unexport(): void {
    this.unexported = true;
  }

  /** The kernel saw the line change to `value` (after active_low). */
  fire(value: 0 | 1, err?: Error): void {
    this.listener?.(err ?? null, value);
  }
}

function fakeOnoff(): OnoffModule {
  FakeGpio.accessible = true;
  FakeGpio.made = [];
  FakeGpio.busy = undefined;
  return { Gpio: FakeGpio };
}

const nanopiButtons = {
  up: { gpiochip: H3, line: 203, activeLow: true },
  select: { gpiochip: H3, line: 6, activeLow: true },
  back: { gpiochip: H3, line: 200, activeLow: true },
};

/** The codes reported so far, once the drivers' queued reports (microtasks) have run. */
const nextErrors = async (errors: KithError[]) => {
  await new Promise<void>((resolve) => queueMicrotask(resolve));
  return errors.map((e) => e.code);
};

describe('GpioButtons', () => {
  it('watches each line for both edges, active low, and reports pressed on 1', async () => {
    const onoff = fakeOnoff();
    const buttons = new GpioButtons({ pins: nanopiButtons, sysfsRoot: nanopi(), onoff });
    const edges: [ButtonId, boolean][] = [];
    const errors: KithError[] = [];
    buttons.start(
      (b, p) => edges.push([b, p]),
      (e) => errors.push(e),
    );
    expect(FakeGpio.made.map((g) => g.args)).toEqual([
      [203, 'in', 'both', { activeLow: true }],
      [6, 'in', 'both', { activeLow: true }],
      [200, 'in', 'both', { activeLow: true }],
    ]);
    const [up, select] = FakeGpio.made;
    up?.fire(1);
    up?.fire(0);
    select?.fire(1);
    select?.fire(0, new Error('epoll failed'));
    select?.fire(0, new Error('epoll failed again'));
    expect(edges).toEqual([
      ['up', true],
      ['up', false],
      ['select', true],
    ]);
    expect(await nextErrors(errors)).toEqual(['GPIO_LINE_FAILED']);
    buttons.close();
    expect(FakeGpio.made.every((g) => g.unexported)).toBe(true);
    up?.fire(1);
    expect(edges).toHaveLength(3);
  });

  it('reports onoff without GPIO access as GPIO_UNAVAILABLE, once, after start returns', async () => {
    const onoff = fakeOnoff();
    FakeGpio.accessible = false;
    const buttons = new GpioButtons({ pins: nanopiButtons, sysfsRoot: nanopi(), onoff });
    const errors: KithError[] = [];
    buttons.start(
      () => {},
      (e) => errors.push(e),
    );
    expect(errors).toEqual([]);
    expect(await nextErrors(errors)).toEqual(['GPIO_UNAVAILABLE']);
    expect(errors[0]?.message).toContain('/sys/class/gpio/export');
    expect(FakeGpio.made).toEqual([]);
  });

  it('keeps the buttons it could set up and names the one it could not', async () => {
    const onoff = fakeOnoff();
    FakeGpio.busy = 6;
    const buttons = new GpioButtons({ pins: nanopiButtons, sysfsRoot: nanopi(), onoff });
    const edges: [ButtonId, boolean][] = [];
    const errors: KithError[] = [];
    buttons.start(
      (b, p) => edges.push([b, p]),
      (e) => errors.push(e),
    );
    expect(await nextErrors(errors)).toEqual(['GPIO_LINE_FAILED']);
    expect(errors[0]?.message).toContain('button select on GPIO 6');
    expect(errors[0]?.message).toContain('held by a kernel driver');
    FakeGpio.made[1]?.fire(1); // back
    expect(edges).toEqual([['back', true]]);
  });

  it('reports a profile for another board as GPIO_CHIP_MISSING', async () => {
    const buttons = new GpioButtons({ pins: nanopiButtons, sysfsRoot: pi4(), onoff: fakeOnoff() });
    const errors: KithError[] = [];
    buttons.start(
      () => {},
      (e) => errors.push(e),
    );
    expect(await nextErrors(errors)).toEqual(['GPIO_CHIP_MISSING']);
  });
});

describe('GpioLeds', () => {
  const pins = {
    green: { gpiochip: PI, line: 23, activeLow: false },
    red: { gpiochip: PI, line: 24, activeLow: true },
  };

  it('sets each line up as an output already off, then writes the logical value', () => {
    const leds = new GpioLeds({ pins, sysfsRoot: pi4(), onoff: fakeOnoff() });
    const [green, red] = FakeGpio.made;
    expect(green?.args).toEqual([535, 'low', 'none', { activeLow: false }]);
    expect(red?.args).toEqual([536, 'high', 'none', { activeLow: true }]);
    leds.set('green', true);
    leds.set('green', true);
    leds.set('red', true);
    leds.set('green', false);
    expect(green?.written).toEqual([1, 0]);
    expect(red?.written).toEqual([1]);
    leds.close();
    expect(red?.written).toEqual([1, 0]);
  });

  it('reports onoff without GPIO access once, even to a listener that comes later', () => {
    const onoff = fakeOnoff();
    FakeGpio.accessible = false;
    const leds = new GpioLeds({ pins, sysfsRoot: pi4(), onoff });
    const errors: string[] = [];
    leds.onError((e) => errors.push(e.code));
    leds.set('green', true);
    expect(errors).toEqual(['GPIO_UNAVAILABLE']);
  });

  it('reports a failing write once and leaves the other LED working', () => {
    const leds = new GpioLeds({ pins, sysfsRoot: pi4(), onoff: fakeOnoff() });
    const errors: string[] = [];
    leds.onError((e) => errors.push(e.code));
    const [green, red] = FakeGpio.made;
    if (green) green.failWrites = true;
    leds.set('green', true);
    leds.set('green', false);
    leds.set('green', true);
    leds.set('red', true);
    expect(errors).toEqual(['GPIO_LINE_FAILED']);
    expect(red?.written).toEqual([1]);
  });
});

describe('onoff itself', () => {
  it('loads on demand, and is usable only where sysfs GPIO is writable', () => {
    const onoff = loadOnoff();
    expect(typeof onoff.Gpio).toBe('function');
    if (onoff.Gpio.accessible) expect(usableOnoff(undefined)).toBe(onoff);
    else expect(codeOf(() => usableOnoff(undefined))).toBe('GPIO_UNAVAILABLE');
  });
});
