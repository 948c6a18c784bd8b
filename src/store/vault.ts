// The vault (DESIGN §4): seals every secret the store keeps (identity secret keys, pairing PSKs,
// later message bodies) with XChaCha20-Poly1305 under the 32-byte storage key, so the database
// file never holds a secret in the clear.
//
// Sealed value: version (1 byte, 0x01) || nonce (24 random bytes) || ciphertext || tag (16).
// A 24-byte random nonce makes reuse negligible without any counter state to keep consistent.
// The associated data names what the value is and whose it is (e.g. "contact-psk" + the
// contact's key), so a sealed value copied into another row or column fails to open.
//
// The database remembers a key check (HKDF of the key, not the key) so a wrong key file is
// reported as such up front, instead of as a failure to open the first secret.

import { xchacha20poly1305 } from '../crypto/aead.js';
import { concatBytes, equalBytes, utf8 } from '../crypto/bytes.js';
import { hkdfSha256 } from '../crypto/hkdf.js';
import type { Rng } from '../crypto/random.js';
import { KithError } from '../errors.js';

const SEAL_VERSION = 1;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;

export class Vault {
  readonly #key: Uint8Array;
  readonly #rng: Rng;

  constructor(key: Uint8Array, rng: Rng) {
    this.#key = key;
    this.#rng = rng;
  }

  /** A 16-byte value that identifies the key without revealing it. */
  static keyCheck(key: Uint8Array): Uint8Array {
    return hkdfSha256(key, new Uint8Array(0), utf8('kith vault key check v1'), 16);
  }

  matches(keyCheck: Uint8Array): boolean {
    return equalBytes(Vault.keyCheck(this.#key), keyCheck);
  }

  seal(plaintext: Uint8Array, context: string): Uint8Array {
    const nonce = this.#rng(NONCE_BYTES);
    const sealed = xchacha20poly1305.seal(this.#key, nonce, plaintext, aad(context));
    return concatBytes(Uint8Array.of(SEAL_VERSION), nonce, sealed);
  }

  open(sealed: Uint8Array, context: string): Uint8Array {
    if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== SEAL_VERSION) {
      throw new KithError('VAULT_OPEN_FAILED', `sealed ${context} is malformed`);
    }
    try {
      return xchacha20poly1305.open(
        this.#key,
        sealed.subarray(1, 1 + NONCE_BYTES),
        sealed.subarray(1 + NONCE_BYTES),
        aad(context),
      );
    } catch {
      throw new KithError(
        'VAULT_OPEN_FAILED',
        `sealed ${context} failed authentication (corrupt, moved or wrong key)`,
      );
    }
  }
}

function aad(context: string): Uint8Array {
  return utf8(`kith vault v1\0${context}`);
}
