// The simulator's speaker: keeps what a call played, so a test can compare it with what the far end's
// microphone captured, measures its level, and on stop() writes it as a WAV file a person can listen
// to. It plays nothing and waits for nothing: pacing playback is the caller's job, as it is with a
// real device, whose write blocks nobody either.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { errorMessage, KithError } from '../errors.js';
import { type AudioOut, FRAME_MS, type PcmFormat } from './audio.js';
import { checkFrame } from './frame.js';
import { type Level, LevelMeter, levelOf } from './level.js';
import { encodeWav } from './wav.js';

export interface RecorderOutOptions {
  /** Defaults to 16 kHz mono. */
  format?: PcmFormat;
  /** Write the recording here on stop(); replaced atomically, so a reader never sees half a file. */
  path?: string;
  /** Most audio kept (default five minutes); later frames are counted in `overflowFrames`, not kept. */
  maxDurationMs?: number;
}

const DEFAULT_MAX_DURATION_MS = 5 * 60_000;

export class RecorderOut implements AudioOut {
  readonly format: PcmFormat;
  private readonly path: string | undefined;
  private readonly maxFrames: number;
  private readonly frames: Int16Array[] = [];
  private readonly meter = new LevelMeter();
  private last: Level = { rmsDbfs: -Infinity, peakDbfs: -Infinity };
  private overflow = 0;
  private onError: ((err: KithError) => void) | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: RecorderOutOptions = {}) {
    this.format = options.format ?? { sampleRate: 16_000, channels: 1 };
    this.path = options.path;
    const maxMs = options.maxDurationMs ?? DEFAULT_MAX_DURATION_MS;
    if (!Number.isFinite(maxMs) || maxMs < 0) {
      throw new KithError('AUDIO_BAD_OPTION', `recorder maxDurationMs must be >= 0, got ${maxMs}`);
    }
    this.maxFrames = Math.floor(maxMs / FRAME_MS);
  }

  start(onError: (err: KithError) => void): void {
    if (this.state !== 'new') {
      throw new KithError('AUDIO_MISUSE', 'RecorderOut was already started; make a new one');
    }
    this.state = 'running';
    this.onError = onError;
  }

  /** Keeps a copy of the frame; frames written after stop() are ignored (a call tearing down). */
  write(frame: Int16Array): void {
    checkFrame(this.format, frame);
    if (this.state === 'new') throw new KithError('AUDIO_MISUSE', 'RecorderOut.write() before start()');
    if (this.state === 'stopped') return;
    this.last = levelOf(frame);
    this.meter.add(frame);
    if (this.frames.length < this.maxFrames) this.frames.push(frame.slice());
    else this.overflow += 1;
  }

  /** Ends the recording and writes the file, if a path was given; a failed write goes to onError. */
  stop(): void {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    if (this.path === undefined) return;
    try {
      writeAtomically(this.path, encodeWav(this.samples(), this.format.sampleRate));
    } catch (err) {
      this.onError?.(
        new KithError(
          'AUDIO_FILE_WRITE_FAILED',
          `cannot write recording to ${this.path}: ${errorMessage(err)}`,
          {
            cause: err,
          },
        ),
      );
    }
  }

  /** Everything kept so far, as one array. */
  samples(): Int16Array {
    const out = new Int16Array(this.frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const frame of this.frames) {
      out.set(frame, at);
      at += frame.length;
    }
    return out;
  }

  /** Frames written while running, kept or not. */
  get framesWritten(): number {
    return this.frames.length + this.overflow;
  }

  /** Frames written after maxDurationMs was full, and so not kept. */
  get overflowFrames(): number {
    return this.overflow;
  }

  /** Level of the last frame written. */
  get lastLevel(): Level {
    return this.last;
  }

  /** Level over every frame written, kept or not. */
  get totalLevel(): Level {
    return this.meter.level;
  }
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
