// The timing half of the simulator's microphones: delivers frames from a generator on a Clock, frame k
// (k = 1, 2, ...) at start + k·20 ms, when a real microphone would have finished capturing it. Each
// frame is scheduled against that ideal time, not against the previous callback, so a late timer on
// the real clock does not push every later frame back; frames that fell due meanwhile are delivered
// at once, as ALSA hands over a backlog. In virtual time the schedule is exact.
import { KithError } from '../errors.js';
import type { Cancel, Clock } from '../net/clock.js';
import { type AudioIn, FRAME_MS, type PcmFormat } from './audio.js';

export abstract class PacedIn implements AudioIn {
  readonly format: PcmFormat;
  private readonly clock: Clock;
  private onFrame: ((frame: Int16Array) => void) | undefined;
  private cancel: Cancel | undefined;
  private startedAt = 0;
  private delivered = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';

  protected constructor(format: PcmFormat, clock: Clock) {
    this.format = format;
    this.clock = clock;
  }

  /** The next frame's samples (samplesPerFrame of them, a new array each time). */
  protected abstract nextFrame(): Int16Array;

  start(onFrame: (frame: Int16Array) => void, _onError: (err: KithError) => void): void {
    if (this.state !== 'new') {
      throw new KithError('AUDIO_MISUSE', `${this.constructor.name} was already started; make a new one`);
    }
    this.state = 'running';
    this.onFrame = onFrame;
    this.startedAt = this.clock.now();
    this.scheduleNext();
  }

  stop(): void {
    this.state = 'stopped';
    this.cancel?.();
    this.cancel = undefined;
    this.onFrame = undefined;
  }

  private scheduleNext(): void {
    const due = this.startedAt + (this.delivered + 1) * FRAME_MS;
    this.cancel = this.clock.schedule(due - this.clock.now(), () => this.tick());
  }

  private tick(): void {
    const now = this.clock.now();
    // onFrame may call stop(); check before each frame.
    while (this.state === 'running' && this.startedAt + (this.delivered + 1) * FRAME_MS <= now) {
      this.delivered += 1;
      this.onFrame?.(this.nextFrame());
    }
    if (this.state === 'running') this.scheduleNext();
  }
}
