// Runs pending migrations, one transaction each, recording every one in schema_migrations.
// A migration that throws rolls back whole: the previous schema and every row stay as they were,
// and the error names the migration. A database from a newer Kith is refused untouched rather
// than guessed at.
import { KithError } from '../errors.js';
import type { Db } from './database.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export function schemaVersion(db: Db): number {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!table) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export interface MigrateResult {
  from: number;
  to: number;
}

export function migrate(
  db: Db,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
  target?: number,
): MigrateResult {
  checkSequence(migrations);
  const latest = migrations.at(-1)?.version ?? 0;
  const goal = target ?? latest;
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const from = schemaVersion(db);
  if (from > latest) {
    throw new KithError(
      'STORE_TOO_NEW',
      `database schema version ${from} is newer than this Kith understands (${latest}); upgrade Kith instead of downgrading`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= from || m.version > goal) continue;
    const apply = db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, now());
    });
    try {
      apply();
    } catch (err) {
      throw new KithError(
        'STORE_MIGRATION_FAILED',
        `migration ${m.version} (${m.name}) failed and was rolled back; the database stays at version ${schemaVersion(db)}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return { from, to: schemaVersion(db) };
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration list is not numbered 1..n (at index ${i}: ${m.version})`);
  });
}
