// The two LEDs (DESIGN §5): green (status, call) and red (ringing, error). Drivers set them on or
// off; blink patterns are the device UI's (device/led-patterns.ts), timed by its clock.
import type { KithError } from '../errors.js';

export const LEDS = ['green', 'red'] as const;
export type LedId = (typeof LEDS)[number];

export interface Leds {
  set(led: LedId, on: boolean): void;
  onError(listener: (err: KithError) => void): void;
  close(): void;
}
