// The pre-shared key of a contact whose card was imported from a file, before in-person pairing
// exists for it. Both sides compute it alone from what they have: HKDF over their static-static
// X25519 secret, bound to both identity keys (in a fixed order, so both get the same bytes).
// It adds no secrecy beyond what Noise KK's "ss" already gives; its purpose is that every contact
// has a PSK, so the channel has one code path. Such contacts stay marked unverified.
import { compareBytes, concatBytes, utf8 } from '../crypto/bytes.js';
import { hkdfSha256 } from '../crypto/hkdf.js';
import { x25519 } from '../crypto/x25519.js';

export function cardPsk(
  mine: { x25519Secret: Uint8Array; ed25519Public: Uint8Array },
  theirs: { x25519Public: Uint8Array; ed25519Public: Uint8Array },
): Uint8Array {
  const shared = x25519.sharedSecret(mine.x25519Secret, theirs.x25519Public);
  const [first, second] =
    compareBytes(mine.ed25519Public, theirs.ed25519Public) < 0
      ? [mine.ed25519Public, theirs.ed25519Public]
      : [theirs.ed25519Public, mine.ed25519Public];
  return hkdfSha256(shared, utf8('kith card psk v1'), concatBytes(first, second), 32);
}
