// The reliable stream between two peers joined by an in-test pipe on virtual time: seeded loss,
// duplication and random delay (which reorders) in each direction. Every run is bounded in virtual
// time and in steps; nothing here reads the wall clock.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../../src/crypto/bytes.js';
import { type Rng, seededRng } from '../../../src/crypto/random.js';
import {
  type AckFrame,
  type DataFrame,
  decodeFrame,
  encodeFrame,
  MAX_ACK_RANGES,
} from '../../../src/channel/reliable-frames.js';
import {
  RELIABLE_DEFAULTS,
  ReliableStream,
  type ReliableStreamOptions,
} from '../../../src/channel/reliable.js';
import { type ErrorCode, isKithError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';

/** What one direction of the pipe does to each frame. */
interface Conditions {
  loss: number;
  duplicate: number;
  /** Each copy's delay is drawn uniformly from [minDelayMs, maxDelayMs]; a wide range reorders. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Frames to lose on purpose, on top of `loss`. */
  drop?: (frame: Uint8Array) => boolean;
}

const LOSSY: Conditions = { loss: 0.2, duplicate: 0.1, minDelayMs: 5, maxDelayMs: 150 };
const perfect = (delayMs: number): Conditions => ({
  loss: 0,
  duplicate: 0,
  minDelayMs: delayMs,
  maxDelayMs: delayMs,
});

/** Uniform numbers in [0, 1) from the seeded ChaCha20 stream. */
function dice(seed: number): () => number {
  const rng = seededRng(Uint8Array.of(seed >>> 24, seed >>> 16, seed >>> 8, seed));
  let view: DataView = new DataView(new ArrayBuffer(0));
  let at = 0;
  return () => {
    if (at + 4 > view.byteLength) {
      const bytes = rng(4096);
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      at = 0;
    }
    at += 4;
    return view.getUint32(at - 4) / 2 ** 32;
  };
}

interface Peer {
  stream: ReliableStream;
  delivered: Uint8Array[];
  failures: { reason: string; lost: number; at: number }[];
}

/** Two streams, a and b, joined by a pipe whose conditions a test may change at any time. */
class Pair {
  readonly clock = new VirtualClock();
  a: Peer;
  b: Peer;
  /** Frames larger than maxFrameBytes handed to the pipe: must stay 0. */
  oversize = 0;
  /** Time each ACK frame arrived at a (for the failure bound). */
  lastAckAtA = 0;
  /** Makes the stream of a peer: its process starting, at first or again. */
  readonly #peer: (name: 'a' | 'b') => Peer;
  #starts = 0;

  constructor(
    public ab: Conditions,
    public ba: Conditions,
    options: Partial<ReliableStreamOptions> & { seed?: number } = {},
  ) {
    const { seed = 1, maxFrameBytes = 1150, ...tunables } = options;
    const random = dice(seed);
    this.#peer = (name) => {
      const conditions = () => (name === 'a' ? this.ab : this.ba);
      const to = () => (name === 'a' ? this.b : this.a);
      const start = ++this.#starts;
      const self: Peer = {
        delivered: [],
        failures: [],
        stream: new ReliableStream({
          ...tunables,
          clock: this.clock,
          maxFrameBytes,
          // Reproducible incarnations, different for each peer and each start.
          rng: seededRng(Uint8Array.of(seed >>> 24, seed >>> 16, seed >>> 8, seed, start)),
          sendFrame: (frame) => {
            if (frame.length > maxFrameBytes) this.oversize += 1;
            const c = conditions();
            if (random() < c.loss || c.drop?.(frame)) return;
            const copies = random() < c.duplicate ? 2 : 1;
            for (let i = 0; i < copies; i++) {
              const delay = c.minDelayMs + random() * (c.maxDelayMs - c.minDelayMs);
              this.clock.schedule(delay, () => {
                if (name === 'b' && frame[0] === 0x11) this.lastAckAtA = this.clock.now();
                to().stream.receiveFrame(frame);
              });
            }
          },
          deliver: (message) => self.delivered.push(message),
          onFailure: (reason, lost) => self.failures.push({ reason, lost, at: this.clock.now() }),
        }),
      };
      return self;
    };
    this.a = this.#peer('a');
    this.b = this.#peer('b');
  }

  /** b's process restarts: a fresh stream, with nothing of the old one, takes its place. */
  restartB(): void {
    this.b.stream.close();
    this.b = this.#peer('b');
  }
}

/** Message i of a run: its bytes depend on i, so a swap or a stale copy shows. */
function message(i: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let j = 0; j < size; j++) bytes[j] = (i * 131 + j * 7 + (j >> 8)) & 0xff;
  return bytes;
}

/**
 * Each side sends its messages as fast as backpressure allows, until the other side has them all
 * and both send queues are empty; then the pipe and timers run dry. Returns the virtual ms taken.
 */
function exchange(pair: Pair, aSizes: number[], bSizes: number[], maxMs: number): number {
  const sides = [
    { from: pair.a, to: pair.b, sizes: aSizes, next: 0, before: pair.b.delivered.length },
    { from: pair.b, to: pair.a, sizes: bSizes, next: 0, before: pair.a.delivered.length },
  ];
  const done = () =>
    sides.every(
      (s) => s.to.delivered.length - s.before >= s.sizes.length && s.from.stream.stats.queuedBytes === 0,
    );
  for (let t = 0; t < maxMs && !done(); t += 10) {
    for (const s of sides) {
      for (let size = s.sizes[s.next]; size !== undefined && s.from.stream.canSend(size);) {
        s.from.stream.send(message(s.next, size));
        size = s.sizes[++s.next];
      }
    }
    pair.clock.advance(10);
  }
  const took = pair.clock.now();
  pair.clock.runUntilIdle({ maxMs: 60_000, maxSteps: 100_000 });
  return took;
}

function expectAllDelivered(sizes: number[], delivered: Uint8Array[]): void {
  expect(delivered).toHaveLength(sizes.length);
  const wrong = delivered.findIndex((m, i) => !equalBytes(m, message(i, sizes[i] as number)));
  expect(wrong).toBe(-1);
}

