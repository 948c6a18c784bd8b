// Relaying channel packets when no direct path opens (docs/overlay-protocol.md "Relay"; DESIGN §3:
// "a neighbour that both can reach relays the channel's (still end-to-end encrypted) packets,
// rate-limited"). Both roles live here:
// - as a relay, RELAY from one linked node becomes RELAYED to another linked node, within a byte
//   budget per pair (a token bucket), and only between two nodes that each hold a link to us;
// - as an end, a relayed path looks to the channel like any other endpoint: a "handle" address in
//   100::/64, the IPv6 discard-only prefix (RFC 6666), so it can never be mistaken for, or leak to,
//   a real host; the channel transport given here turns sends to a handle into RELAY packets.
import { fromHex, toHex } from '../crypto/bytes.js';
import { type Endpoint, endpointKey, type PacketHandler, type Transport } from '../net/transport.js';
import { HelloFlag, type LinkedMessage, OverlayType } from '../wire/overlay.js';
import type { Link } from './links.js';
import type { OverlayNode } from './node.js';

const HANDLE_PORT = 9;
const MAX_HANDLES = 256;

interface Bucket {
  tokens: number;
  at: number;
}

interface Handle {
  endpoint: Endpoint;
  relayId: string;
  peerId: string;
}

export interface RelayStats {
  forwardedPackets: number;
  forwardedBytes: number;
  throttled: number;
  pairs: number;
  handles: number;
}

export function isRelayHandle(e: Endpoint): boolean {
  return e.port === HANDLE_PORT && e.address.startsWith('100::');
}

export class Relay {
  readonly #node: OverlayNode;
  readonly #pairs = new Map<string, Bucket>();
  readonly #handles = new Map<string, Handle>();
  readonly #byPath = new Map<string, Handle>();
  #nextHandle = 1;
  #channelHandler: PacketHandler = () => {};
  #stats = { forwardedPackets: 0, forwardedBytes: 0, throttled: 0 };

  constructor(node: OverlayNode) {
    this.#node = node;
    node.onRelay((message, via) => this.#onMessage(message, via));
    node.onLink((link, up) => {
      if (!up) this.#forgetRelay(link.idHex);
    });
  }

  /** The endpoint the channel sends to, to reach `peerId` through the relay on `link`. */
  handleFor(link: Link, peerId: string): Endpoint {
    const key = `${link.idHex} ${peerId}`;
    const existing = this.#byPath.get(key);
    if (existing) return existing.endpoint;
    if (this.#handles.size >= MAX_HANDLES) {
      const oldest = this.#handles.values().next().value as Handle;
      this.#handles.delete(endpointKey(oldest.endpoint));
      this.#byPath.delete(`${oldest.relayId} ${oldest.peerId}`);
    }
    const endpoint = {
      address: `100::${(this.#nextHandle++ % 0xffff || 1).toString(16)}`,
      port: HANDLE_PORT,
    };
    const handle = { endpoint, relayId: link.idHex, peerId };
    this.#handles.set(endpointKey(endpoint), handle);
    this.#byPath.set(key, handle);
    link.pinnedUntil = Math.max(link.pinnedUntil, this.#node.clock.now() + this.#node.timers.linkTimeoutMs);
    return endpoint;
  }

  /** The channel's view of the socket: relay handles go over the overlay, the rest to `lane`. */
  channelTransport(lane: Transport): Transport {
    return {
      get local() {
        return lane.local;
      },
      send: (packet, to) => {
        if (!isRelayHandle(to)) return lane.send(packet, to);
        const handle = this.#handles.get(endpointKey(to));
        const link = handle && this.#node.linkById(handle.relayId);
        if (!handle || !link) return this.#node.drop('undeliverable');
        link.pinnedUntil = Math.max(
          link.pinnedUntil,
          this.#node.clock.now() + this.#node.timers.linkTimeoutMs,
        );
        this.#node.sendTo(link, {
          type: OverlayType.relay,
          destination: fromHex(handle.peerId),
          payload: packet,
        });
      },
      onPacket: (handler) => {
        this.#channelHandler = handler;
        lane.onPacket(handler);
      },
      close: () => lane.close(),
    };
  }

  stats(): RelayStats {
    return { ...this.#stats, pairs: this.#pairs.size, handles: this.#handles.size };
  }

  #onMessage(message: LinkedMessage, via: Link): void {
    if (message.type === OverlayType.relayed) {
      // We are an end: hand the channel packet over as if it came from the handle's address.
      this.#channelHandler(message.payload, this.handleFor(via, toHex(message.source)));
      return;
    }
    if (message.type !== OverlayType.relay) return;
    if ((this.#node.flags & HelloFlag.relay) === 0) return this.#node.drop('relay-refused');
    const target = this.#node.linkById(toHex(message.destination));
    if (!target || target === via) return this.#node.drop('undeliverable');
    const pair = via.idHex < target.idHex ? `${via.idHex} ${target.idHex}` : `${target.idHex} ${via.idHex}`;
    if (!this.#take(pair, message.payload.length)) {
      this.#stats.throttled += 1;
      return this.#node.drop('relay-throttled');
    }
    const until = this.#node.clock.now() + this.#node.timers.linkTimeoutMs;
    via.pinnedUntil = Math.max(via.pinnedUntil, until);
    target.pinnedUntil = Math.max(target.pinnedUntil, until);
    this.#stats.forwardedPackets += 1;
    this.#stats.forwardedBytes += message.payload.length;
    this.#node.sendTo(target, { type: OverlayType.relayed, source: via.id, payload: message.payload });
  }

  /** The byte budget of one pair (both directions together), bounded in the number of pairs. */
  #take(pair: string, bytes: number): boolean {
    const { relayBytesPerSecond: rate, relayBurstBytes: burst, relayPairs } = this.#node.limits;
    const now = this.#node.clock.now();
    let bucket = this.#pairs.get(pair);
    if (bucket) {
      this.#pairs.delete(pair);
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
    } else {
      if (this.#pairs.size >= relayPairs) {
        const oldest = this.#pairs.keys().next().value;
        if (oldest !== undefined) this.#pairs.delete(oldest);
      }
      bucket = { tokens: burst, at: now };
    }
    this.#pairs.set(pair, bucket);
    if (bucket.tokens < bytes) return false;
    bucket.tokens -= bytes;
    return true;
  }

  #forgetRelay(relayId: string): void {
    for (const [key, handle] of this.#handles) {
      if (handle.relayId !== relayId) continue;
      this.#handles.delete(key);
      this.#byPath.delete(`${handle.relayId} ${handle.peerId}`);
    }
  }
}
