// Loss measurements of a voice stream at the receiver: the network's packet loss per reporting
// interval, which the sender's loss adapter (loss-adapter.ts) needs, and the loss left after
// redundancy and the jitter buffer, as the E-model (emodel.ts) takes it.
//
// Network loss is counted on the primary sequence numbers of the packets that arrive, as RFC 3550
// §A.3 counts RTP packets: expected = highest − first + 1 over the stream, lost = expected −
// received, and per interval the difference of both since the previous interval (§6.4.1 "fraction
// lost"); duplicates could make it negative, so it is floored at 0. A jump of more than
// MAX_DROPOUT packets ahead or MAX_MISORDER behind is a stray packet or a sender that started over:
// as RFC 3550 §A.1 does, counting restarts there only when the next packet follows it.
//
// Constants: MAX_DROPOUT 3000 and MAX_MISORDER 100 (RFC 3550 §A.1's values).
import type { JitterStats } from './jitter-buffer.js';
import { seqDelta } from './packet.js';

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface LossCount {
  /** Packets the sequence numbers say were sent. */
  expected: number;
  received: number;
  /** (expected − received) / expected, floored at 0; 0 when nothing was expected. */
  lostFraction: number;
}

/** Network packet loss of one stream (RFC 3550 §A.3), read per interval. */
export class LossMeter {
  /** Highest sequence number seen, extended past 16 bits; undefined before the first packet. */
  #highest: number | undefined;
  #first = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  /** After a big jump: the sequence number that confirms a restart if it comes next. */
  #probe: number | undefined;

  /** Counts one arrived packet by its primary sequence number (u16). */
  onPacket(seq: number): void {
    if (this.#highest === undefined) return this.#restart(seq);
    const delta = seqDelta(seq, this.#highest);
    if (delta > MAX_DROPOUT || delta < -MAX_MISORDER) {
      if (this.#probe === seq) return this.#restart(seq);
      this.#probe = (seq + 1) & 0xffff;
      return;
    }
    this.#probe = undefined;
    this.#received += 1;
    if (delta > 0) this.#highest += delta;
  }

  /** Loss since the stream started. */
  get total(): LossCount {
    return count(this.#expected(), this.#received);
  }

  /** Loss since the previous call (or the start): the "fraction lost" of an RFC 3550 report. */
  interval(): LossCount {
    const expected = this.#expected();
    const result = count(expected - this.#expectedPrior, this.#received - this.#receivedPrior);
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    return result;
  }

  #expected(): number {
    return this.#highest === undefined ? 0 : this.#highest - this.#first + 1;
  }

  #restart(seq: number): void {
    this.#highest = seq;
    this.#first = seq;
    this.#received = 1;
    this.#expectedPrior = 0;
    this.#receivedPrior = 0;
    this.#probe = undefined;
  }
}

function count(expected: number, received: number): LossCount {
  return { expected, received, lostFraction: expected > 0 ? Math.max(0, expected - received) / expected : 0 };
}

/**
 * The E-model's loss inputs from a jitter buffer's counters: Ppl, the percentage of slots whose
 * frame was missing at its time (concealed; late frames included, as they were concealed too), and
 * BurstR (G.107 §7.5), the mean length of the runs of such slots over the mean run length random
 * loss of the same rate would give, 1 / (1 − p): BurstR = missed (1 − p) / runs, floored at 1
 * (G.107 takes random loss as its least bursty case).
 */
export function residualLoss(stats: JitterStats): { lossPercent: number; burstR: number } {
  const missed = stats.concealed - stats.inserted;
  const slots = stats.played + stats.dropped + missed;
  if (missed === 0 || slots === 0) return { lossPercent: 0, burstR: 1 };
  const p = missed / slots;
  return { lossPercent: 100 * p, burstR: Math.max(1, (missed * (1 - p)) / stats.lossBursts) };
}
