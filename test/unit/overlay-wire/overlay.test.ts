import { isIPv4, SocketAddress } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mac16 } from '../../../src/channel/mac.js';
import { equalBytes, toHex } from '../../../src/crypto/bytes.js';
import type { Endpoint } from '../../../src/net/transport.js';
import {
  decodeEndpoint,
  decodeLinkedBody,
  decodeLinkedFrame,
  decodeUnlinked,
  encodeEndpoint,
  encodeHello,
  encodeHelloAck,
  encodeLinked,
  encodePunch,
  ENDPOINT_BYTES,
  FIND_REPLY_MAX,
  HELLO_ACK_BYTES,
  HELLO_ACK_SIGNATURE_CONTEXT,
  HELLO_BYTES,
  HELLO_SIGNATURE_CONTEXT,
  type HelloAckFields,
  type HelloFields,
  helloAckSigned,
  helloSigned,
  isOverlayPacket,
  LINK_HEADER_BYTES,
  LINK_MAC_BYTES,
  type LinkedMessage,
  OverlayType,
  PUNCH_BYTES,
  PunchFlag,
  RELAY_PAYLOAD_MAX,
  ROUTE_BODY_MAX,
  RouteKind,
} from '../../../src/wire/overlay.js';
import { mutatedPacket } from '../../helpers/mutate.js';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const key = fill(32, 9);
const macFn = (input: Uint8Array) => mac16(key, input);
const macOk = (packet: Uint8Array) => {
  const f = decodeLinkedFrame(packet);
  return typeof f === 'object' && equalBytes(mac16(key, f.macInput), f.mac);
};
/** Decoded values compared by content, independent of key order: byte arrays as hex. */
const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x instanceof Uint8Array
      ? toHex(x)
      : x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
        : x,
  );

const v4: Endpoint = { address: '192.0.2.7', port: 4801 };
const v6: Endpoint = { address: '2001:db8::7', port: 65535 };

const helloFields: HelloFields = {
  senderId: fill(32, 1),
  ephemeral: fill(32, 2),
  timestamp: 1_700_000_000_123,
  powNonce: fill(8, 3),
  difficulty: 14,
  flags: 3,
  linkIndex: 0xdeadbeef,
};
const ackFields: HelloAckFields = {
  responderId: fill(32, 4),
  ephemeral: fill(32, 5),
  helloHash: fill(32, 6),
  observed: v6,
  linkIndex: 7,
  minDifficulty: 16,
  flags: 2,
};
const hello = encodeHello(helloFields, fill(64, 7));
const helloAck = encodeHelloAck(ackFields, fill(64, 8));
const punch = encodePunch(fill(16, 9), PunchFlag.caller, fill(8, 10), (t) => mac16(key, t));

const messages: LinkedMessage[] = [
  { type: OverlayType.ping, timestamp: 2 ** 53 - 1, flags: 7, observed: v6 },
  { type: OverlayType.pong, timestamp: 5, observed: v4, flags: 4 },
  { type: OverlayType.find, requestId: 0xffffffff, target: fill(32, 11) },
  { type: OverlayType.findReply, requestId: 1, nodes: [] },
  {
    type: OverlayType.findReply,
    requestId: 2,
    nodes: Array.from({ length: FIND_REPLY_MAX }, (_, i) => ({
      id: fill(32, i),
      endpoint: i % 2 ? v4 : v6,
    })),
  },
  {
    type: OverlayType.route,
    messageId: fill(8, 12),
    ttl: 32,
    kind: RouteKind.invite,
    destination: fill(32, 13),
    body: fill(ROUTE_BODY_MAX, 14),
  },
  { type: OverlayType.hopAck, messageId: fill(8, 15) },
  { type: OverlayType.relay, destination: fill(32, 16), payload: fill(RELAY_PAYLOAD_MAX, 17) },
  { type: OverlayType.relayed, source: fill(32, 18), payload: fill(1, 19) },
  { type: OverlayType.bye, reason: 255 },
];
const linked = messages.map((m, i) => encodeLinked(m, i, 1000 + i, macFn));

// ---- Arbitraries

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u8 = fc.integer({ min: 0, max: 0xff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const timestamp = fc.maxSafeNat();

/** What the OS would report for an address (node:net's SocketAddress uses the same inet_ntop). */
function canonical(address: string): string {
  if (isIPv4(address)) return address;
  const text = new SocketAddress({ address, family: 'ipv6' }).address;
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/.test(text) ? text.slice(7) : text;
}

const endpoint: fc.Arbitrary<Endpoint> = fc
  .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }))
  .map(([address, port]) => ({ address: canonical(address), port }));