/** The incarnation of hand-written DATA frames: a peer's, as the stream under test sees them. */
const PEER = 0x0a0b0c0d;

/** DATA bytes of one whole message in one frame, written by hand. */
function data(seq: number, incarnation = PEER, payload: Uint8Array = new Uint8Array(1)): Uint8Array {
  return encodeFrame({ type: 'data', incarnation, seq, index: 0, count: 1, payload });
}

function codeOf(run: () => unknown): ErrorCode | 'NO_ERROR' {
  try {
    run();
    return 'NO_ERROR';
  } catch (err) {
    if (isKithError(err)) return err.code;
    throw err;
  }
}

/** `count` message sizes in 0..maxMessageBytes. */
const sizes = (count: number) =>
  fc.array(fc.integer({ min: 0, max: RELIABLE_DEFAULTS.maxMessageBytes }), {
    minLength: count,
    maxLength: count,
  });

describe('delivery through a lossy pipe', () => {
  it('delivers 500 messages each way exactly once and in order through 20 % loss, 10 % duplication and reordering', () => {
    fc.assert(
      fc.property(sizes(500), fc.nat(), (aSizes, seed) => {
        const pair = new Pair(LOSSY, LOSSY, { seed });
        const bSizes = aSizes.slice().reverse();
        exchange(pair, aSizes, bSizes, 3_600_000);
        expectAllDelivered(aSizes, pair.b.delivered);
        expectAllDelivered(bSizes, pair.a.delivered);
        for (const { stream, failures } of [pair.a, pair.b]) {
          const stats = stream.stats;
          expect(failures).toEqual([]);
          expect([stats.queuedBytes, stats.inFlight]).toEqual([0, 0]);
          expect(stats.retransmits).toBeGreaterThan(0);
          expect(stats.duplicates).toBeGreaterThan(0);
        }
        expect(pair.oversize).toBe(0);
        // Idle streams hold no timers: nothing is left on the clock once the pipe is empty.
        expect(pair.clock.pending).toBe(0);
      }),
      { numRuns: 2, seed: 0x6b697468 },
    );
  });

  it.each([128, 1150])('works with %i-byte frames', (maxFrameBytes) => {
    fc.assert(
      fc.property(sizes(40), fc.nat(), (aSizes, seed) => {
        const pair = new Pair(LOSSY, LOSSY, { seed, maxFrameBytes });
        // 113 bytes is the payload of a 128-byte frame (15 bytes of header).
        exchange(pair, aSizes, [0, 1, 113, 114, 65_536], 3_600_000);
        expectAllDelivered(aSizes, pair.b.delivered);
        expectAllDelivered([0, 1, 113, 114, 65_536], pair.a.delivered);
        expect(pair.oversize).toBe(0);
        expect(pair.clock.pending).toBe(0);
      }),
      { numRuns: 2, seed: 0x6b697469 },
    );
  });

  it('lets deliver() send a reply, or close the stream', () => {
    const pair = new Pair(perfect(10), perfect(10));
    const replies: Uint8Array[] = [];
    const echo = new ReliableStream({
      clock: pair.clock,
      maxFrameBytes: 1150,
      sendFrame: (frame) => pair.clock.schedule(10, () => pair.a.stream.receiveFrame(frame)),
      deliver: (m) => {
        replies.push(m);
        if (replies.length === 2) echo.close();
        else echo.send(m);
      },
    });
    pair.b = { stream: echo, delivered: replies, failures: [] };
    for (let i = 0; i < 5; i++) pair.a.stream.send(message(i, 3000));
    pair.clock.runUntilIdle({ maxMs: 60_000 });
    expect(replies).toHaveLength(2);
    expectAllDelivered([3000], pair.a.delivered);
    // a's last four messages are never acknowledged, so its sending half fails, drops them and resets;
    // the first of them did reach the echo, whose close() in deliver() came before the ACK.
    expect(pair.a.failures).toMatchObject([{ lost: 4 }]);
  });
});

