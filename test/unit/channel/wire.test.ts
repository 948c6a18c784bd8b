import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COOKIE_REPLY_BYTES,
  decodeChannelPacket,
  encodeCookieReply,
  encodeInitiation,
  encodeResponse,
  encodeTransportHeader,
  INITIATION_BYTES,
  INITIATION_NOISE_BYTES,
  PacketType,
  RESPONSE_BYTES,
  RESPONSE_NOISE_BYTES,
  TRANSPORT_OVERHEAD,
} from '../../../src/wire/channel.js';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

describe('channel packet codecs', () => {
  it('round-trip every packet type', () => {
    const init = encodeInitiation(0xdeadbeef, fill(16, 1), fill(INITIATION_NOISE_BYTES, 2));
    init.set(fill(16, 3), INITIATION_BYTES - 32);
    init.set(fill(16, 4), INITIATION_BYTES - 16);
    expect(decodeChannelPacket(init)).toMatchObject({
      type: PacketType.initiation,
      senderIndex: 0xdeadbeef,
      hint: fill(16, 1),
      noise: fill(INITIATION_NOISE_BYTES, 2),
      mac1: fill(16, 3),
      mac2: fill(16, 4),
      macInput1: init.subarray(0, INITIATION_BYTES - 32),
      macInput2: init.subarray(0, INITIATION_BYTES - 16),
    });
    const resp = encodeResponse(7, 8, fill(RESPONSE_NOISE_BYTES, 5));
    expect(decodeChannelPacket(resp)).toMatchObject({
      type: PacketType.response,
      senderIndex: 7,
      receiverIndex: 8,
      noise: fill(RESPONSE_NOISE_BYTES, 5),
    });
    const cookie = encodeCookieReply(9, fill(24, 6), fill(32, 7));
    expect(decodeChannelPacket(cookie)).toMatchObject({
      type: PacketType.cookie,
      receiverIndex: 9,
      nonce: fill(24, 6),
    });
    const counter = 2 ** 40 + 12345;
    const transport = new Uint8Array(TRANSPORT_OVERHEAD + 3);
    transport.set(encodeTransportHeader(0x01020304, counter));
    expect(decodeChannelPacket(transport)).toMatchObject({
      type: PacketType.transport,
      receiverIndex: 0x01020304,
      counter,
      header: transport.subarray(0, 14),
      sealed: transport.subarray(14),
    });
  });

  it('drops every truncation and extension of a fixed-size packet as bad-length', () => {
    const packets = [
      encodeInitiation(1, fill(16, 0), fill(INITIATION_NOISE_BYTES, 0)),
      encodeResponse(1, 2, fill(RESPONSE_NOISE_BYTES, 0)),
      encodeCookieReply(1, fill(24, 0), fill(32, 0)),
    ];
    expect(packets.map((p) => p.length)).toEqual([INITIATION_BYTES, RESPONSE_BYTES, COOKIE_REPLY_BYTES]);
    for (const p of packets) {
      for (let len = 2; len < p.length; len++)
        expect(decodeChannelPacket(p.subarray(0, len))).toBe('bad-length');
      const longer = new Uint8Array(p.length + 1);
      longer.set(p);
      expect(decodeChannelPacket(longer)).toBe('bad-length');
    }
    const transport = encodeTransportHeader(1, 1);
    for (let len = 2; len < TRANSPORT_OVERHEAD; len++) {
      const t = new Uint8Array(len);
      t.set(transport.subarray(0, Math.min(len, 14)));
      expect(decodeChannelPacket(t)).toBe('bad-length');
    }
  });

  const failures: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'empty'],
    ['one byte', Uint8Array.of(0x23), 'empty'],
    ['type below the channel range', Uint8Array.of(0x1f, 1, 0, 0), 'unknown-type'],
    ['type above the channel range', Uint8Array.of(0x24, 1, 0, 0), 'unknown-type'],
    ['version 0', Uint8Array.of(0x23, 0, ...new Uint8Array(40)), 'bad-version'],
    ['version 2', Uint8Array.of(0x20, 2, ...new Uint8Array(100)), 'bad-version'],
    [
      'counter at 2^53',
      (() => {
        const p = new Uint8Array(TRANSPORT_OVERHEAD);
        p.set([0x23, 1, 0, 0, 0, 1, 0, 0x20, 0, 0, 0, 0, 0, 0]);
        return p;
      })(),
      'counter-too-large',
    ],
  ];
  it.each(failures)('drops %s as %s', (_name, packet, reason) => {
    expect(decodeChannelPacket(packet)).toBe(reason);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1300 }), (bytes) => {
        const r = decodeChannelPacket(bytes);
        expect(typeof r === 'string' || typeof r === 'object').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
