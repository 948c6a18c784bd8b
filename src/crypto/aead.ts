// Authenticated encryption: ChaCha20-Poly1305 (RFC 8439 §2.8) and XChaCha20-Poly1305
// (draft-irtf-cfrg-xchacha-03 §2), each from node:crypto (OpenSSL) and from @noble/ciphers.
// Sealed output is ciphertext || 16-byte tag; open() returns the plaintext only once the tag checks.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  hchacha,
  chacha20poly1305 as nobleChacha,
  xchacha20poly1305 as nobleXchacha,
} from '@noble/ciphers/chacha.js';
import { KithError } from '../errors.js';
import { plainBytes, utf8 } from './bytes.js';

export interface AeadImpl {
  readonly name: string;
  readonly nonceLength: number;
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
}

const KEY_LENGTH = 32;
const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;
const XNONCE_LENGTH = 24;

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_LENGTH) {
    throw new KithError('CRYPTO_BAD_KEY', `AEAD key must be ${KEY_LENGTH} bytes, got ${key.length}`);
  }
}

function checkNonce(nonce: Uint8Array, length: number): void {
  if (nonce.length !== length) {
    throw new KithError('CRYPTO_BAD_INPUT', `AEAD nonce must be ${length} bytes, got ${nonce.length}`);
  }
}

function checkSealed(sealed: Uint8Array): void {
  if (sealed.length < TAG_LENGTH) {
    throw new KithError('CRYPTO_BAD_INPUT', `sealed input is ${sealed.length} bytes, shorter than the tag`);
  }
}

function authFailed(cause?: unknown): KithError {
  return new KithError('CRYPTO_AUTH_FAILED', undefined, { cause });
}

export const chacha20poly1305Node: AeadImpl = {
  name: 'node',
  nonceLength: NONCE_LENGTH,
  seal(key, nonce, plaintext, aad) {
    checkKey(key);
    checkNonce(nonce, NONCE_LENGTH);
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
    if (aad) cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const sealed = new Uint8Array(plaintext.length + TAG_LENGTH);
    sealed.set(cipher.update(plaintext));
    cipher.final();
    sealed.set(cipher.getAuthTag(), plaintext.length);
    return sealed;
  },
  open(key, nonce, sealed, aad) {
    checkKey(key);
    checkNonce(nonce, NONCE_LENGTH);
    checkSealed(sealed);
    const split = sealed.length - TAG_LENGTH;
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(sealed.subarray(split));
    if (aad) decipher.setAAD(aad, { plaintextLength: split });
    // OpenSSL decrypts before it checks the tag; this plaintext must not outlive a failed check.
    const plaintext = decipher.update(sealed.subarray(0, split));
    try {
      decipher.final();
    } catch (cause) {
      plaintext.fill(0);
      throw authFailed(cause);
    }
    return plainBytes(plaintext);
  },
};

/** The @noble AEADs share one shape; only the cipher and its nonce length differ. */
function nobleAead(
  nonceLength: number,
  cipher: (
    key: Uint8Array,
    nonce: Uint8Array,
    aad?: Uint8Array,
  ) => {
    encrypt(data: Uint8Array): Uint8Array;
    decrypt(data: Uint8Array): Uint8Array;
  },
): AeadImpl {
  return {
    name: 'noble',
    nonceLength,
    seal(key, nonce, plaintext, aad) {
      checkKey(key);
      checkNonce(nonce, nonceLength);
      return cipher(key, nonce, aad).encrypt(plaintext);
    },
    open(key, nonce, sealed, aad) {
      checkKey(key);
      checkNonce(nonce, nonceLength);
      checkSealed(sealed);
      try {
        return cipher(key, nonce, aad).decrypt(sealed);
      } catch (cause) {
        throw authFailed(cause);
      }
    },
  };
}

export const chacha20poly1305Noble: AeadImpl = nobleAead(NONCE_LENGTH, nobleChacha);

// "expand 32-byte k" as the four little-endian words of RFC 8439 §2.3.
const SIGMA = words(utf8('expand 32-byte k'), 4);

/** The bytes in a fresh, aligned buffer viewed as 32-bit words, the form @noble's hchacha takes. */
function words(bytes: Uint8Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * draft-irtf-cfrg-xchacha-03 §2.3: XChaCha20-Poly1305 is ChaCha20-Poly1305 keyed by
 * HChaCha20(key, nonce[0..16]) with the nonce 0x00000000 || nonce[16..24]. Node lacks HChaCha20, so
 * @noble computes the subkey (one ChaCha block) and OpenSSL does the bulk work.
 */
function xchachaToChacha(
  key: Uint8Array,
  nonce: Uint8Array,
): { subkey: Uint8Array; chachaNonce: Uint8Array } {
  checkKey(key);
  checkNonce(nonce, XNONCE_LENGTH);
  const subkeyWords = new Uint32Array(8);
  hchacha(SIGMA, words(key, 8), words(nonce.subarray(0, 16), 4), subkeyWords);
  const chachaNonce = new Uint8Array(NONCE_LENGTH);
  chachaNonce.set(nonce.subarray(16), 4);
  return { subkey: new Uint8Array(subkeyWords.buffer), chachaNonce };
}

export const xchacha20poly1305Node: AeadImpl = {
  name: 'node',
  nonceLength: XNONCE_LENGTH,
  seal(key, nonce, plaintext, aad) {
    const { subkey, chachaNonce } = xchachaToChacha(key, nonce);
    try {
      return chacha20poly1305Node.seal(subkey, chachaNonce, plaintext, aad);
    } finally {
      subkey.fill(0);
    }
  },
  open(key, nonce, sealed, aad) {
    const { subkey, chachaNonce } = xchachaToChacha(key, nonce);
    try {
      return chacha20poly1305Node.open(subkey, chachaNonce, sealed, aad);
    } finally {
      subkey.fill(0);
    }
  },
};

export const xchacha20poly1305Noble: AeadImpl = nobleAead(XNONCE_LENGTH, nobleXchacha);

// Measured by test/bench/crypto.ts, seal+open per second: node 44-56 k against noble's 23-32 k at
// 160 B, 40-58 k against 19-25 k at 1200 B.
export const chacha20poly1305: AeadImpl = chacha20poly1305Node;

// Measured the same way at 160 B: the node path (HChaCha20 in JS, then OpenSSL) 30-45 k against
// noble's 22-29 k; the JS subkey step costs less than OpenSSL saves on the rest.
export const xchacha20poly1305: AeadImpl = xchacha20poly1305Node;