const linkedMessage: fc.Arbitrary<LinkedMessage> = fc.oneof(
  fc
    .tuple(timestamp, u8, endpoint)
    .map(([t, f, e]) => ({ type: OverlayType.ping, timestamp: t, flags: f, observed: e })),
  fc
    .tuple(timestamp, endpoint, u8)
    .map(([t, e, f]) => ({ type: OverlayType.pong, timestamp: t, observed: e, flags: f })),
  fc.tuple(u32, bytes(32)).map(([r, t]) => ({ type: OverlayType.find, requestId: r, target: t })),
  fc
    .tuple(u32, fc.array(fc.record({ id: bytes(32), endpoint }), { maxLength: FIND_REPLY_MAX }))
    .map(([r, nodes]) => ({ type: OverlayType.findReply, requestId: r, nodes })),
  fc
    .tuple(
      bytes(8),
      fc.integer({ min: 1, max: 32 }),
      fc.integer({ min: 1, max: 3 }),
      bytes(32),
      fc.uint8Array({ minLength: 1, maxLength: ROUTE_BODY_MAX }),
    )
    .map(([messageId, ttl, kind, destination, body]) => ({
      type: OverlayType.route,
      messageId,
      ttl,
      kind,
      destination,
      body,
    })),
  bytes(8).map((id) => ({ type: OverlayType.hopAck, messageId: id })),
  fc
    .tuple(bytes(32), fc.uint8Array({ minLength: 1, maxLength: RELAY_PAYLOAD_MAX }))
    .map(([d, p]) => ({ type: OverlayType.relay, destination: d, payload: p })),
  fc
    .tuple(bytes(32), fc.uint8Array({ minLength: 1, maxLength: RELAY_PAYLOAD_MAX }))
    .map(([s, p]) => ({ type: OverlayType.relayed, source: s, payload: p })),
  u8.map((r) => ({ type: OverlayType.bye, reason: r })),
);