describe('acknowledgements', () => {
  function receiver(deliver: (message: Uint8Array) => void = () => {}) {
    const clock = new VirtualClock();
    const acks: AckFrame[] = [];
    const stream = new ReliableStream({
      clock,
      maxFrameBytes: 1150,
      sendFrame: (frame) => {
        const decoded = decodeFrame(frame);
        if (decoded.ok && decoded.frame.type === 'ack') acks.push(decoded.frame);
      },
      deliver,
    });
    return { clock, acks, stream };
  }

  it('waits ackDelayMs for a lone in-order frame, acknowledges every second one at once', () => {
    const { clock, acks, stream } = receiver();
    stream.receiveFrame(data(0));
    expect(acks).toEqual([]);
    clock.advance(RELIABLE_DEFAULTS.ackDelayMs - 1);
    expect(acks).toEqual([]);
    clock.advance(1);
    expect(acks).toEqual([{ type: 'ack', incarnation: PEER, cumulative: 1, ackDelayUs: 25_000, ranges: [] }]);
    stream.receiveFrame(data(1));
    clock.advance(3);
    stream.receiveFrame(data(2));
    expect(acks.at(-1)).toEqual({ type: 'ack', incarnation: PEER, cumulative: 3, ackDelayUs: 0, ranges: [] });
    expect(clock.pending).toBe(0);
  });

  it('acknowledges a gap at once, and a duplicate again without delivering it again', () => {
    const { clock, acks, stream } = receiver();
    stream.receiveFrame(data(0)); // starts the peer's incarnation; its ACK waits
    stream.receiveFrame(data(3));
    expect(acks).toHaveLength(1);
    expect(acks.at(-1)).toMatchObject({ cumulative: 1, ranges: [{ start: 3, end: 4 }] });
    stream.receiveFrame(data(3));
    expect(acks).toHaveLength(2);
    stream.receiveFrame(data(1));
    expect(acks.at(-1)).toMatchObject({ cumulative: 2, ranges: [{ start: 3, end: 4 }] });
    stream.receiveFrame(data(2));
    expect(acks.at(-1)).toMatchObject({ cumulative: 4, ranges: [] });
    stream.receiveFrame(data(1));
    expect(acks).toHaveLength(5);
    expect(stream.stats).toMatchObject({ messagesDelivered: 4, duplicates: 2, acksSent: 5 });
    expect(clock.pending).toBe(0);
  });

  it('carries on with the next frame after deliver() throws', () => {
    const delivered: number[] = [];
    const { stream } = receiver((m) => {
      if (m[0] === 0) throw new Error('application bug');
      delivered.push(m[0] as number);
    });
    const frame = (seq: number) => data(seq, PEER, Uint8Array.of(seq));
    expect(() => stream.receiveFrame(frame(0))).toThrow('application bug');
    stream.receiveFrame(frame(0));
    stream.receiveFrame(frame(1));
    stream.receiveFrame(frame(2));
    expect(delivered).toEqual([1, 2]);
    expect(stream.stats).toMatchObject({ messagesDelivered: 3, duplicates: 1 });
  });

  it(`reports the highest ${MAX_ACK_RANGES} ranges when there are more gaps`, () => {
    const { acks, stream } = receiver();
    stream.receiveFrame(data(0));
    for (let seq = 2; seq <= 50; seq += 2) stream.receiveFrame(data(seq));
    const last = acks.at(-1);
    expect(last?.ranges).toHaveLength(MAX_ACK_RANGES);
    expect(last?.ranges.at(-1)).toEqual({ start: 50, end: 51 });
    expect(last?.ranges[0]).toEqual({
      start: 50 - 2 * (MAX_ACK_RANGES - 1),
      end: 51 - 2 * (MAX_ACK_RANGES - 1),
    });
  });

  it('resends a frame whose successors were acknowledged before its timer expires', () => {
    // The second DATA frame: losing the first, sequence 0, would also make the fresh receiver drop
    // its successors until it arrives (see 'incarnations').
    let dropped = false;
    const dropSecond = (frame: Uint8Array) => {
      const decoded = decodeFrame(frame);
      if (dropped || !decoded.ok || decoded.frame.type !== 'data' || decoded.frame.seq !== 1) return false;
      return (dropped = true);
    };
    const pair = new Pair({ ...perfect(20), drop: dropSecond }, perfect(20));
    const msgs = Array.from({ length: 8 }, () => 100);
    exchange(pair, msgs, [], 60_000);
    expectAllDelivered(msgs, pair.b.delivered);
    expect(pair.a.stream.stats).toMatchObject({ fastRetransmits: 1, retransmits: 1, timeouts: 0 });
  });
});

describe('round-trip time', () => {
  it.each([
    { oneWay: perfect(20), rtt: 40, tolerance: 0.5 },
    { oneWay: perfect(150), rtt: 300, tolerance: 0.5 },
    { oneWay: { ...perfect(0), minDelayMs: 40, maxDelayMs: 60 }, rtt: 100, tolerance: 10 },
  ])('converges to the pipe round trip of $rtt ms without loss', ({ oneWay, rtt, tolerance }) => {
    const pair = new Pair(oneWay, oneWay);
    expect(pair.a.stream.rtt).toBeUndefined();
    // Bulk (acknowledged every second frame) and sporadic one-frame messages (every ACK delayed).
    exchange(
      pair,
      Array.from({ length: 40 }, () => 20_000),
      [],
      600_000,
    );
    for (let i = 0; i < 100; i++) {
      pair.a.stream.send(message(i, 10));
      pair.clock.advance(rtt * 2);
    }
    const { srtt, rttvar, rto, timeouts, retransmits } = pair.a.stream.stats;
    expect(Math.abs((srtt as number) - rtt)).toBeLessThanOrEqual(tolerance);
    expect(pair.a.stream.rtt).toBe(srtt);
    const expectedRto = (srtt as number) + Math.max(1, 4 * (rttvar as number)) + RELIABLE_DEFAULTS.ackDelayMs;
    expect(rto).toBeCloseTo(Math.max(RELIABLE_DEFAULTS.minRto, expectedRto), 6);
    expect(timeouts).toBe(0);
    // Jitter reorders frames, and a frame overtaken by three others is resent (spuriously).
    if (oneWay.minDelayMs === oneWay.maxDelayMs) expect(retransmits).toBe(0);
  });

  it('backs the RTO off on each timeout, up to maxRto, and collapses it with the next sample', () => {
    const pair = new Pair(perfect(20), perfect(20));
    exchange(pair, [1000, 1000, 1000], [], 60_000);
    const base = pair.a.stream.stats.rto;
    expect(base).toBe(RELIABLE_DEFAULTS.minRto);
    pair.ab = { ...perfect(20), loss: 1 };
    pair.a.stream.send(message(0, 10));
    for (let k = 1; k <= 6; k++) {
      pair.clock.runUntil(() => pair.a.stream.stats.timeouts === k, { maxMs: 60_000 });
      expect(pair.a.stream.stats.rto).toBe(Math.min(base * 2 ** k, RELIABLE_DEFAULTS.maxRto));
    }
    pair.ab = perfect(20);
    pair.clock.runUntil(() => pair.b.delivered.length === 4, { maxMs: 60_000 });
    pair.clock.runUntilIdle({ maxMs: 60_000 });
    // Karn's rule: the resent frame's ACK is no sample, so the backoff stays until a fresh frame's.
    expect(pair.a.stream.stats.rto).toBe(RELIABLE_DEFAULTS.maxRto);
    exchange(pair, [10], [], 60_000);
    expect(pair.a.stream.stats.rto).toBe(base);
  });
});

