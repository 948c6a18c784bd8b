// The input broker (DESIGN §5): raw button edges from any driver (evdev, onoff, the simulator) in,
// the UI's semantic events out: a press (UP, SELECT, BACK) on release, a long press (UP_LONG, ...)
// the moment the button has been held long enough, and nothing on that long press's release.
//
// Debounce is done here even though the kernel's gpio-keys debounces too
// (Documentation/devicetree/bindings/input/gpio-keys.yaml, "debounce-interval", 5 ms by default):
// onoff delivers every interrupt, and a worn switch bounces longer than the kernel's interval. The
// scheme is "leading edge, then settle": the first edge that changes a button's state is taken at
// once (no added latency), edges within debounceMs of it are ignored, and when that window closes
// the last level seen is taken if it differs, so a tap shorter than the window is not lost and a
// bounce that ends in the other state cannot leave the button stuck.
//
// Timers (all through the injected Clock), at most two per button, so state is bounded whatever
// the edges do:
// - settle: debounceMs after an accepted edge, when an edge was ignored since; takes the last level.
// - long press: longPressMs after an accepted press; emits *_LONG once.
import type { Cancel, Clock } from '../net/clock.js';
import { KithError } from '../errors.js';
import { BUTTONS, type ButtonId, type InputEvent } from './buttons.js';

/**
 * 30 ms: tactile switches bounce for 1-10 ms new and up to ~20 ms worn, while the shortest
 * deliberate tap lasts ~50 ms and fast repeated presses come ~100 ms apart, so a 30 ms window
 * swallows bounce and never a real press.
 */
export const DEFAULT_DEBOUNCE_MS = 30;
/**
 * 800 ms: a deliberate tap is released within 100-300 ms; holding clearly longer is a choice. The
 * device has no other feedback while a button is held, so the threshold stays well above a slow
 * tap (a long press hangs up or cancels), yet under the 1 s at which holding starts to feel stuck.
 */
export const DEFAULT_LONG_PRESS_MS = 800;

const PRESS: Record<ButtonId, InputEvent> = { up: 'UP', select: 'SELECT', back: 'BACK' };
const LONG: Record<ButtonId, InputEvent> = { up: 'UP_LONG', select: 'SELECT_LONG', back: 'BACK_LONG' };

export interface InputBrokerOptions {
  clock: Clock;
  onEvent: (event: InputEvent) => void;
  /** Edges within this many ms of the last accepted edge of that button are bounce; default 30. */
  debounceMs?: number;
  /** Held this long, a press is a long press; default 800. */
  longPressMs?: number;
}

interface ButtonState {
  /** The debounced state. */
  down: boolean;
  /** The last level a driver reported, accepted or not. */
  raw: boolean;
  /** When the last accepted edge was taken; -Infinity before the first. */
  acceptedAt: number;
  /** The long press of the current press has been emitted; its release emits nothing. */
  longSent: boolean;
  settle: Cancel | undefined;
  long: Cancel | undefined;
}

export class InputBroker {
  private readonly clock: Clock;
  private readonly onEvent: (event: InputEvent) => void;
  private readonly debounceMs: number;
  private readonly longPressMs: number;
  private readonly buttons = new Map<ButtonId, ButtonState>();
  private closed = false;

  constructor(options: InputBrokerOptions) {
    this.clock = options.clock;
    this.onEvent = options.onEvent;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.longPressMs = options.longPressMs ?? DEFAULT_LONG_PRESS_MS;
    if (!Number.isFinite(this.debounceMs) || this.debounceMs < 0 || this.debounceMs > 500) {
      throw new KithError('HAL_BAD_OPTION', `debounceMs must be 0..500 ms, got ${this.debounceMs}`);
    }
    if (
      !Number.isFinite(this.longPressMs) ||
      this.longPressMs <= this.debounceMs ||
      this.longPressMs > 10_000
    ) {
      throw new KithError(
        'HAL_BAD_OPTION',
        `longPressMs must be above debounceMs (${this.debounceMs}) and at most 10000 ms, got ${this.longPressMs}`,
      );
    }
    for (const id of BUTTONS) {
      this.buttons.set(id, {
        down: false,
        raw: false,
        acceptedAt: -Infinity,
        longSent: false,
        settle: undefined,
        long: undefined,
      });
    }
  }

  /** A driver saw `button` go down (true) or up (false). Unknown buttons are ignored. */
  edge(button: ButtonId, pressed: boolean): void {
    const s = this.buttons.get(button);
    if (s === undefined || this.closed) return;
    s.raw = pressed;
    const sinceAccepted = this.clock.now() - s.acceptedAt;
    if (sinceAccepted < this.debounceMs) {
      // Bounce, or a tap shorter than the window: the settle timer looks at the level again.
      s.settle ??= this.clock.schedule(this.debounceMs - sinceAccepted, () => {
        s.settle = undefined;
        if (s.raw !== s.down) this.accept(button, s);
      });
      return;
    }
    // A repeated level (a driver that reports the same state twice) is not an edge.
    if (pressed !== s.down) this.accept(button, s);
  }

  /** Cancels every timer; later edges are ignored and nothing more is emitted. */
  close(): void {
    this.closed = true;
    for (const s of this.buttons.values()) {
      s.settle?.();
      s.long?.();
      s.settle = undefined;
      s.long = undefined;
    }
  }

  private accept(button: ButtonId, s: ButtonState): void {
    s.down = s.raw;
    s.acceptedAt = this.clock.now();
    if (s.down) {
      s.longSent = false;
      s.long = this.clock.schedule(this.longPressMs, () => {
        s.long = undefined;
        s.longSent = true;
        this.onEvent(LONG[button]);
      });
      return;
    }
    s.long?.();
    s.long = undefined;
    if (!s.longSent) this.onEvent(PRESS[button]);
  }
}
