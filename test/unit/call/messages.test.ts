// The call signalling codec (call/messages.ts), the codec parameters it carries (call/params.ts)
// and the mapping between end messages and end reasons (call/end-messages.ts): exact bytes, round
// trips, every malformation with its reason, and a decoder that never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endMessageFor, incompatibleMessage, reasonOf } from '../../../src/call/end-messages.js';
import {
  type CallMessage,
  type CallMessageError,
  decodeCallMessage,
  encodeCallMessage,
  HANGUP_REASONS,
  isEndMessage,
  REJECT_REASONS,
} from '../../../src/call/messages.js';
import {
  chooseParams,
  fitsOffer,
  type MediaParams,
  type OfferParams,
  offerProblem,
  SAMPLE_RATES,
} from '../../../src/call/params.js';
import { END_REASONS } from '../../../src/store/call-record.js';
import { mutatedPacket } from '../../helpers/mutate.js';

const ID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const OFFER: OfferParams = { sampleRates: [16_000, 48_000], frameMs: 20, maxBitrate: 32_000, redundancy: 2 };
const CHOSEN: MediaParams = { sampleRate: 16_000, frameMs: 20, maxBitrate: 24_000, redundancy: 1 };

const EXAMPLES: CallMessage[] = [
  { type: 'offer', callId: ID, params: OFFER },
  { type: 'ring', callId: ID },
  { type: 'accept', callId: ID, params: CHOSEN },
  ...REJECT_REASONS.map((reason) => ({ type: 'reject' as const, callId: ID, reason })),
  { type: 'busy', callId: ID },
  ...HANGUP_REASONS.map((reason) => ({ type: 'hangup' as const, callId: ID, reason })),
  { type: 'end-ack', callId: ID },
  { type: 'keepalive', callId: ID },
];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const ID_HEX = hex(ID);

function decoded(bytes: Uint8Array): CallMessage {
  const result = decodeCallMessage(bytes);
  if (!result.ok) throw new Error(`did not decode: ${result.reason}`);
  return result.message;
}

function rejected(bytes: Uint8Array): CallMessageError | 'decoded' {
  const result = decodeCallMessage(bytes);
  return result.ok ? 'decoded' : result.reason;
}

/** A valid message with byte `at` replaced. */
function patched(message: CallMessage, at: number, value: number): Uint8Array {
  const bytes = encodeCallMessage(message);
  bytes[at] = value;
  return bytes;
}

describe('call messages', () => {
  it('lay out every type byte by byte', () => {
    expect(EXAMPLES.map((m) => hex(encodeCallMessage(m)))).toEqual([
      `0101${ID_HEX}03` + '14' + '00007d00' + '02',
      `0102${ID_HEX}`,
      `0103${ID_HEX}01` + '14' + '00005dc0' + '01',
      `0104${ID_HEX}01`,
      `0104${ID_HEX}02`,
      `0104${ID_HEX}03`,
      `0105${ID_HEX}`,
      `0106${ID_HEX}01`,
      `0106${ID_HEX}02`,
      `0106${ID_HEX}03`,
      `0106${ID_HEX}04`,
      `0107${ID_HEX}`,
      `0108${ID_HEX}`,
    ]);
  });

  it('round-trip every example, with the call id copied out of the packet', () => {
    for (const m of EXAMPLES) {
      const bytes = encodeCallMessage(m);
      const back = decoded(bytes);
      expect(back).toEqual(m);
      bytes.fill(0);
      expect(back.callId).toEqual(ID);
    }
  });

  it('round-trip any valid message (property)', () => {
    const rates = fc.subarray([...SAMPLE_RATES], { minLength: 1 });
    const limits = {
      frameMs: fc.constant(20 as const),
      maxBitrate: fc.integer({ min: 6_000, max: 510_000 }),
      redundancy: fc.integer({ min: 0, max: 2 }),
    };
    const callId = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const message: fc.Arbitrary<CallMessage> = fc.oneof(
      fc.record({
        type: fc.constant('offer' as const),
        callId,
        params: fc.record({ sampleRates: rates, ...limits }),
      }),
      fc.record({
        type: fc.constant('accept' as const),
        callId,
        params: fc.record({ sampleRate: fc.constantFrom(...SAMPLE_RATES), ...limits }),
      }),
      fc.record({ type: fc.constant('reject' as const), callId, reason: fc.constantFrom(...REJECT_REASONS) }),
      fc.record({ type: fc.constant('hangup' as const), callId, reason: fc.constantFrom(...HANGUP_REASONS) }),
      fc.record({
        type: fc.constantFrom('ring' as const, 'busy' as const, 'end-ack' as const, 'keepalive' as const),
        callId,
      }),
    );
    fc.assert(
      fc.property(message, (m) => {
        expect(decoded(encodeCallMessage(m))).toEqual(m);
      }),
    );
  });

  it('reject every truncation and every extra byte', () => {
    for (const m of EXAMPLES) {
      const bytes = encodeCallMessage(m);
      for (let length = 0; length < bytes.length; length++) {
        expect(rejected(bytes.subarray(0, length)), `${m.type} cut to ${length}`).toBe('truncated');
      }
      expect(rejected(Uint8Array.of(...bytes, 0))).toBe('trailing-bytes');
    }
  });

  const offer = EXAMPLES[0] as CallMessage;
  const accept = EXAMPLES[2] as CallMessage;
  const malformed: [string, Uint8Array, CallMessageError][] = [
    ['version 0', patched(offer, 0, 0), 'bad-version'],
    ['version 2', patched(offer, 0, 2), 'bad-version'],
    ['a future version with a type unknown today', Uint8Array.of(2, 0x40), 'bad-version'],
    ['type 0', patched(offer, 1, 0), 'unknown-type'],
    ['type 9', patched(offer, 1, 9), 'unknown-type'],
    ['type 0xff', patched(offer, 1, 0xff), 'unknown-type'],
    ['an offer of no sample rate', patched(offer, 18, 0), 'bad-params'],
    ['an offer with an unknown rate bit', patched(offer, 18, 0x07), 'bad-params'],
    ['an accept of two rates', patched(accept, 18, 0x03), 'bad-params'],
    ['an accept of no rate', patched(accept, 18, 0), 'bad-params'],
    ['an accept of an unknown rate bit', patched(accept, 18, 0x04), 'bad-params'],
    ['10 ms frames', patched(offer, 19, 10), 'bad-params'],
    ['a bitrate below Opus', patched(offer, 22, 0), 'bad-params'],
    ['redundancy 3', patched(offer, 24, 3), 'bad-params'],
    ['reject reason 0', patched(EXAMPLES[3] as CallMessage, 18, 0), 'bad-reason'],
    ['reject reason 4', patched(EXAMPLES[3] as CallMessage, 18, 4), 'bad-reason'],
    ['hangup reason 0', patched(EXAMPLES[7] as CallMessage, 18, 0), 'bad-reason'],
    ['hangup reason 5', patched(EXAMPLES[7] as CallMessage, 18, 5), 'bad-reason'],
  ];

  it.each(malformed)('drop %s', (_, bytes, reason) => expect(rejected(bytes)).toBe(reason));

  it('drop bitrates outside Opus range on both sides', () => {
    for (const [bitrate, ok] of [
      [5_999, false],
      [6_000, true],
      [510_000, true],
      [510_001, false],
      [0xffffffff, false],
    ] as const) {
      const bytes = encodeCallMessage(offer);
      new DataView(bytes.buffer).setUint32(20, bitrate);
      expect(rejected(bytes), `${bitrate}`).toBe(ok ? 'decoded' : 'bad-params');
    }
  });

  it('never throw on random bytes or on mutations of valid messages', () => {
    const valid = EXAMPLES.map(encodeCallMessage);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), mutatedPacket(valid, 4)), (bytes) => {
        const result = decodeCallMessage(bytes);
        // Whatever decodes must encode back to exactly the same bytes (the format has one spelling).
        if (result.ok) expect(hex(encodeCallMessage(result.message))).toBe(hex(bytes));
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuse to encode what could not be decoded', () => {
    expect(() => encodeCallMessage({ type: 'ring', callId: new Uint8Array(15) })).toThrow(RangeError);
    expect(() =>
      encodeCallMessage({ type: 'offer', callId: ID, params: { ...OFFER, sampleRates: [] } }),
    ).toThrow(RangeError);
    expect(() =>
      encodeCallMessage({ type: 'accept', callId: ID, params: { ...CHOSEN, maxBitrate: 1 } }),
    ).toThrow(RangeError);
  });
});

