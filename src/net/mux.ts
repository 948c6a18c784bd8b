// One UDP socket for everything (DESIGN §3: "One UDP socket"): the overlay and the channels each
// get a Transport view of it, and incoming packets go to one of them by their type byte (overlay
// 0x01-0x1f, channel 0x20-0x2f, wire/overlay.ts and wire/channel.ts). A packet of any other type
// is dropped and counted before either sees it.
import type { Endpoint, PacketHandler, Transport } from './transport.js';

export interface Lane {
  /** First and last type byte this lane receives. */
  first: number;
  last: number;
}

/** The overlay's packet types (wire/overlay.ts) and the channel's (wire/channel.ts). */
export const OVERLAY_LANE: Lane = { first: 0x01, last: 0x1f };
export const CHANNEL_LANE: Lane = { first: 0x20, last: 0x2f };

export interface Mux {
  lane(lane: Lane): Transport;
  /** Packets whose type no lane takes. */
  readonly unclaimed: number;
}

export function mux(transport: Transport): Mux {
  const lanes: { lane: Lane; handler: PacketHandler }[] = [];
  let unclaimed = 0;
  transport.onPacket((packet, from) => {
    const type = packet[0];
    const target =
      type === undefined ? undefined : lanes.find((l) => type >= l.lane.first && type <= l.lane.last);
    if (target) target.handler(packet, from);
    else unclaimed += 1;
  });
  return {
    get unclaimed() {
      return unclaimed;
    },
    lane(lane) {
      const entry = { lane, handler: (() => {}) as PacketHandler };
      lanes.push(entry);
      return {
        get local(): Endpoint {
          return transport.local;
        },
        send: (packet, to) => transport.send(packet, to),
        onPacket: (handler) => {
          entry.handler = handler;
        },
        // The socket belongs to the mux's owner; one lane closing must not close it for the others.
        close: () => {
          entry.handler = () => {};
        },
      };
    },
  };
}
