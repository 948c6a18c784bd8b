// The device's speaker: aplay playing raw 16-bit mono at the format's rate to an ALSA PCM (on the
// device, the headset through bluez-alsa), fed frame by frame on its stdin.
//
// Why a child process and not the `speaker` package in-process (speaker-out.ts keeps it as an option
// and has the details; measured on Debian 12, alsa-lib 1.2.8, speaker 0.5.5, or read in its source):
// - measured: loading speaker opens ALSA's default PCM, and when that fails (no card; a default that
//   is a headset not connected) alsa-lib's assertion aborts the whole process with SIGABRT. A guard
//   can probe the default first, but the probe needs aplay anyway and races the load;
// - source: speaker opens the device in blocking mode on the main thread, so a device held by
//   another program would freeze the event loop; aplay -N fails at once with EBUSY instead;
// - source: speaker's ALSA buffer is fixed at 0.5 s, which becomes 0.5 s of delay in a call once it
//   fills; aplay takes the buffer we ask for (80 ms by default);
// - a child that crashes is an exit code and a stderr line, reported as an error event.
// The cost, measured: a process of about 3 MB RSS and a few ms to start it, once per call.
import { KithError } from '../errors.js';
import { type AudioOut, FRAME_MS, type PcmFormat, samplesPerFrame } from './audio.js';
import { AlsaChild, checkMs } from './alsa-child.js';
import { bytesFromSamples, checkFrame } from './frame.js';

export interface AlsaOutOptions {
  /** Defaults to 16 kHz mono. */
  format?: PcmFormat;
  /** ALSA PCM name; defaults to "default". It must accept the format (a "plughw:" device converts). */
  device?: string;
  /**
   * ALSA playback buffer, default 80 ms. aplay starts playing once it is full and keeps it full as
   * long as frames arrive in time, so this is the delay playback adds, and also how late a frame
   * may be before the device runs dry (an underrun: a click, then aplay refills and carries on).
   */
  bufferMs?: number;
  /**
   * Most audio queued towards aplay, default 200 ms. Frames written while more than this waits (a
   * stalled device, or a caller writing faster than real time) are dropped and counted, rather than
   * piling up as ever-growing delay.
   */
  maxQueueMs?: number;
  /** How long stop() waits for aplay to exit on SIGTERM before SIGKILL; default 1000 ms. */
  stopTimeoutMs?: number;
}

export class AlsaOut implements AudioOut {
  readonly format: PcmFormat;
  private readonly device: string;
  private readonly bufferMs: number;
  private readonly maxQueueBytes: number;
  private readonly stopTimeoutMs: number;
  private child: AlsaChild | undefined;
  private dropped = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: AlsaOutOptions = {}) {
    this.format = options.format ?? { sampleRate: 16_000, channels: 1 };
    this.device = options.device ?? 'default';
    this.bufferMs = checkMs('bufferMs', options.bufferMs ?? 4 * FRAME_MS, 2 * FRAME_MS);
    const maxQueueMs = checkMs('maxQueueMs', options.maxQueueMs ?? 10 * FRAME_MS, FRAME_MS);
    this.maxQueueBytes = (maxQueueMs / FRAME_MS) * samplesPerFrame(this.format) * 2;
    this.stopTimeoutMs = checkMs('stopTimeoutMs', options.stopTimeoutMs ?? 1000, 0);
  }

  start(onError: (err: KithError) => void): void {
    if (this.state !== 'new')
      throw new KithError('AUDIO_MISUSE', 'AlsaOut was already started; make a new one');
    this.state = 'running';
    this.child = new AlsaChild(
      {
        tool: 'aplay',
        device: this.device,
        format: this.format,
        bufferMs: this.bufferMs,
        stopTimeoutMs: this.stopTimeoutMs,
        onFailure: (err) => {
          if (this.state !== 'running') return;
          this.state = 'stopped';
          onError(err);
        },
      },
      ['pipe', 'ignore', 'pipe'],
    );
    // A write to an aplay that has died fails with EPIPE; its exit, not the pipe, says why.
    this.child.process.stdin?.on('error', () => {});
  }

  /** Queues a frame; ignored once stopped or failed (a call tearing down may still write). */
  write(frame: Int16Array): void {
    checkFrame(this.format, frame);
    if (this.state === 'new') throw new KithError('AUDIO_MISUSE', 'AlsaOut.write() before start()');
    const stdin = this.child?.process.stdin;
    if (this.state !== 'running' || !stdin) return;
    if (stdin.writableLength >= this.maxQueueBytes) {
      this.dropped += 1;
      return;
    }
    stdin.write(bytesFromSamples(frame));
  }

  stop(): void {
    this.state = 'stopped';
    this.child?.process.stdin?.destroy();
    this.child?.stop();
  }

  /** Frames dropped because more than maxQueueMs was already waiting. */
  get droppedFrames(): number {
    return this.dropped;
  }
}
