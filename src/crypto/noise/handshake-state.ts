// The Noise HandshakeState (Noise spec rev 34 §5.3, https://noiseprotocol.org/noise.html): runs
// one side of a handshake pattern token by token, with the psk rules of §9, and ends in the two
// transport CipherStates of Split().
//
// Failure policy: an error thrown while a message is being written or read (a failed tag, a
// truncated message, an all-zero DH result) leaves h and ck half-mixed, so the state is marked
// failed and every later call throws NOISE_MISUSE; the caller starts a new handshake. Calls refused
// before anything changes (out of turn, after the end, a payload too large) leave the state as is.
import { KithError } from '../../errors.js';
import { concatBytes } from '../bytes.js';
import { type Rng, systemRng } from '../random.js';
import { generateX25519, x25519 } from '../x25519.js';
import { type CipherState, MAX_MESSAGE_LENGTH, TAG_LENGTH } from './cipher-state.js';
import { type HandshakePattern, initiatorWrites, parseProtocolName, type Token } from './patterns.js';
import { SymmetricState } from './symmetric-state.js';

// §12.1: DHLEN for Curve25519.
const DH_LENGTH = 32;
const PSK_LENGTH = 32;
const EMPTY = new Uint8Array(0);

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface HandshakeOptions {
  /** The full protocol name, e.g. "Noise_KKpsk0_25519_ChaChaPoly_BLAKE2s" (see patterns.ts). */
  protocolName: string;
  initiator: boolean;
  prologue?: Uint8Array;
  /** The local static key pair; required exactly when the pattern uses it. */
  s?: KeyPair;
  /** A fixed ephemeral key pair, for test vectors; otherwise one is drawn from `rng`. */
  e?: KeyPair;
  /** The peer's static public key; required exactly when the pattern has it as a pre-message. */
  rs?: Uint8Array;
  /** One 32-byte key per "psk" token, in the order the tokens occur. */
  psks?: readonly Uint8Array[];
  rng?: Rng;
}

export type TransportPair = readonly [initiatorToResponder: CipherState, responderToInitiator: CipherState];

function misuse(message: string): KithError {
  return new KithError('NOISE_MISUSE', message);
}

function checkLength(what: string, key: Uint8Array, length: number): void {
  if (key.length !== length) throw misuse(`Noise ${what} must be ${length} bytes, got ${key.length}`);
}

function present<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw misuse(message);
  return value;
}

/** §5.3 Initialize() takes exactly the keys the pattern uses: a missing or stray key is a mistake. */
function checkKeys(pattern: HandshakePattern, options: HandshakeOptions): void {
  const { initiator, s, e, rs, psks = [] } = options;
  const ours = pattern.messages.filter((_, i) => initiatorWrites(i) === initiator);
  const { initiatorStatic, responderStatic } = pattern.preMessage;
  const pskCount = pattern.messages.flat().filter((t) => t === 'psk').length;
  const where = `${pattern.name} as ${initiator ? 'initiator' : 'responder'}`;

  const usesS = (initiator ? initiatorStatic : responderStatic) || ours.some((m) => m.includes('s'));
  if ((s !== undefined) !== usesS) {
    throw misuse(`${where} ${s === undefined ? 'needs' : 'does not use'} a local static key pair s`);
  }
  // §5.3: rs must be empty when the peer's "s" token arrives, so it is given only for a pre-message.
  if ((rs !== undefined) !== (initiator ? responderStatic : initiatorStatic)) {
    throw misuse(`${where} ${rs === undefined ? 'needs' : 'does not take'} the peer's static key rs`);
  }
  if (e !== undefined && !ours.some((m) => m.includes('e'))) {
    throw misuse(`${where} sends no ephemeral key, yet e was given`);
  }
  if (psks.length !== pskCount) throw misuse(`${where} needs ${pskCount} psks, got ${psks.length}`);
  for (const pair of [s, e]) {
    if (pair === undefined) continue;
    checkLength('public key', pair.publicKey, DH_LENGTH);
    checkLength('secret key', pair.secretKey, DH_LENGTH);
  }
  if (rs !== undefined) checkLength('remote static key rs', rs, DH_LENGTH);
  for (const psk of psks) checkLength('psk', psk, PSK_LENGTH);
}

