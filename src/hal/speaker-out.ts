// Playback through the `speaker` npm package (ALSA in-process), kept as an option beside AlsaOut
// (aplay), which is the default for the reasons in alsa-out.ts. speaker is an optional dependency
// (it needs libasound2-dev to build), loaded with createRequire on the first start(), never at import.
//
// What aborts, measured (Debian 12, alsa-lib 1.2.8, speaker 0.5.5): loading the native binding runs
// get_formats(), which opens the PCM "default" for playback and, if that open fails, passes a NULL
// handle to snd_pcm_hw_params_any(): alsa-lib asserts `pcm && params` and the process dies with
// SIGABRT. Nothing else measured aborts: with a usable default, a named device that does not exist
// gives a clean 'error' event ("Failed to open output device") on the first write. So before the
// first load in a process, aplay opens "default" as the binding will (playback, S16_LE stereo
// 44.1 kHz, but non-blocking, so a default held by another program is refused rather than freezing
// the load), and only an open failure there stops the load. The named device is probed too,
// in the real format, so a missing, busy or unsuitable device is reported precisely at start()
// instead of as speaker's generic message on the first write. A default that disappears between
// the probe and the load still aborts: that race is why AlsaOut is the default.
import { createRequire } from 'node:module';
import { errorMessage, KithError } from '../errors.js';
import { type AudioOut, FRAME_MS, type PcmFormat } from './audio.js';
import { checkMs, probePlayback } from './alsa-child.js';
import { bytesFromSamples, checkFrame } from './frame.js';

export interface SpeakerOutOptions {
  /** Defaults to 16 kHz mono. */
  format?: PcmFormat;
  /** ALSA PCM name; defaults to ALSA's default PCM. */
  device?: string;
  /** Most audio queued for speaker, default 200 ms; frames beyond are dropped and counted. */
  maxQueueMs?: number;
  /** How long the aplay probes may take to open a device (a Bluetooth link comes up slowly); default 5000 ms. */
  probeTimeoutMs?: number;
}

interface SpeakerStream {
  write(chunk: Uint8Array, callback: (err?: Error | null) => void): boolean;
  close(flush: boolean): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
type SpeakerClass = new (options: {
  channels: number;
  bitDepth: number;
  sampleRate: number;
  signed: boolean;
  device?: string;
}) => SpeakerStream;

/** The format speaker's binding opens "default" with when it loads. */
const LOAD_PROBE_FORMAT = { sampleRate: 44_100, channels: 2 };

const require = createRequire(import.meta.url);
/** Loaded once per process; after the first load the default PCM is never opened at load again. */
let speakerClass: SpeakerClass | undefined;

export class SpeakerOut implements AudioOut {
  readonly format: PcmFormat;
  private readonly device: string | undefined;
  private readonly maxQueueFrames: number;
  private readonly probeTimeoutMs: number;
  private readonly queue: Uint8Array[] = [];
  private speaker: SpeakerStream | undefined;
  private writing = false;
  private dropped = 0;
  private onError: ((err: KithError) => void) | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: SpeakerOutOptions = {}) {
    this.format = options.format ?? { sampleRate: 16_000, channels: 1 };
    this.device = options.device;
    this.maxQueueFrames = checkMs('maxQueueMs', options.maxQueueMs ?? 10 * FRAME_MS, FRAME_MS) / FRAME_MS;
    this.probeTimeoutMs = checkMs('probeTimeoutMs', options.probeTimeoutMs ?? 5000, 100);
  }

  /** Probes the device and loads speaker in the background; frames written meanwhile are queued. */
  start(onError: (err: KithError) => void): void {
    if (this.state !== 'new') {
      throw new KithError('AUDIO_MISUSE', 'SpeakerOut was already started; make a new one');
    }
    this.state = 'running';
    this.onError = onError;
    void this.open().then((err) => {
      if (err) this.fail(err);
    });
  }

