// Buttons through onoff (sysfs GPIO with edge interrupts), the fallback for a board without the
// kith-buttons overlay (evdev-buttons.ts is the normal driver). Kernel doc:
// Documentation/admin-guide/gpio/sysfs.rst: `edge` = "both" makes poll() on `value` wake on every
// change, and `active_low` inverts what `value` reads, so a button wired to ground reads 1 pressed.
//
// What sysfs cannot do is set a pull resistor: a button wired to ground needs a pull-up from
// elsewhere, or its line floats. On the Raspberry Pi, `gpio=17,27,22=ip,pu` in config.txt (the
// firmware sets it at boot); on the NanoPi, the kith-buttons overlay or external 10 kΩ resistors to
// 3.3 V (hardware/README.md). No debounce here: onoff's own debounce runs on setTimeout, and the
// input broker debounces on the injected clock.
import { KithError } from '../errors.js';
import { BUTTONS, type ButtonId, type ButtonInput } from './buttons.js';
import {
  type GpioLineRef,
  type GpioPin,
  lineError,
  type OnoffModule,
  resolveGpio,
  usableOnoff,
} from './gpio.js';

export interface GpioButtonPin extends GpioLineRef {
  /** The button pulls the line to ground when pressed (wired to GND with a pull-up). */
  activeLow: boolean;
}

export interface GpioButtonsOptions {
  pins: Record<ButtonId, GpioButtonPin>;
  /** Default "/sys"; tests pass a fake tree. */
  sysfsRoot?: string;
  /** Default: onoff, loaded at start(); tests pass a fake. */
  onoff?: OnoffModule;
}

export class GpioButtons implements ButtonInput {
  private readonly options: GpioButtonsOptions;
  private readonly lines: GpioPin[] = [];
  private state: 'new' | 'running' | 'closed' = 'new';
  private failed = false;

  constructor(options: GpioButtonsOptions) {
    this.options = options;
  }

  /**
   * Exports and watches each button's line. Failures arrive on `onError` (once, after start()
   * returns, naming every button that could not be set up); the buttons that could keep working.
   */
  start(onEdge: (button: ButtonId, pressed: boolean) => void, onError: (err: KithError) => void): void {
    if (this.state !== 'new')
      throw new KithError('HAL_MISUSE', 'GpioButtons was already started; make a new one');
    this.state = 'running';
    const report = (err: KithError) => {
      if (this.failed || this.state !== 'running') return;
      this.failed = true;
      onError(err);
    };
    const problems: KithError[] = [];
    let onoff: OnoffModule;
    try {
      onoff = usableOnoff(this.options.onoff);
    } catch (err) {
      queueMicrotask(() => report(err as KithError));
      return;
    }
    for (const button of BUTTONS) {
      const pin = this.options.pins[button];
      let number: number | undefined;
      try {
        number = resolveGpio(pin, this.options.sysfsRoot);
        const gpio = new onoff.Gpio(number, 'in', 'both', { activeLow: pin.activeLow });
        this.lines.push(gpio);
        const where = number;
        gpio.watch((err, value) => {
          if (this.state !== 'running') return;
          if (err) report(lineError(`button ${button}`, pin, where, err));
          else onEdge(button, value === 1);
        });
      } catch (err) {
        problems.push(lineError(`button ${button}`, pin, number, err));
      }
    }
    const first = problems[0];
    if (first !== undefined) {
      const message = problems.map((p) => p.message).join('; ');
      queueMicrotask(() => report(new KithError(first.code, message, { cause: first })));
    }
  }

  /** Stops watching and unexports the lines; safe to call twice. */
  close(): void {
    this.state = 'closed';
    for (const line of this.lines.splice(0)) {
      try {
        line.unexport();
      } catch {
        // The line is going away either way; nothing is left to report to.
      }
    }
  }
}
