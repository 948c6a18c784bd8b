// Counters of what the virtual network did with packets, kept per link and summed per network.
// Once nothing is in flight: sent + duplicated = delivered + lost + every dropped count.

/**
 * Why a packet was dropped (as opposed to lost at random on the link):
 * - oversize: larger than MAX_PACKET_BYTES, as a real path MTU would drop it;
 * - partition: the two addresses were partitioned at send or at arrival;
 * - unbound: nothing receives at the destination (never bound, closed, moved away, no handler);
 * - closed: sent from a closed transport;
 * - nat-filtered: refused by a NAT's filtering (RFC 4787 §5), or sent to the NAT's own public
 *   address from behind it when it does not hairpin (§6);
 * - nat-no-mapping: sent to a NAT's public port with no live mapping (never made, evicted, or lapsed
 *   after its idle timeout, §4.3; the NAT's own counts tell the last apart);
 * - unroutable: sent to a private address behind a NAT from outside that NAT (private addresses are
 *   not routed across the internet, RFC 1918 §3);
 * - down: sent from, or arriving at, an address that is down (churn), or a NAT that is down.
 */
export type DropReason =
  'oversize' | 'partition' | 'unbound' | 'closed' | 'nat-filtered' | 'nat-no-mapping' | 'unroutable' | 'down';

export interface TrafficStats {
  /** send() calls. */
  sent: number;
  /** Packets handed to a receiver (duplicates included). */
  delivered: number;
  /** Packets lost at random on the link (the `loss` condition). */
  lost: number;
  /** Extra copies made by the `duplicate` condition. */
  duplicated: number;
  /** Packets held back by the `reorder` condition so later ones could overtake them. */
  reordered: number;
  bytesSent: number;
  bytesDelivered: number;
  dropped: Record<DropReason, number>;
}

export function emptyStats(): TrafficStats {
  return {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    bytesSent: 0,
    bytesDelivered: 0,
    dropped: {
      oversize: 0,
      partition: 0,
      unbound: 0,
      closed: 0,
      'nat-filtered': 0,
      'nat-no-mapping': 0,
      unroutable: 0,
      down: 0,
    },
  };
}

/** Adds `part` into `total`; with emptyStats() as the total, this is also a copy. */
export function addStats(total: TrafficStats, part: TrafficStats): TrafficStats {
  total.sent += part.sent;
  total.delivered += part.delivered;
  total.lost += part.lost;
  total.duplicated += part.duplicated;
  total.reordered += part.reordered;
  total.bytesSent += part.bytesSent;
  total.bytesDelivered += part.bytesDelivered;
  for (const reason of Object.keys(total.dropped) as DropReason[]) {
    total.dropped[reason] += part.dropped[reason];
  }
  return total;
}
