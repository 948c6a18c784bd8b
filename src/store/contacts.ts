// Contacts: the people this device can call. A contact is a verified contact card plus what this
// device knows about them: a local name (unique, case-insensitive), whether the pairing was done
// in person (verified), and the pairing PSK, sealed by the vault and bound to the contact's key.
//
// Every row read back is checked against its own stored card (signature, keys, name), so a
// corrupt row is reported by id and never used as if it were a contact.
import { equalBytes, toHex } from '../crypto/bytes.js';
import { KithError } from '../errors.js';
import { decodeCard, displayNameProblem, fingerprint, type SignedCard } from '../wire/card.js';
import type { Db } from './database.js';
import type { Vault } from './vault.js';

export const PSK_BYTES = 32;

export interface Contact {
  id: number;
  /** Local name; defaults to the card's name. */
  name: string;
  /** The name the contact gave themselves on their card. */
  cardName: string;
  ed25519Public: Uint8Array;
  x25519Public: Uint8Array;
  fingerprint: string;
  /** True once paired in person (SAS compared); false for a card imported from a file. */
  verified: boolean;
  hasPsk: boolean;
  addedAt: number;
  card: Uint8Array;
  /** Where the contact was last reachable ("HOST:PORT"), or null. */
  endpoint: string | null;
}

export interface AddOptions {
  name?: string | undefined;
  verified?: boolean;
  psk?: Uint8Array;
}

interface ContactRow {
  id: number;
  name: string;
  card: Uint8Array;
  ed25519_public: Uint8Array;
  x25519_public: Uint8Array;
  psk_sealed: Uint8Array | null;
  verified: number;
  added_at: number;
  endpoint: string | null;
}

export class Contacts {
  readonly #db: Db;
  readonly #vault: Vault;
  readonly #now: () => number;

  constructor(db: Db, vault: Vault, now: () => number) {
    this.#db = db;
    this.#vault = vault;
    this.#now = now;
  }

