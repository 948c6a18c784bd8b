// The adaptive jitter buffer of the voice receiver (DESIGN §3 "Calls and voice"): frames go in as
// they arrive, out at the playout clock, one per 20 ms slot, and the delay it adds follows the
// network's measured jitter, up when the network gets worse and back down when it calms, so delay
// never creeps up over a long call.
//
// Time. Every sequence number is one frameMs frame (the sender encodes continuously; no DTX), so a
// frame's media time is its sequence number times frameMs, and the packet timestamp is not needed
// here. The relative transit of a frame is d = arrival − media time (RFC 3550 §6.4.1's relative
// transit, in ms): it holds the network delay plus an unknown clock offset, and only its spread
// matters. The slot played at pop(now) sets the playout offset O = now − media time; the buffering
// delay is D = O − min(d): how long the fastest frames wait. A frame is on time when d <= O, that
// is when d − min(d) <= D.
//
// Target. T = the `percentile` (0.98) of d − min(d) over the last `windowMs` (10 s) of arrivals,
// clamped to [minDelayMs, maxDelayMs]; playing with D >= T leaves 2 % of frames late. Why a
// percentile and not RFC 3550 §A.8's interarrival jitter J times a factor: J is a mean of transit
// differences between neighbours, so the factor that covers a given share of late frames depends on
// the shape of the delay distribution (uniform, queueing spikes, Wi-Fi bursts), which the
// percentile reads directly. Why 0.98: late frames are lost for good (their redundant copies arrive
// later still), and the E-model (emodel.ts) charges 2 % of lost frames 9 R points, as much as about
// 130 ms of delay past 100 ms, so the tail is worth waiting for; yet in a window of 500 samples it
// is the 10th largest, which a single outlier does not move. Late arrivals count too: they are
// what raises T. Frames recovered from a redundant copy arrive a packet late, so at high loss T
// grows by a frame to wait for the copies. The window forgets: 10 s after the network calms, the
// high samples have left and T falls.
// J itself is kept for reports (jitterMs, RFC 3550 §6.4.1, gain 1/16 per §A.8).
//
// Growing. When the frame due is missing and nothing later is buffered either (the buffer ran dry:
// the network is slow, not lossy), and D < T, pop() conceals without consuming the slot: the frame
// plays 20 ms later if it comes (D grows by a frame). When a later frame is already here, the
// missing one is lost, not late (the path is mostly in order, and its redundant copy would have
// come with the later frame), so it is concealed and the slot passes; waiting would only add
// concealment. D never grows past maxDelayMs. And when D has sunk below minDelayMs (the sender's
// clock runs slow against ours, so frames come ever later) and the frame due is quiet, pop()
// conceals before it, stretching the pause by a frame, so the drift is absorbed in silence
// instead of by a late frame.
//
// Shrinking. When D >= T + frameMs (one frame of hysteresis, so D settles in [T, T + frameMs)), a
// buffered frame is dropped unplayed, when the one after it is here to play instead: a quiet frame
// (the sender's flag) at most once per quietDropIntervalMs (100 ms: dropping silence is inaudible),
// any frame at most once per loudDropIntervalMs (1 s) and only after the excess has lasted that
// long, giving a pause in speech a chance to come first. Above maxDelayMs a frame is dropped at
// every pop regardless (the path got faster all at once).
//
// Start and stop. The first frame starts a stream: pop() returns silence until D reaches
// initialDelayMs, then plays from the lowest sequence number held. When the buffer is empty and no
// frame has been accepted for stopAfterMs, the stream has stopped: silence until a frame starts a
// new one (with fresh measurements: the sender's clock may have moved on).
//
// Bounds: at most capacityFrames frames held (a frame further ahead is counted as overflow and
// discarded); the outcome of the last HISTORY_SLOTS slots remembered, to tell a late frame from a
// duplicate; the measurement window holds windowMs / frameMs samples.
//
// Options and constants (all times in ms): frameMs 20, minDelayMs 40, maxDelayMs 200,
// initialDelayMs = minDelayMs, windowMs 10 000, percentile 0.98, quietDropIntervalMs 100,
// loudDropIntervalMs 1000, capacityFrames 2 × maxDelayMs / frameMs, stopAfterMs 1000;
// HISTORY_SLOTS 256, JITTER_GAIN 1/16 (RFC 3550 §A.8).
import { KithError } from '../errors.js';

