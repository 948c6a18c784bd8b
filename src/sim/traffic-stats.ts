// Counters of what the virtual network did with packets, kept per link and summed per network.
// Once nothing is in flight: sent + duplicated = delivered + lost + every dropped count.

/**
 * Why a packet was dropped (as opposed to lost at random on the link):
 * - oversize: larger than MAX_PACKET_BYTES, as a real path MTU would drop it;
 * - partition: the two addresses were partitioned at send or at arrival;
 * - unbound: nothing receives at the destination (never bound, closed, moved away, no handler);
 * - closed: sent from a closed transport.
 */
export type DropReason = 'oversize' | 'partition' | 'unbound' | 'closed';

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
    dropped: { oversize: 0, partition: 0, unbound: 0, closed: 0 },
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
