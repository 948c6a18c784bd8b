// Two devices that can call each other, in virtual time on the virtual network: each is a channel
// router plus the service's CallService with sim audio (a speech WAV as the microphone, a
// recorder as the speaker), exactly as `kith run` composes them, minus the process. The times at
// which each side's microphone and speaker started are kept, so a test can turn the lag it finds
// between input and output into the true mouth-to-ear delay.
import { utf8 } from '../../src/crypto/bytes.js';
import { seededRng } from '../../src/crypto/random.js';
import type { AudioIn, AudioOut, PcmFormat } from '../../src/hal/audio.js';
import { RecorderOut } from '../../src/hal/recorder-out.js';
import { WavFileIn } from '../../src/hal/wav-in.js';
import type { LinkConditions } from '../../src/sim/virtual-network.js';
import type { AudioDevices } from '../../src/service/audio-devices.js';
import { CallService } from '../../src/service/calls.js';
import type { CallRecord } from '../../src/store/call-record.js';
import { type Node, world } from './channel-pair.js';

export const RATE = 16_000;

export interface SimDevice {
  node: Node;
  calls: CallService;
  records: CallRecord[];
  /** Clock times at which microphones and speakers were started, per call. */
  micStarts: number[];
  speakerStarts: number[];
  speakers: RecorderOut[];
}

export function callWorld(opts: { seed: string; link?: Partial<LinkConditions>; mic: Int16Array }) {
  const w = world({ seed: opts.seed, ...(opts.link ? { link: opts.link } : {}) });
  const silent = { info: () => {}, warn: () => {} };

  const device = (id: string): SimDevice => {
    const d = { records: [], micStarts: [], speakerStarts: [], speakers: [] } as unknown as SimDevice;
    const audio: AudioDevices = {
      kind: 'sim',
      playoutDeviceMs: 0,
      input: (format: PcmFormat): AudioIn => {
        const mic = new WavFileIn({ clock: w.clock, source: opts.mic, format });
        return {
          format,
          start: (onFrame, onError) => {
            d.micStarts.push(w.clock.now());
            mic.start(onFrame, onError);
          },
          stop: () => mic.stop(),
        };
      },
      output: (format: PcmFormat): AudioOut => {
        const speaker = new RecorderOut({ format });
        d.speakers.push(speaker);
        return {
          format,
          start: (onError) => {
            d.speakerStarts.push(w.clock.now());
            speaker.start(onError);
          },
          write: (frame) => speaker.write(frame),
          stop: () => speaker.stop(),
        };
      },
      get lastOutput() {
        return d.speakers.at(-1) ?? null;
      },
    };
    d.node = w.add(id, {
      events: {
        onMessage: (peer, m) => d.calls.handleMessage(peer, m),
        onDatagram: (peer, dg) => d.calls.handleDatagram(peer, dg),
      },
    });
    d.calls = new CallService({
      clock: w.clock,
      rng: seededRng(utf8(`${opts.seed}/${id}/calls`)),
      selfId: id,
      router: d.node.router,
      audio,
      capabilities: { sampleRates: [RATE], frameMs: 20, maxBitrate: 32_000, redundancy: 2 },
      complexity: 5,
      record: (r) => d.records.push(r),
      log: silent,
    });
    return d;
  };

  // Peer ids are what the service uses: 64 hex digits (an Ed25519 key).
  const a = device('a'.repeat(64));
  const b = device('b'.repeat(64));
  a.node.router.setPeers([w.peer(a.node, b.node)]);
  b.node.router.setPeers([w.peer(b.node, a.node, { withEndpoint: false })]);
  return { ...w, a, b };
}
