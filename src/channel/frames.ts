// What travels inside a transport packet once decrypted: exactly one frame, whose first byte says
// what it is. An empty plaintext is a keepalive (as in WireGuard). Types 0x10-0x1f belong to the
// reliable stream (channel/reliable.ts), which defines its own frames.
//
//   (empty)      keepalive
//   0x01 DATAGRAM  payload...                  unreliable, unordered (voice frames)
//   0x02 PING      id (u32)                    answered by PONG with the same id
//   0x03 PONG      id (u32)
export const FrameType = {
  datagram: 0x01,
  ping: 0x02,
  pong: 0x03,
} as const;

export const RELIABLE_FIRST = 0x10;
export const RELIABLE_LAST = 0x1f;

export function encodeDatagram(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(1 + payload.length);
  frame[0] = FrameType.datagram;
  frame.set(payload, 1);
  return frame;
}

export function encodePing(type: typeof FrameType.ping | typeof FrameType.pong, id: number): Uint8Array {
  const frame = new Uint8Array(5);
  frame[0] = type;
  new DataView(frame.buffer).setUint32(1, id);
  return frame;
}

export function decodePingId(frame: Uint8Array): number | null {
  return frame.length === 5 ? new DataView(frame.buffer, frame.byteOffset, 5).getUint32(1) : null;
}