/** A frame as push() takes it: a decoded VoiceFrame (voice/packet.ts) fits as it is. */
export interface JitterFrame {
  /** Sequence number (u16, wrapping). */
  seq: number;
  /** Kept as given, not copied. */
  payload: Uint8Array;
  /** Silence or low energy: dropped first when the delay shrinks. */
  quiet?: boolean;
}

/** What to play in the next slot. */
export type Playout =
  /** Decode this frame. */
  | { kind: 'frame'; seq: number; payload: Uint8Array }
  /**
   * Run the decoder's concealment for one frame: frame `seq` is missing, or the buffer is growing
   * its delay by a frame before it. Either way `seq` may be played at a later pop (the same seq
   * concealed, then played).
   */
  | {
      kind: 'conceal';
      seq: number;
      /** True when the slot was added to grow the delay (nothing was missed), false when the frame is missing. */
      inserted: boolean;
    }
  /** No stream: before the first frame, while the first ones gather, or after the stream stopped. */
  | { kind: 'silence' };

export interface JitterBufferOptions {
  frameMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  initialDelayMs?: number;
  windowMs?: number;
  percentile?: number;
  quietDropIntervalMs?: number;
  loudDropIntervalMs?: number;
  capacityFrames?: number;
  stopAfterMs?: number;
}

export interface JitterStats {
  /** Frames given to push(), whatever became of them. */
  received: number;
  /** Frames already held, played or dropped (a redundant copy of a frame that was here, or a repeat). */
  duplicates: number;
  /** Frames whose slot had already been concealed, or too old to tell (discarded). */
  late: number;
  /** Frames further ahead than capacityFrames (discarded). */
  overflow: number;
  /** Slots played from a frame. */
  played: number;
  /** pop() results of kind 'conceal': slots whose frame was missing, plus `inserted`. */
  concealed: number;
  /** Of those, the ones that grew the delay by a frame (waiting for one, or stretching a pause). */
  inserted: number;
  /** Slots concealed whose frame has not arrived since (late arrivals are taken off). */
  lost: number;
  /** Slots whose frame was dropped unplayed to shrink the delay. */
  dropped: number;
  /** Runs of consecutive slots concealed for a missing frame (for the E-model's BurstR). */
  lossBursts: number;
  /** Frames held now. */
  buffered: number;
  /** Buffering delay D of the last slot output (0 without a stream). */
  currentDelayMs: number;
  /** Mean of currentDelayMs over every slot output so far. */
  meanDelayMs: number;
  /** The target delay T now. */
  targetDelayMs: number;
  /**
   * Interarrival jitter J (RFC 3550 §6.4.1), for reports: over each frame's first arrival, so a
   * frame recovered from a redundant copy counts with that copy's.
   */
  jitterMs: number;
  /** The percentile of d − min(d) that T follows, before clamping. */
  transitSpreadMs: number;
}

export const JITTER_DEFAULTS = Object.freeze({
  frameMs: 20,
  minDelayMs: 40,
  maxDelayMs: 200,
  windowMs: 10_000,
  percentile: 0.98,
  quietDropIntervalMs: 100,
  loudDropIntervalMs: 1000,
  stopAfterMs: 1000,
});

type Tunables = Required<JitterBufferOptions>;

/** Slots whose outcome is remembered; a frame later than this is counted late without checking. */
const HISTORY_SLOTS = 256;
/** RFC 3550 §A.8: J += (|D| − J) / 16. */
const JITTER_GAIN = 1 / 16;

const Outcome = { none: 0, played: 1, dropped: 2, concealed: 3, arrivedLate: 4 } as const;

const SILENCE: Playout = Object.freeze({ kind: 'silence' });

interface Held {
  seq: number;
  payload: Uint8Array;
  quiet: boolean;
}

