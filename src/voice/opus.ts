// Opus through @discordjs/opus (libopus 1.3.1, bundled), as the voice pipeline needs it
// (FIELD-NOTES "Opus"): VOIP application set before the first encode (it only works then), voice
// signal type, a bitrate and packet-loss hint that follow the network, and a complexity the board
// profile chooses. The binding cannot decode in-band FEC, so loss recovery is the pipeline's
// redundancy; what is lost for good is concealed by decoding a packet that is only a TOC byte,
// which gives exactly one frame of libopus PLC (measured: 320 samples at 16 kHz).
import { createRequire } from 'node:module';
import { KithError } from '../errors.js';
import { type PcmFormat, samplesPerFrame } from '../hal/audio.js';

interface OpusBinding {
  encode(pcm: Buffer): Buffer;
  decode(packet: Buffer): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
  setBitrate(bitrate: number): void;
}

// libopus request codes (opus_defines.h).
const OPUS_SET_APPLICATION = 4000;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;

type OpusModule = { OpusEncoder: new (rate: number, channels: number) => OpusBinding };
let binding: OpusModule | null = null;
function load(): OpusModule {
  binding ??= createRequire(import.meta.url)('@discordjs/opus') as OpusModule;
  return binding;
}

function pcmBuffer(frame: Int16Array): Buffer {
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

export interface EncoderOptions {
  format: PcmFormat;
  bitrate: number;
  /** 0-10; the board profile's choice (the H3 cannot afford 10). */
  complexity: number;
}

export class VoiceEncoder {
  readonly #opus: OpusBinding;
  readonly #samples: number;
  #bitrate = 0;

  constructor(opts: EncoderOptions) {
    this.#opus = new (load().OpusEncoder)(opts.format.sampleRate, 1);
    this.#opus.applyEncoderCTL(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
    this.#opus.applyEncoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    this.#opus.applyEncoderCTL(OPUS_SET_COMPLEXITY, opts.complexity);
    this.#samples = samplesPerFrame(opts.format);
    this.setBitrate(opts.bitrate);
  }

  get bitrate(): number {
    return this.#bitrate;
  }

  setBitrate(bitrate: number): void {
    if (bitrate === this.#bitrate) return;
    this.#opus.setBitrate(bitrate);
    this.#bitrate = bitrate;
  }

  /** Tells the encoder how lossy the path is, so it spends bits where concealment needs them. */
  setPacketLossPercent(percent: number): void {
    this.#opus.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, Math.max(0, Math.min(100, Math.round(percent))));
  }

  encode(frame: Int16Array): Uint8Array {
    if (frame.length !== this.#samples) {
      throw new KithError(
        'VOICE_BAD_FRAME',
        `an encoder frame is ${this.#samples} samples, got ${frame.length}`,
      );
    }
    const out = this.#opus.encode(pcmBuffer(frame));
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
}

export class VoiceDecoder {
  readonly #opus: OpusBinding;
  readonly #samples: number;
  /** The TOC byte of the last good packet with its frame-count bits cleared (RFC 6716 §3.1). */
  #toc: number | null = null;

  constructor(format: PcmFormat) {
    this.#opus = new (load().OpusEncoder)(format.sampleRate, 1);
    this.#samples = samplesPerFrame(format);
  }

  /** Decodes one packet; a packet libopus refuses is concealed instead (and reported as such). */
  decode(packet: Uint8Array): { pcm: Int16Array; concealed: boolean } {
    try {
      const pcm = this.#pcm(this.#opus.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.length)));
      if (pcm.length === this.#samples) {
        this.#toc = (packet[0] as number) & 0xfc;
        return { pcm, concealed: false };
      }
    } catch {
      // corrupt payload: fall through to concealment
    }
    return { pcm: this.conceal(), concealed: true };
  }

  /** One frame of packet-loss concealment continuing the last decoded audio. */
  conceal(): Int16Array {
    if (this.#toc === null) return new Int16Array(this.#samples);
    const pcm = this.#pcm(this.#opus.decode(Buffer.of(this.#toc)));
    return pcm.length === this.#samples ? pcm : new Int16Array(this.#samples);
  }

  #pcm(out: Buffer): Int16Array {
    // A copy: the binding's buffer may be reused, and Int16Array needs 2-byte alignment.
    const pcm = new Int16Array(out.length / 2);
    new Uint8Array(pcm.buffer).set(out);
    return pcm;
  }
}
