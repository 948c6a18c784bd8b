// One device as the simulator's web panel sees it: its screen, LEDs and buttons, and a status
// line (call and quality figures). The simulator builds these from each device's sim hardware
// (hal/sim-*.ts) and service; the panel (sim/panel/) only reads and presses.
import type { ButtonId } from '../hal/buttons.js';
import type { Framebuffer } from '../hal/framebuffer.js';
import type { LedId } from '../hal/leds.js';

export interface PanelDevice {
  readonly id: string;
  readonly name: string;
  /** What the OLED shows now (the same bytes the SSD1306 would get). */
  frame(): Framebuffer;
  /** Whether the display is on (not asleep) and its contrast, so the panel can dim it too. */
  displayState(): { on: boolean; contrast: number };
  leds(): Record<LedId, boolean>;
  /** A button edge, as the finger would make it. */
  press(button: ButtonId, pressed: boolean): void;
  /** JSON for the panel's status line: the call, its live metrics, the network. */
  status(): Record<string, unknown>;
  /** Fires when the frame, the LEDs or the status changed; returns the unsubscribe function. */
  onUpdate(listener: () => void): () => void;
}