  write(frame: Int16Array): void {
    checkFrame(this.format, frame);
    if (this.state === 'new') throw new KithError('AUDIO_MISUSE', 'SpeakerOut.write() before start()');
    if (this.state !== 'running') return;
    if (this.queue.length >= this.maxQueueFrames) {
      this.dropped += 1;
      return;
    }
    this.queue.push(bytesFromSamples(frame));
    this.pump();
  }

  /** Drops what is queued and closes the device without draining it (no blocking wait). */
  stop(): void {
    this.state = 'stopped';
    this.queue.length = 0;
    // Closing while the binding writes on a worker thread would free the PCM under it; the write's
    // callback closes instead.
    if (!this.writing) this.close();
  }

  /** Frames dropped because more than maxQueueMs was already waiting. */
  get droppedFrames(): number {
    return this.dropped;
  }

  private async open(): Promise<KithError | undefined> {
    try {
      require.resolve('speaker');
    } catch {
      return new KithError(
        'AUDIO_DRIVER_MISSING',
        'the optional package "speaker" is not installed: install libasound2-dev, then run npm install ' +
          '(or use AlsaOut, which needs only alsa-utils)',
      );
    }
    if (speakerClass === undefined) {
      const err = await probePlayback('default', LOAD_PROBE_FORMAT, this.probeTimeoutMs);
      // Only an open that fails (or hangs) aborts the load; a default that opens but dislikes the
      // probe's format is harmless, as the binding ignores that.
      if (err && err.code !== 'AUDIO_FORMAT_UNSUPPORTED') {
        return new KithError(
          err.code,
          `speaker was not loaded: loading it opens ALSA's default PCM and aborts the whole process ` +
            `if that fails, and aplay found that it would (${err.message}). Give ALSA a usable ` +
            'default (e.g. pcm.!default { type null } in /etc/asound.conf) or use AlsaOut',
          { cause: err },
        );
      }
    }
    const err = await probePlayback(this.device ?? 'default', this.format, this.probeTimeoutMs);
    if (err) return err;
    if (this.state !== 'running') return undefined;
    try {
      speakerClass ??= require('speaker') as SpeakerClass;
      this.speaker = new speakerClass({
        channels: this.format.channels,
        bitDepth: 16,
        sampleRate: this.format.sampleRate,
        signed: true,
        ...(this.device === undefined ? {} : { device: this.device }),
      });
    } catch (cause) {
      return new KithError(
        'AUDIO_DRIVER_MISSING',
        `the package "speaker" is installed but does not load (${errorMessage(cause)}): ` +
          'rebuild it (npm rebuild speaker) or use AlsaOut',
        { cause },
      );
    }
    this.speaker.on('error', (cause) => this.fail(this.deviceFailed(cause)));
    this.pump();
    return undefined;
  }

  /** One write at a time, so stop() can wait for it before closing. */
  private pump(): void {
    const speaker = this.speaker;
    const chunk = this.queue[0];
    if (this.writing || speaker === undefined || chunk === undefined) return;
    this.queue.shift();
    this.writing = true;
    speaker.write(chunk, (err) => {
      this.writing = false;
      if (this.state !== 'running') this.close();
      else if (err) this.fail(this.deviceFailed(err));
      else this.pump();
    });
  }

  private deviceFailed(cause: Error): KithError {
    return new KithError(
      'AUDIO_DEVICE_FAILED',
      `speaker failed on ALSA device "${this.device ?? 'default'}": ${cause.message}`,
      { cause },
    );
  }

  private fail(err: KithError): void {
    if (this.state !== 'running') return;
    this.stop();
    this.onError?.(err);
  }

  private close(): void {
    const speaker = this.speaker;
    this.speaker = undefined;
    try {
      // flush=true drops what the device still holds instead of draining it, which would block.
      speaker?.close(true);
    } catch {
      // The device is being abandoned; a failing close has nothing left to report.
    }
  }
}
