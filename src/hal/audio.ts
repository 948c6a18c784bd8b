// Audio as the rest of Kith sees it (DESIGN §5 "AudioIn/AudioOut"): 16-bit signed mono PCM in
// frames of exactly 20 ms, whatever is behind it: ALSA on the device (the headset through
// bluez-alsa or PipeWire), or a WAV file, a generated signal and a level meter in the simulator.
// Errors arrive as events, never as exceptions out of a timer or a child process: a missing
// device must end a call cleanly, not crash the service.
import type { KithError } from '../errors.js';

export const FRAME_MS = 20;

export type SampleRate = 16_000 | 48_000;

export interface PcmFormat {
  sampleRate: SampleRate;
  channels: 1;
}

export function samplesPerFrame(format: PcmFormat): number {
  return (format.sampleRate * FRAME_MS) / 1000;
}

export interface AudioIn {
  readonly format: PcmFormat;
  /**
   * Starts capturing. `onFrame` gets frames of exactly samplesPerFrame() samples, in order, each a
   * new array the callee may keep. `onError` reports a failure once; capture has stopped by then.
   */
  start(onFrame: (frame: Int16Array) => void, onError: (err: KithError) => void): void;
  /** Stops capturing and releases the device; safe to call twice or after an error. */
  stop(): void;
}

export interface AudioOut {
  readonly format: PcmFormat;
  /** Opens the device. `onError` reports a failure once; playback has stopped by then. */
  start(onError: (err: KithError) => void): void;
  /** Queues one frame (samplesPerFrame() samples) for playback. */
  write(frame: Int16Array): void;
  /** Stops playback and releases the device; safe to call twice or after an error. */
  stop(): void;
}
