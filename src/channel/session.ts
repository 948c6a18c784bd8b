// One transport session of a channel (WireGuard calls it a keypair): the two keys from the Noise
// handshake's Split(), the index each side addresses it by, a send counter and a replay window.
// Packets carry their counter in the clear, so this seals with an explicit nonce rather than the
// CipherState's implicit one; the nonce layout is Noise's for ChaChaPoly (§12.3: 32 zero bits,
// then the 64-bit counter little-endian), so a packet is exactly Noise's ENCRYPT(k, n, ad, p).
import { chacha20poly1305 } from '../crypto/aead.js';
import { concatBytes } from '../crypto/bytes.js';
import { encodeTransportHeader, type Transport } from '../wire/channel.js';
import { ReplayWindow } from './replay.js';

export function transportNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(4, counter >>> 0, true);
  view.setUint32(8, Math.floor(counter / 2 ** 32), true);
  return nonce;
}

export interface SessionKeys {
  localIndex: number;
  remoteIndex: number;
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  /** Whether we sent the initiation; only the initiator rekeys on age (both would otherwise). */
  initiator: boolean;
}

export type OpenResult = Uint8Array | 'replay' | 'auth-failed';

export class Session {
  readonly localIndex: number;
  readonly remoteIndex: number;
  readonly initiator: boolean;
  readonly createdAt: number;
  /** A responder's session is confirmed by the first packet that arrives on it. */
  confirmed: boolean;
  #sendKey: Uint8Array;
  #receiveKey: Uint8Array;
  #sendCounter = 0;
  readonly #replay = new ReplayWindow();

  constructor(keys: SessionKeys, createdAt: number) {
    this.localIndex = keys.localIndex;
    this.remoteIndex = keys.remoteIndex;
    this.initiator = keys.initiator;
    this.#sendKey = keys.sendKey;
    this.#receiveKey = keys.receiveKey;
    this.createdAt = createdAt;
    this.confirmed = keys.initiator;
  }

  get sent(): number {
    return this.#sendCounter;
  }

  seal(plaintext: Uint8Array): Uint8Array {
    const counter = this.#sendCounter++;
    const header = encodeTransportHeader(this.remoteIndex, counter);
    return concatBytes(
      header,
      chacha20poly1305.seal(this.#sendKey, transportNonce(counter), plaintext, header),
    );
  }

  /** Opens an authenticated, never-seen packet; the window moves only for authentic ones. */
  open(packet: Transport): OpenResult {
    if (!this.#replay.check(packet.counter)) return 'replay';
    let plaintext: Uint8Array;
    try {
      plaintext = chacha20poly1305.open(
        this.#receiveKey,
        transportNonce(packet.counter),
        packet.sealed,
        packet.header,
      );
    } catch {
      return 'auth-failed';
    }
    if (!this.#replay.accept(packet.counter)) return 'replay';
    return plaintext;
  }

  /** Forgets the keys (WireGuard zeroes expired keypairs); the session can do nothing after. */
  destroy(): void {
    this.#sendKey.fill(0);
    this.#receiveKey.fill(0);
    this.#sendKey = new Uint8Array(32);
    this.#receiveKey = new Uint8Array(32);
  }
}
