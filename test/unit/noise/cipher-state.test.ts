// CipherState (Noise §5.1): the §12.3 nonce layout checked against the raw AEAD, the counter rules,
// explicit nonces, REKEY (§4.2) and the behaviour without a key.
import { describe, expect, it } from 'vitest';
import { chacha20poly1305 } from '../../../src/crypto/aead.js';
import { utf8 } from '../../../src/crypto/bytes.js';
import { CipherState, MAX_NONCE } from '../../../src/crypto/noise/cipher-state.js';
import { seededRng } from '../../../src/crypto/random.js';
import { thrownCode } from './helpers.js';

const rng = seededRng(utf8('noise cipher-state test'));
const key = rng(32);
const ad = utf8('associated');
const plaintext = utf8('the quick brown fox');

/** §12.3: 32 zero bits, then n as a little-endian 64-bit integer. */
function expectedNonce(n: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, n, true);
  return nonce;
}

describe('CipherState', () => {
  it.each([0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, MAX_NONCE])(
    'lays out nonce %d as §12.3 says, explicitly and from the counter',
    (n) => {
      const expected = chacha20poly1305.seal(key, expectedNonce(BigInt(n)), plaintext, ad);
      const state = new CipherState(key);
      expect(state.encryptWithNonce(n, ad, plaintext)).toEqual(expected);
      expect(state.decryptWithNonce(n, ad, expected)).toEqual(plaintext);
      state.setNonce(n);
      expect(state.encryptWithAd(ad, plaintext)).toEqual(expected);
      expect(state.nonce()).toBe(n + 1);
    },
  );

  it('counts nonces up from 0, one per message, in both directions', () => {
    const sender = new CipherState(key);
    const receiver = new CipherState(key);
    for (let n = 0; n < 3; n++) {
      const sealed = sender.encryptWithAd(ad, plaintext);
      expect(sealed).toEqual(chacha20poly1305.seal(key, expectedNonce(BigInt(n)), plaintext, ad));
      expect(receiver.decryptWithAd(ad, sealed)).toEqual(plaintext);
    }
    expect([sender.nonce(), receiver.nonce()]).toEqual([3, 3]);
  });

  it('does not advance the counter when decryption fails (§5.1)', () => {
    const sender = new CipherState(key);
    const receiver = new CipherState(key);
    const sealed = sender.encryptWithAd(ad, plaintext);
    expect(thrownCode(() => receiver.decryptWithAd(utf8('other ad'), sealed))).toBe('CRYPTO_AUTH_FAILED');
    expect(receiver.nonce()).toBe(0);
    expect(receiver.decryptWithAd(ad, sealed)).toEqual(plaintext);
  });

  it('leaves the counter alone on explicit-nonce calls', () => {
    const state = new CipherState(key);
    state.setNonce(7);
    const sealed = state.encryptWithNonce(100, ad, plaintext);
    state.decryptWithNonce(100, ad, sealed);
    expect(state.nonce()).toBe(7);
  });

  it('refuses the counter once the last safe nonce is used', () => {
    const state = new CipherState(key);
    state.setNonce(MAX_NONCE);
    state.encryptWithAd(ad, plaintext);
    expect(thrownCode(() => state.encryptWithAd(ad, plaintext))).toBe('NOISE_BAD_NONCE');
    expect(thrownCode(() => state.decryptWithAd(ad, plaintext))).toBe('NOISE_BAD_NONCE');
  });

  it('rekeys to the first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zeros), keeping n (§4.2, §11.3)', () => {
    const state = new CipherState(key);
    state.setNonce(5);
    state.rekey();
    const rekeyed = chacha20poly1305.seal(
      key,
      expectedNonce(2n ** 64n - 1n),
      new Uint8Array(32),
      new Uint8Array(0),
    );
    expect(state.key()).toEqual(rekeyed.subarray(0, 32));
    expect(state.nonce()).toBe(5);
    expect(state.encryptWithAd(ad, plaintext)).toEqual(
      chacha20poly1305.seal(rekeyed.subarray(0, 32), expectedNonce(5n), plaintext, ad),
    );
  });

  it('passes data through unchanged (as a copy) without a key, as the handshake needs', () => {
    const state = new CipherState();
    expect(state.hasKey()).toBe(false);
    const out = state.encryptWithAd(ad, plaintext);
    expect(out).toEqual(plaintext);
    expect(out).not.toBe(plaintext);
    expect(state.decryptWithAd(ad, plaintext)).toEqual(plaintext);
    expect(state.nonce()).toBe(0);
  });

  it('keeps its own copy of the key, hands out copies, and resets n on InitializeKey', () => {
    const given = key.slice();
    const state = new CipherState(given);
    given.fill(0);
    const out = state.key();
    expect(out).toEqual(key);
    out.fill(0);
    expect(state.key()).toEqual(key);
    state.setNonce(9);
    state.initializeKey(key);
    expect(state.nonce()).toBe(0);
    state.initializeKey(undefined);
    expect(state.hasKey()).toBe(false);
  });

  it('seals exactly up to the 65535-byte message limit (§3)', () => {
    const state = new CipherState(key);
    expect(state.encryptWithNonce(0, ad, new Uint8Array(65535 - 16))).toHaveLength(65535);
    expect(thrownCode(() => state.encryptWithNonce(0, ad, new Uint8Array(65535 - 15)))).toBe('NOISE_MISUSE');
  });
});
