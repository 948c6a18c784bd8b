import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../src/store/database.js';
import { migrate, schemaVersion } from '../../../src/store/migrate.js';
import { MIGRATIONS, type Migration } from '../../../src/store/migrations.js';
import { openStore } from '../../../src/store/store.js';
import { makeCard } from '../../helpers/cards.js';
import { tmpDir } from '../../helpers/tmp.js';

const LATEST = MIGRATIONS.length;

function schema(db: Db): { name: string; sql: string }[] {
  return db
    .prepare("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string; sql: string }[];
}

function freshSchema() {
  const db = openDatabase(join(tmpDir(), 'fresh.db'));
  migrate(db);
  const s = schema(db);
  db.close();
  return s;
}

/**
 * Rows typical of each schema version, written with that version's own SQL. A new migration adds
 * its seed here, so every upgrade path is exercised with data in it.
 */
const seeds: Record<number, (db: Db) => void> = {
  1: (db) => {
    const card = makeCard('Seeded');
    db.prepare(
      `INSERT INTO contacts (name, card, ed25519_public, x25519_public, psk_sealed, verified, added_at, updated_at)
       VALUES ('Seeded', ?, ?, ?, NULL, 0, 1, 1)`,
    ).run(card.bytes, card.ed25519Public, card.x25519Public);
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('service.starts', '3', 1)").run();
  },
  2: (db) => {
    db.prepare("UPDATE contacts SET endpoint = '127.0.0.1:4801' WHERE name = 'Seeded'").run();
  },
  3: (db) => {
    db.prepare(
      `INSERT INTO calls (call_id, contact_key, direction, started_at, answered_at, ended_at, end_reason, metrics)
       SELECT ?, ed25519_public, 'outgoing', 1000, 3000, 60000, 'hangup-local', '{"mos":4.2}'
       FROM contacts WHERE name = 'Seeded'`,
    ).run(new Uint8Array(16).fill(3));
  },
};

describe('migrations', () => {
  it('are numbered 1..n with a seed for every version', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    for (const m of MIGRATIONS)
      expect(seeds[m.version], `seed for version ${m.version}`).toBeTypeOf('function');
  });

  it('build a fresh database to the latest version and record each one', () => {
    const db = openDatabase(join(tmpDir(), 'k.db'));
    expect(migrate(db)).toEqual({ from: 0, to: LATEST });
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const tables = schema(db).map((t) => t.name);
    for (const t of ['schema_migrations', 'vault', 'identity', 'contacts', 'settings'])
      expect(tables).toContain(t);
    // Running again is a no-op.
    expect(migrate(db)).toEqual({ from: LATEST, to: LATEST });
    db.close();
  });

  it.each(Array.from({ length: LATEST }, (_, v) => v))('upgrade from version %i keeps its data', (from) => {
    const db = openDatabase(join(tmpDir(), 'k.db'));
    migrate(db, MIGRATIONS, Date.now, from);
    expect(schemaVersion(db)).toBe(from);
    for (let v = 1; v <= from; v++) seeds[v]?.(db);
    const before = from >= 1 ? db.prepare('SELECT * FROM contacts').all() : [];
    expect(migrate(db)).toEqual({ from, to: LATEST });
    expect(schema(db)).toEqual(freshSchema());
    if (from >= 1) {
      const after = db.prepare('SELECT * FROM contacts').all() as Record<string, unknown>[];
      // Every column the row had survives; columns added later start empty (NULL).
      expect(
        after.map((row) => Object.fromEntries(Object.keys(before[0] as object).map((k) => [k, row[k]]))),
      ).toEqual(before);
    }
    db.close();
  });

  it('roll back a failing migration whole, leaving the previous schema and rows intact', () => {
    const dir = tmpDir();
    const store = openStore({ dataDir: dir });
    store.contacts.add(makeCard('Keep Me'));
    const schemaBefore = schema(store.db);
    const rowsBefore = store.db.prepare('SELECT * FROM contacts').all();
    const broken: Migration = {
      version: LATEST + 1,
      name: 'broken on purpose',
      sql: `CREATE TABLE half_done (a INTEGER) STRICT;
            INSERT INTO half_done VALUES (1);
            DELETE FROM contacts;
            ALTER TABLE contacts ADD COLUMN nickname TEXT;
            INSERT INTO no_such_table VALUES (1);`,
    };
    expect(() => migrate(store.db, [...MIGRATIONS, broken])).toThrow(
      expect.objectContaining({
        code: 'STORE_MIGRATION_FAILED',
        message: expect.stringContaining(
          `migration ${LATEST + 1} (broken on purpose) failed and was rolled back`,
        ),
      }),
    );
    expect(schemaVersion(store.db)).toBe(LATEST);
    expect(schema(store.db)).toEqual(schemaBefore);
    expect(store.db.prepare('SELECT * FROM contacts').all()).toEqual(rowsBefore);
    store.close();
    // The store still opens normally afterwards.
    const again = openStore({ dataDir: dir });
    expect(again.contacts.list().contacts.map((c) => c.name)).toEqual(['Keep Me']);
    again.close();
  });

  it('refuse a database written by a newer Kith, untouched', () => {
    const db = openDatabase(join(tmpDir(), 'k.db'));
    migrate(db);
    db.prepare("INSERT INTO schema_migrations VALUES (?, 'from the future', 0)").run(LATEST + 5);
    const before = schema(db);
    expect(() => migrate(db)).toThrow(expect.objectContaining({ code: 'STORE_TOO_NEW' }));
    expect(schema(db)).toEqual(before);
    db.close();
  });
});