export class JitterBuffer {
  readonly #o: Tunables;
  readonly #window: SlidingWindow;
  /** Frames held, by extended sequence number (u16 unwrapped to an unbounded count). */
  readonly #frames = new Map<number, Held>();
  #state: 'new' | 'starting' | 'playing' | 'stopped' = 'new';
  /** Extended sequence number of the next slot; while starting, of the first frame (unwrap reference). */
  #next = 0;
  readonly #historySeq = new Float64Array(HISTORY_SLOTS).fill(Number.NaN);
  readonly #historyOutcome = new Uint8Array(HISTORY_SLOTS);
  #lastAcceptedMs = Number.NEGATIVE_INFINITY;
  #lastTransit: number | undefined;
  #jitter = 0;
  #lastDropMs = Number.NEGATIVE_INFINITY;
  #excessSinceMs: number | undefined;
  #previousSlotMissed = false;
  #delayMs = 0;
  #delaySum = 0;
  #delayCount = 0;
  readonly #counts = {
    received: 0,
    duplicates: 0,
    late: 0,
    overflow: 0,
    played: 0,
    concealed: 0,
    inserted: 0,
    lost: 0,
    dropped: 0,
    lossBursts: 0,
  };

  /** Throws KithError VOICE_BAD_OPTION for an option out of range. */
  constructor(options: JitterBufferOptions = {}) {
    this.#o = resolveOptions(options);
    this.#window = new SlidingWindow(Math.max(1, Math.round(this.#o.windowMs / this.#o.frameMs)));
  }

  /**
   * Takes a frame that arrived at `arrivalMs` (the clock pop() is given). Frames may come in any
   * order, twice (as primary and as redundancy), late or far ahead; each is counted and only a new,
   * timely one is kept. Throws KithError VOICE_BAD_FRAME for a seq outside 0..65535 or a time that
   * is not finite (the caller's bug: decoded frames are always in range).
   */
  push(frame: JitterFrame, arrivalMs: number): void {
    if (
      !(Number.isInteger(frame.seq) && frame.seq >= 0 && frame.seq <= 0xffff) ||
      !Number.isFinite(arrivalMs)
    ) {
      throw new KithError(
        'VOICE_BAD_FRAME',
        `jitter buffer: bad frame (seq ${frame.seq}, at ${arrivalMs} ms)`,
      );
    }
    const c = this.#counts;
    c.received += 1;
    const ext = this.#state === 'new' ? frame.seq : unwrap(frame.seq, this.#next);
    if (this.#state === 'playing' || this.#state === 'stopped') {
      // After a stop, a frame from far behind is a new stream (the sender started over), not a late one.
      const behind = this.#next - ext;
      if (behind > 0 && (this.#state === 'playing' || behind <= HISTORY_SLOTS)) {
        // A late frame still measures the path: late arrivals are what raise the target.
        if (this.#classifyPassed(ext)) this.#measure(arrivalMs - ext * this.#o.frameMs);
        return;
      }
    }
    if (this.#frames.has(ext)) {
      c.duplicates += 1;
      return;
    }
    if (this.#state === 'new' || this.#state === 'stopped') this.#startStream(ext);
    let low = ext;
    let high = ext;
    if (this.#state === 'playing') low = this.#next;
    for (const key of this.#frames.keys()) {
      low = Math.min(low, key);
      high = Math.max(high, key);
    }
    if (high - low >= this.#o.capacityFrames) {
      c.overflow += 1;
      return;
    }
    this.#frames.set(ext, { seq: frame.seq, payload: frame.payload, quiet: frame.quiet === true });
    this.#lastAcceptedMs = arrivalMs;
    this.#measure(arrivalMs - ext * this.#o.frameMs);
  }

  /**
   * What to play in the slot starting at `nowMs`. Call it once per frameMs of playback, at a steady
   * cadence, with the time that slot starts playing on the clock push() is given.
   */
  pop(nowMs: number): Playout {
    if (!Number.isFinite(nowMs)) throw new KithError('VOICE_BAD_FRAME', `jitter buffer: bad time ${nowMs}`);
    const o = this.#o;
    if (this.#state === 'starting') {
      const first = Math.min(...this.#frames.keys());
      if (this.#delayAt(nowMs, first) < o.initialDelayMs) return SILENCE;
      this.#state = 'playing';
      this.#next = first;
    }
    if (this.#state !== 'playing') return SILENCE;
    if (this.#frames.size === 0 && nowMs - this.#lastAcceptedMs >= o.stopAfterMs) {
      this.#state = 'stopped';
      return SILENCE;
    }

    const target = this.#target();
    let delay = this.#delayAt(nowMs, this.#next);
    let frame = this.#frames.get(this.#next);
    if (frame === undefined) {
      const seq = this.#next & 0xffff;
      this.#counts.concealed += 1;
      const inserted = this.#frames.size === 0 && delay < target && delay + o.frameMs <= o.maxDelayMs;
      if (inserted) {
        this.#counts.inserted += 1;
      } else {
        this.#pass(Outcome.concealed);
        this.#counts.lost += 1;
      }
      this.#output(delay);
      return { kind: 'conceal', seq, inserted };
    }
    if (frame.quiet && delay < o.minDelayMs) {
      this.#counts.concealed += 1;
      this.#counts.inserted += 1;
      this.#output(delay);
      return { kind: 'conceal', seq: frame.seq, inserted: true };
    }
    if (this.#frames.has(this.#next + 1) && this.#shouldDrop(nowMs, delay, target, frame)) {
      this.#frames.delete(this.#next);
      this.#pass(Outcome.dropped);
      this.#counts.dropped += 1;
      this.#lastDropMs = nowMs;
      this.#excessSinceMs = undefined;
      delay -= o.frameMs;
      frame = this.#frames.get(this.#next) as Held;
    }
    this.#frames.delete(this.#next);
    this.#pass(Outcome.played);
    this.#counts.played += 1;
    this.#output(delay);
    return { kind: 'frame', seq: frame.seq, payload: frame.payload };
  }

  /** A snapshot of the counters and the delay figures. */
  get stats(): JitterStats {
    const spread = this.#window.size === 0 ? 0 : this.#window.quantile(this.#o.percentile) - this.#window.min;
    return {
      ...this.#counts,
      buffered: this.#frames.size,
      currentDelayMs: this.#state === 'playing' ? this.#delayMs : 0,
      meanDelayMs: this.#delayCount === 0 ? 0 : this.#delaySum / this.#delayCount,
      targetDelayMs: this.#target(),
      jitterMs: this.#jitter,
      transitSpreadMs: spread,
    };
  }

  #startStream(ext: number): void {
    this.#state = 'starting';
    this.#next = ext;
    this.#window.clear();
    this.#lastTransit = undefined;
    this.#jitter = 0;
    this.#excessSinceMs = undefined;
    this.#previousSlotMissed = false;
  }

  /**
   * Counts a frame for a slot the playout has passed: a duplicate if that slot's frame was here
   * (played, dropped, or already arrived late), else late. Returns whether it was late.
   */
  #classifyPassed(ext: number): boolean {
    const i = historyIndex(ext);
    const outcome = this.#historySeq[i] === ext ? this.#historyOutcome[i] : Outcome.none;
    if (outcome !== Outcome.none && outcome !== Outcome.concealed) {
      this.#counts.duplicates += 1;
      return false;
    }
    this.#counts.late += 1;
    if (outcome === Outcome.concealed) {
      this.#counts.lost -= 1;
      this.#historyOutcome[i] = Outcome.arrivedLate;
    }
    return true;
  }

  #measure(transit: number): void {
    this.#window.add(transit);
    if (this.#lastTransit !== undefined) {
      this.#jitter += (Math.abs(transit - this.#lastTransit) - this.#jitter) * JITTER_GAIN;
    }
    this.#lastTransit = transit;
  }

  #target(): number {
    const o = this.#o;
    if (this.#window.size === 0) return o.initialDelayMs;
    const spread = this.#window.quantile(o.percentile) - this.#window.min;
    return Math.min(o.maxDelayMs, Math.max(o.minDelayMs, spread));
  }

  #delayAt(nowMs: number, ext: number): number {
    return nowMs - ext * this.#o.frameMs - this.#window.min;
  }

  #shouldDrop(nowMs: number, delay: number, target: number, frame: Held): boolean {
    const o = this.#o;
    if (delay > o.maxDelayMs) return true;
    if (delay < target + o.frameMs) {
      this.#excessSinceMs = undefined;
      return false;
    }
    this.#excessSinceMs ??= nowMs;
    if (frame.quiet) return nowMs - this.#lastDropMs >= o.quietDropIntervalMs;
    return (
      nowMs - this.#lastDropMs >= o.loudDropIntervalMs && nowMs - this.#excessSinceMs >= o.loudDropIntervalMs
    );
  }

  /** Records what became of slot #next and moves on to the following one. */
  #pass(outcome: number): void {
    const i = historyIndex(this.#next);
    this.#historySeq[i] = this.#next;
    this.#historyOutcome[i] = outcome;
    const missed = outcome === Outcome.concealed;
    if (missed && !this.#previousSlotMissed) this.#counts.lossBursts += 1;
    this.#previousSlotMissed = missed;
    this.#next += 1;
  }

  #output(delay: number): void {
    this.#delayMs = delay;
    this.#delaySum += delay;
    this.#delayCount += 1;
  }
}

/** The extended sequence number nearest to `reference` whose low 16 bits are `seq`. */
function unwrap(seq: number, reference: number): number {
  const delta = (((seq - reference) % 0x10000) + 0x18000) % 0x10000;
  return reference + delta - 0x8000;
}

function historyIndex(ext: number): number {
  return ((ext % HISTORY_SLOTS) + HISTORY_SLOTS) % HISTORY_SLOTS;
}

/** The last `capacity` samples, in arrival order and sorted, for their minimum and percentiles. */
class SlidingWindow {
  readonly #ring: Float64Array;
  #head = 0;
  #size = 0;
  readonly #sorted: number[] = [];

  constructor(capacity: number) {
    this.#ring = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  get min(): number {
    return this.#sorted[0] ?? 0;
  }

  /** The smallest sample with at least a share `p` of the samples at or below it. */
  quantile(p: number): number {
    const rank = Math.min(this.#size, Math.max(1, Math.ceil(p * this.#size)));
    return this.#sorted[rank - 1] ?? 0;
  }

  add(sample: number): void {
    if (this.#size === this.#ring.length) {
      this.#sorted.splice(lowerBound(this.#sorted, this.#ring[this.#head] as number), 1);
    } else {
      this.#size += 1;
    }
    this.#ring[this.#head] = sample;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#sorted.splice(lowerBound(this.#sorted, sample), 0, sample);
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
    this.#sorted.length = 0;
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function resolveOptions(options: JitterBufferOptions): Tunables {
  const d = JITTER_DEFAULTS;
  const frameMs = options.frameMs ?? d.frameMs;
  const minDelayMs = options.minDelayMs ?? d.minDelayMs;
  const maxDelayMs = options.maxDelayMs ?? d.maxDelayMs;
  const o: Tunables = {
    frameMs,
    minDelayMs,
    maxDelayMs,
    initialDelayMs: options.initialDelayMs ?? minDelayMs,
    windowMs: options.windowMs ?? d.windowMs,
    percentile: options.percentile ?? d.percentile,
    quietDropIntervalMs: options.quietDropIntervalMs ?? d.quietDropIntervalMs,
    loudDropIntervalMs: options.loudDropIntervalMs ?? d.loudDropIntervalMs,
    capacityFrames: options.capacityFrames ?? 2 * Math.ceil(maxDelayMs / frameMs),
    stopAfterMs: options.stopAfterMs ?? d.stopAfterMs,
  };
  const check = (name: keyof Tunables, ok: boolean, allowed: string) => {
    if (!ok)
      throw new KithError('VOICE_BAD_OPTION', `jitter buffer: ${name} must be ${allowed}, got ${o[name]}`);
  };
  const isTime = (ms: number) => Number.isFinite(ms) && ms >= 0;
  check('frameMs', isTime(o.frameMs) && o.frameMs > 0, 'a time > 0');
  check('minDelayMs', isTime(o.minDelayMs), 'a time >= 0');
  check('maxDelayMs', isTime(o.maxDelayMs) && o.maxDelayMs >= o.minDelayMs, `a time >= minDelayMs`);
  check(
    'initialDelayMs',
    isTime(o.initialDelayMs) && o.initialDelayMs <= o.maxDelayMs,
    'a time <= maxDelayMs',
  );
  check('windowMs', isTime(o.windowMs) && o.windowMs >= o.frameMs, 'a time >= frameMs');
  check('percentile', o.percentile > 0 && o.percentile <= 1, 'in (0, 1]');
  check('quietDropIntervalMs', isTime(o.quietDropIntervalMs), 'a time >= 0');
  check('loudDropIntervalMs', isTime(o.loudDropIntervalMs), 'a time >= 0');
  const least = Math.ceil(o.maxDelayMs / o.frameMs) + 1;
  check(
    'capacityFrames',
    Number.isSafeInteger(o.capacityFrames) && o.capacityFrames >= least,
    `an integer >= ${least} (maxDelayMs in frames, and one)`,
  );
  check('stopAfterMs', isTime(o.stopAfterMs) && o.stopAfterMs > 0, 'a time > 0');
  return o;
}
