// Settings: small typed values the device keeps between runs. Each key is declared here with its
// schema, so a value is checked when written and again when read back (a corrupt row is a
// STORE_CORRUPT_ROW naming the key, never a wrong value used silently).
import { z } from 'zod';
import { KithError } from '../errors.js';
import type { Db } from './database.js';

export const settingSchemas = {
  /** True while a service runs; still true at the next start means the last run did not stop cleanly. */
  'service.running': z.boolean(),
  /** Number of times the service has started on this data directory. */
  'service.starts': z.int().nonnegative(),
  /** Last time (ms since epoch) the health check committed a write. */
  'service.alive_at': z.int().nonnegative(),
  /** Version of Kith that last started on this data directory. */
  'service.version': z.string().max(64),
} as const;

export type SettingKey = keyof typeof settingSchemas;
export type SettingValue<K extends SettingKey> = z.output<(typeof settingSchemas)[K]>;

export class Settings {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  get<K extends SettingKey>(key: K): SettingValue<K> | undefined {
    const row = this.#db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      { value: string } | undefined;
    if (!row) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.value);
    } catch {
      throw new KithError('STORE_CORRUPT_ROW', `setting ${key} is corrupt: not JSON`);
    }
    const result = settingSchemas[key].safeParse(parsed);
    if (!result.success) {
      throw new KithError(
        'STORE_CORRUPT_ROW',
        `setting ${key} is corrupt: ${result.error.issues[0]?.message}`,
      );
    }
    return result.data as SettingValue<K>;
  }

  set<K extends SettingKey>(key: K, value: SettingValue<K>): void {
    const result = settingSchemas[key].safeParse(value);
    if (!result.success) {
      throw new KithError(
        'SETTING_INVALID',
        `setting ${key} = ${JSON.stringify(value)}: ${result.error.issues[0]?.message}`,
      );
    }
    this.#db
      .prepare(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify(result.data), this.#now());
  }

  delete(key: SettingKey): void {
    this.#db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }
}
