// The LEDs through the kernel's gpio-leds driver, the normal case on our image: the kith-leds overlay
// (hardware/overlays/) declares them, and each appears as /sys/class/leds/<label>. No native module.
//
// Kernel doc Documentation/leds/leds-class.rst: `brightness` takes 0..max_brightness (1 for a GPIO
// LED); `trigger` selects what drives the LED, and writing "none" hands it to us. The overlay sets
// linux,default-trigger "none" already; writing it again at start undoes a trigger someone set by
// hand (`echo heartbeat > trigger`), which would otherwise fight our writes.
//
// Writes are synchronous: a sysfs attribute write is a short in-kernel call that never waits on a
// device, and LED changes come at blink rate, a few per second at most.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, KithError } from '../errors.js';
import { LEDS, type LedId, type Leds } from './leds.js';

export interface SysfsLedsOptions {
  /** The LED class name of each LED (the overlay's labels), e.g. "kith:green:status". */
  names: Record<LedId, string>;
  /** Default "/sys/class/leds"; tests pass a temporary directory. */
  ledsDir?: string;
}

interface LedFiles {
  dir: string;
  /** max_brightness as the kernel wrote it, written back for "on". */
  max: string;
  on: boolean | undefined;
}

export class SysfsLeds implements Leds {
  private readonly leds = new Map<LedId, LedFiles>();
  private readonly listeners: ((err: KithError) => void)[] = [];
  private error: KithError | undefined;

  /** Takes each LED over (trigger "none", off); an LED that cannot be used is reported on onError. */
  constructor(options: SysfsLedsOptions) {
    const ledsDir = options.ledsDir ?? '/sys/class/leds';
    for (const led of LEDS) {
      const name = options.names[led];
      const dir = join(ledsDir, name);
      try {
        if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
          throw new KithError(
            'LEDS_MISSING',
            `the ${led} LED "${name}" does not exist under ${ledsDir}: install the kith-leds overlay ` +
              '(hardware/README.md), or set the board profile\'s leds.driver to "gpio"',
          );
        }
        writeFileSync(join(dir, 'trigger'), 'none');
        const max = readFileSync(join(dir, 'max_brightness'), 'utf8').trim();
        if (!/^[1-9]\d*$/.test(max)) {
          throw new KithError('LEDS_FAILED', `the ${led} LED "${name}" has max_brightness "${max}"`);
        }
        const files: LedFiles = { dir, max, on: undefined };
        this.write(files, false);
        this.leds.set(led, files);
      } catch (err) {
        this.fail(ledError(led, dir, err));
      }
    }
  }

  set(led: LedId, on: boolean): void {
    const files = this.leds.get(led);
    if (files === undefined || files.on === on) return;
    try {
      this.write(files, on);
    } catch (err) {
      this.leds.delete(led);
      this.fail(ledError(led, files.dir, err));
    }
  }

  /** The first failure, once; a listener added after it still hears of it. */
  onError(listener: (err: KithError) => void): void {
    this.listeners.push(listener);
    if (this.error !== undefined) listener(this.error);
  }

  /** Turns the LEDs off, so a stopped service leaves no stale signal; safe to call twice. */
  close(): void {
    for (const files of this.leds.values()) {
      try {
        this.write(files, false);
      } catch {
        // Closing anyway; an LED that cannot be written now was reported, or is going away.
      }
    }
    this.leds.clear();
    this.listeners.length = 0;
  }

  private write(files: LedFiles, on: boolean): void {
    writeFileSync(join(files.dir, 'brightness'), on ? files.max : '0');
    files.on = on;
  }

  private fail(err: KithError): void {
    if (this.error !== undefined) return;
    this.error = err;
    for (const listener of this.listeners) listener(err);
  }
}

function ledError(led: LedId, dir: string, err: unknown): KithError {
  if (err instanceof KithError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new KithError(
      'LEDS_ACCESS_DENIED',
      `the ${led} LED at ${dir} cannot be written (${errorMessage(err)}): install the udev rules ` +
        'in hardware/99-kith.rules',
      { cause: err },
    );
  }
  return new KithError('LEDS_FAILED', `the ${led} LED at ${dir} failed (${errorMessage(err)})`, {
    cause: err,
  });
}
