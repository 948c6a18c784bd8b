// Every timer and bound of the overlay in one place (the WireGuard way: one comment lists them all),
// with the reasons; docs/overlay-protocol.md "Behaviour" is the specification.
//
//   tickMs              1 s    the maintenance tick (pings due, dead links, rejoin, refresh), jittered
//   pingIntervalMs      5 s    a link we want is pinged when nothing arrived on it for this long;
//                              keeps NAT mappings open (RFC 4787 REQ-5 allows 2 min, home routers
//                              often drop UDP mappings after 30 s) and reports our public address
//   linkTimeoutMs       30 s   a link with nothing received for this long is dead (6 pings lost)
//   helloRetryMs        1 s    first HELLO retry; doubles per try, helloTries in all
//   route*              350 ms x 1.5^n up to 8 s, 6 tries: the original DRP's schedule; each
//                              retry goes to the next-best neighbour (not after 2 tries, as
//                              first specified: sim/route-model.ts measured that with 10 % of
//                              table entries dead, trying only the 3 best fails 0.4 % of messages)
//   seenMessageMs       10 min a ROUTE message ID seen in this window is acked, not forwarded again
//   bucketRefreshMs     5 min  Kademlia §2.3: a bucket with no lookup for this long is refreshed
//   lookupStepMs        1.5 s  one round of an iterative lookup waits this long for its answers
//   helloWindowMs       5 min  HELLO timestamps within ± this of our clock are accepted
//   inviteWindowMs      2 min  INVITE timestamps within ± this are accepted; IDs remembered 2x
//   punchIntervalMs     200 ms PUNCH probes are repeated this often ...
//   punchWindowMs       3 s    ... for this long, then the relay is tried
//   connectTimeoutMs    10 s   connect() gives up (the call layer's own bound is 10 s too)
export interface OverlayTimers {
  tickMs: number;
  pingIntervalMs: number;
  linkTimeoutMs: number;
  helloRetryMs: number;
  helloTries: number;
  routeFirstRetryMs: number;
  routeBackoff: number;
  routeMaxRetryMs: number;
  routeMaxTries: number;
  routeTriesPerNeighbour: number;
  seenMessageMs: number;
  bucketRefreshMs: number;
  lookupStepMs: number;
  helloWindowMs: number;
  inviteWindowMs: number;
  punchIntervalMs: number;
  punchWindowMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_OVERLAY_TIMERS: OverlayTimers = {
  tickMs: 1_000,
  pingIntervalMs: 5_000,
  linkTimeoutMs: 30_000,
  helloRetryMs: 1_000,
  helloTries: 5,
  routeFirstRetryMs: 350,
  routeBackoff: 1.5,
  routeMaxRetryMs: 8_000,
  routeMaxTries: 6,
  routeTriesPerNeighbour: 1,
  seenMessageMs: 600_000,
  bucketRefreshMs: 300_000,
  lookupStepMs: 1_500,
  helloWindowMs: 300_000,
  inviteWindowMs: 120_000,
  punchIntervalMs: 200,
  punchWindowMs: 3_000,
  connectTimeoutMs: 10_000,
};

/** Table sizes and rates; every table an unauthenticated packet can touch is bounded here. */
export interface OverlayLimits {
  /** Links of any kind (table members, lookups in progress, relay users). */
  maxLinks: number;
  /** Kademlia's k: live neighbours per bucket. */
  k: number;
  /** Parallel requests of one lookup (Kademlia's α). */
  alpha: number;
  /** FIND and ROUTE per link: a token bucket. */
  requestsPerSecond: number;
  requestBurst: number;
  /** HELLOs per second before the difficulty asked for rises (one bit per doubling). */
  helloCalmRate: number;
  /** Signature checks per second spent on HELLOs, whatever the difficulty: the hard budget. */
  helloVerifyBudget: number;
  /** HELLO hashes remembered against replays. */
  helloReplayEntries: number;
  seenMessages: number;
  inviteReplayEntries: number;
  pendingRoutes: number;
  /** Relay bandwidth per pair of nodes, bytes/s, and its burst. */
  relayBytesPerSecond: number;
  relayBurstBytes: number;
  relayPairs: number;
  initialTtl: number;
}

export const DEFAULT_OVERLAY_LIMITS: OverlayLimits = {
  maxLinks: 512,
  k: 8,
  alpha: 3,
  requestsPerSecond: 5,
  requestBurst: 10,
  helloCalmRate: 50,
  helloVerifyBudget: 400,
  helloReplayEntries: 8192,
  seenMessages: 16384,
  inviteReplayEntries: 4096,
  pendingRoutes: 1024,
  // 128 kbit/s: a call's Opus with two frames of redundancy plus channel overhead fits.
  relayBytesPerSecond: 16_000,
  relayBurstBytes: 32_000,
  relayPairs: 64,
  initialTtl: 32,
};
