// What is kept of a call once it ended: who, which way, when, why it ended, and how it sounded.
// The call machine (call/call-machine.ts) makes one record per call and hands it to the service,
// which stores it (store/calls.ts) before the end is acknowledged to the peer (DESIGN §7). The schema is the one
// both the store's writes and its reads are checked against.
import { z } from 'zod';
import { callMetricsSchema, type CallMetrics } from './call-metrics.js';

/** A call id: 16 random bytes, chosen by the caller. */
export const CALL_ID_BYTES = 16;

/**
 * Why a call ended, a closed set:
 * - hangup-local / hangup-remote: this side's user, or the peer's, ended it (a caller cancelling
 *   while the callee rings is a hangup too);
 * - rejected: the callee's user declined;
 * - busy: the callee was already in a call;
 * - no-answer: the callee rang out unanswered;
 * - unreachable: the caller heard nothing at all back to its OFFER;
 * - connection-lost: a side that held the call stopped hearing the other;
 * - error: the two could not agree on codec parameters, or a voice pipeline failed.
 */
export const END_REASONS = [
  'hangup-local',
  'hangup-remote',
  'rejected',
  'busy',
  'no-answer',
  'unreachable',
  'connection-lost',
  'error',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export const CALL_DIRECTIONS = ['outgoing', 'incoming'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

export interface CallRecord {
  /** The call id of the signalling (16 random bytes, picked by the caller). */
  id: Uint8Array;
  direction: CallDirection;
  /** The peer: lowercase hex of its Ed25519 public key (the channel's peer id). */
  peerId: string;
  /** Milliseconds since the epoch; answeredAt is null for a call that never became active. */
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
  endReason: EndReason;
  /** Filled by the voice pipeline for a call that carried voice. */
  metrics: CallMetrics | null;
}

const time = z.int().min(0);

export const callRecordSchema = z
  .strictObject({
    id: z.instanceof(Uint8Array).refine((id) => id.length === CALL_ID_BYTES, 'call id is not 16 bytes'),
    direction: z.enum(CALL_DIRECTIONS),
    peerId: z.string().regex(/^[0-9a-f]{64}$/, 'peer id is not 64 lowercase hex digits'),
    startedAt: time,
    answeredAt: time.nullable(),
    endedAt: time,
    endReason: z.enum(END_REASONS),
    metrics: callMetricsSchema.nullable(),
  })
  .refine(
    (r) =>
      r.startedAt <= r.endedAt &&
      (r.answeredAt === null || (r.startedAt <= r.answeredAt && r.answeredAt <= r.endedAt)),
    'times are not in the order started <= answered <= ended',
  ) satisfies z.ZodType<CallRecord>;
