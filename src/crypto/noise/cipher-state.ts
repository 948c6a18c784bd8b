// The Noise CipherState (Noise spec rev 34 §5.1, https://noiseprotocol.org/noise.html): a key and
// a 64-bit message counter over ChaCha20-Poly1305, plus explicit-nonce calls for a transport that
// carries its own counters and replay window (WireGuard style) instead of this object's counter.
//
// Nonces are JS numbers, so every nonce must be a safe integer, 0..2^53-1; anything larger is
// refused with NOISE_BAD_NONCE rather than rounded. At a million messages a second 2^53 lasts 285
// years, the channel's counters are numbers held below 2^53 (wire/channel.ts), and the reserved
// 2^64-1 (§5.1) is out of reach by construction. REKEY alone uses that reserved nonce, as bytes.
import { KithError } from '../../errors.js';
import { chacha20poly1305 } from '../aead.js';

const KEY_LENGTH = 32;
export const TAG_LENGTH = 16;
// §3: every Noise message, handshake or transport, is at most 65535 bytes.
export const MAX_MESSAGE_LENGTH = 65535;
export const MAX_NONCE = Number.MAX_SAFE_INTEGER;

const NONCE_LENGTH = 12;
const EMPTY = new Uint8Array(0);

// §4.2 and §11.3: REKEY(k) defaults to the first 32 bytes of ENCRYPT(k, 2^64-1, zerolen, zeros).
const REKEY_NONCE = new Uint8Array(NONCE_LENGTH).fill(0xff, 4);
const REKEY_ZEROS = new Uint8Array(KEY_LENGTH);

function checkNonce(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new KithError('NOISE_BAD_NONCE', `Noise nonce must be an integer in 0..2^53-1, got ${n}`);
  }
}

export class CipherState {
  #k: Uint8Array | undefined;
  #n = 0;
  // One scratch nonce per state: the AEAD copies it synchronously, so reuse is safe and saves an
  // allocation per message.
  readonly #nonce = new Uint8Array(NONCE_LENGTH);
  readonly #nonceView = new DataView(this.#nonce.buffer);

  /** InitializeKey(key) when a key is given; otherwise a state with no key (§5.1). */
  constructor(key?: Uint8Array) {
    this.initializeKey(key);
  }

  /** Sets the key (a copy is kept; undefined means empty) and resets the nonce to 0. */
  initializeKey(key: Uint8Array | undefined): void {
    if (key !== undefined && key.length !== KEY_LENGTH) {
      throw new KithError('NOISE_MISUSE', `Noise cipher key must be ${KEY_LENGTH} bytes, got ${key.length}`);
    }
    this.#k?.fill(0);
    this.#k = key?.slice();
    this.#n = 0;
  }

  hasKey(): boolean {
    return this.#k !== undefined;
  }

  /** The next nonce EncryptWithAd or DecryptWithAd will use. */
  nonce(): number {
    return this.#n;
  }

  setNonce(n: number): void {
    checkNonce(n);
    this.#n = n;
  }

  /** A copy of the raw 32-byte key, for a transport that does its own nonce handling. */
  key(): Uint8Array {
    return this.#requireKey('key()').slice();
  }

  /** §5.1: ENCRYPT(k, n++, ad, plaintext) with a key; the plaintext itself (copied) without one. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.#k === undefined) return plaintext.slice();
    const sealed = this.#seal(this.#k, this.#counter(), ad, plaintext);
    this.#n++;
    return sealed;
  }

  /**
   * §5.1: DECRYPT(k, n, ad, ciphertext), incrementing n only when it authenticates; without a key
   * the ciphertext itself (copied). Throws CRYPTO_AUTH_FAILED when authentication fails.
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.#k === undefined) return ciphertext.slice();
    const plaintext = this.#open(this.#k, this.#counter(), ad, ciphertext);
    this.#n++;
    return plaintext;
  }

  /** ENCRYPT(k, n, ad, plaintext) with an explicit nonce; the internal counter is untouched. */
  encryptWithNonce(n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkNonce(n);
    return this.#seal(this.#requireKey('encryptWithNonce'), n, ad, plaintext);
  }

  /** DECRYPT(k, n, ad, ciphertext) with an explicit nonce; the internal counter is untouched. */
  decryptWithNonce(n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    checkNonce(n);
    return this.#open(this.#requireKey('decryptWithNonce'), n, ad, ciphertext);
  }

  /** §5.1 Rekey(): k = REKEY(k); n is left as it is. */
  rekey(): void {
    const old = this.#requireKey('rekey');
    this.#k = chacha20poly1305.seal(old, REKEY_NONCE, REKEY_ZEROS, EMPTY).slice(0, KEY_LENGTH);
    old.fill(0);
  }

  #requireKey(call: string): Uint8Array {
    if (this.#k === undefined) throw new KithError('NOISE_MISUSE', `Noise ${call} needs a cipher key`);
    return this.#k;
  }

  /** The internal counter, refused once it has run past the last usable nonce (§5.1). */
  #counter(): number {
    if (this.#n > MAX_NONCE) throw new KithError('NOISE_BAD_NONCE', 'Noise nonce counter is used up');
    return this.#n;
  }

  // §12.3: the 96-bit ChaChaPoly nonce is 32 zero bits, then n as a little-endian 64-bit integer.
  #nonceFor(n: number): Uint8Array {
    this.#nonceView.setUint32(4, n >>> 0, true);
    this.#nonceView.setUint32(8, Math.floor(n / 2 ** 32), true);
    return this.#nonce;
  }

  #seal(k: Uint8Array, n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (plaintext.length + TAG_LENGTH > MAX_MESSAGE_LENGTH) {
      throw new KithError(
        'NOISE_MISUSE',
        `Noise plaintext of ${plaintext.length} bytes would exceed ${MAX_MESSAGE_LENGTH} bytes sealed`,
      );
    }
    return chacha20poly1305.seal(k, this.#nonceFor(n), plaintext, ad);
  }

  #open(k: Uint8Array, n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length < TAG_LENGTH || ciphertext.length > MAX_MESSAGE_LENGTH) {
      throw new KithError(
        'NOISE_BAD_MESSAGE',
        `Noise ciphertext must be ${TAG_LENGTH}..${MAX_MESSAGE_LENGTH} bytes, got ${ciphertext.length}`,
      );
    }
    return chacha20poly1305.open(k, this.#nonceFor(n), ciphertext, ad);
  }
}