describe('a dead peer', () => {
  it(`resets the sending half ${RELIABLE_DEFAULTS.failureTimeoutMs} ms after the last progress, then holds nothing`, () => {
    const pair = new Pair(perfect(20), perfect(20));
    exchange(pair, [5000, 5000], [], 60_000);
    pair.ab = { ...perfect(20), loss: 1 };
    pair.ba = { ...perfect(20), loss: 1 };
    const start = pair.clock.now();
    const incarnation = pair.a.stream.stats.incarnation;
    pair.a.stream.send(message(0, 30_000));
    // The queue stays bounded meanwhile: a sender that keeps trying is refused, not buffered.
    let refused = 0;
    for (let i = 0; i < 100 && refused === 0; i++) {
      if (codeOf(() => pair.a.stream.send(message(i, 65_536))) === 'RELIABLE_QUEUE_FULL') refused += 1;
    }
    expect(refused).toBe(1);
    const queued = pair.a.stream.stats.messagesSent - 2;
    expect(queued).toBe(4); // the 30,000-byte message and three of 65,536 bytes
    pair.clock.runUntil(() => pair.a.failures.length > 0, { maxMs: 120_000 });
    expect(pair.a.failures).toEqual([
      {
        reason: `no acknowledgement for ${RELIABLE_DEFAULTS.failureTimeoutMs} ms`,
        lost: queued,
        at: start + 30_000,
      },
    ]);
    const framesSent = pair.a.stream.stats.framesSent;
    expect(pair.a.stream.stats).toMatchObject({
      inFlight: 0,
      queuedBytes: 0,
      sendingResets: 1,
      messagesLost: queued,
      srtt: undefined,
      rto: 1000,
    });
    expect(pair.a.stream.stats.incarnation).not.toBe(incarnation);
    expect(pair.a.stream.stats.timeouts).toBeLessThan(RELIABLE_DEFAULTS.maxRetransmits);
    // Nothing keeps running: no timer is left, time passes without a frame or another failure.
    expect(pair.clock.pending).toBe(0);
    pair.clock.advance(600_000);
    expect(pair.a.stream.stats.framesSent).toBe(framesSent);
    expect(pair.a.failures).toHaveLength(1);
    // The stream itself lives on: once the peer is back, a new message gets through.
    expect(pair.a.stream.canSend(65_536)).toBe(true);
    pair.ab = pair.ba = perfect(20);
    pair.a.stream.send(message(9, 100));
    pair.clock.runUntilIdle({ maxMs: 60_000 });
    expect(pair.b.delivered.map((m) => m.length)).toEqual([5000, 5000, 100]);
    expect(equalBytes(pair.b.delivered[2] as Uint8Array, message(9, 100))).toBe(true);
  });

  it('fails within the failure bound of the last ACK when the peer dies mid-transfer', () => {
    const pair = new Pair(LOSSY, LOSSY, { seed: 7 });
    const msgs = Array.from({ length: 200 }, () => 10_000);
    let next = 0;
    for (let t = 0; t < 5_000; t += 10) {
      while (next < msgs.length && pair.a.stream.canSend(10_000)) pair.a.stream.send(message(next++, 10_000));
      pair.clock.advance(10);
    }
    expect(pair.b.delivered.length).toBeGreaterThan(0);
    pair.ab = { ...LOSSY, loss: 1 };
    pair.clock.runUntil(() => pair.a.failures.length > 0, { maxMs: 120_000 });
    const failure = pair.a.failures[0];
    expect(failure?.at).toBeLessThanOrEqual(pair.lastAckAtA + RELIABLE_DEFAULTS.failureTimeoutMs);
    pair.clock.runUntilIdle({ maxMs: 120_000 });
    expect(pair.a.stream.stats).toMatchObject({ inFlight: 0, queuedBytes: 0 });
  });

  it('fails after maxRetransmits timeouts of one frame when that bound comes first', () => {
    const pair = new Pair({ ...perfect(20), loss: 1 }, perfect(20), {
      maxRetransmits: 3,
      failureTimeoutMs: 3_600_000,
    });
    pair.a.stream.send(message(0, 10));
    pair.clock.runUntil(() => pair.a.failures.length > 0, { maxMs: 120_000 });
    // Initial RTO 1 s (RFC 6298 §2.1), doubled after each of the 3 timeouts: 1 + 2 + 4 + 8 s.
    expect(pair.a.failures).toEqual([
      { reason: 'frame 0 was not acknowledged after 3 retransmissions', lost: 1, at: 15_000 },
    ]);
    // The fourth expiry gives up instead of resending.
    expect(pair.a.stream.stats).toMatchObject({ timeouts: 4, retransmits: 3, framesSent: 4 });
    expect(pair.clock.pending).toBe(0);
  });
});

describe('backpressure and limits', () => {
  it('refuses a message once the unacknowledged bytes would pass maxQueuedBytes, and accepts again as ACKs drain it', () => {
    const pair = new Pair(perfect(20), perfect(20));
    const big = message(0, 65_536);
    const wire = 65_536 + Math.ceil(65_536 / 1135) * 15;
    const fit = Math.floor(RELIABLE_DEFAULTS.maxQueuedBytes / wire);
    for (let i = 0; i < fit; i++) pair.a.stream.send(big);
    const before = pair.a.stream.stats;
    expect(before.queuedBytes).toBe(fit * wire);
    expect(pair.a.stream.canSend(65_536)).toBe(false);
    expect(codeOf(() => pair.a.stream.send(big))).toBe('RELIABLE_QUEUE_FULL');
    expect(pair.a.stream.stats).toMatchObject({ queuedBytes: before.queuedBytes, messagesSent: fit });
    pair.clock.runUntil(() => pair.a.stream.canSend(65_536), { maxMs: 60_000 });
    pair.a.stream.send(big);
    pair.clock.runUntilIdle({ maxMs: 60_000 });
    expect(pair.b.delivered).toHaveLength(fit + 1);
  });

  it('refuses a message over maxMessageBytes, and anything after close()', () => {
    const pair = new Pair(perfect(20), perfect(20));
    expect(pair.a.stream.canSend(65_536)).toBe(true);
    expect(pair.a.stream.canSend(65_537)).toBe(false);
    expect(codeOf(() => pair.a.stream.send(new Uint8Array(65_537)))).toBe('RELIABLE_MESSAGE_TOO_LARGE');
    expect(pair.a.stream.stats.queuedBytes).toBe(0);
    pair.a.stream.send(new Uint8Array(10));
    pair.a.stream.close();
    pair.a.stream.close();
    expect(codeOf(() => pair.a.stream.send(new Uint8Array(0)))).toBe('RELIABLE_CLOSED');
    expect(pair.a.failures).toEqual([]);
    pair.clock.runUntilIdle({ maxMs: 60_000 });
    expect(pair.clock.pending).toBe(0);
  });

  const base = { clock: new VirtualClock(), sendFrame: () => {}, deliver: () => {}, maxFrameBytes: 1150 };
  it.each([
    { option: 'maxFrameBytes', value: 127 },
    { option: 'maxFrameBytes', value: 1150.5 },
    { option: 'window', value: 0 },
    { option: 'window', value: 65_537 },
    { option: 'maxMessageBytes', value: -1 },
    { option: 'maxMessageBytes', value: 0xffff * 1135 + 1 },
    { option: 'maxQueuedBytes', value: 65_536 },
    { option: 'ackDelayMs', value: -1 },
    { option: 'ackDelayMs', value: Number.NaN },
    { option: 'minRto', value: 0 },
    { option: 'maxRto', value: 199 },
    { option: 'maxRto', value: Number.POSITIVE_INFINITY },
    { option: 'maxRetransmits', value: 0 },
    { option: 'failureTimeoutMs', value: 0 },
  ])('rejects $option = $value with RELIABLE_BAD_OPTION', ({ option, value }) => {
    const create = () => new ReliableStream({ ...base, [option]: value });
    expect(codeOf(create)).toBe('RELIABLE_BAD_OPTION');
    expect(create).toThrow(new RegExp(`^${option} must be`));
  });

  it('accepts the smallest frame and the largest window', () => {
    expect(codeOf(() => new ReliableStream({ ...base, maxFrameBytes: 128, window: 65_536 }))).toBe(
      'NO_ERROR',
    );
  });
});

