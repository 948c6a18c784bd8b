// The Noise SymmetricState (Noise spec rev 34 §5.2, https://noiseprotocol.org/noise.html): the
// chaining key ck and handshake hash h that every handshake token feeds, with the HKDF of §4.3,
// for HASH = BLAKE2s (§12.7: HASHLEN 32, BLOCKLEN 64) and its HMAC.
import { concatBytes, utf8 } from '../bytes.js';
import { blake2s, hmacBlake2s } from '../hash.js';
import { CipherState } from './cipher-state.js';

const HASH_LENGTH = 32;
const EMPTY = new Uint8Array(0);

/**
 * §4.3 HKDF(chaining_key, input_key_material, num_outputs): an extract with HMAC-HASH, then two or
 * three chained expand blocks. Each output is HASHLEN bytes; with HASHLEN 32 the §5.2 truncation of
 * a cipher key to 32 bytes is a no-op.
 */
function hkdf(ck: Uint8Array, ikm: Uint8Array, outputs: 2): [Uint8Array, Uint8Array];
function hkdf(ck: Uint8Array, ikm: Uint8Array, outputs: 3): [Uint8Array, Uint8Array, Uint8Array];
function hkdf(ck: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const tempKey = hmacBlake2s(ck, ikm);
  const out1 = hmacBlake2s(tempKey, Uint8Array.of(1));
  const out2 = hmacBlake2s(tempKey, concatBytes(out1, Uint8Array.of(2)));
  const out = [out1, out2];
  if (outputs === 3) out.push(hmacBlake2s(tempKey, concatBytes(out2, Uint8Array.of(3))));
  tempKey.fill(0);
  return out;
}

export class SymmetricState {
  #ck: Uint8Array;
  #h: Uint8Array;
  readonly #cipher = new CipherState();

  /** InitializeSymmetric(protocol_name). */
  constructor(protocolName: string) {
    const name = utf8(protocolName);
    // §5.2: a name of at most HASHLEN bytes is zero-padded to HASHLEN, a longer one hashed.
    if (name.length <= HASH_LENGTH) {
      this.#h = new Uint8Array(HASH_LENGTH);
      this.#h.set(name);
    } else {
      this.#h = blake2s(name);
    }
    this.#ck = this.#h.slice();
  }

  hasKey(): boolean {
    return this.#cipher.hasKey();
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, tempK] = hkdf(this.#ck, ikm, 2);
    this.#replaceCk(ck);
    this.#cipher.initializeKey(tempK);
    tempK.fill(0);
  }

  mixHash(data: Uint8Array): void {
    this.#h = blake2s(concatBytes(this.#h, data));
  }

  /** §5.2 MixKeyAndHash, which §9.1 uses for "psk" tokens. */
  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, tempH, tempK] = hkdf(this.#ck, ikm, 3);
    this.#replaceCk(ck);
    this.mixHash(tempH);
    this.#cipher.initializeKey(tempK);
    tempK.fill(0);
  }

  /** A copy of h. */
  handshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.#cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.#cipher.decryptWithAd(this.#h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /**
   * §5.2 Split(): the initiator-to-responder CipherState, then the responder-to-initiator one. The
   * chaining key is wiped, since nothing may be derived from it once the handshake is over.
   */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf(this.#ck, EMPTY, 2);
    this.#ck.fill(0);
    const states: [CipherState, CipherState] = [new CipherState(k1), new CipherState(k2)];
    k1.fill(0);
    k2.fill(0);
    return states;
  }

  #replaceCk(ck: Uint8Array): void {
    this.#ck.fill(0);
    this.#ck = ck;
  }
}
