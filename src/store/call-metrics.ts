// The quality figures of one call (DESIGN §3 "Calls and voice"), filled by the voice pipeline and
// stored with the call record. The machine and the store treat them as opaque, but both check them
// against this schema, so a bug in the pipeline costs the figures, never the record, and a row
// whose figures were damaged reads back as corrupt instead of as numbers nobody measured.
//
// Every field is optional: a call that never carried voice has no loss or jitter to report.
import { z } from 'zod';

/** An hour: far beyond any delay worth reporting, near enough to keep garbage out. */
const MAX_MS = 3_600_000;
const ms = z.number().min(0).max(MAX_MS);
const fraction = z.number().min(0).max(1);

export const callMetricsSchema = z.strictObject({
  /** From the caller's OFFER to the call becoming active. */
  setupMs: ms.optional(),
  /** Round trip on the channel. */
  rttMs: ms.optional(),
  /** Share of voice packets the network lost. */
  lossBeforeRecovery: fraction.optional(),
  /** Share of frames still missing after redundancy recovered what it could (these were concealed). */
  lossAfterRecovery: fraction.optional(),
  /** Interarrival jitter (RFC 3550 §6.4.1). */
  jitterMs: ms.optional(),
  /** Mean delay the jitter buffer added. */
  jitterBufferMs: ms.optional(),
  /** Frames the decoder invented (packet loss concealment). */
  concealedFrames: z.int().min(0).optional(),
  /** Mouth-to-ear delay estimate, one way. */
  oneWayDelayMs: ms.optional(),
  /** E-model (ITU-T G.107) estimate of the mean opinion score. */
  mos: z.number().min(1).max(5).optional(),
});

export type CallMetrics = z.output<typeof callMetricsSchema>;
