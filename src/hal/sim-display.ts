// The simulator's display (DESIGN §2, §5): what the SSD1306 would show, kept in memory for the web
// front panel and for tests. It holds a copy of the last frame, the power and the contrast, and
// tells listeners when any of them changed, so the panel pushes updates instead of polling. It
// never fails. No timers.
import type { KithError } from '../errors.js';
import type { Display } from './display.js';
import { Framebuffer } from './framebuffer.js';
import { DEFAULT_CONTRAST } from './ssd1306.js';

export interface SimDisplayState {
  /** False while the panel sleeps (setPower(false)). */
  on: boolean;
  /** 0-255, as the SSD1306 would get it. */
  contrast: number;
}

export class SimDisplay implements Display {
  private readonly current: Framebuffer;
  private readonly listeners = new Set<() => void>();
  private on = true;
  private contrast = DEFAULT_CONTRAST;
  private closed = false;

  constructor(width?: number, height?: number) {
    this.current = new Framebuffer(width, height);
  }

  show(frame: Framebuffer): void {
    if (this.closed) return;
    if (frame.width !== this.current.width || frame.height !== this.current.height) {
      throw new RangeError(
        `this display shows ${this.current.width}x${this.current.height} frames, got ${frame.width}x${frame.height}`,
      );
    }
    if (frame.changedPages(this.current).length === 0) return;
    this.current.copyFrom(frame);
    this.changed();
  }

  setContrast(level: number): void {
    if (!Number.isFinite(level)) throw new RangeError(`contrast must be a number 0-255, got ${level}`);
    const contrast = Math.min(255, Math.max(0, Math.round(level)));
    if (this.closed || contrast === this.contrast) return;
    this.contrast = contrast;
    this.changed();
  }

  setPower(on: boolean): void {
    if (this.closed || on === this.on) return;
    this.on = on;
    this.changed();
  }

  /** A simulated display never fails. */
  onError(_listener: (err: KithError) => void): void {}

  /** Keeps the last state readable; later calls change nothing and listeners hear nothing more. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  /** A copy of what the screen shows now. */
  frame(): Framebuffer {
    const copy = new Framebuffer(this.current.width, this.current.height);
    copy.copyFrom(this.current);
    return copy;
  }

  state(): SimDisplayState {
    return { on: this.on, contrast: this.contrast };
  }

  /** Calls `listener` after each change of the frame, power or contrast; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
