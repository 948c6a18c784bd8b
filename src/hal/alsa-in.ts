// The device's microphone: arecord capturing raw 16-bit mono at the format's rate from an ALSA PCM
// (on the device, the headset's SCO link through bluez-alsa), cut into exact 20 ms frames. arecord
// rather than the `mic` package, which leaves a WAV header in the stream and crashes the process when
// alsa-utils is missing (FIELD-NOTES). Nothing runs until start(), so any machine can import this.
//
// pw-record (PipeWire) is not offered as a backend: it cannot be tested here, and PipeWire exposes
// an ALSA PCM ("pipewire") that this driver can open by name instead.
import { KithError } from '../errors.js';
import { type AudioIn, type PcmFormat, samplesPerFrame } from './audio.js';
import { AlsaChild, checkMs } from './alsa-child.js';
import { Reframer } from './reframer.js';

export interface AlsaInOptions {
  /** Defaults to 16 kHz mono. */
  format?: PcmFormat;
  /** ALSA PCM name; defaults to "default". It must accept the format (a "plughw:" device converts). */
  device?: string;
  /**
   * ALSA capture buffer, default 200 ms. Capture hands over each 20 ms period as it completes, so a
   * larger buffer adds no delay; it only lets arecord ride out a stall without an overrun.
   */
  bufferMs?: number;
  /** How long stop() waits for arecord to exit on SIGTERM before SIGKILL; default 1000 ms. */
  stopTimeoutMs?: number;
}

export class AlsaIn implements AudioIn {
  readonly format: PcmFormat;
  private readonly device: string;
  private readonly bufferMs: number;
  private readonly stopTimeoutMs: number;
  private child: AlsaChild | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: AlsaInOptions = {}) {
    this.format = options.format ?? { sampleRate: 16_000, channels: 1 };
    this.device = options.device ?? 'default';
    this.bufferMs = checkMs('bufferMs', options.bufferMs ?? 200, 40);
    this.stopTimeoutMs = checkMs('stopTimeoutMs', options.stopTimeoutMs ?? 1000, 0);
  }

  start(onFrame: (frame: Int16Array) => void, onError: (err: KithError) => void): void {
    if (this.state !== 'new')
      throw new KithError('AUDIO_MISUSE', 'AlsaIn was already started; make a new one');
    this.state = 'running';
    const reframer = new Reframer(samplesPerFrame(this.format));
    const child = new AlsaChild(
      {
        tool: 'arecord',
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
      ['ignore', 'pipe', 'pipe'],
    );
    this.child = child;
    child.process.stdout?.on('data', (chunk: Buffer) => {
      for (const frame of reframer.push(chunk)) {
        // onFrame may stop capture; frames after that are not delivered.
        if (this.state !== 'running') return;
        onFrame(frame);
      }
    });
  }

  stop(): void {
    this.state = 'stopped';
    this.child?.stop();
  }
}
