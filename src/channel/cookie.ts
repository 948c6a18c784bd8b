// DoS defence for handshakes, WireGuard's cookie mechanism ("WireGuard", §5.3 and §5.4.7).
//
// mac1 = MAC(HASH("mac1----" || responder's static public), packet up to mac1): anyone who does
// not know the responder's public key (from its contact card) fails this cheap check, before any
// Diffie-Hellman.
// mac2 = MAC(cookie, packet up to mac2), where cookie = MAC(secret, source address) and the
// secret rotates every COOKIE_SECRET_MAX_AGE. Under load the responder answers an initiation
// without a valid mac2 with a COOKIE packet instead of doing Diffie-Hellman; only a sender that
// really receives at its source address can echo the cookie, so spoofed floods cost one MAC each.
// The cookie travels sealed (XChaCha20-Poly1305 under a key from the responder's public key, with
// the initiation's mac1 as associated data), so only the one who sent that initiation can use it.
import { concatBytes, equalBytes, utf8 } from '../crypto/bytes.js';
import { xchacha20poly1305 } from '../crypto/aead.js';
import { blake2s } from '../crypto/hash.js';
import type { Rng } from '../crypto/random.js';
import type { Clock } from '../net/clock.js';
import { type Endpoint, endpointKey } from '../net/transport.js';
import {
  COOKIE_BYTES,
  COOKIE_NONCE_BYTES,
  type CookieReply,
  encodeCookieReply,
  MAC_BYTES,
  macLayout,
} from '../wire/channel.js';
import { mac16 } from './mac.js';

function labelledKey(label: string, staticPublic: Uint8Array): Uint8Array {
  return blake2s(concatBytes(utf8(label), staticPublic));
}

/** Keys derived from one static public key: whoever sends to its owner uses them. */
export function cookieKeys(staticPublic: Uint8Array): { mac1Key: Uint8Array; cookieKey: Uint8Array } {
  return { mac1Key: labelledKey('mac1----', staticPublic), cookieKey: labelledKey('cookie--', staticPublic) };
}

/** The receiving side: checks mac1/mac2 of handshake packets addressed to us and makes cookies. */
export class CookieChecker {
  readonly #mac1Key: Uint8Array;
  readonly #cookieKey: Uint8Array;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #maxAgeMs: number;
  #secret: Uint8Array;
  #secretAt: number;

  constructor(ourStaticPublic: Uint8Array, clock: Clock, rng: Rng, secretMaxAgeMs: number) {
    ({ mac1Key: this.#mac1Key, cookieKey: this.#cookieKey } = cookieKeys(ourStaticPublic));
    this.#clock = clock;
    this.#rng = rng;
    this.#maxAgeMs = secretMaxAgeMs;
    this.#secret = rng(32);
    this.#secretAt = clock.now();
  }

  checkMac1(macInput1: Uint8Array, mac1: Uint8Array): boolean {
    return equalBytes(mac16(this.#mac1Key, macInput1), mac1);
  }

  checkMac2(macInput2: Uint8Array, mac2: Uint8Array, source: Endpoint): boolean {
    return equalBytes(mac16(this.#cookieFor(source), macInput2), mac2);
  }

  /** A COOKIE packet answering the handshake message with this sender index and mac1. */
  reply(senderIndex: number, mac1: Uint8Array, source: Endpoint): Uint8Array {
    const nonce = this.#rng(COOKIE_NONCE_BYTES);
    const sealed = xchacha20poly1305.seal(this.#cookieKey, nonce, this.#cookieFor(source), mac1);
    return encodeCookieReply(senderIndex, nonce, sealed);
  }

  #cookieFor(source: Endpoint): Uint8Array {
    if (this.#clock.now() - this.#secretAt >= this.#maxAgeMs) {
      this.#secret = this.#rng(32);
      this.#secretAt = this.#clock.now();
    }
    return mac16(this.#secret, utf8(endpointKey(source)));
  }
}

/** The sending side, per peer: stamps mac1/mac2 on our handshake packets and keeps their cookie. */
export class CookieJar {
  readonly #mac1Key: Uint8Array;
  readonly #cookieKey: Uint8Array;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  #cookie: Uint8Array | null = null;
  #cookieAt = 0;
  #lastMac1: Uint8Array | null = null;

  constructor(peerStaticPublic: Uint8Array, clock: Clock, cookieMaxAgeMs: number) {
    ({ mac1Key: this.#mac1Key, cookieKey: this.#cookieKey } = cookieKeys(peerStaticPublic));
    this.#clock = clock;
    this.#maxAgeMs = cookieMaxAgeMs;
  }

  /** Fills in mac1 and (with a fresh cookie) mac2 of an encoded handshake packet, in place. */
  stamp(packet: Uint8Array): Uint8Array {
    const { mac1At, mac2At } = macLayout(packet);
    const mac1 = mac16(this.#mac1Key, packet.subarray(0, mac1At));
    packet.set(mac1, mac1At);
    this.#lastMac1 = mac1.slice();
    const fresh = this.#cookie && this.#clock.now() - this.#cookieAt < this.#maxAgeMs;
    packet.set(
      fresh ? mac16(this.#cookie as Uint8Array, packet.subarray(0, mac2At)) : new Uint8Array(MAC_BYTES),
      mac2At,
    );
    return packet;
  }

  /** Takes the cookie from a COOKIE packet answering our last handshake packet; false if it fails. */
  consume(reply: CookieReply): boolean {
    if (!this.#lastMac1) return false;
    try {
      const cookie = xchacha20poly1305.open(this.#cookieKey, reply.nonce, reply.sealedCookie, this.#lastMac1);
      if (cookie.length !== COOKIE_BYTES) return false;
      this.#cookie = cookie;
      this.#cookieAt = this.#clock.now();
      return true;
    } catch {
      return false;
    }
  }
}
