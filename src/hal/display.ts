// The display as the device UI sees it (DESIGN §5 "Display"): show a framebuffer, dim it, put it
// to sleep. The SSD1306 driver (hal/ssd1306.ts) and the simulator's display (hal/sim-display.ts)
// implement it. A failing display is reported, never thrown: the device keeps working without it.
import type { KithError } from '../errors.js';
import type { Framebuffer } from './framebuffer.js';

export interface Display {
  /** Makes the screen show `frame` (the driver sends only what changed). */
  show(frame: Framebuffer): void;
  /** 0-255; the UI dims after inactivity. */
  setContrast(level: number): void;
  /** Off: the panel sleeps (its RAM is kept); on: it shows the last frame again. */
  setPower(on: boolean): void;
  /** Failures after start (a display that vanished from the bus) arrive here, once each. */
  onError(listener: (err: KithError) => void): void;
  close(): void;
}
