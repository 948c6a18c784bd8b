// The signed contact card (DESIGN §3 "Identity and contacts"): who a device is, as its owner hands
// it to someone they trust. Binary layout, version 1 (all lengths fixed except the name):
//
//   0      u8   version = 1
//   1      u8   name length N, 1..64 bytes
//   2      N    display name, UTF-8 (NFC, no control characters)
//   2+N    32   Ed25519 public key (the identity and overlay ID)
//   34+N   32   X25519 public key (the Noise static key)
//   66+N   64   Ed25519 signature over CARD_DOMAIN || bytes[0 .. 66+N)
//
// The domain string keeps a card signature from ever being valid as any other Kith signature.
// Files carry the card as one text line: "kith-card:" + base64url(bytes).
import { concatBytes, fromBase64url, toBase64url, toHex, utf8 } from '../crypto/bytes.js';
import { ed25519 } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import { x25519 } from '../crypto/x25519.js';
import { KithError } from '../errors.js';

export const CARD_VERSION = 1;
export const NAME_MAX_BYTES = 64;
export const NAME_MAX_CHARS = 32;
const KEY_BYTES = 32;
const SIG_BYTES = 64;
const CARD_DOMAIN = utf8('kith contact card v1\0');
const TEXT_PREFIX = 'kith-card:';
/** Longest card text accepted from a file; anything longer is not a card. */
export const CARD_TEXT_MAX =
  TEXT_PREFIX.length + Math.ceil(((2 + NAME_MAX_BYTES + 2 * KEY_BYTES + SIG_BYTES) * 4) / 3) + 2;

export interface Card {
  name: string;
  ed25519Public: Uint8Array;
  x25519Public: Uint8Array;
}

export interface SignedCard extends Card {
  /** The exact bytes that were verified; stored as received. */
  bytes: Uint8Array;
}

/** Why a display name is not allowed, or null when it is fine. Shared with the config schema. */
export function displayNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name !== name.trim()) return 'must not start or end with spaces';
  if (name !== name.normalize('NFC')) return 'must be in Unicode normal form C';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(name)) return 'must not contain control characters';
  if ([...name].length > NAME_MAX_CHARS) return `must be at most ${NAME_MAX_CHARS} characters`;
  if (utf8(name).length > NAME_MAX_BYTES) return `must be at most ${NAME_MAX_BYTES} bytes in UTF-8`;
  return null;
}

export function encodeCard(card: Card, ed25519Secret: Uint8Array): Uint8Array {
  const problem = displayNameProblem(card.name);
  if (problem)
    throw new KithError('CARD_BAD_NAME', `contact card name ${JSON.stringify(card.name)} ${problem}`);
  if (card.ed25519Public.length !== KEY_BYTES || card.x25519Public.length !== KEY_BYTES) {
    throw new KithError('CARD_BAD_KEY', 'contact card keys must be 32 bytes each');
  }
  const name = utf8(card.name);
  const body = concatBytes(
    Uint8Array.of(CARD_VERSION, name.length),
    name,
    card.ed25519Public,
    card.x25519Public,
  );
  return concatBytes(body, ed25519.sign(ed25519Secret, concatBytes(CARD_DOMAIN, body)));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes and verifies a card; every failure is a KithError with a CARD_* code. */
export function decodeCard(input: Uint8Array): SignedCard {
  // A private plain copy: Buffer.slice() would share memory with the caller's buffer.
  const bytes = new Uint8Array(input);
  if (bytes.length < 1) throw new KithError('CARD_TRUNCATED', 'contact card is empty');
  if (bytes[0] !== CARD_VERSION) {
    throw new KithError(
      'CARD_BAD_VERSION',
      `contact card version ${bytes[0]} is not supported (expected ${CARD_VERSION})`,
    );
  }
  if (bytes.length < 2) throw new KithError('CARD_TRUNCATED', 'contact card ends before the name length');
  const nameLength = bytes[1] as number;
  if (nameLength < 1 || nameLength > NAME_MAX_BYTES) {
    throw new KithError(
      'CARD_BAD_NAME',
      `contact card name length ${nameLength} is outside 1..${NAME_MAX_BYTES}`,
    );
  }
  const expected = 2 + nameLength + 2 * KEY_BYTES + SIG_BYTES;
  if (bytes.length < expected) {
    throw new KithError('CARD_TRUNCATED', `contact card is ${bytes.length} bytes, expected ${expected}`);
  }
  if (bytes.length > expected) {
    throw new KithError('CARD_TOO_LONG', `contact card is ${bytes.length} bytes, expected ${expected}`);
  }
  let name: string;
  try {
    name = strictUtf8.decode(bytes.subarray(2, 2 + nameLength));
  } catch {
    throw new KithError('CARD_BAD_NAME', 'contact card name is not valid UTF-8');
  }
  const problem = displayNameProblem(name);
  if (problem) throw new KithError('CARD_BAD_NAME', `contact card name ${JSON.stringify(name)} ${problem}`);
  const bodyEnd = 2 + nameLength + 2 * KEY_BYTES;
  const ed25519Public = bytes.slice(2 + nameLength, 2 + nameLength + KEY_BYTES);
  const x25519Public = bytes.slice(2 + nameLength + KEY_BYTES, bodyEnd);
  const signature = bytes.subarray(bodyEnd);
  if (!ed25519.verify(ed25519Public, concatBytes(CARD_DOMAIN, bytes.subarray(0, bodyEnd)), signature)) {
    throw new KithError('CARD_BAD_SIGNATURE', 'contact card signature does not verify');
  }
  // Checked after the signature: a signed card with a small-order X25519 key is still unusable,
  // since every Diffie-Hellman with it would give the all-zero secret (RFC 7748 §6.1).
  if (!isUsableX25519(x25519Public)) {
    throw new KithError('CARD_BAD_KEY', 'contact card X25519 key is a small-order point');
  }
  return { name, ed25519Public, x25519Public, bytes };
}

const PROBE_SECRET = sha256(utf8('kith x25519 public key probe'));

function isUsableX25519(publicKey: Uint8Array): boolean {
  try {
    x25519.sharedSecret(PROBE_SECRET, publicKey);
    return true;
  } catch {
    return false;
  }
}

export function cardToText(bytes: Uint8Array): string {
  return `${TEXT_PREFIX}${toBase64url(bytes)}\n`;
}

/** Parses the text form; surrounding whitespace is allowed, anything else is CARD_BAD_ENCODING. */
export function cardFromText(text: string): SignedCard {
  const trimmed = text.trim();
  if (!trimmed.startsWith(TEXT_PREFIX)) {
    throw new KithError(
      'CARD_BAD_ENCODING',
      `not a Kith contact card (expected text starting with "${TEXT_PREFIX}")`,
    );
  }
  if (trimmed.length > CARD_TEXT_MAX) throw new KithError('CARD_TOO_LONG', 'contact card text is too long');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(trimmed.slice(TEXT_PREFIX.length));
  } catch {
    throw new KithError('CARD_BAD_ENCODING', 'contact card text is not valid base64url');
  }
  return decodeCard(bytes);
}

/**
 * A short, comparable fingerprint of an identity key: 128 bits of a domain-separated SHA-256, as
 * 8 groups of 4 hex digits. Owners compare it when a card travels by file instead of pairing.
 */
export function fingerprint(ed25519Public: Uint8Array): string {
  const digest = toHex(sha256(concatBytes(utf8('kith fingerprint v1\0'), ed25519Public)).subarray(0, 16));
  return digest.match(/.{4}/g)?.join(' ') ?? digest;
}