describe('call parameters', () => {
  it('choose the highest shared rate and the lower limits', () => {
    expect(chooseParams(OFFER, { ...OFFER, maxBitrate: 64_000, redundancy: 1 })).toEqual({
      sampleRate: 48_000,
      frameMs: 20,
      maxBitrate: 32_000,
      redundancy: 1,
    });
    expect(chooseParams(OFFER, { ...OFFER, sampleRates: [16_000] })?.sampleRate).toBe(16_000);
    expect(chooseParams({ ...OFFER, sampleRates: [48_000] }, { ...OFFER, sampleRates: [16_000] })).toBeNull();
  });

  it('tell a choice within an offer from one outside it', () => {
    expect(fitsOffer(CHOSEN, OFFER)).toBe(true);
    expect(fitsOffer({ ...CHOSEN, maxBitrate: 32_001 }, OFFER)).toBe(false);
    expect(fitsOffer({ ...CHOSEN, redundancy: 2 }, { ...OFFER, redundancy: 1 })).toBe(false);
    expect(fitsOffer({ ...CHOSEN, sampleRate: 48_000 }, { ...OFFER, sampleRates: [16_000] })).toBe(false);
  });

  it('name what is wrong with an offer', () => {
    expect(offerProblem(OFFER)).toBeNull();
    expect(offerProblem({ ...OFFER, sampleRates: [48_000, 16_000] })).toMatch(/ascending/);
    expect(offerProblem({ ...OFFER, sampleRates: [44_100 as 48_000] })).toMatch(/44100/);
    expect(offerProblem({ ...OFFER, frameMs: 40 as 20 })).toMatch(/frame length/);
    expect(offerProblem({ ...OFFER, redundancy: 0.5 })).toMatch(/redundancy/);
  });
});

describe('end messages', () => {
  it('carry every local end reason to the mirror reason at the peer', () => {
    const mirror = Object.fromEntries(
      END_REASONS.filter((r) => r !== 'hangup-remote').map((r) => {
        const m = decoded(endMessageFor(ID, r));
        if (!isEndMessage(m)) throw new Error(`${r} is not an end message`);
        return [r, reasonOf(m)];
      }),
    );
    expect(mirror).toEqual({
      'hangup-local': 'hangup-remote',
      rejected: 'rejected',
      busy: 'busy',
      'no-answer': 'no-answer',
      unreachable: 'unreachable',
      'connection-lost': 'connection-lost',
      error: 'error',
    });
    const incompatible = decoded(incompatibleMessage(ID));
    expect(isEndMessage(incompatible) && reasonOf(incompatible)).toBe('error');
  });
});