  add(card: SignedCard, opts: AddOptions = {}): Contact {
    const name = opts.name ?? card.name;
    const problem = displayNameProblem(name);
    if (problem) throw new KithError('CONTACT_BAD_NAME', `contact name ${JSON.stringify(name)} ${problem}`);
    if (opts.psk && opts.psk.length !== PSK_BYTES)
      throw new KithError('CRYPTO_BAD_KEY', 'a pairing PSK is 32 bytes');
    const existing = this.findByKey(card.ed25519Public);
    if (existing) {
      throw new KithError('CONTACT_EXISTS', `this card is already a contact, named "${existing.name}"`);
    }
    if (this.#db.prepare('SELECT 1 FROM contacts WHERE name = ?').get(name)) {
      throw new KithError('CONTACT_EXISTS', `a contact named "${name}" already exists; choose another name`);
    }
    const now = this.#now();
    const info = this.#db
      .prepare(
        `INSERT INTO contacts (name, card, ed25519_public, x25519_public, psk_sealed, verified, added_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        name,
        card.bytes,
        card.ed25519Public,
        card.x25519Public,
        opts.psk ? this.#vault.seal(opts.psk, pskContext(card.ed25519Public)) : null,
        opts.verified ? 1 : 0,
        now,
        now,
      );
    // Built from the card already verified above rather than read back and verified again.
    return makeContact(
      {
        id: Number(info.lastInsertRowid),
        name,
        verified: opts.verified ? 1 : 0,
        added_at: now,
        endpoint: null,
      },
      card,
      opts.psk !== undefined,
    );
  }

  /** All readable contacts by name, and the ids of rows that failed their checks. */
  list(): { contacts: Contact[]; corrupt: number[] } {
    const contacts: Contact[] = [];
    const corrupt: number[] = [];
    for (const row of this.#db.prepare('SELECT * FROM contacts ORDER BY name').all() as ContactRow[]) {
      const contact = fromRow(row);
      if (contact) contacts.push(contact);
      else corrupt.push(row.id);
    }
    return { contacts, corrupt };
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM contacts').get() as { n: number }).n;
  }

  get(id: number): Contact {
    const row = this.#db.prepare('SELECT * FROM contacts WHERE id = ?').get(id) as ContactRow | undefined;
    if (!row) throw new KithError('CONTACT_NOT_FOUND', `no contact with id ${id}`);
    return checked(row);
  }

  findByKey(ed25519Public: Uint8Array): Contact | null {
    const row = this.#db.prepare('SELECT * FROM contacts WHERE ed25519_public = ?').get(ed25519Public) as
      ContactRow | undefined;
    return row ? checked(row) : null;
  }

  /**
   * Finds one contact by local name (case-insensitive) or by a fingerprint prefix of at least
   * 4 hex digits (spaces ignored), which is what a person reads off a screen.
   */
  find(query: string): Contact {
    const byName = this.#db.prepare('SELECT * FROM contacts WHERE name = ?').get(query) as
      ContactRow | undefined;
    if (byName) return checked(byName);
    const prefix = query.replace(/\s+/g, '').toLowerCase();
    if (/^[0-9a-f]{4,32}$/.test(prefix)) {
      const matches = this.list().contacts.filter((c) => c.fingerprint.replace(/ /g, '').startsWith(prefix));
      if (matches.length === 1) return matches[0] as Contact;
      if (matches.length > 1) {
        throw new KithError(
          'CONTACT_AMBIGUOUS',
          `"${query}" matches ${matches.length} contacts (${matches.map((c) => c.name).join(', ')}); give more digits`,
        );
      }
    }
    throw new KithError('CONTACT_NOT_FOUND', `no contact named or with a fingerprint starting "${query}"`);
  }

  remove(id: number): void {
    const info = this.#db.prepare('DELETE FROM contacts WHERE id = ?').run(id);
    if (info.changes === 0) throw new KithError('CONTACT_NOT_FOUND', `no contact with id ${id}`);
  }

  setPsk(id: number, psk: Uint8Array, verified: boolean): void {
    if (psk.length !== PSK_BYTES) throw new KithError('CRYPTO_BAD_KEY', 'a pairing PSK is 32 bytes');
    const contact = this.get(id);
    this.#db
      .prepare('UPDATE contacts SET psk_sealed = ?, verified = ?, updated_at = ? WHERE id = ?')
      .run(this.#vault.seal(psk, pskContext(contact.ed25519Public)), verified ? 1 : 0, this.#now(), id);
  }

  /** Records where the contact can be reached (validated by the caller), or forgets it (null). */
  setEndpoint(id: number, endpoint: string | null): void {
    const info = this.#db
      .prepare('UPDATE contacts SET endpoint = ?, updated_at = ? WHERE id = ?')
      .run(endpoint, this.#now(), id);
    if (info.changes === 0) throw new KithError('CONTACT_NOT_FOUND', `no contact with id ${id}`);
  }

  psk(id: number): Uint8Array | null {
    const contact = this.get(id);
    const row = this.#db.prepare('SELECT psk_sealed FROM contacts WHERE id = ?').get(id) as {
      psk_sealed: Uint8Array | null;
    };
    return row.psk_sealed ? this.#vault.open(row.psk_sealed, pskContext(contact.ed25519Public)) : null;
  }
}

function pskContext(ed25519Public: Uint8Array): string {
  return `contact-psk/${toHex(ed25519Public)}`;
}

function checked(row: ContactRow): Contact {
  const contact = fromRow(row);
  if (!contact)
    throw new KithError('STORE_CORRUPT_ROW', `contact row ${row.id} is corrupt; remove it and import again`);
  return contact;
}

function fromRow(row: ContactRow): Contact | null {
  let card: SignedCard;
  try {
    card = decodeCard(row.card);
  } catch {
    return null;
  }
  if (
    !equalBytes(card.ed25519Public, row.ed25519_public) ||
    !equalBytes(card.x25519Public, row.x25519_public) ||
    displayNameProblem(row.name) !== null
  ) {
    return null;
  }
  return makeContact(row, card, row.psk_sealed !== null);
}

function makeContact(
  row: Pick<ContactRow, 'id' | 'name' | 'verified' | 'added_at' | 'endpoint'>,
  card: SignedCard,
  hasPsk: boolean,
): Contact {
  return {
    id: row.id,
    name: row.name,
    cardName: card.name,
    ed25519Public: card.ed25519Public,
    x25519Public: card.x25519Public,
    fingerprint: fingerprint(card.ed25519Public),
    verified: row.verified === 1,
    hasPsk,
    addedAt: row.added_at,
    card: card.bytes,
    endpoint: row.endpoint,
  };
}
