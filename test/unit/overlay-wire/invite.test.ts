import { isIPv4, SocketAddress } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/crypto/bytes.js';
import { ed25519, generateEd25519 } from '../../../src/crypto/ed25519.js';
import { seededRng } from '../../../src/crypto/random.js';
import type { Endpoint } from '../../../src/net/transport.js';
import {
  decodeInvite,
  encodeInvite,
  INVITE_SIGNATURE_CONTEXT,
  type InviteFields,
  inviteSignatureMessage,
  inviteSigned,
  MAX_CANDIDATES,
} from '../../../src/wire/invite.js';
import { encodeEndpoint, RouteKind } from '../../../src/wire/overlay.js';
import { mutatedPacket } from '../../helpers/mutate.js';

const rng = seededRng(utf8('invite test'));
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const nonZero = (n: number) => bytes(n).filter((b) => b.some((x) => x !== 0));

const canonical = (address: string) =>
  isIPv4(address) ? address : new SocketAddress({ address, family: 'ipv6' }).address;
const endpoint: fc.Arbitrary<Endpoint> = fc
  .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }))
  .filter(([a]) => !/^::ffff:\d/.test(canonical(a)))
  .map(([address, port]) => ({ address: canonical(address), port }));

const lan: Endpoint = { address: '192.168.1.20', port: 4801 };
const pub: Endpoint = { address: '2001:db8::20', port: 40000 };
const caller = generateEd25519(rng);
const callee = generateEd25519(rng);

const invite: InviteFields = {
  kind: RouteKind.invite,
  senderId: caller.publicKey,
  inviteId: fill(16, 1),
  timestamp: 1_700_000_000_000,
  punchKey: fill(32, 2),
  candidates: [lan, pub],
  relay: { id: fill(32, 3), endpoint: { address: '198.51.100.1', port: 4801 } },
};
const answer: InviteFields = {
  ...invite,
  kind: RouteKind.answer,
  senderId: callee.publicKey,
  punchKey: new Uint8Array(32),
  relay: null,
};

function signedInvite(f: InviteFields, by: { secretKey: Uint8Array }, destination: Uint8Array) {
  const signature = ed25519.sign(by.secretKey, inviteSignatureMessage(destination, inviteSigned(f)));
  return encodeInvite(f, signature);
}

const edit = (from: Uint8Array, at: number, value: number) => {
  const b = from.slice();
  b[at] = value;
  return b;
};