describe('overlay packet round trips', () => {
  it('HELLO', () => {
    const arb = fc.record({
      senderId: bytes(32),
      ephemeral: bytes(32),
      timestamp,
      powNonce: bytes(8),
      difficulty: u8,
      flags: u8,
      linkIndex: u32,
    });
    fc.assert(
      fc.property(arb, bytes(64), (f, signature) => {
        const packet = encodeHello(f, signature);
        expect(packet.length).toBe(HELLO_BYTES);
        const signed = helloSigned(f);
        expect(signed.length).toBe(88);
        expect(decodeUnlinked(packet)).toEqual({ type: OverlayType.hello, ...f, signature, signed });
      }),
      { numRuns: 300 },
    );
  });

  it('HELLO_ACK', () => {
    const arb = fc.record({
      responderId: bytes(32),
      ephemeral: bytes(32),
      helloHash: bytes(32),
      observed: endpoint,
      linkIndex: u32,
      minDifficulty: u8,
      flags: u8,
    });
    fc.assert(
      fc.property(arb, bytes(64), (f, signature) => {
        const packet = encodeHelloAck(f, signature);
        expect(packet.length).toBe(HELLO_ACK_BYTES);
        const signed = helloAckSigned(f);
        expect(signed.length).toBe(123);
        expect(decodeUnlinked(packet)).toEqual({ type: OverlayType.helloAck, ...f, signature, signed });
      }),
      { numRuns: 300 },
    );
  });

  it('PUNCH, with the tag computed over bytes 0..27', () => {
    fc.assert(
      fc.property(bytes(16), u8, bytes(8), bytes(32), (inviteId, flags, nonce, punchKey) => {
        let tagged: Uint8Array | undefined;
        const packet = encodePunch(inviteId, flags, nonce, (t) => {
          tagged = t.slice();
          return mac16(punchKey, t);
        });
        expect(packet.length).toBe(PUNCH_BYTES);
        const decoded = decodeUnlinked(packet);
        expect(decoded).toEqual({
          type: OverlayType.punch,
          inviteId,
          flags,
          nonce,
          tag: mac16(punchKey, packet.subarray(0, 27)),
          tagged,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('every linked message, with header fields and a MAC that verifies', () => {
    fc.assert(
      fc.property(linkedMessage, u32, u32, (m, receiverIndex, counter) => {
        const packet = encodeLinked(m, receiverIndex, counter, macFn);
        expect(packet.length).toBeLessThanOrEqual(1200);
        const frame = decodeLinkedFrame(packet);
        if (typeof frame === 'string') throw new Error(frame);
        expect(frame).toMatchObject({ type: m.type, receiverIndex, counter });
        expect(frame.body.length).toBe(packet.length - LINK_HEADER_BYTES - LINK_MAC_BYTES);
        expect(frame.mac).toEqual(mac16(key, frame.macInput));
        expect(decodeLinkedBody(frame.type, frame.body)).toEqual(m);
      }),
      { numRuns: 1000 },
    );
  });

  it('the fixed examples, at the extremes of each field', () => {
    messages.forEach((m, i) => {
      const frame = decodeLinkedFrame(linked[i] as Uint8Array);
      if (typeof frame === 'string') throw new Error(frame);
      expect([frame.receiverIndex, frame.counter]).toEqual([i, 1000 + i]);
      expect(decodeLinkedBody(frame.type, frame.body)).toEqual(m);
    });
    // ROUTE with the largest body and RELAY with the largest payload still fit one packet.
    expect(linked.map((p) => p.length)).toEqual([54, 54, 62, 31, 439, 968, 34, 1158, 59, 27]);
  });

  it('decoders return views into the packet, not copies', () => {
    const d = decodeUnlinked(hello);
    if (typeof d === 'string' || d.type !== OverlayType.hello) throw new Error(String(d));
    expect(d.senderId.buffer).toBe(hello.buffer);
    const f = decodeLinkedFrame(linked[2] as Uint8Array);
    if (typeof f === 'string') throw new Error(f);
    expect(f.body.buffer).toBe((linked[2] as Uint8Array).buffer);
  });

  it('the signature contexts are the spec strings', () => {
    expect(Buffer.from(HELLO_SIGNATURE_CONTEXT).toString()).toBe('kith hello v1\0');
    expect(Buffer.from(HELLO_ACK_SIGNATURE_CONTEXT).toString()).toBe('kith hello-ack v1\0');
  });

  it('classifies the overlay type range', () => {
    expect(isOverlayPacket(hello)).toBe(true);
    expect(isOverlayPacket(Uint8Array.of(0x1f))).toBe(true);
    expect(isOverlayPacket(Uint8Array.of(0x00))).toBe(false);
    expect(isOverlayPacket(Uint8Array.of(0x20))).toBe(false);
    expect(isOverlayPacket(new Uint8Array(0))).toBe(false);
  });
});

describe('truncation and extension', () => {
  it('drops every truncation and a one-byte extension of an unlinked packet', () => {
    for (const p of [hello, helloAck, punch]) {
      for (let len = 0; len < p.length; len++)
        expect(decodeUnlinked(p.subarray(0, len))).toBe(len < 2 ? 'empty' : 'bad-length');
      const longer = new Uint8Array(p.length + 1);
      longer.set(p);
      expect(decodeUnlinked(longer)).toBe('bad-length');
    }
  });

  it('a truncated or extended linked packet never passes its MAC', () => {
    for (const p of linked) {
      for (let len = 0; len < p.length; len++) {
        const f = decodeLinkedFrame(p.subarray(0, len));
        if (len < 2) expect(f).toBe('empty');
        else if (len < LINK_HEADER_BYTES + LINK_MAC_BYTES) expect(f).toBe('bad-length');
        else expect(macOk(p.subarray(0, len))).toBe(false);
      }
      const longer = new Uint8Array(p.length + 1);
      longer.set(p);
      expect(macOk(longer)).toBe(false);
    }
  });

  it('drops every truncation and extension of a fixed-size or counted body', () => {
    for (const m of messages) {
      if (m.type === OverlayType.route || m.type === OverlayType.relay || m.type === OverlayType.relayed)
        continue;
      const f = decodeLinkedFrame(encodeLinked(m, 0, 0, macFn));
      if (typeof f === 'string') throw new Error(f);
      for (let len = 0; len < f.body.length; len++)
        expect(decodeLinkedBody(m.type, f.body.subarray(0, len))).toBe('bad-length');
      const longer = new Uint8Array(f.body.length + 1);
      longer.set(f.body);
      expect(decodeLinkedBody(m.type, longer)).toBe('bad-length');
    }
  });

  it('bounds the variable bodies: ROUTE 1..900, RELAY and RELAYED 1..1100', () => {
    const route = new Uint8Array(42 + ROUTE_BODY_MAX + 1).fill(1);
    expect(decodeLinkedBody(OverlayType.route, route.subarray(0, 42))).toBe('bad-length');
    expect(decodeLinkedBody(OverlayType.route, route.subarray(0, 43))).toMatchObject({ body: fill(1, 1) });
    expect(decodeLinkedBody(OverlayType.route, route.subarray(0, 42 + ROUTE_BODY_MAX))).toMatchObject({
      type: OverlayType.route,
    });
    expect(decodeLinkedBody(OverlayType.route, route)).toBe('bad-length');
    for (const type of [OverlayType.relay, OverlayType.relayed]) {
      const body = new Uint8Array(32 + RELAY_PAYLOAD_MAX + 1);
      expect(decodeLinkedBody(type, body.subarray(0, 32))).toBe('bad-length');
      expect(decodeLinkedBody(type, body.subarray(0, 33))).toMatchObject({ payload: fill(1, 0) });
      expect(decodeLinkedBody(type, body.subarray(0, 32 + RELAY_PAYLOAD_MAX))).toMatchObject({ type });
      expect(decodeLinkedBody(type, body)).toBe('bad-length');
    }
  });

  it('drops a linked frame over 1200 bytes', () => {
    const big = new Uint8Array(1201);
    big.set([OverlayType.relay, 1]);
    expect(decodeLinkedFrame(big)).toBe('bad-length');
    expect(decodeLinkedFrame(big.subarray(0, 1200))).toMatchObject({ type: OverlayType.relay });
  });
});

describe('bit flips', () => {
  const unlinkedTypes = new Set<number>([OverlayType.hello, OverlayType.helloAck, OverlayType.punch]);
  const flip = (p: Uint8Array, bit: number) => {
    const m = p.slice();
    m[bit >> 3] = (m[bit >> 3] as number) ^ (1 << (bit & 7));
    return m;
  };

  it('a flipped type or version bit of an unlinked packet gives the matching failure', () => {
    for (const p of [hello, helloAck, punch]) {
      for (let bit = 0; bit < 8; bit++) {
        const t = flip(p, bit);
        // Another unlinked type is known, but its length is wrong: all three sizes differ.
        expect(decodeUnlinked(t)).toBe(unlinkedTypes.has(t[0] as number) ? 'bad-length' : 'unknown-type');
        expect(decodeUnlinked(flip(p, 8 + bit))).toBe('bad-version');
      }
    }
  });

  it('a flip anywhere else in an unlinked packet changes the fields or fails', () => {
    for (const p of [hello, helloAck, punch]) {
      const original = show(decodeUnlinked(p));
      for (let bit = 16; bit < p.length * 8; bit++) {
        const d = decodeUnlinked(flip(p, bit));
        if (typeof d !== 'string') expect(show(d)).not.toBe(original);
      }
    }
  });

  it('a flip of the type or version bit of a linked frame gives the matching failure', () => {
    const linkedTypes = new Set<number>(messages.map((m) => m.type));
    for (const p of linked) {
      for (let bit = 0; bit < 8; bit++) {
        const t = flip(p, bit);
        if (linkedTypes.has(t[0] as number)) expect(macOk(t)).toBe(false);
        else expect(decodeLinkedFrame(t)).toBe('unknown-type');
        expect(decodeLinkedFrame(flip(p, 8 + bit))).toBe('bad-version');
      }
    }
  });

  it('a flip of any bit of a linked packet makes the MAC check fail', () => {
    for (const p of linked) {
      expect(macOk(p)).toBe(true);
      for (let bit = 0; bit < p.length * 8; bit++) expect(macOk(flip(p, bit))).toBe(false);
    }
  });

  it('a flip in a linked body changes the fields or fails', () => {
    for (const m of messages) {
      const f = decodeLinkedFrame(encodeLinked(m, 0, 0, macFn));
      if (typeof f === 'string') throw new Error(f);
      const original = show(m);
      for (let bit = 0; bit < f.body.length * 8; bit++) {
        const d = decodeLinkedBody(m.type, flip(f.body, bit));
        if (typeof d !== 'string') expect(show(d)).not.toBe(original);
      }
    }
  });
});

describe('endpoints', () => {
  it('round-trip IPv4 and IPv6 addresses in canonical text form', () => {
    fc.assert(
      fc.property(endpoint, (e) => {
        const bytes = encodeEndpoint(e);
        expect(bytes.length).toBe(ENDPOINT_BYTES);
        expect(bytes[0]).toBe(e.address.includes(':') ? 6 : 4);
        expect(decodeEndpoint(bytes, 0)).toEqual(e);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives every IPv6 address the text node:net gives it', () => {
    fc.assert(
      fc.property(bytes(16), fc.integer({ min: 1, max: 65535 }), (address, port) => {
        const wire = new Uint8Array(ENDPOINT_BYTES);
        wire[0] = 6;
        wire.set(address, 1);
        wire[17] = port >> 8;
        wire[18] = port & 0xff;
        const groups = Array.from({ length: 8 }, (_, i) => toHex(address.subarray(2 * i, 2 * i + 2)));
        const expected = new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
        const mapped = groups.slice(0, 5).every((g) => g === '0000') && groups[5] === 'ffff';
        expect(decodeEndpoint(wire, 0)).toEqual(mapped ? null : { address: expected, port });
      }),
      { numRuns: 2000 },
    );
    // Zero runs are what makes the formatting subtle; random bytes rarely have them.
    const cases: [string, string][] = [
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['0:0:0:0:0:0:0:2', '::2'],
      ['0:0:0:0:0:0:102:304', '::1.2.3.4'],
      ['0:0:0:0:0:0:102:0', '::1.2.0.0'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:0:2:3:0:0:4', '1::2:3:0:0:4'],
      ['1:2:0:0:3:0:0:0', '1:2:0:0:3::'],
      ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['0:0:0:0:ffff:0:102:304', '::ffff:0:102:304'],
    ];
    for (const [input, text] of cases) {
      expect(new SocketAddress({ address: input, family: 'ipv6' }).address).toBe(text);
      expect(decodeEndpoint(encodeEndpoint({ address: input, port: 1 }), 0)).toEqual({
        address: text,
        port: 1,
      });
    }
  });

  it('writes an IPv4-mapped IPv6 address as IPv4', () => {
    const bytes = encodeEndpoint({ address: '::ffff:198.51.100.9', port: 9 });
    expect(bytes).toEqual(encodeEndpoint({ address: '198.51.100.9', port: 9 }));
    expect(bytes[0]).toBe(4);
  });

  it('lays out family, zero-padded address and port as the spec says', () => {
    expect(toHex(encodeEndpoint(v4))).toBe('04c0000207' + '00'.repeat(12) + '12c1');
    expect(toHex(encodeEndpoint({ address: '::1', port: 1 }))).toBe('06' + '00'.repeat(15) + '01' + '0001');
  });

  const good = encodeEndpoint(v4);
  const edit = (from: Uint8Array, at: number, value: number) => {
    const b = from.slice();
    b[at] = value;
    return b;
  };
  const badEndpoints: [string, Uint8Array][] = [
    ['family 0', edit(good, 0, 0)],
    ['family 5', edit(good, 0, 5)],
    ['family 255', edit(good, 0, 255)],
    ['port 0', edit(edit(good, 17, 0), 18, 0)],
    ['port 0 on IPv6', edit(edit(encodeEndpoint(v6), 17, 0), 18, 0)],
    [
      'an IPv4-mapped address as IPv6',
      (() => {
        const b = new Uint8Array(ENDPOINT_BYTES);
        b.set([6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4, 0, 80]);
        return b;
      })(),
    ],
    ...Array.from({ length: 12 }, (_, i): [string, Uint8Array] => [
      `IPv4 padding byte ${i}`,
      edit(good, 5 + i, 1),
    ]),
  ];
  it.each(badEndpoints)('rejects %s', (_name, bytes) => {
    expect(decodeEndpoint(bytes, 0)).toBeNull();
  });

  it('rejects a position that does not leave 19 bytes', () => {
    const two = new Uint8Array(40);
    two.set(good, 21);
    expect(decodeEndpoint(two, 21)).toEqual(v4);
    expect(decodeEndpoint(two, 22)).toBeNull();
    expect(decodeEndpoint(two, -1)).toBeNull();
    expect(decodeEndpoint(good.subarray(0, 18), 0)).toBeNull();
  });

  const unencodable: [string, Endpoint][] = [
    ['a name', { address: 'localhost', port: 1 }],
    ['an empty address', { address: '', port: 1 }],
    ['a short IPv4 address', { address: '1.2.3', port: 1 }],
    ['an IPv4 octet over 255', { address: '1.2.3.256', port: 1 }],
    ['a scoped IPv6 address', { address: 'fe80::1%eth0', port: 1 }],
    ['a bracketed IPv6 address', { address: '[::1]', port: 1 }],
    ['port 0', { address: '1.2.3.4', port: 0 }],
    ['port 65536', { address: '1.2.3.4', port: 65536 }],
    ['a fractional port', { address: '1.2.3.4', port: 1.5 }],
  ];
  it.each(unencodable)('refuses to encode %s', (_name, e) => {
    expect(() => encodeEndpoint(e)).toThrow(RangeError);
  });
});

describe('encoders reject out-of-range fields', () => {
  const tag = () => fill(16, 0);
  const link =
    (m: unknown, receiverIndex = 0, counter = 0, mac: (i: Uint8Array) => Uint8Array = macFn) =>
    () =>
      encodeLinked(m as LinkedMessage, receiverIndex, counter, mac);
  const cases: [string, () => unknown][] = [
    [
      'HELLO sender ID of 31 bytes',
      () => encodeHello({ ...helloFields, senderId: fill(31, 0) }, fill(64, 0)),
    ],
    [
      'HELLO ephemeral of 33 bytes',
      () => encodeHello({ ...helloFields, ephemeral: fill(33, 0) }, fill(64, 0)),
    ],
    ['HELLO negative timestamp', () => encodeHello({ ...helloFields, timestamp: -1 }, fill(64, 0))],
    ['HELLO timestamp 2^53', () => encodeHello({ ...helloFields, timestamp: 2 ** 53 }, fill(64, 0))],
    ['HELLO fractional timestamp', () => encodeHello({ ...helloFields, timestamp: 1.5 }, fill(64, 0))],
    ['HELLO nonce of 7 bytes', () => encodeHello({ ...helloFields, powNonce: fill(7, 0) }, fill(64, 0))],
    ['HELLO difficulty 256', () => encodeHello({ ...helloFields, difficulty: 256 }, fill(64, 0))],
    ['HELLO flags -1', () => encodeHello({ ...helloFields, flags: -1 }, fill(64, 0))],
    ['HELLO link index 2^32', () => encodeHello({ ...helloFields, linkIndex: 2 ** 32 }, fill(64, 0))],
    ['HELLO signature of 63 bytes', () => encodeHello(helloFields, fill(63, 0))],
    [
      'HELLO_ACK hash of 31 bytes',
      () => encodeHelloAck({ ...ackFields, helloHash: fill(31, 0) }, fill(64, 0)),
    ],
    [
      'HELLO_ACK bad observed',
      () => encodeHelloAck({ ...ackFields, observed: { address: 'x', port: 1 } }, fill(64, 0)),
    ],
    ['HELLO_ACK min difficulty 300', () => encodeHelloAck({ ...ackFields, minDifficulty: 300 }, fill(64, 0))],
    [
      'HELLO_ACK responder of 0 bytes',
      () => encodeHelloAck({ ...ackFields, responderId: fill(0, 0) }, fill(64, 0)),
    ],
    ['PUNCH invite ID of 15 bytes', () => encodePunch(fill(15, 0), 0, fill(8, 0), tag)],
    ['PUNCH flags 256', () => encodePunch(fill(16, 0), 256, fill(8, 0), tag)],
    ['PUNCH nonce of 9 bytes', () => encodePunch(fill(16, 0), 0, fill(9, 0), tag)],
    ['PUNCH tag of 32 bytes', () => encodePunch(fill(16, 0), 0, fill(8, 0), () => fill(32, 0))],
    ['receiver index -1', link(messages[0], -1)],
    ['counter 2^32', link(messages[0], 0, 2 ** 32)],
    ['a MAC of 32 bytes', link(messages[0], 0, 0, () => fill(32, 0))],
    ['PING timestamp 2^53', link({ type: OverlayType.ping, timestamp: 2 ** 53, flags: 0, observed: v4 })],
    [
      'PONG bad endpoint',
      link({ type: OverlayType.pong, timestamp: 1, observed: { address: '::1', port: 0 } }),
    ],
    ['FIND request ID 2^32', link({ type: OverlayType.find, requestId: 2 ** 32, target: fill(32, 0) })],
    ['FIND target of 31 bytes', link({ type: OverlayType.find, requestId: 1, target: fill(31, 0) })],
    [
      'FIND_REPLY with 9 nodes',
      link({
        type: OverlayType.findReply,
        requestId: 1,
        nodes: Array.from({ length: 9 }, () => ({ id: fill(32, 0), endpoint: v4 })),
      }),
    ],
    [
      'FIND_REPLY node ID of 31 bytes',
      link({ type: OverlayType.findReply, requestId: 1, nodes: [{ id: fill(31, 0), endpoint: v4 }] }),
    ],
    ...(
      [
        ['ROUTE TTL 0', { ttl: 0 }],
        ['ROUTE TTL 33', { ttl: 33 }],
        ['ROUTE kind 0', { kind: 0 }],
        ['ROUTE kind 4', { kind: 4 }],
        ['ROUTE empty body', { body: fill(0, 0) }],
        ['ROUTE body of 901 bytes', { body: fill(901, 0) }],
        ['ROUTE message ID of 7 bytes', { messageId: fill(7, 0) }],
        ['ROUTE destination of 33 bytes', { destination: fill(33, 0) }],
      ] as [string, object][]
    ).map(([name, change]): [string, () => unknown] => [name, link({ ...messages[5], ...change })]),
    ['HOP_ACK message ID of 9 bytes', link({ type: OverlayType.hopAck, messageId: fill(9, 0) })],
    ['RELAY empty payload', link({ type: OverlayType.relay, destination: fill(32, 0), payload: fill(0, 0) })],
    [
      'RELAY payload of 1101 bytes',
      link({ type: OverlayType.relay, destination: fill(32, 0), payload: fill(1101, 0) }),
    ],
    [
      'RELAYED source of 31 bytes',
      link({ type: OverlayType.relayed, source: fill(31, 0), payload: fill(1, 0) }),
    ],
    ['BYE reason 256', link({ type: OverlayType.bye, reason: 256 })],
    ['an unlinked type', link({ type: OverlayType.hello })],
  ];
  it.each(cases)('%s', (_name, encode) => {
    expect(encode).toThrow(RangeError);
  });
});

describe('every decode failure', () => {
  const withByte = (p: Uint8Array, at: number, value: number) => {
    const m = p.slice();
    m[at] = value;
    return m;
  };
  const unlinkedCases: [string, Uint8Array, string][] = [
    ['no bytes', new Uint8Array(0), 'empty'],
    ['one byte', Uint8Array.of(0x01), 'empty'],
    ['type 0', withByte(hello, 0, 0), 'unknown-type'],
    ['a linked type', withByte(hello, 0, OverlayType.ping), 'unknown-type'],
    ['a channel type', withByte(hello, 0, 0x20), 'unknown-type'],
    ['version 0', withByte(hello, 1, 0), 'bad-version'],
    ['version 2', withByte(punch, 1, 2), 'bad-version'],
    ['HELLO of 151 bytes', hello.subarray(0, 151), 'bad-length'],
    ['HELLO_ACK of a HELLO length', withByte(hello, 0, OverlayType.helloAck), 'bad-length'],
    ['HELLO timestamp of 2^53', withByte(hello, 67, 0x20), 'bad-field'],
    ['HELLO_ACK observed family 5', withByte(helloAck, 98, 5), 'bad-endpoint'],
  ];
  it.each(unlinkedCases)('decodeUnlinked: %s is %s', (_name, packet, reason) => {
    expect(decodeUnlinked(packet)).toBe(reason);
  });

  const frameCases: [string, Uint8Array, string][] = [
    ['no bytes', new Uint8Array(0), 'empty'],
    ['one byte', Uint8Array.of(0x03), 'empty'],
    ['HELLO', hello, 'unknown-type'],
    ['PUNCH', punch, 'unknown-type'],
    ['type 0x0d', withByte(linked[0] as Uint8Array, 0, 0x0d), 'unknown-type'],
    ['a channel type', withByte(linked[0] as Uint8Array, 0, 0x23), 'unknown-type'],
    ['version 2', withByte(linked[0] as Uint8Array, 1, 2), 'bad-version'],
    ['25 bytes', (linked[0] as Uint8Array).subarray(0, 25), 'bad-length'],
    ['1201 bytes', Uint8Array.from({ length: 1201 }, (_, i) => (i === 0 ? 0x0a : 1)), 'bad-length'],
  ];
  it.each(frameCases)('decodeLinkedFrame: %s is %s', (_name, packet, reason) => {
    expect(decodeLinkedFrame(packet)).toBe(reason);
  });

  const body = (i: number) => {
    const f = decodeLinkedFrame(linked[i] as Uint8Array);
    if (typeof f === 'string') throw new Error(f);
    return f.body.slice();
  };
  const bodyCases: [string, number, Uint8Array, string][] = [
    ['HELLO type', OverlayType.hello, body(0), 'unknown-type'],
    ['PUNCH type', OverlayType.punch, body(0), 'unknown-type'],
    ['type 0x0d', 0x0d, body(0), 'unknown-type'],
    ['PING of 27 bytes', OverlayType.ping, new Uint8Array(27), 'bad-length'],
    ['PING timestamp of 2^53', OverlayType.ping, withByte(new Uint8Array(28), 1, 0x20), 'bad-field'],
    ['PING timestamp of 2^64-1', OverlayType.ping, fill(28, 0xff), 'bad-field'],
    ['PONG timestamp of 2^53', OverlayType.pong, withByte(body(1), 1, 0x20), 'bad-field'],
    ['PONG endpoint port 0', OverlayType.pong, withByte(withByte(body(1), 25, 0), 26, 0), 'bad-endpoint'],
    ['FIND of 35 bytes', OverlayType.find, new Uint8Array(35), 'bad-length'],
    ['FIND_REPLY of 4 bytes', OverlayType.findReply, new Uint8Array(4), 'bad-length'],
    ['FIND_REPLY count 9', OverlayType.findReply, withByte(new Uint8Array(5 + 9 * 51), 4, 9), 'bad-field'],
    ['FIND_REPLY count 255', OverlayType.findReply, withByte(new Uint8Array(5), 4, 255), 'bad-field'],
    [
      'FIND_REPLY count 1 without its node',
      OverlayType.findReply,
      withByte(new Uint8Array(5), 4, 1),
      'bad-length',
    ],
    ['FIND_REPLY node with family 0', OverlayType.findReply, withByte(body(4), 5 + 32, 0), 'bad-endpoint'],
    ['ROUTE with no body', OverlayType.route, body(5).subarray(0, 42), 'bad-length'],
    ['ROUTE TTL 0', OverlayType.route, withByte(body(5), 8, 0), 'bad-field'],
    ['ROUTE TTL 33', OverlayType.route, withByte(body(5), 8, 33), 'bad-field'],
    ['ROUTE kind 0', OverlayType.route, withByte(body(5), 9, 0), 'bad-field'],
    ['ROUTE kind 4', OverlayType.route, withByte(body(5), 9, 4), 'bad-field'],
    ['HOP_ACK of 7 bytes', OverlayType.hopAck, new Uint8Array(7), 'bad-length'],
    ['RELAY with no payload', OverlayType.relay, new Uint8Array(32), 'bad-length'],
    ['RELAYED with 1101 bytes of payload', OverlayType.relayed, new Uint8Array(32 + 1101), 'bad-length'],
    ['BYE of 0 bytes', OverlayType.bye, new Uint8Array(0), 'bad-length'],
    ['BYE of 2 bytes', OverlayType.bye, new Uint8Array(2), 'bad-length'],
  ];
  it.each(bodyCases)('decodeLinkedBody: %s is %s', (_name, type, bytes, reason) => {
    expect(decodeLinkedBody(type, bytes)).toBe(reason);
  });
});

describe('decoders never throw', () => {
  const valid = [hello, helloAck, punch, ...linked];
  const decodeAll = (p: Uint8Array) => {
    const results: unknown[] = [decodeUnlinked(p), decodeLinkedFrame(p), decodeEndpoint(p, 0)];
    for (let type = 0; type <= 0x0d; type++) results.push(decodeLinkedBody(type, p));
    const f = decodeLinkedFrame(p);
    if (typeof f === 'object') results.push(decodeLinkedBody(f.type, f.body));
    return results;
  };

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1300 }), (p) => {
        expect(decodeAll(p)).toHaveLength(17 + (typeof decodeLinkedFrame(p) === 'object' ? 1 : 0));
      }),
      { numRuns: 2500 },
    );
  });

  it('on mutated valid packets, which a forged MAC would let through to the body decoder', () => {
    fc.assert(
      fc.property(mutatedPacket(valid), (p) => {
        const f = decodeLinkedFrame(p);
        if (typeof f === 'object') {
          const d = decodeLinkedBody(f.type, f.body);
          expect(typeof d === 'string' || d.type === f.type).toBe(true);
        }
        const u = decodeUnlinked(p);
        expect(typeof u === 'string' || u.type === p[0]).toBe(true);
      }),
      { numRuns: 2500 },
    );
  });
});
