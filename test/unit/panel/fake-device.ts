// A PanelDevice the test drives by hand: it shows whatever the test draws and records every press,
// so panel tests need no Kith service behind the screen. `onPress` lets a test make the device
// answer its buttons (the e2e test redraws on every edge).
import type { ButtonId } from '../../../src/hal/buttons.js';
import { Framebuffer } from '../../../src/hal/framebuffer.js';
import type { LedId } from '../../../src/hal/leds.js';
import type { PanelDevice } from '../../../src/sim/panel-device.js';

export class FakeDevice implements PanelDevice {
  readonly id: string;
  readonly name: string;
  readonly fb = new Framebuffer();
  display = { on: true, contrast: 255 };
  ledState: Record<LedId, boolean> = { green: false, red: false };
  statusValue: Record<string, unknown> = { call: { state: 'idle' } };
  readonly presses: [ButtonId, boolean][] = [];
  onPress: ((button: ButtonId, pressed: boolean) => void) | null = null;
  readonly #listeners = new Set<() => void>();

  constructor(id: string, name = id) {
    this.id = id;
    this.name = name;
  }

  frame(): Framebuffer {
    return this.fb;
  }

  displayState(): { on: boolean; contrast: number } {
    return this.display;
  }

  leds(): Record<LedId, boolean> {
    return this.ledState;
  }

  press(button: ButtonId, pressed: boolean): void {
    this.presses.push([button, pressed]);
    this.onPress?.(button, pressed);
  }

  status(): Record<string, unknown> {
    return this.statusValue;
  }

  onUpdate(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Tells the panel that something changed, as the device does after drawing. */
  changed(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Redraws the screen with a pattern of `seed` (distinct seeds, distinct frames) and tells the panel. */
  drawPattern(seed: number): void {
    let s = (Math.imul(seed, 2654435761) + 1) >>> 0;
    for (let i = 0; i < this.fb.bytes.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      this.fb.bytes[i] = s >>> 24;
    }
    this.changed();
  }
}
