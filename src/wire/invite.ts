// The plaintext inside a sealed INVITE or INVITE_ANSWER (docs/overlay-protocol.md "Sealed ROUTE
// bodies"; DESIGN §3 "INVITE": caller identity, call ID, candidate endpoints, time, signature).
// overlay/seal.ts seals it; only the destination ever reads it.
//
//   0   kind (1 INVITE, 2 INVITE_ANSWER; must equal the ROUTE kind)
//   1   sender ID (32)            33  invite ID (16)          49  timestamp (u64 ms)
//   57  punch key (32; zeros in an answer)                    89  candidate count n (1..4)
//   90  n × endpoint (19)         then relay ID (32, or zeros) and its endpoint (19, or zeros)
//   then the sender's Ed25519 signature (64) over
//        "kith invite v1\0" ‖ destination ID ‖ everything above
//
// The signature covers the destination ID, which is not in the plaintext, so an invite signed for
// one node cannot be re-sealed and passed off to another.
import { concatBytes, utf8 } from '../crypto/bytes.js';
import type { Endpoint } from '../net/transport.js';
import {
  decodeEndpoint,
  ENDPOINT_BYTES,
  encodeEndpoint,
  ID_BYTES,
  INVITE_ID_BYTES,
  type OverlayDecodeFailure,
  RouteKind,
} from './overlay.js';

export const INVITE_SIGNATURE_CONTEXT: Uint8Array = utf8('kith invite v1\0');
export const MAX_CANDIDATES = 4;

const PUNCH_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const TIMESTAMP_AT = 1 + ID_BYTES + INVITE_ID_BYTES;
const PUNCH_KEY_AT = TIMESTAMP_AT + 8;
const COUNT_AT = PUNCH_KEY_AT + PUNCH_KEY_BYTES;
const CANDIDATES_AT = COUNT_AT + 1;
const RELAY_BYTES = ID_BYTES + ENDPOINT_BYTES;

/** Length of the whole plaintext with `n` candidates. */
function inviteBytes(n: number): number {
  return CANDIDATES_AT + n * ENDPOINT_BYTES + RELAY_BYTES + SIGNATURE_BYTES;
}

export interface InviteFields {
  kind: 1 | 2;
  senderId: Uint8Array;
  inviteId: Uint8Array;
  timestamp: number;
  /** 32 random bytes in an INVITE (the PUNCH tag key, wire/overlay.ts); zeros in an answer. */
  punchKey: Uint8Array;
  /** 1..4: LAN endpoints, then the observed public one. */
  candidates: Endpoint[];
  /** A linked neighbour of the sender willing to relay (HelloFlag.relay), or null. */
  relay: { id: Uint8Array; endpoint: Endpoint } | null;
}

export interface Invite extends InviteFields {
  signature: Uint8Array;
  /** Everything before the signature. */
  signed: Uint8Array;
}

