// The voice pipeline of one call (DESIGN §3 "Calls and voice"):
//
//   capture (AudioIn, 20 ms frames) -> Opus encode -> packet with 0-2 earlier frames as redundancy
//     -> channel datagram                                            ... network ...
//   channel datagram -> packet decode -> jitter buffer (adaptive) -> Opus decode, or PLC for a
//     frame lost for good -> playback (AudioOut), paced by the clock every 20 ms
//
// Each side also sends a receiver report about once a second (voice/report.ts): the network loss
// it saw drives the peer's bitrate and redundancy (voice/loss-adapter.ts), and the echoed
// timestamp gives the round trip. Metrics (live and final) feed the E-model (voice/emodel.ts).
//
// Timers (all here): playout tick every FRAME_MS (drift-free, from the start time); a report every
// REPORT_INTERVAL_MS. Capture is paced by the AudioIn itself.
//
// The one-way mouth-to-ear delay is an estimate, the sum of what is known: the capture frame
// (FRAME_MS), what Opus adds beyond it (OPUS_LOOKAHEAD_MS: libopus documents 26.5 ms of
// algorithmic delay for 20 ms frames), half the smallest round trip seen (the network's transit
// without queueing: the jitter buffer's delay is measured from the fastest packet, so adding the
// mean round trip would count the jitter twice), the mean jitter-buffer delay and the playback
// device's buffer (`playoutDeviceMs`, from the board profile or the sim).
import type { Cancel, Clock } from '../net/clock.js';
import { errorMessage, KithError } from '../errors.js';
import { type AudioIn, type AudioOut, FRAME_MS, type PcmFormat, samplesPerFrame } from '../hal/audio.js';
import { DatagramApp, tagged } from '../wire/app.js';
import { mos, rFactor } from './emodel.js';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.js';
import { LossAdapter } from './loss-adapter.js';
import { VoiceDecoder, VoiceEncoder } from './opus.js';
import { decodeVoicePacket, encodeVoicePacket, type VoiceFrame } from './packet.js';
import { decodeReport, encodeReport, roundTripMs, type VoiceReport } from './report.js';
import { LossMeter, residualLoss } from './stats.js';

export const REPORT_INTERVAL_MS = 1000;
export const OPUS_LOOKAHEAD_MS = 6.5;
/** A frame whose RMS is below this (about -50 dBFS) is "quiet": the cheapest to drop. */
const QUIET_RMS = 100;

export interface PipelineOptions {
  clock: Clock;
  format: PcmFormat;
  audioIn: AudioIn;
  audioOut: AudioOut;
  /** Sends one datagram over the call's channel (already tagged for the voice application). */
  send(datagram: Uint8Array): void;
  /** Opus complexity 0-10 (the board profile's choice). */
  complexity: number;
  /** Starting point of the first sequence number (RFC 3550 §5.1: random). */
  initialSeq: number;
  /** The playback device's own buffering, for the delay estimate. */
  playoutDeviceMs: number;
  jitter?: JitterBufferOptions;
  /** A device failed: the call should end (the pipeline has stopped capture and playback). */
  onError(err: KithError): void;
}

export interface VoiceMetrics {
  /** Round-trip time from the report echoes, ms (null until the first echo). */
  rttMs: number | null;
  /** Percent of the peer's packets lost on the network (before redundancy). */
  networkLossPercent: number;
  /** Percent of the peer's frames concealed (after redundancy and the jitter buffer). */
  residualLossPercent: number;
  /** Interarrival jitter, ms (RFC 3550). */
  jitterMs: number;
  /** Mean jitter-buffer delay, ms. */
  jitterBufferDelayMs: number;
  concealedFrames: number;
  playedFrames: number;
  /** Estimated one-way mouth-to-ear delay, ms. */
  mouthToEarMs: number;
  /** ITU-T G.107 E-model estimate from the two values above. */
  mos: number;
  /** What the peer reported about our audio, and the encoding we chose from it. */
  peerNetworkLossPercent: number;
  bitrateBps: number;
  redundancy: number;
  packetsSent: number;
  packetsReceived: number;
  dropped: Record<string, number>;
}

