// The simulator's buttons (DESIGN §2): the web front panel's button presses, or a test, inject raw
// edges exactly as a real driver reports them, so they go through the same input broker (debounce,
// long press) as the device's. It never fails. No timers.
import { KithError } from '../errors.js';
import { BUTTONS, type ButtonId, type ButtonInput } from './buttons.js';

export class SimButtons implements ButtonInput {
  private onEdge: ((button: ButtonId, pressed: boolean) => void) | undefined;
  private state: 'new' | 'running' | 'closed' = 'new';

  start(onEdge: (button: ButtonId, pressed: boolean) => void, _onError: (err: KithError) => void): void {
    if (this.state !== 'new')
      throw new KithError('HAL_MISUSE', 'SimButtons was already started; make a new one');
    this.state = 'running';
    this.onEdge = onEdge;
  }

  /**
   * The finger on `button`: true goes down, false comes up. Ignored before start() and after
   * close(), and for a name that is not a button (the panel's input comes over a WebSocket).
   */
  press(button: ButtonId, pressed: boolean): void {
    if (this.state !== 'running' || !(BUTTONS as readonly string[]).includes(button)) return;
    this.onEdge?.(button, pressed === true);
  }

  close(): void {
    this.state = 'closed';
    this.onEdge = undefined;
  }
}
