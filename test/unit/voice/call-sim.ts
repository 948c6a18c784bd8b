// A one-way voice call in virtual time, for the jitter-buffer tests: a sender paced at 20 ms puts
// real voice packets (voice/packet.ts, with redundancy) on a seeded virtual network, the receiver
// decodes them into a JitterBuffer, and a playback loop pops it every 20 ms. Payloads are fake Opus
// frames that carry their own frame number, so the test can check what was played.
import { utf8 } from '../../../src/crypto/bytes.js';
import { seededRng } from '../../../src/crypto/random.js';
import { uniformSource } from '../../../src/sim/uniform.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { type LinkConditions, VirtualNetwork } from '../../../src/sim/virtual-network.js';
import {
  type JitterBufferOptions,
  JitterBuffer,
  type JitterStats,
  type Playout,
} from '../../../src/voice/jitter-buffer.js';
import { decodeVoicePacket, encodeVoicePacket, type VoiceFrame } from '../../../src/voice/packet.js';

export const FRAME_MS = 20;
const SAMPLES_PER_FRAME = 320;
const SENDER = '10.0.0.1';
const RECEIVER = '10.0.0.2';

export interface CallOptions {
  seed: string;
  /** How long the sender sends; playback runs on for 2 s after it. */
  durationMs: number;
  /** Link conditions from each start time on (the first must start at 0). */
  phases: { fromMs: number; link: Partial<LinkConditions> }[];
  redundancy: 0 | 1 | 2;
  startSeq?: number;
  buffer?: JitterBufferOptions;
  /** Talk spurts and pauses (mean 1.5 s and 1 s), with pauses flagged quiet; otherwise never quiet. */
  speech?: boolean;
  /** The sender's frame period on the receiver's clock: 20 ms, or off by the two clocks' drift. */
  senderFrameMs?: number;
  /** Offset of the playback loop's 20 ms ticks from the sender's. */
  playoutPhaseMs?: number;
}

export interface PopRecord {
  atMs: number;
  playout: Playout;
  stats: JitterStats;
}

export interface CallResult {
  pops: PopRecord[];
  /** Frame numbers (0-based, in sending order) of the frames played, in playing order. */
  playedFrames: number[];
  framesSent: number;
  packetsLost: number;
  /** Most frames the buffer held, checked after every packet. */
  maxBuffered: number;
  final: JitterStats;
}

export function simulateCall(options: CallOptions): CallResult {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock, rng: seededRng(utf8(`${options.seed}/network`)) });
  const random = uniformSource(seededRng(utf8(`${options.seed}/speech`)));
  const buffer = new JitterBuffer(options.buffer);
  const sender = network.bind(SENDER, 5000);
  const receiver = network.bind(RECEIVER, 5000);
  const startSeq = options.startSeq ?? 0;

  for (const phase of options.phases) {
    clock.scheduleAt(phase.fromMs, () => network.setDefaultLink(phase.link));
  }

  let maxBuffered = 0;
  receiver.onPacket((bytes) => {
    const packet = decodeVoicePacket(bytes);
    if (typeof packet === 'string') throw new Error(`the sender's packet does not decode: ${packet}`);
    for (const frame of [...packet.redundant, packet.primary]) buffer.push(frame, clock.now());
    maxBuffered = Math.max(maxBuffered, buffer.stats.buffered);
  });

  const history: VoiceFrame[] = [];
  let talking = true;
  let sent = 0;
  const frames = Math.floor(options.durationMs / FRAME_MS);
  const send = (index: number) => {
    if (options.speech === true) {
      talking = talking ? random() >= 1 / 75 : random() < 1 / 50;
    }
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(0, index);
    const frame: VoiceFrame = {
      seq: (startSeq + index) & 0xffff,
      timestamp: (index * SAMPLES_PER_FRAME) >>> 0,
      payload,
      quiet: !talking,
    };
    sender.send(
      encodeVoicePacket({ primary: frame, redundant: history.slice(history.length - options.redundancy) }),
      receiver.local,
    );
    if (options.redundancy > 0) history.push(frame);
    if (history.length > options.redundancy) history.shift();
    sent += 1;
    const period = options.senderFrameMs ?? FRAME_MS;
    if (index + 1 < frames) clock.scheduleAt((index + 1) * period, () => send(index + 1));
  };
  clock.scheduleAt(0, () => send(0));

  const pops: PopRecord[] = [];
  const playedFrames: number[] = [];
  const phase = options.playoutPhaseMs ?? 7;
  const end = options.durationMs + 2000;
  const tick = (at: number) => {
    const playout = buffer.pop(at);
    if (playout.kind === 'frame') {
      playedFrames.push(new DataView(playout.payload.buffer, playout.payload.byteOffset).getUint32(0));
    }
    pops.push({ atMs: at, playout, stats: buffer.stats });
    if (at + FRAME_MS <= end) clock.scheduleAt(at + FRAME_MS, () => tick(at + FRAME_MS));
  };
  clock.scheduleAt(phase, () => tick(phase));

  clock.advance(end);
  return {
    pops,
    playedFrames,
    framesSent: sent,
    packetsLost: network.stats.lost,
    maxBuffered,
    final: buffer.stats,
  };
}
