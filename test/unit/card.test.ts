import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toBase64url, utf8 } from '../../src/crypto/bytes.js';
import { ed25519, generateEd25519 } from '../../src/crypto/ed25519.js';
import { generateX25519 } from '../../src/crypto/x25519.js';
import { type ErrorCode, isKithError } from '../../src/errors.js';
import { cardFromText, cardToText, decodeCard, encodeCard, fingerprint } from '../../src/wire/card.js';

const ed = generateEd25519();
const x = generateX25519();
const NAME = 'Ada';
const card = encodeCard({ name: NAME, ed25519Public: ed.publicKey, x25519Public: x.publicKey }, ed.secretKey);
// Layout offsets for a 3-byte name (see src/wire/card.ts).
const NAME_END = 2 + 3;
const X_END = NAME_END + 64;

function codeOf(fn: () => unknown): ErrorCode | 'NO_ERROR' {
  try {
    fn();
    return 'NO_ERROR';
  } catch (err) {
    if (isKithError(err)) return err.code;
    throw err;
  }
}

function cardError(bytes: Uint8Array): ErrorCode | 'NO_ERROR' {
  return codeOf(() => decodeCard(bytes));
}

describe('contact card', () => {
  it('round-trips through bytes and text', () => {
    const decoded = decodeCard(card);
    expect(decoded.name).toBe(NAME);
    expect(decoded.ed25519Public).toEqual(ed.publicKey);
    expect(decoded.x25519Public).toEqual(x.publicKey);
    expect(decoded.bytes).toEqual(card);
    const text = cardToText(card);
    expect(text).toMatch(/^kith-card:[A-Za-z0-9_-]+\n$/);
    expect(cardFromText(`  ${text}\n`).bytes).toEqual(card);
    expect(card.length).toBe(X_END + 64);
  });

  it('round-trips names of every allowed shape', () => {
    for (const name of ['A', 'Zoë', '李小龍', '😀 smile', 'x'.repeat(32), 'é'.repeat(32)]) {
      const bytes = encodeCard(
        { name, ed25519Public: ed.publicKey, x25519Public: x.publicKey },
        ed.secretKey,
      );
      expect(decodeCard(bytes).name).toBe(name);
    }
  });

  it('rejects every truncation with CARD_TRUNCATED', () => {
    for (let len = 0; len < card.length; len++) {
      expect(cardError(card.subarray(0, len)), `length ${len}`).toBe('CARD_TRUNCATED');
    }
  });

  it('rejects trailing bytes with CARD_TOO_LONG', () => {
    expect(cardError(concatBytes(card, Uint8Array.of(0)))).toBe('CARD_TOO_LONG');
  });

  it('rejects every version but 1 with CARD_BAD_VERSION', () => {
    for (const v of [0, 2, 3, 127, 255]) {
      const bytes = card.slice();
      bytes[0] = v;
      expect(cardError(bytes)).toBe('CARD_BAD_VERSION');
    }
  });

  it('rejects each byte flipped in turn, with the error of the field it hits', () => {
    for (let i = 0; i < card.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bytes = card.slice();
        bytes[i] = (bytes[i] as number) ^ mask;
        const code = cardError(bytes);
        let allowed: string[];
        if (i === 0) allowed = ['CARD_BAD_VERSION'];
        else if (i === 1) allowed = ['CARD_BAD_NAME', 'CARD_TRUNCATED', 'CARD_TOO_LONG'];
        else if (i < NAME_END) allowed = ['CARD_BAD_NAME', 'CARD_BAD_SIGNATURE'];
        // Keys and signature: the signature covers both keys, so any change there fails it.
        else allowed = ['CARD_BAD_SIGNATURE'];
        expect(allowed, `byte ${i} ^ ${mask}: ${code}`).toContain(code);
      }
    }
  });

  it('rejects a card whose signature was made by another key', () => {
    const other = generateEd25519();
    const forged = encodeCard(
      { name: NAME, ed25519Public: ed.publicKey, x25519Public: x.publicKey },
      other.secretKey,
    );
    expect(cardError(forged)).toBe('CARD_BAD_SIGNATURE');
  });

  it('rejects a validly signed card whose X25519 key is a small-order point', () => {
    const order8 = fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
    for (const weak of [new Uint8Array(32), order8]) {
      const bytes = encodeCard({ name: NAME, ed25519Public: ed.publicKey, x25519Public: weak }, ed.secretKey);
      expect(cardError(bytes)).toBe('CARD_BAD_KEY');
    }
  });

  it('rejects names that are not allowed, in both directions', () => {
    const bad = ['', ' Ada', 'Ada ', 'A\nda', 'A\u0000', 'x'.repeat(33), 'e\u0301'];
    for (const name of bad) {
      expect(
        codeOf(() =>
          encodeCard({ name, ed25519Public: ed.publicKey, x25519Public: x.publicKey }, ed.secretKey),
        ),
        name,
      ).toBe('CARD_BAD_NAME');
      // The same name arriving in a correctly signed card is refused by the decoder too.
      const raw = utf8(name);
      if (raw.length === 0 || raw.length > 64) continue;
      const body = concatBytes(Uint8Array.of(1, raw.length), raw, ed.publicKey, x.publicKey);
      const sig = ed25519.sign(ed.secretKey, concatBytes(utf8('kith contact card v1\0'), body));
      expect(cardError(concatBytes(body, sig)), name).toBe('CARD_BAD_NAME');
    }
  });

  it('rejects a name that is not UTF-8', () => {
    const body = concatBytes(Uint8Array.of(1, 2, 0xc3, 0x28), ed.publicKey, x.publicKey);
    expect(cardError(concatBytes(body, new Uint8Array(64)))).toBe('CARD_BAD_NAME');
  });

  it('rejects text that is not a card with CARD_BAD_ENCODING', () => {
    expect(codeOf(() => cardFromText(''))).toBe('CARD_BAD_ENCODING');
    expect(codeOf(() => cardFromText('hello'))).toBe('CARD_BAD_ENCODING');
    expect(codeOf(() => cardFromText('kith-card:not base64!'))).toBe('CARD_BAD_ENCODING');
    expect(codeOf(() => cardFromText(`kith-card:${toBase64url(card)}=`))).toBe('CARD_BAD_ENCODING');
    expect(codeOf(() => cardFromText(`kith-card:${'A'.repeat(5000)}`))).toBe('CARD_TOO_LONG');
    expect(codeOf(() => cardFromText('kith-card:'))).toBe('CARD_TRUNCATED');
  });

  it('never throws anything but a CARD_ error on random bytes or text', () => {
    const onlyCardErrors = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        if (!isKithError(err) || !err.code.startsWith('CARD_')) throw err;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyCardErrors(() => decodeCard(bytes))),
      { numRuns: 2000 },
    );
    // Random bytes behind a plausible header reach the deeper checks (name, signature, key).
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.uint8Array({ minLength: 200, maxLength: 200 }),
        (n, rest) => {
          const bytes = concatBytes(Uint8Array.of(1, n), rest).subarray(0, 2 + n + 128);
          onlyCardErrors(() => decodeCard(bytes));
        },
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => onlyCardErrors(() => cardFromText(`kith-card:${s}`))),
      { numRuns: 1000 },
    );
  });

  it('gives a stable 128-bit fingerprint in 8 groups of 4 hex digits', () => {
    const fp = fingerprint(ed.publicKey);
    expect(fp).toMatch(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/);
    expect(fingerprint(ed.publicKey)).toBe(fp);
    expect(fingerprint(generateEd25519().publicKey)).not.toBe(fp);
    // Pinned (computed independently: SHA-256("kith fingerprint v1\0" || key), first 16 bytes), so a
    // change to the derivation, which people compare by eye across devices, cannot slip through.
    expect(fingerprint(new Uint8Array(32))).toBe('cca8 d6f0 cc0c b842 0c53 6588 79bb f38b');
  });
});
