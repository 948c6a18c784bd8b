// The three buttons (DESIGN §5): raw edges from a driver (kernel gpio-keys input events, onoff
// GPIO interrupts, or the simulator), which the input broker (hal/input-broker.ts) turns into
// semantic events. The UI never sees a pin or an edge.
import type { KithError } from '../errors.js';

export const BUTTONS = ['up', 'select', 'back'] as const;
export type ButtonId = (typeof BUTTONS)[number];

export interface ButtonInput {
  /** Starts reporting edges: `pressed` true when the button goes down, false when it comes up. */
  start(onEdge: (button: ButtonId, pressed: boolean) => void, onError: (err: KithError) => void): void;
  close(): void;
}

/** What the UI receives: a press (released before the long-press time) or a long press. */
export type InputEvent = 'UP' | 'SELECT' | 'BACK' | 'UP_LONG' | 'SELECT_LONG' | 'BACK_LONG';