export class VoicePipeline {
  readonly #o: PipelineOptions;
  readonly #encoder: VoiceEncoder;
  readonly #decoder: VoiceDecoder;
  readonly #jitter: JitterBuffer;
  readonly #adapter = new LossAdapter();
  readonly #meter = new LossMeter();
  readonly #samples: number;
  /** One frame of silence, shared: playback only reads what it is given. */
  readonly #silence: Int16Array;
  /** The last two encoded frames, newest last, for redundancy. */
  #history: VoiceFrame[] = [];
  #seq: number;
  #timestamp = 0;
  #playoutStart = 0;
  #slot = 0;
  #playoutTimer: Cancel | null = null;
  #reportTimer: Cancel | null = null;
  #lastPeerReport: { sentAt: number; receivedAt: number } | null = null;
  #rttMs: number | null = null;
  #minRttMs: number | null = null;
  #peerLoss = 0;
  #packetsSent = 0;
  #packetsReceived = 0;
  #dropped: Record<string, number> = {};
  #running = false;
  #lastMediaAt = Number.NEGATIVE_INFINITY;
  /**
   * Concealed slots since the last played frame, split as the jitter buffer counts them. Until a
   * frame follows, they are the end of the peer's stream (it hung up, or the call is ending), not
   * lost speech, and the metrics leave them out, as RFC 3550 counts loss only below the highest
   * sequence number received.
   */
  #trailing = { missed: 0, inserted: 0 };

  constructor(o: PipelineOptions) {
    this.#o = o;
    this.#samples = samplesPerFrame(o.format);
    this.#silence = new Int16Array(this.#samples);
    const { bitrateBps } = this.#adapter.encoding;
    this.#encoder = new VoiceEncoder({ format: o.format, bitrate: bitrateBps, complexity: o.complexity });
    this.#decoder = new VoiceDecoder(o.format);
    this.#jitter = new JitterBuffer({ frameMs: FRAME_MS, ...o.jitter });
    this.#seq = o.initialSeq & 0xffff;
  }