describe('invite plaintext', () => {
  it('round-trips (property)', () => {
    const fields = fc
      .record({
        kind: fc.constantFrom(RouteKind.invite, RouteKind.answer),
        senderId: bytes(32),
        inviteId: bytes(16),
        timestamp: fc.maxSafeNat(),
        punchKey: nonZero(32),
        candidates: fc.array(endpoint, { minLength: 1, maxLength: MAX_CANDIDATES }),
        relay: fc.option(fc.record({ id: nonZero(32), endpoint })),
      })
      .map((f): InviteFields => (f.kind === RouteKind.answer ? { ...f, punchKey: new Uint8Array(32) } : f));
    fc.assert(
      fc.property(fields, bytes(64), (f, signature) => {
        const encoded = encodeInvite(f, signature);
        expect(encoded.length).toBe(205 + 19 * f.candidates.length);
        const signed = inviteSigned(f);
        expect(decodeInvite(encoded)).toEqual({ ...f, signature, signed });
      }),
      { numRuns: 500 },
    );
  });

  it('lays out the fields in the order of the spec table', () => {
    const encoded = encodeInvite(answer, fill(64, 9));
    expect(encoded[0]).toBe(2);
    expect(encoded.subarray(1, 33)).toEqual(callee.publicKey);
    expect(encoded.subarray(33, 49)).toEqual(fill(16, 1));
    expect(Buffer.from(encoded.subarray(49, 57)).readBigUInt64BE()).toBe(1_700_000_000_000n);
    expect(encoded.subarray(57, 89)).toEqual(new Uint8Array(32));
    expect(encoded[89]).toBe(2);
    expect(encoded.subarray(90, 109)).toEqual(encodeEndpoint(lan));
    expect(encoded.subarray(109, 128)).toEqual(encodeEndpoint(pub));
    expect(encoded.subarray(128, 179)).toEqual(new Uint8Array(51));
    expect(encoded.subarray(179)).toEqual(fill(64, 9));
  });

  it('signs the context, the destination ID and the plaintext', () => {
    const encoded = signedInvite(invite, caller, callee.publicKey);
    const d = decodeInvite(encoded);
    if (typeof d === 'string') throw new Error(d);
    expect(Buffer.from(INVITE_SIGNATURE_CONTEXT).toString()).toBe('kith invite v1\0');
    const verifies = (destination: Uint8Array, signed: Uint8Array) =>
      ed25519.verify(d.senderId, inviteSignatureMessage(destination, signed), d.signature);
    expect(verifies(callee.publicKey, d.signed)).toBe(true);
    // Re-sealed to another node, it no longer verifies.
    expect(verifies(caller.publicKey, d.signed)).toBe(false);
    // Nor does it with the kind byte changed (an INVITE passed off as an answer).
    expect(verifies(callee.publicKey, edit(d.signed, 0, RouteKind.answer))).toBe(false);
  });

  it('drops every truncation and a one-byte extension as bad-length', () => {
    for (const f of [invite, answer, { ...invite, candidates: [lan, pub, lan, pub] }]) {
      const encoded = encodeInvite(f, fill(64, 5));
      expect(decodeInvite(encoded)).not.toBeTypeOf('string');
      for (let len = 0; len < encoded.length; len++)
        expect(decodeInvite(encoded.subarray(0, len))).toBe(len === 0 ? 'empty' : 'bad-length');
      const longer = new Uint8Array(encoded.length + 1);
      longer.set(encoded);
      expect(decodeInvite(longer)).toBe('bad-length');
    }
  });

  it('rejects a candidate count of 0 or 5, decoding and encoding', () => {
    const encoded = encodeInvite(invite, fill(64, 5));
    expect(decodeInvite(edit(encoded, 89, 0))).toBe('bad-field');
    const five = encodeInvite({ ...invite, candidates: [lan, lan, lan, lan] }, fill(64, 5));
    const withFifth = new Uint8Array(five.length + 19);
    withFifth.set(five.subarray(0, 90 + 4 * 19));
    withFifth.set(encodeEndpoint(pub), 90 + 4 * 19);
    withFifth.set(five.subarray(90 + 4 * 19), 90 + 5 * 19);
    withFifth[89] = 5;
    expect(decodeInvite(withFifth)).toBe('bad-field');
    expect(() => encodeInvite({ ...invite, candidates: [] }, fill(64, 5))).toThrow(RangeError);
    expect(() => encodeInvite({ ...invite, candidates: [lan, lan, lan, lan, lan] }, fill(64, 5))).toThrow(
      RangeError,
    );
  });

  it('rejects a kind that is neither INVITE nor answer, and a punch key that does not fit the kind', () => {
    const encoded = encodeInvite(invite, fill(64, 5));
    expect(decodeInvite(edit(encoded, 0, 0))).toBe('bad-field');
    expect(decodeInvite(edit(encoded, 0, RouteKind.message))).toBe('bad-field');
    // An INVITE relabelled as an answer still carries a punch key; an answer relabelled as an
    // INVITE carries none.
    expect(decodeInvite(edit(encoded, 0, RouteKind.answer))).toBe('bad-field');
    expect(decodeInvite(edit(encodeInvite(answer, fill(64, 5)), 0, RouteKind.invite))).toBe('bad-field');
    expect(() => encodeInvite({ ...invite, kind: 3 as 1 }, fill(64, 5))).toThrow(RangeError);
    expect(() => encodeInvite({ ...invite, punchKey: new Uint8Array(32) }, fill(64, 5))).toThrow(RangeError);
    expect(() => encodeInvite({ ...answer, punchKey: fill(32, 1) }, fill(64, 5))).toThrow(RangeError);
  });

  const encoded = encodeInvite(invite, fill(64, 5));
  const relayAt = 90 + 2 * 19;
  const noRelay = encodeInvite({ ...invite, relay: null }, fill(64, 5));
  const failures: [string, Uint8Array, string][] = [
    ['a timestamp of 2^53', edit(encoded, 50, 0x20), 'bad-field'],
    ['a candidate with family 0', edit(encoded, 90, 0), 'bad-endpoint'],
    ['a second candidate with port 0', edit(edit(encoded, 90 + 19 + 17, 0), 90 + 19 + 18, 0), 'bad-endpoint'],
    ['a relay with a bad endpoint', edit(encoded, relayAt + 32, 7), 'bad-endpoint'],
    ['no relay ID but a relay endpoint', edit(noRelay, relayAt + 32, 4), 'bad-field'],
  ];
  it.each(failures)('rejects %s', (_name, bytes, reason) => {
    expect(decodeInvite(bytes)).toBe(reason);
  });

  it('refuses to encode out-of-range fields', () => {
    const cases: InviteFields[] = [
      { ...invite, senderId: fill(31, 1) },
      { ...invite, inviteId: fill(17, 1) },
      { ...invite, timestamp: -1 },
      { ...invite, timestamp: 2 ** 53 },
      { ...invite, punchKey: fill(31, 1) },
      { ...invite, candidates: [{ address: 'example.org', port: 1 }] },
      { ...invite, relay: { id: new Uint8Array(32), endpoint: lan } },
      { ...invite, relay: { id: fill(32, 1), endpoint: { address: '::1', port: 0 } } },
    ];
    for (const f of cases) expect(() => encodeInvite(f, fill(64, 5))).toThrow(RangeError);
    expect(() => encodeInvite(invite, fill(63, 5))).toThrow(RangeError);
    expect(() => inviteSignatureMessage(fill(31, 0), inviteSigned(invite))).toThrow(RangeError);
  });

  it('never throws on random or mutated input', () => {
    const valid = [encoded, noRelay, encodeInvite(answer, fill(64, 5))];
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutatedPacket(valid)), (b) => {
        const d = decodeInvite(b);
        expect(typeof d === 'string' || d.signed.length + 64 === b.length).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
