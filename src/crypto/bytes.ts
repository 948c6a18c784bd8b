// Byte-array helpers shared by every crypto module: joining, constant-time comparison, and strict
// hex / base64url (RFC 4648 §5) / UTF-8 codecs. Everything returned is a plain Uint8Array.
import { timingSafeEqual } from 'node:crypto';
import { KithError } from '../errors.js';

const encoder = new TextEncoder();
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The same memory seen as a plain Uint8Array: node:crypto hands back Buffers, whose slice() shares
 * memory and whose equals()/toString() differ, so they must not leak to callers.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Lengths are public, so a mismatch may return early; equal-length contents compare in constant time. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  // Buffer.from(…, 'hex') silently stops at the first bad pair, so validate first.
  if (!HEX.test(hex)) throw new KithError('CRYPTO_BAD_INPUT', 'not an even-length hex string');
  return plainBytes(Buffer.from(hex, 'hex'));
}

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function fromBase64url(text: string): Uint8Array {
  // Buffer's decoder skips junk and ignores stray low bits; re-encoding and comparing rejects any
  // input that is not the one canonical unpadded encoding (RFC 4648 §3.5), so round trips are exact.
  if (!BASE64URL.test(text)) throw new KithError('CRYPTO_BAD_INPUT', 'not a base64url string');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) {
    throw new KithError('CRYPTO_BAD_INPUT', 'base64url string is not canonical');
  }
  return plainBytes(bytes);
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Lexicographic order of two byte strings (negative, zero or positive), for canonical ordering. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
