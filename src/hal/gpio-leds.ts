// The LEDs through onoff (sysfs GPIO), the fallback for a board without the kith-leds overlay
// (sysfs-leds.ts is the normal driver). Kernel doc Documentation/admin-guide/gpio/sysfs.rst:
// writing "high" or "low" to `direction` makes the line an output already at that raw level, so the
// LED never flashes while it is set up; `active_low` then inverts what `value` writes.
import { KithError } from '../errors.js';
import { LEDS, type LedId, type Leds } from './leds.js';
import {
  type GpioLineRef,
  type GpioPin,
  lineError,
  type OnoffModule,
  resolveGpio,
  usableOnoff,
} from './gpio.js';

export interface GpioLedPin extends GpioLineRef {
  /** The LED lights when the line is low (wired from 3.3 V to the pin). */
  activeLow: boolean;
}

export interface GpioLedsOptions {
  pins: Record<LedId, GpioLedPin>;
  /** Default "/sys"; tests pass a fake tree. */
  sysfsRoot?: string;
  /** Default: onoff, loaded here; tests pass a fake. */
  onoff?: OnoffModule;
}

interface LedLine {
  gpio: GpioPin;
  number: number;
  on: boolean;
}

export class GpioLeds implements Leds {
  private readonly pins: Record<LedId, GpioLedPin>;
  private readonly lines = new Map<LedId, LedLine>();
  private readonly listeners: ((err: KithError) => void)[] = [];
  private error: KithError | undefined;

  /** Exports each LED's line as an output, off; failures are reported on onError. */
  constructor(options: GpioLedsOptions) {
    this.pins = options.pins;
    let onoff: OnoffModule;
    try {
      onoff = usableOnoff(options.onoff);
    } catch (err) {
      this.fail(err as KithError);
      return;
    }
    for (const led of LEDS) {
      const pin = options.pins[led];
      let number: number | undefined;
      try {
        number = resolveGpio(pin, options.sysfsRoot);
        // Off is raw high for an active-low LED, raw low otherwise.
        const gpio = new onoff.Gpio(number, pin.activeLow ? 'high' : 'low', 'none', {
          activeLow: pin.activeLow,
        });
        this.lines.set(led, { gpio, number, on: false });
      } catch (err) {
        this.fail(lineError(`the ${led} LED`, pin, number, err));
      }
    }
  }

  set(led: LedId, on: boolean): void {
    const line = this.lines.get(led);
    if (line === undefined || line.on === on) return;
    try {
      line.gpio.writeSync(on ? 1 : 0);
      line.on = on;
    } catch (err) {
      this.lines.delete(led);
      this.fail(lineError(`the ${led} LED`, this.pins[led], line.number, err));
    }
  }

  /** The first failure, once; a listener added after it still hears of it. */
  onError(listener: (err: KithError) => void): void {
    this.listeners.push(listener);
    if (this.error !== undefined) listener(this.error);
  }

  /**
   * Turns the LEDs off; safe to call twice. The lines stay exported, so they keep driving the LEDs
   * off: unexported, a line falls back to an input and an LED on it may glow. The next start reuses
   * the export (onoff accepts an exported line).
   */
  close(): void {
    for (const line of this.lines.values()) {
      try {
        line.gpio.writeSync(0);
      } catch {
        // Closing anyway; a line that cannot be written now was reported, or is going away.
      }
    }
    this.lines.clear();
    this.listeners.length = 0;
  }

  private fail(err: KithError): void {
    if (this.error !== undefined) return;
    this.error = err;
    for (const listener of this.listeners) listener(err);
  }
}
