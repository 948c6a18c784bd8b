// ChaCha20-Poly1305 (RFC 8439 §2.8.2) and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §A.3.1)
// known answers, and node:crypto against @noble on random inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AeadImpl,
  chacha20poly1305Noble,
  chacha20poly1305Node,
  xchacha20poly1305Noble,
  xchacha20poly1305Node,
} from '../../../src/crypto/aead.js';
import { concatBytes, fromHex, utf8 } from '../../../src/crypto/bytes.js';

const sunscreen = utf8(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const aad = fromHex('50515253c0c1c2c3c4c5c6c7');

const families: { name: string; impls: AeadImpl[]; nonce: Uint8Array; sealed: Uint8Array }[] = [
  {
    // RFC 8439 §2.8.2: nonce = constant 07000000 || IV 4041424344454647.
    name: 'ChaCha20-Poly1305 (RFC 8439 §2.8.2)',
    impls: [chacha20poly1305Node, chacha20poly1305Noble],
    nonce: fromHex('070000004041424344454647'),
    sealed: concatBytes(
      fromHex(
        'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
      ),
      fromHex('1ae10b594f09e26a7e902ecbd0600691'),
    ),
  },
  {
    name: 'XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §A.3.1)',
    impls: [xchacha20poly1305Node, xchacha20poly1305Noble],
    nonce: fromHex('404142434445464748494a4b4c4d4e4f5051525354555657'),
    sealed: concatBytes(
      fromHex(
        'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e',
      ),
      fromHex('c0875924c1c7987947deafd8780acf49'),
    ),
  },
];

describe.each(families)('$name', ({ impls, nonce, sealed }) => {
  it.each(impls)('$name seals the known answer', (impl) => {
    expect(impl.nonceLength).toBe(nonce.length);
    expect(impl.seal(key, nonce, sunscreen, aad)).toEqual(sealed);
  });

  it.each(impls)('$name opens the known answer', (impl) => {
    const opened = impl.open(key, nonce, sealed, aad);
    expect(opened).toEqual(sunscreen);
    expect(Object.getPrototypeOf(opened)).toBe(Uint8Array.prototype);
  });
});

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const plaintext = fc.uint8Array({ maxLength: 1300 });
const optionalAad = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined });

describe.each([
  { name: 'chacha20poly1305', node: chacha20poly1305Node, noble: chacha20poly1305Noble },
  { name: 'xchacha20poly1305', node: xchacha20poly1305Node, noble: xchacha20poly1305Noble },
])('$name node against noble', ({ node, noble }) => {
  it('seal to the same bytes, and each opens what the other sealed', () => {
    fc.assert(
      fc.property(bytes(32), bytes(node.nonceLength), plaintext, optionalAad, (k, n, p, a) => {
        const sealed = node.seal(k, n, p, a);
        expect(sealed.length).toBe(p.length + 16);
        expect(noble.seal(k, n, p, a)).toEqual(sealed);
        expect(node.open(k, n, sealed, a)).toEqual(p);
        expect(noble.open(k, n, sealed, a)).toEqual(p);
      }),
      { numRuns: 200 },
    );
  });

  it('treat absent and empty associated data alike', () => {
    const n = new Uint8Array(node.nonceLength);
    const k = new Uint8Array(32);
    for (const impl of [node, noble]) {
      expect(impl.seal(k, n, sunscreen)).toEqual(impl.seal(k, n, sunscreen, new Uint8Array(0)));
    }
  });
});
