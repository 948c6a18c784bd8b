// Sealing a ROUTE body to the destination's X25519 key (docs/overlay-protocol.md "Sealed ROUTE
// bodies"; DESIGN §3: "the relays see only the destination ID, never who calls"), an ECIES in the
// shape of libsodium's sealed boxes:
//
//   sealed = ephemeral public (32) ‖ XChaCha20-Poly1305(key, nonce, plaintext, aad = destination ID)
//   key (32) ‖ nonce (24) = HKDF-SHA256(X25519(ephemeral, recipient),
//                                       salt = ephemeral public ‖ recipient public, info = "kith seal v1")
//
// Sealing is anonymous: who sent it is proved inside (the signed plaintext, wire/invite.ts).
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { xchacha20poly1305 } from '../crypto/aead.js';
import { hkdfSha256 } from '../crypto/hkdf.js';
import { isKithError } from '../errors.js';
import type { Rng } from '../crypto/random.js';
import { x25519 } from '../crypto/x25519.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
export const SEAL_OVERHEAD = KEY_BYTES + TAG_BYTES; // 32 ephemeral + 16 tag

const INFO = utf8('kith seal v1');

/**
 * The AEAD key and nonce. The salt holds both public keys as sent, so the ephemeral key's unused top
 * bit (RFC 7748 §5 masks it) cannot be flipped without breaking the tag; the ephemeral key is fresh
 * per message, so a (key, nonce) pair never repeats.
 */
function derive(shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
  return hkdfSha256(shared, concatBytes(ephemeral, recipient), INFO, KEY_BYTES + NONCE_BYTES);
}

function checkKey(what: string, key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`${what} must be ${KEY_BYTES} bytes, got ${key.length}`);
}

/**
 * Seals `plaintext` so that only the holder of `recipientX25519`'s secret can open it, bound to
 * `destinationId` (the ROUTE's destination), so a sealed body cannot be moved to another ROUTE.
 * Throws KithError CRYPTO_WEAK_SHARED_SECRET if the recipient key is a low-order point.
 */
export function seal(
  plaintext: Uint8Array,
  recipientX25519: Uint8Array,
  destinationId: Uint8Array,
  rng: Rng,
): Uint8Array {
  checkKey('recipient X25519 key', recipientX25519);
  if (destinationId.length !== 32)
    throw new RangeError(`destination ID must be 32 bytes, got ${destinationId.length}`);
  const secret = rng(KEY_BYTES);
  const ephemeral = x25519.publicKey(secret);
  const shared = x25519.sharedSecret(secret, recipientX25519);
  secret.fill(0);
  const okm = derive(shared, ephemeral, recipientX25519);
  shared.fill(0);
  try {
    const box = xchacha20poly1305.seal(
      okm.subarray(0, KEY_BYTES),
      okm.subarray(KEY_BYTES),
      plaintext,
      destinationId,
    );
    return concatBytes(ephemeral, box);
  } finally {
    okm.fill(0);
  }
}

/**
 * The plaintext, or null on any failure of the input: too short, an ephemeral key giving an all-zero
 * shared secret (a low-order point, RFC 7748 §6.1), or a tag that does not verify (wrong recipient,
 * wrong destination ID, any changed byte). Never throws on `sealed`; a malformed recipient key pair
 * is a caller's bug and throws RangeError.
 */
export function open(
  sealed: Uint8Array,
  recipient: { publicKey: Uint8Array; secretKey: Uint8Array },
  destinationId: Uint8Array,
): Uint8Array | null {
  checkKey('recipient public key', recipient.publicKey);
  checkKey('recipient secret key', recipient.secretKey);
  if (sealed.length < SEAL_OVERHEAD) return null;
  const ephemeral = sealed.subarray(0, KEY_BYTES);
  let shared: Uint8Array;
  try {
    shared = x25519.sharedSecret(recipient.secretKey, ephemeral);
  } catch (err) {
    // With both lengths right, a low-order ephemeral key is the one way the DH fails (crypto/x25519.ts).
    if (isKithError(err, 'CRYPTO_WEAK_SHARED_SECRET')) return null;
    throw err;
  }
  const okm = derive(shared, ephemeral, recipient.publicKey);
  shared.fill(0);
  try {
    return xchacha20poly1305.open(
      okm.subarray(0, KEY_BYTES),
      okm.subarray(KEY_BYTES),
      sealed.subarray(KEY_BYTES),
      destinationId,
    );
  } catch (err) {
    if (isKithError(err, 'CRYPTO_AUTH_FAILED')) return null;
    throw err;
  } finally {
    okm.fill(0);
  }
}