describe('incarnations', () => {
  /** A stream whose frames are recorded instead of going anywhere. */
  function endpoint(options: Partial<ReliableStreamOptions> = {}) {
    const clock = new VirtualClock();
    const sent: { frame: Uint8Array; at: number }[] = [];
    const delivered: Uint8Array[] = [];
    const failures: { reason: string; lost: number }[] = [];
    const stream = new ReliableStream({
      clock,
      maxFrameBytes: 1150,
      rng: seededRng(Uint8Array.of(42)),
      sendFrame: (frame) => sent.push({ frame, at: clock.now() }),
      deliver: (m) => delivered.push(m),
      onFailure: (reason, lost) => failures.push({ reason, lost }),
      ...options,
    });
    const decoded = () =>
      sent.map(({ frame }) => {
        const result = decodeFrame(frame);
        if (!result.ok) throw new Error(`sent a malformed frame: ${result.error}`);
        return result.frame;
      });
    return {
      clock,
      stream,
      sent,
      delivered,
      failures,
      dataSent: () => decoded().filter((f): f is DataFrame => f.type === 'data'),
      acksSent: () => decoded().filter((f): f is AckFrame => f.type === 'ack'),
    };
  }
  const ack = (incarnation: number, cumulative: number) =>
    encodeFrame({ type: 'ack', incarnation, cumulative, ackDelayUs: 0, ranges: [] });
  const one = (n: number) => Uint8Array.of(n);

  it('draws a random nonzero incarnation, carried by DATA, and a different one on each reset', () => {
    const draws = [0, 5, 5, 0, 5, 7];
    const rng: Rng = (length) => {
      const bytes = new Uint8Array(length);
      new DataView(bytes.buffer).setUint32(0, draws.shift() ?? 9);
      return bytes;
    };
    const { clock, stream, dataSent } = endpoint({ rng });
    expect(stream.stats.incarnation).toBe(5); // 0 means none, so it was drawn again
    stream.send(message(0, 10));
    expect(dataSent()).toMatchObject([{ incarnation: 5, seq: 0 }]);
    expect(stream.resetSending()).toBe(1);
    expect(stream.stats.incarnation).toBe(7); // neither 5 again nor 0
    stream.send(message(1, 10));
    clock.advance(3000); // the hold of a new sequence 0 (see below)
    expect(dataSent().at(-1)).toMatchObject({ incarnation: 7, seq: 0 });
    // The same seed gives the same incarnations; the default rng is the system's.
    expect(endpoint().stream.stats.incarnation).toBe(endpoint().stream.stats.incarnation);
    const unseeded = new ReliableStream({
      clock: new VirtualClock(),
      maxFrameBytes: 1150,
      sendFrame: () => {},
      deliver: () => {},
    });
    expect(unseeded.stats.incarnation).toBeGreaterThan(0);
    expect(unseeded.stats.incarnation).toBeLessThanOrEqual(0xffffffff);
  });

  it('recovers after the peer was silent past the failure timeout: what is sent afterwards arrives once, in order, on a new incarnation', () => {
    const pair = new Pair(perfect(20), perfect(20));
    exchange(pair, [100, 100], [300], 60_000);
    const old = pair.a.stream.stats.incarnation;
    expect(pair.b.stream.stats).toMatchObject({ peerIncarnation: old, peerResets: 0 });
    // A five-frame message (sequence 2-6) and two one-frame ones (7 and 8), of which b gets only
    // fragment 0 of the first (a partial message) and sequence 4, 7 and 8 (out of order).
    const lose = new Set([3, 5, 6]);
    pair.ab = {
      ...perfect(20),
      drop: (frame) => {
        const decoded = decodeFrame(frame);
        return decoded.ok && decoded.frame.type === 'data' && lose.has(decoded.frame.seq);
      },
    };
    [5000, 10, 10].forEach((size, i) => pair.a.stream.send(message(10 + i, size)));
    pair.clock.advance(500);
    expect(pair.b.delivered).toHaveLength(2);
    // Then the peer is out of range, both ways, past the failure timeout.
    pair.ab = pair.ba = { ...perfect(20), loss: 1 };
    pair.clock.runUntil(() => pair.a.failures.length > 0, { maxMs: 120_000 });
    expect(pair.a.failures).toMatchObject([{ reason: 'no acknowledgement for 30000 ms', lost: 3 }]);
    const fresh = pair.a.stream.stats.incarnation;
    expect(fresh).not.toBe(old);
    // Back in range. Everything a sends from now on is of the new incarnation.
    const onWire: DataFrame[] = [];
    pair.ab = {
      ...perfect(20),
      drop: (frame) => {
        const decoded = decodeFrame(frame);
        if (decoded.ok && decoded.frame.type === 'data') onWire.push(decoded.frame);
        return false;
      },
    };
    pair.ba = perfect(20);
    const after = [4000, 0, 2500, 7];
    after.forEach((size, i) => pair.a.stream.send(message(20 + i, size)));
    pair.b.stream.send(message(30, 50));
    pair.clock.runUntilIdle({ maxMs: 60_000 });
    const expected = [message(0, 100), message(1, 100), ...after.map((size, i) => message(20 + i, size))];
    expect(pair.b.delivered).toHaveLength(expected.length);
    expect(pair.b.delivered.findIndex((m, i) => !equalBytes(m, expected[i] as Uint8Array))).toBe(-1);
    expect(onWire[0]).toMatchObject({ incarnation: fresh, seq: 0 });
    expect(onWire.filter((f) => f.incarnation !== fresh)).toEqual([]);
    // b threw away the partial message (1 fragment) and the 3 frames it held out of order.
    expect(pair.b.stream.stats).toMatchObject({ peerIncarnation: fresh, peerResets: 1, framesDiscarded: 4 });
    expect(pair.a.stream.stats).toMatchObject({
      sendingResets: 1,
      messagesLost: 3,
      inFlight: 0,
      queuedBytes: 0,
    });
    // The other direction went on untouched.
    expect(pair.a.delivered.map((m) => m.length)).toEqual([300, 50]);
    expect(pair.a.stream.stats).toMatchObject({ peerResets: 0, framesDiscarded: 0 });
    expect([pair.b.failures, pair.b.stream.stats.sendingResets]).toEqual([[], 0]);
    expect(pair.clock.pending).toBe(0);
  });

  it('resetSending() mid-stream: later messages arrive once and in order, after what got through before', () => {
    // Early resets too, where the old sequence 0 may still be on its way (see the next tests).
    const resetTimes = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 2000 }));
    fc.assert(
      fc.property(fc.nat(), resetTimes, (seed, resetAt) => {
        const pair = new Pair(LOSSY, LOSSY, { seed });
        // Sizes >= 1 so every message differs from every other (a 0-byte one would not).
        const before = Array.from({ length: 40 }, (_, i) => 1 + ((i * 7919 + seed) % 6000));
        const after = Array.from({ length: 40 }, (_, i) => 1 + ((i * 104_729 + seed) % 6000));
        const id = (i: number) => 1000 + i; // of a message sent after the reset
        let sent = 0;
        for (let t = 0; t < resetAt; t += 10) {
          for (let size = before[sent]; size !== undefined && pair.a.stream.canSend(size);) {
            pair.a.stream.send(message(sent, size));
            size = before[++sent];
          }
          pair.clock.advance(10);
        }
        const lost = pair.a.stream.resetSending();
        let next = 0;
        for (let t = 0; t < 3_600_000; t += 10) {
          for (let size = after[next]; size !== undefined && pair.a.stream.canSend(size);) {
            pair.a.stream.send(message(id(next), size));
            size = after[++next];
          }
          if (next === after.length && pair.a.stream.stats.queuedBytes === 0) break;
          pair.clock.advance(10);
        }
        pair.clock.runUntilIdle({ maxMs: 60_000, maxSteps: 100_000 });
        // What b got of the old incarnation is a prefix of it: at least what the reset did not
        // count lost, at most what was sent (a message counted lost may have arrived, its ACK not).
        const got = pair.b.delivered.length - after.length;
        expect(got).toBeGreaterThanOrEqual(sent - lost);
        expect(got).toBeLessThanOrEqual(sent);
        const expected = [
          ...before.slice(0, got).map((size, i) => message(i, size)),
          ...after.map((size, i) => message(id(i), size)),
        ];
        expect(pair.b.delivered.findIndex((m, i) => !equalBytes(m, expected[i] as Uint8Array))).toBe(-1);
        expect(pair.a.failures).toEqual([]);
        expect(pair.a.stream.stats).toMatchObject({ sendingResets: 1, messagesLost: lost, queuedBytes: 0 });
        expect(pair.b.stream.stats.peerIncarnation).toBe(pair.a.stream.stats.incarnation);
        expect(pair.clock.pending).toBe(0);
      }),
      { numRuns: 30, seed: 0x6b69746a },
    );
  });

  it('holds a new sequence 0 until 3 PTOs after the old one last left, so it cannot overtake it', () => {
    const a = endpoint();
    const b = endpoint({ rng: seededRng(Uint8Array.of(2)) });
    a.stream.send(message(0, 10));
    a.clock.advance(10);
    expect(a.stream.resetSending()).toBe(1);
    a.stream.send(message(1, 10));
    a.stream.send(message(2, 10));
    // No RTT sample yet: the PTO is the initial RTO of 1 s, and the old sequence 0 left at 0.
    a.clock.advance(2989);
    expect(a.sent).toHaveLength(1);
    a.clock.advance(1);
    expect(a.dataSent()).toMatchObject([
      { seq: 0 },
      { incarnation: a.stream.stats.incarnation, seq: 0 },
      { incarnation: a.stream.stats.incarnation, seq: 1 },
    ]);
    expect(a.sent.slice(1).map((s) => s.at)).toEqual([3000, 3000]);
    // The old sequence 0 gets there first, however late within those 3 s, and b follows both in turn.
    for (const { frame } of a.sent) b.stream.receiveFrame(frame);
    expect(b.delivered).toEqual([message(0, 10), message(1, 10), message(2, 10)]);
    expect(b.stream.stats).toMatchObject({ peerIncarnation: a.stream.stats.incarnation, peerResets: 1 });
    // Once the new sequence 0 has left, nothing more is held.
    a.stream.send(message(3, 10));
    expect(a.dataSent().at(-1)).toMatchObject({ seq: 2 });
    // Acknowledged after a single transmission, sequence 0 has no copy left on the way: a reset
    // then holds nothing.
    a.stream.receiveFrame(ack(a.stream.stats.incarnation, 3));
    a.stream.resetSending();
    a.stream.send(message(4, 10));
    expect(a.dataSent().at(-1)).toMatchObject({ incarnation: a.stream.stats.incarnation, seq: 0 });
    // A resent one may have a copy on the way, so the hold counts from its last transmission.
    const resent = endpoint();
    resent.stream.send(message(0, 10));
    resent.clock.advance(1000); // the timer resends it
    resent.stream.receiveFrame(ack(resent.stream.stats.incarnation, 1));
    resent.stream.resetSending();
    resent.stream.send(message(1, 10));
    resent.clock.advance(2999);
    expect(resent.sent).toHaveLength(2);
    resent.clock.advance(1);
    expect(resent.dataSent().at(-1)).toMatchObject({ incarnation: resent.stream.stats.incarnation, seq: 0 });
  });

  it('drops an ACK of an incarnation reset since, applying nothing of it', () => {
    const { clock, stream, dataSent } = endpoint();
    stream.send(message(0, 10));
    const old = stream.stats.incarnation;
    expect(stream.resetSending()).toBe(1);
    stream.send(message(1, 10));
    const fresh = stream.stats.incarnation;
    clock.advance(3000); // the hold of a new sequence 0
    expect(dataSent()).toMatchObject([
      { incarnation: old, seq: 0 },
      { incarnation: fresh, seq: 0 },
    ]);
    clock.advance(50);
    const before = stream.stats;
    // It would acknowledge the new incarnation's sequence 0 if it were applied.
    stream.receiveFrame(ack(old, 1));
    expect(stream.stats).toEqual({
      ...before,
      framesReceived: 1,
      dropped: { ...before.dropped, 'stale-incarnation': 1 },
    });
    expect(stream.stats).toMatchObject({ acksReceived: 0, inFlight: 1, srtt: undefined });
    // The frame is still unacknowledged: the timer resends it, and the right ACK is applied.
    clock.advance(1000);
    expect(dataSent()).toHaveLength(3);
    expect(stream.stats).toMatchObject({ timeouts: 1, retransmits: 1 });
    stream.receiveFrame(ack(fresh, 1));
    expect(stream.stats).toMatchObject({ acksReceived: 1, inFlight: 0, queuedBytes: 0 });
    expect(clock.pending).toBe(0);
  });

  it('a fresh receiver drops frames from the middle of an incarnation, unacknowledged, until its sequence 0', () => {
    const { clock, stream, delivered, acksSent } = endpoint();
    for (const seq of [3, 1, 2]) stream.receiveFrame(data(seq, PEER, one(seq)));
    clock.advance(1000);
    expect([delivered, acksSent(), clock.pending]).toEqual([[], [], 0]);
    expect(stream.stats).toMatchObject({ peerIncarnation: 0, dropped: { 'stale-incarnation': 3 } });
    stream.receiveFrame(data(0, PEER, one(0)));
    for (const seq of [3, 1, 2]) stream.receiveFrame(data(seq, PEER, one(seq)));
    expect(delivered).toEqual([one(0), one(1), one(2), one(3)]);
    expect(stream.stats).toMatchObject({ peerIncarnation: PEER, peerResets: 0, framesDiscarded: 0 });
    expect(acksSent().every((a) => a.incarnation === PEER)).toBe(true);
  });

  it('a lost sequence 0 holds its successors back until the timer resends the window', () => {
    let lost = false;
    const dropSeq0 = (frame: Uint8Array) => {
      const decoded = decodeFrame(frame);
      if (lost || !decoded.ok || decoded.frame.type !== 'data' || decoded.frame.seq !== 0) return false;
      return (lost = true);
    };
    const pair = new Pair({ ...perfect(20), drop: dropSeq0 }, perfect(20));
    const msgs = Array.from({ length: 8 }, () => 100);
    exchange(pair, msgs, [], 60_000);
    expectAllDelivered(msgs, pair.b.delivered);
    expect(pair.b.stream.stats.dropped['stale-incarnation']).toBe(7);
    expect(pair.a.stream.stats).toMatchObject({ timeouts: 1, retransmits: 8, fastRetransmits: 0 });
  });

  it('drops late frames of an incarnation it has left, sequence 0 included, and remembers the last 8 left', () => {
    const { clock, stream, delivered, acksSent } = endpoint();
    const [x, y] = [0x11111111, 0x22222222];
    stream.receiveFrame(data(0, x, one(0)));
    stream.receiveFrame(data(1, x, one(1)));
    stream.receiveFrame(data(2, x, one(2))); // its ACK goes out at once (every second frame)
    stream.receiveFrame(data(1, y, one(11))); // y's sequence 1 overtook its sequence 0: too early
    expect(stream.stats).toMatchObject({ peerIncarnation: x, dropped: { 'stale-incarnation': 1 } });
    stream.receiveFrame(data(0, y, one(10)));
    stream.receiveFrame(data(1, y, one(11)));
    expect(stream.stats).toMatchObject({ peerIncarnation: y, peerResets: 1, framesDiscarded: 0 });
    const acks = acksSent().length;
    // Late copies of x, its sequence 0 among them (a retransmission overtaken by y's sequence 0).
    for (const seq of [2, 0, 1, 0]) stream.receiveFrame(data(seq, x, one(seq)));
    clock.advance(1000);
    expect(delivered).toEqual([one(0), one(1), one(2), one(10), one(11)]);
    expect(stream.stats).toMatchObject({ peerIncarnation: y, dropped: { 'stale-incarnation': 5 } });
    expect(acksSent().slice(acks)).toEqual([]);
    expect(acksSent().map((a) => a.incarnation)).toEqual([x, y]);
    // Each of the last 8 incarnations left stays refused; an older one is forgotten (bounded state).
    for (let i = 1; i <= 8; i++) stream.receiveFrame(data(0, 0x30 + i, one(i)));
    expect(stream.stats.peerIncarnation).toBe(0x38);
    for (const left of [y, 0x31, 0x35, 0x37]) stream.receiveFrame(data(0, left, one(99)));
    expect(stream.stats).toMatchObject({ peerIncarnation: 0x38, dropped: { 'stale-incarnation': 9 } });
    stream.receiveFrame(data(0, x, one(0)));
    expect(stream.stats.peerIncarnation).toBe(x);
  });

  it('a sequence 0 unacknowledged until the deadline can outlive its incarnation, and is dropped when it does', () => {
    // b receives a's first frame, but every ACK of b's is lost: a resends that frame up to the
    // deadline, fails, and sends the next message on a new incarnation at once.
    const b = endpoint({ rng: seededRng(Uint8Array.of(2)) });
    const a = endpoint({
      onFailure: () => a.stream.send(message(1, 10)),
    });
    const old = a.stream.stats.incarnation;
    a.stream.send(message(0, 10));
    b.stream.receiveFrame((a.sent[0] as { frame: Uint8Array }).frame);
    a.clock.runUntil(() => a.stream.stats.sendingResets === 1, { maxMs: 60_000 });
    const incarnationOf = ({ frame }: { frame: Uint8Array }) => new DataView(frame.buffer).getUint32(1);
    const lastOld = a.sent.filter((sent) => incarnationOf(sent) === old).at(-1) as (typeof a.sent)[0];
    const first = a.sent.at(-1) as (typeof a.sent)[0];
    expect(a.dataSent().at(-1)).toMatchObject({ incarnation: a.stream.stats.incarnation, seq: 0 });
    // The old one's last copy left well within the failure timeout of the new one (at 25 s and 30 s).
    expect([lastOld.at, first.at]).toEqual([25_000, 30_000]);
    // The network reorders them; b takes the new incarnation and drops the old sequence 0.
    b.stream.receiveFrame(first.frame);
    b.stream.receiveFrame(lastOld.frame);
    expect(b.delivered).toEqual([message(0, 10), message(1, 10)]);
    expect(b.stream.stats).toMatchObject({ peerResets: 1, dropped: { 'stale-incarnation': 1 } });
  });

  it.each([
    { resetSending: false, within: RELIABLE_DEFAULTS.failureTimeoutMs + 1000 },
    { resetSending: true, within: 200 },
  ])(
    'reaches a peer whose process restarted (resetSending: $resetSending) within $within ms',
    ({ resetSending, within }) => {
      const pair = new Pair(perfect(20), perfect(20));
      exchange(pair, [100, 100, 100], [100], 60_000);
      pair.restartB();
      // The restarted peer's own stream starts at sequence 0 of a new incarnation: a takes it at once.
      pair.b.stream.send(message(7, 10));
      pair.clock.advance(100);
      expect(pair.a.delivered.map((m) => m.length)).toEqual([100, 10]);
      // a's sending half is in the middle of its incarnation, which the fresh receiver drops.
      if (resetSending) expect(pair.a.stream.resetSending()).toBe(0);
      const start = pair.clock.now();
      pair.a.stream.send(message(8, 10));
      if (resetSending) {
        pair.clock.runUntil(() => pair.b.delivered.length > 0, { maxMs: 60_000 });
        expect(pair.b.delivered).toEqual([message(8, 10)]);
        expect(pair.a.failures).toEqual([]);
      } else {
        // The known cost: the message waits in vain until a's sending half fails, and is lost with it.
        pair.clock.runUntil(() => pair.a.failures.length > 0, { maxMs: 60_000 });
        expect(pair.a.failures).toMatchObject([{ lost: 1 }]);
        expect(pair.b.delivered).toEqual([]);
        expect(pair.b.stream.stats.dropped['stale-incarnation']).toBeGreaterThan(0);
        pair.a.stream.send(message(9, 10));
        pair.clock.runUntil(() => pair.b.delivered.length > 0, { maxMs: 60_000 });
        expect(pair.b.delivered).toEqual([message(9, 10)]);
      }
      expect(pair.clock.now() - start).toBeLessThanOrEqual(within);
    },
  );

  it('lets a callback reset the sending half in the middle of a retransmission', () => {
    const clock = new VirtualClock();
    const sent: DataFrame[] = [];
    const stream: ReliableStream = new ReliableStream({
      clock,
      maxFrameBytes: 1150,
      deliver: () => {},
      sendFrame: (frame) => {
        const decoded = decodeFrame(frame);
        if (decoded.ok && decoded.frame.type === 'data') sent.push(decoded.frame);
        // On the first retransmission: the loop resending the other two must stop there.
        if (stream.stats.timeouts === 1 && stream.stats.sendingResets === 0) {
          expect(stream.resetSending()).toBe(3);
        }
      },
    });
    for (let i = 0; i < 3; i++) stream.send(message(i, 10));
    expect(() => clock.advance(1000)).not.toThrow();
    expect(sent.map((f) => f.seq)).toEqual([0, 1, 2, 0]);
    expect(stream.stats).toMatchObject({ inFlight: 0, queuedBytes: 0, sendingResets: 1 });
    expect(clock.pending).toBe(0);
    stream.send(message(3, 10));
    clock.advance(3000); // the hold: the old sequence 0 last left just now
    expect(sent.at(-1)).toMatchObject({ incarnation: stream.stats.incarnation, seq: 0 });
    expect(stream.stats).toMatchObject({ inFlight: 1 });
  });

  it('stays closed after a protocol violation, counting what the send queue lost; resetSending() then does nothing', () => {
    const { clock, stream, failures } = endpoint();
    stream.send(message(0, 10));
    stream.send(message(1, 10));
    stream.receiveFrame(
      encodeFrame({ type: 'data', incarnation: PEER, seq: 0, index: 1, count: 2, payload: one(1) }),
    );
    expect(failures).toEqual([{ reason: 'peer sent fragment 1 of 2 where 0 was due', lost: 2 }]);
    expect(stream.canSend(0)).toBe(false);
    expect(stream.resetSending()).toBe(0);
    expect(stream.stats.sendingResets).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
