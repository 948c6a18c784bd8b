// The LED patterns of the device (DESIGN §5: LEDs are on/off; blinking is the UI's) and the player
// that runs one on the clock, so the same pattern blinks in real time on the board and in virtual
// time in tests. Green is status and calls, red is ringing and errors; a glance tells them apart.
//
//   pattern   green                          red                    afterwards
//   idle      on 80 ms, off 4920 ms          off                    repeats: a 5 s heartbeat
//   calling   on 500 ms, off 500 ms          off                    repeats (also: pairing)
//   ringing   off                            on 125 ms, off 125 ms  repeats: 4 Hz, urgent
//   inCall    on                             off                    steady until it changes
//   error     off                            on 3000 ms             both off
//
// A pattern is a table of steps (both LEDs' states and how long they hold); a repeating one starts
// over after its last step, any other ends with both LEDs off, or never ends if its last step
// lasts forever (Infinity).
import type { Cancel, Clock } from '../net/clock.js';
import type { Leds } from '../hal/leds.js';

export interface LedStep {
  green: boolean;
  red: boolean;
  ms: number;
}

export interface LedPattern {
  steps: readonly LedStep[];
  repeat: boolean;
}

const step = (green: boolean, red: boolean, ms: number): LedStep => ({ green, red, ms });

export const LED_PATTERNS = {
  idle: { steps: [step(true, false, 80), step(false, false, 4920)], repeat: true },
  calling: { steps: [step(true, false, 500), step(false, false, 500)], repeat: true },
  ringing: { steps: [step(false, true, 125), step(false, false, 125)], repeat: true },
  inCall: { steps: [step(true, false, Infinity)], repeat: false },
  error: { steps: [step(false, true, 3000)], repeat: false },
} as const satisfies Record<string, LedPattern>;

/** Plays one pattern at a time on the LEDs; an LED is written only when its state changes. */
export class LedPlayer {
  readonly #clock: Clock;
  readonly #leds: Leds;
  #pattern: LedPattern | null = null;
  #occasion: object | null = null;
  #next: Cancel | null = null;
  readonly #lit = { green: null as boolean | null, red: null as boolean | null };

  constructor(clock: Clock, leds: Leds) {
    this.#clock = clock;
    this.#leds = leds;
  }

  /**
   * Starts `pattern` from its first step, unless it is already playing for the same occasion: a
   * blink is not cut short by a redraw, but a second error restarts the error pattern.
   */
  play(pattern: LedPattern, occasion: object | null = null): void {
    if (pattern === this.#pattern && occasion === this.#occasion) return;
    this.#next?.();
    this.#pattern = pattern;
    this.#occasion = occasion;
    this.#enter(pattern, 0);
  }

  /** Both LEDs off, nothing playing. */
  stop(): void {
    this.#next?.();
    this.#next = null;
    this.#pattern = null;
    this.#set(false, false);
  }

  #enter(pattern: LedPattern, index: number): void {
    const current = pattern.steps[index];
    if (current === undefined) {
      this.#next = null;
      this.#set(false, false);
      return;
    }
    this.#set(current.green, current.red);
    const following = index + 1 < pattern.steps.length || !pattern.repeat ? index + 1 : 0;
    this.#next = Number.isFinite(current.ms)
      ? this.#clock.schedule(current.ms, () => this.#enter(pattern, following))
      : null;
  }

  #set(green: boolean, red: boolean): void {
    if (this.#lit.green !== green) this.#leds.set('green', green);
    if (this.#lit.red !== red) this.#leds.set('red', red);
    this.#lit.green = green;
    this.#lit.red = red;
  }
}