  /** When voice last arrived from the peer (clock ms): the call's proof that the peer is there. */
  get lastMediaAt(): number {
    return this.#lastMediaAt;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { clock } = this.#o;
    const fail = (err: KithError) => {
      if (!this.#running) return;
      this.stop();
      this.#o.onError(err);
    };
    this.#o.audioOut.start(fail);
    this.#o.audioIn.start((frame) => this.#capture(frame), fail);
    this.#playoutStart = clock.now();
    this.#slot = 0;
    this.#schedulePlayout();
    this.#reportTimer = clock.schedule(REPORT_INTERVAL_MS, () => this.#report());
  }

  /** Stops capture and playback; returns the final metrics. Safe to call twice. */
  stop(): VoiceMetrics {
    if (this.#running) {
      this.#running = false;
      this.#playoutTimer?.();
      this.#reportTimer?.();
      this.#o.audioIn.stop();
      this.#o.audioOut.stop();
    }
    return this.metrics();
  }

  /** A datagram from the peer's pipeline (voice or report); anything malformed is counted. */
  receive(datagram: Uint8Array): void {
    if (!this.#running) return;
    const tag = datagram[0];
    const body = datagram.subarray(1);
    if (tag === DatagramApp.voice) {
      const packet = decodeVoicePacket(body);
      if (typeof packet === 'string') return this.#drop(packet);
      const now = this.#o.clock.now();
      this.#packetsReceived += 1;
      this.#lastMediaAt = now;
      this.#meter.onPacket(packet.primary.seq);
      for (const frame of packet.redundant) this.#jitter.push(frame, now);
      this.#jitter.push(packet.primary, now);
    } else if (tag === DatagramApp.voiceReport) {
      const report = decodeReport(body);
      if (typeof report === 'string') return this.#drop(`report-${report}`);
      this.#onReport(report);
    } else {
      this.#drop('unknown-app');
    }
  }

  metrics(): VoiceMetrics {
    const raw = this.#jitter.stats;
    const { missed, inserted } = this.#trailing;
    const stats = {
      ...raw,
      concealed: raw.concealed - missed - inserted,
      inserted: raw.inserted - inserted,
      lost: Math.max(0, raw.lost - missed),
      lossBursts: Math.max(0, raw.lossBursts - (missed > 0 ? 1 : 0)),
    };
    const total = this.#meter.total;
    const residual = residualLoss(stats);
    const mouthToEarMs =
      FRAME_MS + OPUS_LOOKAHEAD_MS + (this.#minRttMs ?? 0) / 2 + stats.meanDelayMs + this.#o.playoutDeviceMs;
    const { bitrateBps, redundancy } = this.#adapter.encoding;
    return {
      rttMs: this.#rttMs,
      networkLossPercent: round(total.lostFraction * 100),
      residualLossPercent: round(residual.lossPercent),
      jitterMs: round(stats.jitterMs),
      jitterBufferDelayMs: round(stats.meanDelayMs),
      concealedFrames: stats.concealed,
      playedFrames: stats.played,
      mouthToEarMs: round(mouthToEarMs),
      mos: round(
        mos(rFactor({ delayMs: mouthToEarMs, lossPercent: residual.lossPercent, burstR: residual.burstR })),
      ),
      peerNetworkLossPercent: round(this.#peerLoss * 100),
      bitrateBps,
      redundancy,
      packetsSent: this.#packetsSent,
      packetsReceived: this.#packetsReceived,
      dropped: { ...this.#dropped },
    };
  }

  #capture(frame: Int16Array): void {
    if (!this.#running) return;
    if (frame.length !== this.#samples) return this.#drop('bad-capture-frame');
    const payload = this.#encoder.encode(frame);
    const current: VoiceFrame = {
      seq: this.#seq,
      timestamp: this.#timestamp >>> 0,
      payload: payload.slice(),
      quiet: rms(frame) < QUIET_RMS,
    };
    const { redundancy } = this.#adapter.encoding;
    const packet = encodeVoicePacket({
      primary: current,
      redundant: redundancy === 0 ? [] : this.#history.slice(-redundancy),
    });
    this.#history = [...this.#history.slice(-1), current];
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp += this.#samples;
    this.#packetsSent += 1;
    this.#o.send(tagged(DatagramApp.voice, packet));
  }

  /** One playout slot: the next 20 ms of sound, from a frame, from concealment, or silence. */
  #playout(): void {
    if (!this.#running) return;
    const playout = this.#jitter.pop(this.#o.clock.now());
    let pcm: Int16Array;
    if (playout.kind === 'frame') {
      pcm = this.#decoder.decode(playout.payload).pcm;
      this.#trailing = { missed: 0, inserted: 0 };
    } else if (playout.kind === 'conceal') {
      pcm = this.#decoder.conceal();
      if (playout.inserted) this.#trailing.inserted += 1;
      else this.#trailing.missed += 1;
    } else pcm = this.#silence;
    this.#o.audioOut.write(pcm);
    this.#slot += 1;
    this.#schedulePlayout();
  }

  #schedulePlayout(): void {
    // Drift-free: each slot is due at start + n·FRAME_MS, however late the previous one ran.
    const due = this.#playoutStart + this.#slot * FRAME_MS;
    this.#playoutTimer = this.#o.clock.schedule(Math.max(0, due - this.#o.clock.now()), () => {
      try {
        this.#playout();
      } catch (err) {
        if (this.#running) this.stop();
        this.#o.onError(new KithError('VOICE_PIPELINE_FAILED', `playback failed: ${errorMessage(err)}`));
      }
    });
  }

  #report(): void {
    if (!this.#running) return;
    const now = this.#o.clock.now();
    const stats = this.#jitter.stats;
    const interval = this.#meter.interval();
    const last = this.#lastPeerReport;
    const report: VoiceReport = {
      sentAt: Math.floor(now),
      echo: last?.sentAt ?? 0,
      holdMs: last ? now - last.receivedAt : 0,
      networkLossPermille: interval.lostFraction * 1000,
      residualLossPermille: residualLoss(stats).lossPercent * 10,
      jitterMs: stats.jitterMs,
      bufferDelayMs: stats.currentDelayMs,
    };
    this.#o.send(tagged(DatagramApp.voiceReport, encodeReport(report)));
    this.#reportTimer = this.#o.clock.schedule(REPORT_INTERVAL_MS, () => this.#report());
  }

  #onReport(report: VoiceReport): void {
    const now = this.#o.clock.now();
    this.#lastPeerReport = { sentAt: report.sentAt, receivedAt: now };
    const rtt = roundTripMs(report, Math.floor(now));
    if (rtt !== null) {
      this.#rttMs = rtt;
      this.#minRttMs = Math.min(this.#minRttMs ?? rtt, rtt);
    }
    this.#peerLoss = report.networkLossPermille / 1000;
    const { bitrateBps } = this.#adapter.report(this.#peerLoss);
    this.#encoder.setBitrate(bitrateBps);
    this.#encoder.setPacketLossPercent(this.#adapter.smoothedLoss * 100);
  }

  #drop(reason: string): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
  }
}

function rms(frame: Int16Array): number {
  let sum = 0;
  for (const s of frame) sum += s * s;
  return Math.sqrt(sum / frame.length);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
