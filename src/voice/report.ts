// The voice receiver report, sent by each side about once a second during a call (the idea of an
// RTCP receiver report, RFC 3550 §6.4.1, cut to what Kith uses): how much of the peer's audio was
// lost on the network and how much stayed lost after redundancy, the jitter and the jitter-buffer
// delay seen, and a timestamp echo that gives the round-trip time without another packet
// (RFC 3550 §6.4.1 LSR/DLSR: RTT = now − echoed time − hold time).
//
//   0  version (1)
//   1  sent at (u32, ms on the sender's clock, wrapping)
//   5  echo (u32: the "sent at" of the last report received, 0 = none yet)
//   9  hold (u16 ms: how long that report was held before this one was sent, saturating)
//   11 network loss (u16, per mille of the peer's frames whose primary copy never arrived)
//   13 residual loss (u16, per mille of the peer's frames concealed after redundancy)
//   15 jitter (u16 ms), 17 jitter-buffer delay (u16 ms)
//   19 end
export const REPORT_BYTES = 19;
const VERSION = 1;

export interface VoiceReport {
  sentAt: number;
  echo: number;
  holdMs: number;
  networkLossPermille: number;
  residualLossPermille: number;
  jitterMs: number;
  bufferDelayMs: number;
}

const u16 = (n: number) => Math.max(0, Math.min(0xffff, Math.round(n)));

export function encodeReport(r: VoiceReport): Uint8Array {
  const bytes = new Uint8Array(REPORT_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = VERSION;
  view.setUint32(1, r.sentAt >>> 0);
  view.setUint32(5, r.echo >>> 0);
  view.setUint16(9, u16(r.holdMs));
  view.setUint16(11, Math.min(1000, u16(r.networkLossPermille)));
  view.setUint16(13, Math.min(1000, u16(r.residualLossPermille)));
  view.setUint16(15, u16(r.jitterMs));
  view.setUint16(17, u16(r.bufferDelayMs));
  return bytes;
}

export type ReportFailure = 'bad-length' | 'bad-version' | 'bad-value';

/** Never throws: a malformed report is a counted drop. */
export function decodeReport(bytes: Uint8Array): VoiceReport | ReportFailure {
  if (bytes.length !== REPORT_BYTES) return 'bad-length';
  if (bytes[0] !== VERSION) return 'bad-version';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const report = {
    sentAt: view.getUint32(1),
    echo: view.getUint32(5),
    holdMs: view.getUint16(9),
    networkLossPermille: view.getUint16(11),
    residualLossPermille: view.getUint16(13),
    jitterMs: view.getUint16(15),
    bufferDelayMs: view.getUint16(17),
  };
  if (report.networkLossPermille > 1000 || report.residualLossPermille > 1000) return 'bad-value';
  return report;
}

/** The round trip a report reveals, in ms (wrapping u32 clock), or null when it echoes nothing. */
export function roundTripMs(report: VoiceReport, nowMs: number): number | null {
  if (report.echo === 0) return null;
  const rtt = ((nowMs >>> 0) - report.echo - report.holdMs) >>> 0;
  // A value near 2^32 means a clock went backwards or the echo is bogus: not an RTT.
  return rtt < 60_000 ? rtt : null;
}
