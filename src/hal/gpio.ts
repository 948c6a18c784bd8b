// What the sysfs-GPIO fallback drivers (gpio-buttons.ts, gpio-leds.ts) share: finding a header
// pin's Linux GPIO number at run time, and loading onoff only when one of them starts.
//
// Numbers (kernel Documentation/admin-guide/gpio/sysfs.rst, "GPIO controllers"): each controller
// appears as /sys/class/gpio/gpiochipN with `label`, `base` and `ngpio`, and its lines are numbered
// base .. base + ngpio - 1. The base is the kernel's choice: 0 for the H3's main pin controller on
// the kernels seen so far, but 512 and up on new Raspberry Pi kernels, where raw BCM numbers give
// EINVAL (FIELD-NOTES "GPIO and I2C"). So a board profile names the controller by label and the
// line by its offset, and the number is base + offset, read here, never written into a profile.
//
// onoff is loaded with createRequire when a driver starts, never at import: a laptop or a board
// without it (or without sysfs GPIO) never loads its native epoll binding.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { errorMessage, KithError } from '../errors.js';

/** Where a signal is, as a board profile says it (hardware/boards/*.json). */
export interface GpioLineRef {
  /** Labels of the controller; the first one present wins (one per SoC a profile covers). */
  gpiochip: readonly string[];
  /** Offset of the line within that controller. */
  line: number;
}

export interface GpioChip {
  label: string;
  base: number;
  ngpio: number;
}

/** The GPIO controllers under `<sysfsRoot>/class/gpio`; throws GPIO_UNAVAILABLE when there are none. */
export function listGpioChips(sysfsRoot = '/sys'): GpioChip[] {
  const dir = join(sysfsRoot, 'class', 'gpio');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (err) {
    throw new KithError(
      'GPIO_UNAVAILABLE',
      `${dir} cannot be read (${errorMessage(err)}): this kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS); ` +
        'install the kith overlays so the kernel drives buttons and LEDs (hardware/README.md)',
      { cause: err },
    );
  }
  const chips: GpioChip[] = [];
  for (const name of names) {
    const read = (attr: string) => readFileSync(join(dir, name, attr), 'utf8').trim();
    try {
      chips.push({ label: read('label'), base: Number(read('base')), ngpio: Number(read('ngpio')) });
    } catch {
      // A controller that vanished between readdir and read cannot be the one we want.
    }
  }
  return chips;
}

/** The Linux GPIO number of `ref` on this machine; throws GPIO_CHIP_MISSING / GPIO_LINE_FAILED. */
export function resolveGpio(ref: GpioLineRef, sysfsRoot = '/sys'): number {
  const chips = listGpioChips(sysfsRoot);
  for (const label of ref.gpiochip) {
    const chip = chips.find((c) => c.label === label);
    if (chip === undefined) continue;
    if (!Number.isInteger(chip.base) || !Number.isInteger(chip.ngpio)) {
      throw new KithError('GPIO_LINE_FAILED', `GPIO controller "${label}" reports a malformed base or ngpio`);
    }
    if (ref.line >= chip.ngpio) {
      throw new KithError(
        'GPIO_LINE_FAILED',
        `line ${ref.line} is beyond GPIO controller "${label}", which has ${chip.ngpio} lines`,
      );
    }
    return chip.base + ref.line;
  }
  const found = chips.map((c) => `"${c.label}" (base ${c.base})`).join(', ') || 'none';
  throw new KithError(
    'GPIO_CHIP_MISSING',
    `no GPIO controller labelled ${ref.gpiochip.map((l) => `"${l}"`).join(' or ')} under ` +
      `${join(sysfsRoot, 'class', 'gpio')} (found: ${found}); is this the board the profile is for?`,
  );
}

/** The part of an onoff Gpio the drivers use; tests pass fakes. */
export interface GpioPin {
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  writeSync(value: 0 | 1): void;
  unexport(): void;
}

/** The part of the onoff module the drivers use. */
export interface OnoffModule {
  Gpio: {
    /** False off-board, or when /sys/class/gpio/export cannot be opened for writing. */
    readonly accessible: boolean;
    new (
      gpio: number,
      direction: 'in' | 'out' | 'high' | 'low',
      edge?: 'none' | 'rising' | 'falling' | 'both',
      options?: { activeLow?: boolean },
    ): GpioPin;
  };
}

let onoff: OnoffModule | undefined;

/** onoff, loaded on first use; throws GPIO_DRIVER_MISSING if it is not installed or does not load. */
export function loadOnoff(): OnoffModule {
  try {
    onoff ??= createRequire(import.meta.url)('onoff') as OnoffModule;
    return onoff;
  } catch (err) {
    throw new KithError(
      'GPIO_DRIVER_MISSING',
      `the package "onoff" cannot be loaded (${errorMessage(err)}): reinstall Kith's dependencies ` +
        'on the device, or use the kernel drivers (hardware/README.md)',
      { cause: err },
    );
  }
}

/** onoff, checked usable: GPIO_DRIVER_MISSING or GPIO_UNAVAILABLE otherwise. */
export function usableOnoff(injected: OnoffModule | undefined): OnoffModule {
  const module = injected ?? loadOnoff();
  if (!module.Gpio.accessible) {
    throw new KithError(
      'GPIO_UNAVAILABLE',
      '/sys/class/gpio/export cannot be opened for writing: not a board with sysfs GPIO, or no ' +
        'permission (the udev rules in hardware/99-kith.rules give group kith access)',
    );
  }
  return module;
}

/** A KithError for a failure to set up or use one line, naming the signal and the pin. */
export function lineError(
  what: string,
  ref: GpioLineRef,
  number: number | undefined,
  err: unknown,
): KithError {
  if (err instanceof KithError) return new KithError(err.code, `${what}: ${err.message}`, { cause: err });
  const where = number === undefined ? `line ${ref.line}` : `GPIO ${number}`;
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'EBUSY'
      ? ': the line is held by a kernel driver (is the kith overlay installed? then use its driver)'
      : code === 'EACCES'
        ? ': permission denied (hardware/99-kith.rules)'
        : '';
  return new KithError('GPIO_LINE_FAILED', `${what} on ${where}: ${errorMessage(err)}${hint}`, {
    cause: err,
  });
}
