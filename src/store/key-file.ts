// The storage key file (DESIGN §4): 32 random bytes, mode 0600, beside the database. The key is
// created atomically and never overwritten: it is written to a temporary file, synced, then
// hard-linked into place, and link() fails if a key is already there, so two racing first starts
// cannot each seal with their own key.
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { Rng } from '../crypto/random.js';
import { KithError } from '../errors.js';

export const STORAGE_KEY_BYTES = 32;

/** Reads the key; a missing file is null, anything else wrong is a specific error. */
export function readKeyFile(path: string): Uint8Array | null {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KithError(
      'VAULT_KEY_INVALID',
      `storage key file ${path} cannot be read: ${(err as Error).message}`,
    );
  }
  if ((mode & 0o170000) !== 0o100000) {
    throw new KithError('VAULT_KEY_INVALID', `storage key file ${path} is not a regular file`);
  }
  if ((mode & 0o077) !== 0) {
    throw new KithError(
      'VAULT_KEY_PERMISSIONS',
      `storage key file ${path} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}; it must not be readable by group or others (chmod 600 ${path})`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new KithError(
      'VAULT_KEY_INVALID',
      `storage key file ${path} cannot be read: ${(err as Error).message}`,
    );
  }
  if (bytes.length !== STORAGE_KEY_BYTES) {
    throw new KithError(
      'VAULT_KEY_INVALID',
      `storage key file ${path} holds ${bytes.length} bytes; a storage key is exactly ${STORAGE_KEY_BYTES}`,
    );
  }
  return new Uint8Array(bytes);
}

export function createKeyFile(path: string, rng: Rng): Uint8Array {
  const key = rng(STORAGE_KEY_BYTES);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KithError(
        'VAULT_KEY_INVALID',
        `storage key file ${path} appeared while creating it; not overwriting it`,
      );
    }
    throw err;
  } finally {
    unlinkSync(tmp);
  }
  syncDirectory(dirname(path));
  return key;
}

/** Makes a new directory entry durable: without this a power cut can lose a freshly linked file. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
