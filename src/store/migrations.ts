// The schema, as numbered migrations (DESIGN §4). Append only: a migration that has shipped is
// never edited, because devices in the field have already run it. Each runs in a transaction
// (migrate.ts), so DDL and data changes land together or not at all.
//
// Tables are STRICT: a value of the wrong type is refused by SQLite itself, which is one more
// wall between a bug and a corrupt row.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'identity, vault, contacts, settings',
    sql: `
      CREATE TABLE vault (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        key_check BLOB NOT NULL CHECK (length(key_check) = 16),
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        ed25519_public BLOB NOT NULL CHECK (length(ed25519_public) = 32),
        ed25519_secret_sealed BLOB NOT NULL,
        x25519_public BLOB NOT NULL CHECK (length(x25519_public) = 32),
        x25519_secret_sealed BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL COLLATE NOCASE UNIQUE,
        card BLOB NOT NULL,
        ed25519_public BLOB NOT NULL UNIQUE CHECK (length(ed25519_public) = 32),
        x25519_public BLOB NOT NULL CHECK (length(x25519_public) = 32),
        psk_sealed BLOB,
        verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
        added_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'contact endpoints',
    // Where a contact was last reachable (HOST:PORT), set by hand until the overlay finds it.
    sql: `ALTER TABLE contacts ADD COLUMN endpoint TEXT CHECK (endpoint IS NULL OR length(endpoint) <= 64);`,
  },
  {
    version: 3,
    name: 'call history',
    // A call names its contact by Ed25519 public key, not by contacts.id: the history outlives a
    // contact's removal and joins up again when the same card is imported later.
    sql: `
      CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        call_id BLOB NOT NULL UNIQUE CHECK (length(call_id) = 16),
        contact_key BLOB NOT NULL CHECK (length(contact_key) = 32),
        direction TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
        started_at INTEGER NOT NULL,
        answered_at INTEGER,
        ended_at INTEGER NOT NULL,
        end_reason TEXT NOT NULL CHECK (end_reason IN ('hangup-local', 'hangup-remote', 'rejected',
          'busy', 'no-answer', 'unreachable', 'connection-lost', 'error')),
        metrics TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
        CHECK (started_at <= ended_at),
        CHECK (answered_at IS NULL OR (started_at <= answered_at AND answered_at <= ended_at))
      ) STRICT;

      CREATE INDEX calls_by_start ON calls (started_at);
    `,
  },
];