/** Everything before the signature; throws RangeError on an out-of-range field. */
export function inviteSigned(f: InviteFields): Uint8Array {
  if (f.kind !== RouteKind.invite && f.kind !== RouteKind.answer)
    throw new RangeError(`invite kind must be 1 or 2, got ${String(f.kind)}`);
  const n = f.candidates.length;
  if (n < 1 || n > MAX_CANDIDATES)
    throw new RangeError(`an invite carries 1..${MAX_CANDIDATES} candidates, got ${n}`);
  if (!Number.isSafeInteger(f.timestamp) || f.timestamp < 0)
    throw new RangeError(`timestamp must be a whole number of ms in 0..2^53-1, got ${f.timestamp}`);
  checkBytes('punch key', f.punchKey, PUNCH_KEY_BYTES);
  if (!punchKeyFits(f.kind, f.punchKey))
    throw new RangeError(
      f.kind === RouteKind.invite ? 'an INVITE needs a non-zero punch key' : 'an answer has a zero punch key',
    );
  const bytes = new Uint8Array(inviteBytes(n) - SIGNATURE_BYTES);
  bytes[0] = f.kind;
  bytes.set(checkBytes('sender ID', f.senderId, ID_BYTES), 1);
  bytes.set(checkBytes('invite ID', f.inviteId, INVITE_ID_BYTES), 1 + ID_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(TIMESTAMP_AT, Math.floor(f.timestamp / 2 ** 32));
  view.setUint32(TIMESTAMP_AT + 4, f.timestamp >>> 0);
  bytes.set(f.punchKey, PUNCH_KEY_AT);
  bytes[COUNT_AT] = n;
  f.candidates.forEach((c, i) => bytes.set(encodeEndpoint(c), CANDIDATES_AT + i * ENDPOINT_BYTES));
  if (f.relay) {
    const relayAt = CANDIDATES_AT + n * ENDPOINT_BYTES;
    if (isZero(checkBytes('relay ID', f.relay.id, ID_BYTES)))
      throw new RangeError('relay ID must not be zeros (zeros mean "no relay"); pass null');
    bytes.set(f.relay.id, relayAt);
    bytes.set(encodeEndpoint(f.relay.endpoint), relayAt + ID_BYTES);
  }
  return bytes;
}

/** The message the signature covers: context ‖ destination ID ‖ signed bytes. */
export function inviteSignatureMessage(destination: Uint8Array, signed: Uint8Array): Uint8Array {
  return concatBytes(INVITE_SIGNATURE_CONTEXT, checkBytes('destination ID', destination, ID_BYTES), signed);
}

export function encodeInvite(f: InviteFields, signature: Uint8Array): Uint8Array {
  return concatBytes(inviteSigned(f), checkBytes('signature', signature, SIGNATURE_BYTES));
}

/** Decodes an opened plaintext; never throws. Fields are views into `bytes`. The signature is not checked here. */
export function decodeInvite(bytes: Uint8Array): Invite | OverlayDecodeFailure {
  if (bytes.length === 0) return 'empty';
  if (bytes.length < CANDIDATES_AT) return 'bad-length';
  const kind = bytes[0];
  if (kind !== RouteKind.invite && kind !== RouteKind.answer) return 'bad-field';
  const n = bytes[COUNT_AT] as number;
  if (n < 1 || n > MAX_CANDIDATES) return 'bad-field';
  if (bytes.length !== inviteBytes(n)) return 'bad-length';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = view.getUint32(TIMESTAMP_AT);
  // Beyond 2^53 - 1 ms a timestamp could not be compared exactly (and no clock reads it).
  if (high >= 0x200000) return 'bad-field';
  const punchKey = bytes.subarray(PUNCH_KEY_AT, COUNT_AT);
  if (!punchKeyFits(kind, punchKey)) return 'bad-field';
  const candidates: Endpoint[] = [];
  for (let i = 0; i < n; i++) {
    const c = decodeEndpoint(bytes, CANDIDATES_AT + i * ENDPOINT_BYTES);
    if (c === null) return 'bad-endpoint';
    candidates.push(c);
  }
  const relayAt = CANDIDATES_AT + n * ENDPOINT_BYTES;
  const relayId = bytes.subarray(relayAt, relayAt + ID_BYTES);
  const signatureAt = relayAt + RELAY_BYTES;
  let relay: Invite['relay'] = null;
  if (!isZero(relayId)) {
    const endpoint = decodeEndpoint(bytes, relayAt + ID_BYTES);
    if (endpoint === null) return 'bad-endpoint';
    relay = { id: relayId, endpoint };
  } else if (!isZero(bytes.subarray(relayAt + ID_BYTES, signatureAt))) {
    // No relay, yet an endpoint for it: two encodings of one meaning, which strict decoding refuses.
    return 'bad-field';
  }
  return {
    kind,
    senderId: bytes.subarray(1, 1 + ID_BYTES),
    inviteId: bytes.subarray(1 + ID_BYTES, TIMESTAMP_AT),
    timestamp: high * 2 ** 32 + view.getUint32(TIMESTAMP_AT + 4),
    punchKey,
    candidates,
    relay,
    signature: bytes.subarray(signatureAt),
    signed: bytes.subarray(0, signatureAt),
  };
}

/**
 * The spec: an INVITE's punch key is random, an answer's is zeros. A zero key in an INVITE would be
 * one every observer knows, so PUNCH tags under it would prove nothing.
 */
function punchKeyFits(kind: number, punchKey: Uint8Array): boolean {
  return kind === RouteKind.invite ? !isZero(punchKey) : isZero(punchKey);
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

function checkBytes(what: string, bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}
