// Byte helpers: concatenation, comparison, and exact round trips through hex and base64url.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  equalBytes,
  fromBase64url,
  fromHex,
  plainBytes,
  toBase64url,
  toHex,
  utf8,
} from '../../../src/crypto/bytes.js';

const isPlain = (b: Uint8Array) => Object.getPrototypeOf(b) === Uint8Array.prototype;

describe('concatBytes', () => {
  it('joins parts in order into a fresh array', () => {
    const a = Uint8Array.of(1, 2);
    const out = concatBytes(a, new Uint8Array(0), Uint8Array.of(3));
    expect(out).toEqual(Uint8Array.of(1, 2, 3));
    out[0] = 9;
    expect(a[0]).toBe(1);
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });
});

describe('equalBytes', () => {
  it('compares contents, and is false on a length mismatch', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe('plainBytes', () => {
  it('turns a Buffer into a Uint8Array over the same memory', () => {
    const buffer = Buffer.from([1, 2, 3, 4]).subarray(1, 3);
    const plain = plainBytes(buffer);
    expect(isPlain(plain)).toBe(true);
    expect(plain).toEqual(Uint8Array.of(2, 3));
    buffer[0] = 7;
    expect(plain[0]).toBe(7);
  });
});

describe('hex and base64url', () => {
  it('encode known values', () => {
    expect(toHex(Uint8Array.of(0, 0xab, 0xff))).toBe('00abff');
    expect(fromHex('00ABff')).toEqual(Uint8Array.of(0, 0xab, 0xff));
    // RFC 4648 §10 "foobar" vectors, in the URL-safe alphabet and without padding (§5, §3.2).
    expect(toBase64url(utf8('foob'))).toBe('Zm9vYg');
    expect(toBase64url(utf8('fooba'))).toBe('Zm9vYmE');
    expect(toBase64url(Uint8Array.of(0xfb, 0xff))).toBe('-_8');
    expect(fromBase64url('-_8')).toEqual(Uint8Array.of(0xfb, 0xff));
  });

  it('round-trip any bytes exactly, from views at any offset, into plain Uint8Arrays', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(3), (bytes, offset) => {
        const view = concatBytes(new Uint8Array(offset), bytes).subarray(offset);
        const fromH = fromHex(toHex(view));
        const fromB = fromBase64url(toBase64url(view));
        expect(fromH).toEqual(bytes);
        expect(fromB).toEqual(bytes);
        expect(isPlain(fromH) && isPlain(fromB)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('accept a base64url string only when it is the canonical encoding', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/), (text) => {
        let decoded: Uint8Array | undefined;
        try {
          decoded = fromBase64url(text);
        } catch {
          return;
        }
        expect(toBase64url(decoded)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});

describe('utf8', () => {
  it('encodes text as UTF-8', () => {
    expect(utf8('é€')).toEqual(Uint8Array.of(0xc3, 0xa9, 0xe2, 0x82, 0xac));
  });
});
