// The device identity (DESIGN §3): an Ed25519 pair for signing (its public half is the overlay
// ID) and an X25519 pair for Noise, made once at first start. Only public halves are stored in
// the clear; secret halves are sealed by the vault, bound to what they are.

import { equalBytes } from '../crypto/bytes.js';
import { ed25519, generateEd25519 } from '../crypto/ed25519.js';
import type { Rng } from '../crypto/random.js';
import { generateX25519, x25519 } from '../crypto/x25519.js';
import { KithError } from '../errors.js';
import { fingerprint } from '../wire/card.js';
import type { Db } from './database.js';
import type { Vault } from './vault.js';

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface Identity {
  ed25519: KeyPair;
  x25519: KeyPair;
  fingerprint: string;
  createdAt: number;
}

const ED_CONTEXT = 'identity/ed25519-secret';
const X_CONTEXT = 'identity/x25519-secret';

interface IdentityRow {
  ed25519_public: Uint8Array;
  ed25519_secret_sealed: Uint8Array;
  x25519_public: Uint8Array;
  x25519_secret_sealed: Uint8Array;
  created_at: number;
}

export function loadIdentity(db: Db, vault: Vault): Identity | null {
  const row = db.prepare('SELECT * FROM identity WHERE id = 1').get() as IdentityRow | undefined;
  if (!row) return null;
  const edSecret = vault.open(row.ed25519_secret_sealed, ED_CONTEXT);
  const xSecret = vault.open(row.x25519_secret_sealed, X_CONTEXT);
  // The public halves are stored for readers without the key; they must match the secrets.
  if (
    !equalBytes(ed25519.publicKey(edSecret), row.ed25519_public) ||
    !equalBytes(x25519.publicKey(xSecret), row.x25519_public)
  ) {
    throw new KithError(
      'STORE_CORRUPT_ROW',
      'identity row is corrupt: public keys do not match the sealed secrets',
    );
  }
  return makeIdentity(edSecret, row.ed25519_public, xSecret, row.x25519_public, row.created_at);
}

/** Creates and stores a fresh identity; the caller runs it inside the first-start transaction. */
export function createIdentity(db: Db, vault: Vault, rng: Rng, now: number): Identity {
  const ed = generateEd25519(rng);
  const x = generateX25519(rng);
  db.prepare(
    `INSERT INTO identity (id, ed25519_public, ed25519_secret_sealed, x25519_public, x25519_secret_sealed, created_at)
     VALUES (1, ?, ?, ?, ?, ?)`,
  ).run(
    ed.publicKey,
    vault.seal(ed.secretKey, ED_CONTEXT),
    x.publicKey,
    vault.seal(x.secretKey, X_CONTEXT),
    now,
  );
  return makeIdentity(ed.secretKey, ed.publicKey, x.secretKey, x.publicKey, now);
}

function makeIdentity(
  edSecret: Uint8Array,
  edPublic: Uint8Array,
  xSecret: Uint8Array,
  xPublic: Uint8Array,
  createdAt: number,
): Identity {
  // Copies, so rows read back as Buffers and fresh keys look the same to every caller.
  return {
    ed25519: { publicKey: new Uint8Array(edPublic), secretKey: new Uint8Array(edSecret) },
    x25519: { publicKey: new Uint8Array(xPublic), secretKey: new Uint8Array(xSecret) },
    fingerprint: fingerprint(edPublic),
    createdAt,
  };
}
