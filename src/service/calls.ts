// Calls as the service runs them: the call machine (call/) on the channels' reliable streams, a
// voice pipeline (voice/) on their datagrams for the call that is active, audio devices for it,
// and every ended call committed to the store before the peer is told (DESIGN §7). The CLI and,
// later, the device UI drive calls through this one place.
import type { Rng } from '../crypto/random.js';
import { CallMachine, type CallSnapshot, type MediaCall } from '../call/call-machine.js';
import type { OfferParams } from '../call/params.js';
import type { ChannelRouter } from '../channel/router.js';
import { errorMessage, isKithError, type KithError } from '../errors.js';
import type { Clock } from '../net/clock.js';
import type { CallMetrics } from '../store/call-metrics.js';
import type { CallRecord } from '../store/call-record.js';
import { DatagramApp, ReliableApp, tagged } from '../wire/app.js';
import { VoicePipeline, type VoiceMetrics } from '../voice/pipeline.js';
import type { AudioDevices } from './audio-devices.js';

export interface CallServiceOptions {
  clock: Clock;
  rng: Rng;
  /** This device's peer id (its Ed25519 key in hex). */
  selfId: string;
  router: ChannelRouter;
  audio: AudioDevices;
  capabilities: OfferParams;
  /** Opus complexity for this board. */
  complexity: number;
  /** Commits a finished call; must not return before it is durable. */
  record(record: CallRecord): void;
  log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
}

export interface LiveCall extends CallSnapshot {
  metrics: VoiceMetrics | null;
}

export class CallService {
  readonly #o: CallServiceOptions;
  readonly #machine: CallMachine;
  #pipeline: { call: MediaCall; voice: VoicePipeline } | null = null;
  #dropped: Record<string, number> = {};
  readonly #listeners = new Set<() => void>();
  /** The call that ended last, until the next one starts: what the device shows after a call. */
  #lastEnded: CallRecord | null = null;

  constructor(o: CallServiceOptions) {
    this.#o = o;
    this.#machine = new CallMachine({
      selfId: o.selfId,
      clock: o.clock,
      rng: o.rng,
      capabilities: o.capabilities,
      send: (peerId, message) => o.router.channel(peerId).send(tagged(ReliableApp.call, message)),
      startMedia: (call) => this.#startMedia(call),
      stopMedia: (call) => this.#stopMedia(call),
      onStateChange: (snapshot) => {
        o.log.info(
          { state: snapshot.state, peer: snapshot.call?.peerId.slice(0, 8), ended: snapshot.call?.endReason },
          'call state',
        );
        // Listeners (the device UI) run after the machine returns: they may call back into it.
        if (this.#listeners.size > 0) o.clock.schedule(0, () => this.#notify());
      },
      onEnded: (record) => this.#record(record),
    });
  }

  /** A reliable-stream message from a contact (its first byte is the application tag). */
  handleMessage(peerId: string, message: Uint8Array): void {
    if (message[0] === ReliableApp.call) this.#machine.receive(peerId, message.subarray(1));
    else this.#drop('unknown-app');
  }

  /** A datagram from a contact: voice for the active call, or nothing. */
  handleDatagram(peerId: string, datagram: Uint8Array): void {
    const tag = datagram[0];
    if (tag !== DatagramApp.voice && tag !== DatagramApp.voiceReport) return this.#drop('unknown-app');
    const active = this.#pipeline;
    if (!active || active.call.peerId !== peerId) return this.#drop('no-call');
    active.voice.receive(datagram);
    if (tag === DatagramApp.voice) this.#machine.mediaAlive();
  }

  call(peerId: string): Uint8Array {
    return this.#machine.call(peerId);
  }

  answer(): void {
    this.#machine.answer();
  }

  reject(): void {
    this.#machine.reject();
  }

  hangup(): void {
    this.#machine.hangup();
  }

  /** Called after every change of the call's state; returns the function that unsubscribes. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  live(): LiveCall {
    return { ...this.#machine.snapshot(), metrics: this.#pipeline?.voice.metrics() ?? null };
  }

  counters(): Record<string, number> {
    return { ...this.#machine.counters(), ...this.#dropped };
  }

  close(): void {
    this.#machine.close();
    this.#pipeline?.voice.stop();
    this.#pipeline = null;
  }

  #startMedia(call: MediaCall): void {
    const format = { sampleRate: call.params.sampleRate, channels: 1 } as const;
    const channel = this.#o.router.channel(call.peerId);
    const voice = new VoicePipeline({
      clock: this.#o.clock,
      format,
      audioIn: this.#o.audio.input(format),
      audioOut: this.#o.audio.output(format),
      send: (datagram) => channel.sendDatagram(datagram),
      complexity: this.#o.complexity,
      initialSeq: new DataView(this.#o.rng(2).buffer).getUint16(0),
      playoutDeviceMs: this.#o.audio.playoutDeviceMs,
      onError: (err: KithError) => {
        this.#o.log.warn({ err: err.message, code: err.code }, 'audio failed; ending the call');
        // Deferred: the machine must not be re-entered from inside its own startMedia callback.
        this.#o.clock.schedule(0, () => {
          try {
            this.#machine.fail();
          } catch (failErr) {
            if (!isKithError(failErr)) throw failErr;
          }
        });
      },
    });
    this.#pipeline = { call, voice };
    voice.start();
  }

  #stopMedia(call: MediaCall): CallMetrics | null {
    const active = this.#pipeline;
    if (!active || active.call !== call) return null;
    this.#pipeline = null;
    const m = active.voice.stop();
    const setupMs = Math.max(0, call.answeredAt - call.startedAt);
    return {
      setupMs,
      ...(m.rttMs === null ? {} : { rttMs: m.rttMs }),
      lossBeforeRecovery: m.networkLossPercent / 100,
      lossAfterRecovery: m.residualLossPercent / 100,
      jitterMs: m.jitterMs,
      jitterBufferMs: m.jitterBufferDelayMs,
      concealedFrames: m.concealedFrames,
      oneWayDelayMs: m.mouthToEarMs,
      mos: m.mos,
    };
  }

  /** The last call that ended, while no other call is in progress. */
  lastEnded(): CallRecord | null {
    return this.#machine.state === 'idle' ? this.#lastEnded : null;
  }

  #record(record: CallRecord): void {
    this.#lastEnded = record;
    try {
      this.#o.record(record);
    } catch (err) {
      // A call recorded twice (a callee that restarted and heard the OFFER again) keeps its first
      // record; anything else is a store failure the log must show.
      if (isKithError(err, 'CALL_ALREADY_RECORDED')) return;
      this.#o.log.warn({ err: errorMessage(err) }, 'call could not be recorded');
      throw err;
    }
  }

  #drop(reason: string): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
  }
}
