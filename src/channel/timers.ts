// Every timer and limit of the channel, in one place (WireGuard's timers are the reference:
// "WireGuard: Next Generation Kernel Network Tunnel", §6.1-6.4, and its `messages.h`).
//
//   REKEY_AFTER_TIME      120 s   the initiator of a session starts a new handshake when it sends
//                                 on a session this old
//   REJECT_AFTER_TIME     180 s   a session this old is never used to send or receive again
//   REKEY_ATTEMPT_TIME     90 s   a handshake that has not completed by then is given up
//   FIRST_RETRY             1 s   the first retry of an unanswered initiation; each later one waits
//                                 twice as long, up to REKEY_TIMEOUT (+ jitter each time)
//   REKEY_TIMEOUT           5 s   the longest wait before an unanswered initiation is sent again
//   REKEY_TIMEOUT_JITTER  333 ms  random extra wait, so two sides do not retry in lockstep
//   KEEPALIVE_TIMEOUT      10 s   after receiving, send an empty packet if nothing else was sent
//   (new handshake)        15 s   KEEPALIVE_TIMEOUT + REKEY_TIMEOUT after sending data with nothing
//                                 received since, a new handshake starts (the peer may have restarted)
//   COOKIE_SECRET_MAX_AGE 120 s   the responder's cookie secret rotates this often
//   COOKIE_MAX_AGE        120 s   (minus a margin) an initiator keeps a received cookie this long
//   IDLE_CLOSE            540 s   a channel with no traffic either way for 3 x REJECT is closed
//   HINT_EPOCH            120 s   hint tags change every epoch (channel/hint.ts)
//   HINT_SKEW_EPOCHS        3     epochs either side of ours that a responder accepts (clock skew)
//   HANDSHAKE_RATE         20/s   initiations a single source address may make us process
//   HANDSHAKE_BURST         5
//   UNDER_LOAD_RATE       100/s   above this many initiations per second overall, the responder
//                                 asks for cookies (mac2) before any Diffie-Hellman
//   REKEY_AFTER_MESSAGES  2^48    packets on one session before a rekey (WireGuard: 2^60; ours
//   REJECT_AFTER_MESSAGES 2^49    stay exact in a JS number, and no session lives long enough to
//                                 get near either)

export interface ChannelTimers {
  rekeyAfterTimeMs: number;
  rejectAfterTimeMs: number;
  rekeyAttemptTimeMs: number;
  firstRetryMs: number;
  rekeyTimeoutMs: number;
  rekeyTimeoutJitterMs: number;
  keepaliveTimeoutMs: number;
  cookieSecretMaxAgeMs: number;
  cookieMaxAgeMs: number;
  idleCloseMs: number;
  hintEpochMs: number;
  hintSkewEpochs: number;
  handshakeRatePerSecond: number;
  handshakeBurst: number;
  underLoadRatePerSecond: number;
  rekeyAfterMessages: number;
  rejectAfterMessages: number;
}

export const DEFAULT_TIMERS: Readonly<ChannelTimers> = Object.freeze({
  rekeyAfterTimeMs: 120_000,
  rejectAfterTimeMs: 180_000,
  rekeyAttemptTimeMs: 90_000,
  firstRetryMs: 1_000,
  rekeyTimeoutMs: 5_000,
  rekeyTimeoutJitterMs: 333,
  keepaliveTimeoutMs: 10_000,
  cookieSecretMaxAgeMs: 120_000,
  cookieMaxAgeMs: 120_000 - 5_000,
  idleCloseMs: 540_000,
  hintEpochMs: 120_000,
  hintSkewEpochs: 3,
  handshakeRatePerSecond: 20,
  handshakeBurst: 5,
  underLoadRatePerSecond: 100,
  rekeyAfterMessages: 2 ** 48,
  rejectAfterMessages: 2 ** 49,
});