export class HandshakeState {
  readonly protocolName: string;
  readonly initiator: boolean;
  readonly #messages: readonly (readonly Token[])[];
  // §9.2: in a handshake with any "psk" token, "e" also mixes the ephemeral into the key.
  readonly #isPsk: boolean;
  readonly #symmetric: SymmetricState;
  readonly #rng: Rng;
  readonly #s: KeyPair | undefined;
  #e: KeyPair | undefined;
  #eGenerated = false;
  #rs: Uint8Array | undefined;
  #re: Uint8Array | undefined;
  readonly #psks: Uint8Array[];
  #nextMessage = 0;
  #failed = false;
  #transport: TransportPair | undefined;
  #handshakeHash: Uint8Array | undefined;

  /**
   * §5.3 Initialize(). Throws NOISE_BAD_PROTOCOL for a name it does not support, NOISE_MISUSE when a
   * key the pattern needs is missing, one it does not use is given, or one has the wrong size.
   */
  constructor(options: HandshakeOptions) {
    const { protocolName, initiator, prologue = EMPTY, s, e, rs, psks = [], rng = systemRng } = options;
    const { pattern } = parseProtocolName(protocolName);
    checkKeys(pattern, options);
    this.protocolName = protocolName;
    this.initiator = initiator;
    this.#messages = pattern.messages;
    this.#isPsk = psks.length > 0;
    this.#rng = rng;
    this.#s = s;
    this.#e = e;
    this.#rs = rs?.slice();
    this.#psks = psks.map((psk) => psk.slice());
    this.#symmetric = new SymmetricState(protocolName);
    this.#symmetric.mixHash(prologue);
    // §5.3: each pre-message public key is hashed, the initiator's first.
    if (pattern.preMessage.initiatorStatic) this.#mixPreMessage(initiator);
    if (pattern.preMessage.responderStatic) this.#mixPreMessage(!initiator);
  }

  /** True once the last handshake message has been written or read; split() is then available. */
  get complete(): boolean {
    return this.#transport !== undefined;
  }

