// The store: one data directory holding the database (kith.db) and its storage key
// (storage.key). Opening it takes the directory's lock, brings the schema up to date, checks
// that the key belongs to the database, and on first start creates the key and the identity.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Rng, systemRng } from '../crypto/random.js';
import { KithError } from '../errors.js';
import { Calls } from './calls.js';
import { Contacts } from './contacts.js';
import { type Db, openDatabase } from './database.js';
import { createIdentity, type Identity, loadIdentity } from './identity.js';
import { createKeyFile, readKeyFile } from './key-file.js';
import { migrate, schemaVersion } from './migrate.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { Settings } from './settings.js';
import { Vault } from './vault.js';

export const DATABASE_FILE = 'kith.db';
export const KEY_FILE = 'storage.key';

export interface StoreOptions {
  dataDir: string;
  rng?: Rng;
  now?: () => number;
  migrations?: readonly Migration[];
}

export class Store {
  readonly db: Db;
  readonly identity: Identity;
  readonly contacts: Contacts;
  readonly calls: Calls;
  readonly settings: Settings;
  readonly dataDir: string;
  /** True when this open created the identity (first start). */
  readonly created: boolean;

  constructor(
    db: Db,
    dataDir: string,
    identity: Identity,
    created: boolean,
    vault: Vault,
    now: () => number,
  ) {
    this.db = db;
    this.dataDir = dataDir;
    this.identity = identity;
    this.created = created;
    this.contacts = new Contacts(db, vault, now);
    this.calls = new Calls(db);
    this.settings = new Settings(db, now);
  }

  schemaVersion(): number {
    return schemaVersion(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function openStore(opts: StoreOptions): Store {
  const rng = opts.rng ?? systemRng;
  const now = opts.now ?? Date.now;
  // 0700: the directory holds the storage key; nobody but the service user needs to list it.
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(join(opts.dataDir, DATABASE_FILE));
  try {
    migrate(db, opts.migrations ?? MIGRATIONS, now);
    const keyPath = join(opts.dataDir, KEY_FILE);
    const vaultRow = db.prepare('SELECT key_check FROM vault WHERE id = 1').get() as
      { key_check: Uint8Array } | undefined;
    let key = readKeyFile(keyPath);
    if (!key && vaultRow) {
      throw new KithError(
        'VAULT_KEY_MISSING',
        `storage key file ${keyPath} is missing, and the database holds secrets sealed with it; restore the key file (a new one cannot open them)`,
      );
    }
    key ??= createKeyFile(keyPath, rng);
    const vault = new Vault(key, rng);
    if (vaultRow && !vault.matches(vaultRow.key_check)) {
      throw new KithError(
        'VAULT_KEY_MISMATCH',
        `storage key file ${keyPath} does not belong to this database`,
      );
    }
    let identity = loadIdentity(db, vault);
    const created = identity === null;
    if (!identity) {
      identity = db.transaction(() => {
        if (!vaultRow)
          db.prepare('INSERT INTO vault (id, key_check, created_at) VALUES (1, ?, ?)').run(
            Vault.keyCheck(key),
            now(),
          );
        return createIdentity(db, vault, rng, now());
      })();
    }
    return new Store(db, opts.dataDir, identity, created, vault, now);
  } catch (err) {
    db.close();
    throw err;
  }
}
