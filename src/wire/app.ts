// The first byte of everything an application sends over a channel, so calls, voice and (later)
// text messages share one channel per contact. Reliable-stream messages and datagrams have
// separate spaces.
export const ReliableApp = {
  call: 0x01,
} as const;

export const DatagramApp = {
  /** A voice media packet (voice/packet.ts). */
  voice: 0x01,
  /** A voice receiver report (voice/report.ts): loss, jitter and a timestamp echo for RTT. */
  voiceReport: 0x02,
} as const;

export function tagged(tag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = tag;
  out.set(body, 1);
  return out;
}
