// Devices running call machines on one VirtualClock, wired through a pipe that may lose or
// duplicate every message (decided per message by `fate`) and delivers the rest in order after a
// fixed latency, as the channel's reliable stream does while it lives. Voice is simulated coarsely:
// while both ends of the same call have media started, each side's machine hears mediaAlive()
// from the other once a second, unless the pipe is blacked out.
//
// A device can restart: its machine is dropped as a crashed process would be (nothing it does
// afterwards reaches the pipe or the records) and a fresh one takes its place.
import { CallMachine, type CallSnapshot, type MediaCall } from '../../../src/call/call-machine.js';
import { type CallMessage, decodeCallMessage } from '../../../src/call/messages.js';
import type { CallMetrics } from '../../../src/store/call-metrics.js';
import type { OfferParams } from '../../../src/call/params.js';
import type { CallRecord } from '../../../src/store/call-record.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { type Rng, seededRng } from '../../../src/crypto/random.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';

export const CAPS: OfferParams = {
  sampleRates: [16_000, 48_000],
  frameMs: 20,
  maxBitrate: 32_000,
  redundancy: 2,
};
export const METRICS: CallMetrics = { rttMs: 40, mos: 4.2 };

export type Fate = 'deliver' | 'drop' | 'dup';

export interface DeviceOptions {
  capabilities?: OfferParams;
  /** What stopMedia returns. */
  metrics?: () => unknown;
  /** startMedia throws. */
  mediaFails?: boolean;
  seed?: string;
}

/** One run of a device's machine, from its start to its crash (or the end of the test). */
export interface Incarnation {
  machine: CallMachine;
  alive: boolean;
  records: CallRecord[];
  snapshots: CallSnapshot[];
  media: MediaCall | null;
  mediaStarts: MediaCall[];
}

export interface Sent {
  at: number;
  from: string;
  to: string;
  message: CallMessage;
  fate: Fate;
}

export class Device {
  /** A, B, C...: the peer id is the letter repeated 64 times, lowercase (valid hex, as a real one is). */
  readonly name: string;
  readonly id: string;
  readonly incarnations: Incarnation[] = [];
  readonly #world: World;
  readonly #options: DeviceOptions;
  readonly #rng: Rng;

  constructor(world: World, name: string, options: DeviceOptions) {
    this.#world = world;
    this.name = name;
    this.id = peerIdOf(name);
    this.#options = options;
    this.#rng = seededRng(new TextEncoder().encode(options.seed ?? name));
    this.#start();
  }

  get live(): Incarnation {
    return this.incarnations.at(-1) as Incarnation;
  }

  get machine(): CallMachine {
    return this.live.machine;
  }

  /** Every record of every incarnation. */
  get records(): CallRecord[] {
    return this.incarnations.flatMap((i) => i.records);
  }

  restart(): void {
    this.live.alive = false;
    this.live.media = null;
    this.#start();
  }

  #start(): void {
    const world = this.#world;
    const options = this.#options;
    const inc = {} as Incarnation;
    Object.assign(inc, {
      alive: true,
      records: [],
      snapshots: [],
      media: null,
      mediaStarts: [],
      machine: new CallMachine({
        selfId: this.id,
        clock: world.clock,
        rng: this.#rng,
        capabilities: options.capabilities ?? CAPS,
        send: (peerId, bytes) => {
          if (inc.alive) world.transmit(this.id, peerId, bytes);
        },
        startMedia: (call) => {
          if (options.mediaFails) throw new Error('no headset');
          if (!inc.alive) return;
          inc.media = call;
          inc.mediaStarts.push(call);
          world.voice(inc, call);
        },
        stopMedia: (call) => {
          if (inc.media === call) inc.media = null;
          return (options.metrics ? options.metrics() : METRICS) as CallMetrics | null;
        },
        onStateChange: (snapshot) => {
          if (inc.alive) inc.snapshots.push(snapshot);
        },
        onEnded: (record) => {
          if (inc.alive) inc.records.push(record);
        },
      }),
    });
    this.incarnations.push(inc);
  }
}

export class World {
  readonly clock = new VirtualClock();
  readonly devices = new Map<string, Device>();
  readonly sent: Sent[] = [];
  latencyMs = 20;
  /** Decides each message's fate; the default delivers everything once. */
  fate: (sent: Omit<Sent, 'fate'>) => Fate = () => 'deliver';
  /** From this virtual time on, nothing crosses: no message, no voice. */
  blackoutAt = Number.POSITIVE_INFINITY;

  add(name: string, options: DeviceOptions = {}): Device {
    const device = new Device(this, name, options);
    this.devices.set(device.id, device);
    return device;
  }

  transmit(from: string, to: string, bytes: Uint8Array): void {
    const decoded = decodeCallMessage(bytes);
    if (!decoded.ok) throw new Error(`a machine sent a malformed message: ${decoded.reason}`);
    const at = this.clock.now();
    const entry = { at, from, to, message: decoded.message };
    const fate = at >= this.blackoutAt ? 'drop' : this.fate(entry);
    this.sent.push({ ...entry, fate });
    if (fate === 'drop') return;
    const copy = bytes.slice();
    for (let n = fate === 'dup' ? 2 : 1; n > 0; n--) {
      this.clock.schedule(this.latencyMs, () => this.devices.get(to)?.machine.receive(from, copy));
    }
  }

  /** Voice from an incarnation, once a second while it still carries `call`. */
  voice(inc: Incarnation, call: MediaCall): void {
    this.clock.schedule(1_000, () => {
      if (!inc.alive || inc.media !== call) return;
      const peer = this.devices.get(call.peerId)?.live;
      if (this.clock.now() < this.blackoutAt && peer?.media && toHex(peer.media.id) === toHex(call.id)) {
        peer.machine.mediaAlive();
      }
      this.voice(inc, call);
    });
  }

  /** Messages sent so far, as "FROM>TO type" lines (for assertions that read like a trace). */
  trace(filter: (s: Sent) => boolean = () => true): string[] {
    const name = (id: string) => this.devices.get(id)?.name ?? id.charAt(0).toUpperCase();
    return this.sent.filter(filter).map((s) => `${name(s.from)}>${name(s.to)} ${s.message.type}`);
  }
}

export function peerIdOf(name: string): string {
  return name.toLowerCase().repeat(64);
}

/** A pipe that loses and duplicates at the given rates, reproducibly from `seed`. */
export function seededFate(seed: string, loss: number, dup: number): () => Fate {
  const rng = seededRng(new TextEncoder().encode(seed));
  return () => {
    const bytes = rng(4);
    const u = new DataView(bytes.buffer).getUint32(0) / 2 ** 32;
    return u < loss ? 'drop' : u < loss + dup ? 'dup' : 'deliver';
  };
}