  /** §5.3 WriteMessage(payload): the next handshake message, which this side must be due to write. */
  writeMessage(payload: Uint8Array = EMPTY): Uint8Array {
    const tokens = this.#nextTokens('writeMessage', true);
    const length = this.#writtenLength(tokens, payload.length);
    if (length > MAX_MESSAGE_LENGTH) {
      throw misuse(`Noise message would be ${length} bytes, more than ${MAX_MESSAGE_LENGTH} (§3)`);
    }
    return this.#failOnError(() => {
      const parts: Uint8Array[] = [];
      for (const token of tokens) {
        if (token === 'e') {
          if (this.#e === undefined) {
            this.#e = generateX25519(this.#rng);
            this.#eGenerated = true;
          }
          parts.push(this.#e.publicKey);
          this.#mixEphemeral(this.#e.publicKey);
        } else if (token === 's') {
          parts.push(this.#symmetric.encryptAndHash(this.#known(this.#s, 's').publicKey));
        } else {
          this.#mixSecret(token);
        }
      }
      parts.push(this.#symmetric.encryptAndHash(payload));
      this.#advance();
      return concatBytes(...parts);
    });
  }

  /**
   * §5.3 ReadMessage(message): the peer's next handshake message, returning its payload. Throws
   * NOISE_BAD_MESSAGE for a message too short for its tokens or over 65535 bytes, CRYPTO_AUTH_FAILED
   * when a tag fails, CRYPTO_WEAK_SHARED_SECRET for a key giving an all-zero DH; each ends the state.
   */
  readMessage(message: Uint8Array): Uint8Array {
    const tokens = this.#nextTokens('readMessage', false);
    return this.#failOnError(() => {
      if (message.length > MAX_MESSAGE_LENGTH) {
        throw new KithError(
          'NOISE_BAD_MESSAGE',
          `Noise message of ${message.length} bytes exceeds ${MAX_MESSAGE_LENGTH} (§3)`,
        );
      }
      let offset = 0;
      const take = (length: number, what: string): Uint8Array => {
        if (offset + length > message.length) {
          throw new KithError(
            'NOISE_BAD_MESSAGE',
            `Noise message of ${message.length} bytes is too short for ${what}`,
          );
        }
        offset += length;
        return message.slice(offset - length, offset);
      };
      for (const token of tokens) {
        if (token === 'e') {
          this.#re = take(DH_LENGTH, 'an ephemeral key');
          this.#mixEphemeral(this.#re);
        } else if (token === 's') {
          const sealed = take(DH_LENGTH + (this.#symmetric.hasKey() ? TAG_LENGTH : 0), 'a static key');
          this.#rs = this.#symmetric.decryptAndHash(sealed);
        } else {
          this.#mixSecret(token);
        }
      }
      const payload = this.#symmetric.decryptAndHash(message.subarray(offset));
      this.#advance();
      return payload;
    });
  }

  /**
   * §5.3 Split(): the transport CipherStates, initiator-to-responder first, once complete. Repeated
   * calls return the same two objects, never fresh ones, so no key is ever used from two counters.
   */
  split(): TransportPair {
    return present(this.#transport, 'Noise split() before the handshake is complete');
  }

  /** §5.2 GetHandshakeHash() of the completed handshake, for channel binding (§11.2). */
  handshakeHash(): Uint8Array {
    return present(this.#handshakeHash, 'Noise handshakeHash() before the handshake is complete').slice();
  }

  /** The peer's static public key, given or received; undefined until the pattern provides it. */
  remoteStatic(): Uint8Array | undefined {
    return this.#rs?.slice();
  }

  #nextTokens(call: string, writing: boolean): readonly Token[] {
    if (this.#failed) throw misuse(`Noise ${call} after the handshake failed; start a new one`);
    const tokens = this.#messages[this.#nextMessage];
    if (tokens === undefined) throw misuse(`Noise ${call} after the handshake is complete`);
    if ((initiatorWrites(this.#nextMessage) === this.initiator) !== writing) {
      throw misuse(`Noise ${call} when it is ${writing ? 'the peer' : 'this side'} that must write next`);
    }
    return tokens;
  }

  /** The exact size writeMessage will produce, so an oversized payload is refused before any mixing. */
  #writtenLength(tokens: readonly Token[], payloadLength: number): number {
    let keyed = this.#symmetric.hasKey();
    let length = payloadLength;
    for (const token of tokens) {
      if (token === 'e') {
        length += DH_LENGTH;
        keyed ||= this.#isPsk;
      } else if (token === 's') {
        length += DH_LENGTH + (keyed ? TAG_LENGTH : 0);
      } else {
        keyed = true;
      }
    }
    return length + (keyed ? TAG_LENGTH : 0);
  }

  #failOnError<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      this.#failed = true;
      this.#forgetSecrets();
      throw err;
    }
  }

  #mixPreMessage(ours: boolean): void {
    this.#symmetric.mixHash(ours ? this.#known(this.#s, 's').publicKey : this.#known(this.#rs, 'rs'));
  }

  #mixEphemeral(publicKey: Uint8Array): void {
    this.#symmetric.mixHash(publicKey);
    // §9.2: with a psk, "e" also calls MixKey(e.public_key).
    if (this.#isPsk) this.#symmetric.mixKey(publicKey);
  }

  #mixSecret(token: 'ee' | 'es' | 'se' | 'ss' | 'psk'): void {
    if (token === 'psk') {
      // §9.1: "psk" calls MixKeyAndHash(psk), taking the psks in order.
      this.#symmetric.mixKeyAndHash(this.#known(this.#psks.shift(), 'a psk'));
      return;
    }
    // §5.3: the token's first letter names the initiator's key, the second the responder's, so
    // the responder swaps them to get (its own key, the peer's key).
    const [local, remote] = this.initiator ? [token[0], token[1]] : [token[1], token[0]];
    const pair = this.#known(local === 'e' ? this.#e : this.#s, local === 'e' ? 'e' : 's');
    const peer = this.#known(remote === 'e' ? this.#re : this.#rs, remote === 'e' ? 're' : 'rs');
    const shared = x25519.sharedSecret(pair.secretKey, peer);
    this.#symmetric.mixKey(shared);
    shared.fill(0);
  }

  #advance(): void {
    this.#nextMessage++;
    if (this.#nextMessage < this.#messages.length) return;
    this.#handshakeHash = this.#symmetric.handshakeHash();
    this.#transport = this.#symmetric.split();
    this.#forgetSecrets();
  }

  /**
   * A key a token needs. checkKeys() and the validity of every pattern in patterns.ts (§7.3: no
   * token uses a key before it is known) mean this never throws; it narrows the type.
   */
  #known<T>(value: T | undefined, what: string): T {
    return present(value, `Noise ${this.protocolName} uses ${what} before it is known`);
  }

  /**
   * Drops what the handshake no longer needs once it is over: the ephemeral (wiped only if this
   * state generated it; a fixed one belongs to the caller) and the copies of unused psks.
   */
  #forgetSecrets(): void {
    if (this.#eGenerated) this.#e?.secretKey.fill(0);
    this.#e = undefined;
    this.#re = undefined;
    for (const psk of this.#psks.splice(0)) psk.fill(0);
  }
}
