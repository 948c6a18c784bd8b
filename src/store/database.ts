// Opening the SQLite database the way the device needs it (DESIGN §4): WAL, synchronous=FULL,
// foreign keys, and an exclusive lock that the kernel holds for us until the process dies.
//
// Why an exclusive lock instead of a PID file: the lock lives in the kernel (POSIX advisory
// locks on the database file) and disappears with the process, even after SIGKILL or a power
// cut, so there is no stale-lock clean-up that could race, and a second `kith run` on the same
// data directory fails before reading or writing a single page.
//
// Why synchronous=FULL: a pocket device loses power whenever its battery does. In WAL mode,
// NORMAL may lose the last commits on power loss (https://www.sqlite.org/pragma.html#pragma_synchronous);
// FULL syncs the WAL at every commit, so an acknowledged write survives. Kith writes little
// (contacts, messages, calls), so the ~5 k commits/s that FULL allows are plenty (FIELD-NOTES).
import Database from 'better-sqlite3';
import { KithError } from '../errors.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Take the data directory's lock (the service does; short-lived tools that only read do not). */
  exclusive?: boolean;
  readonly?: boolean;
}

export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(path, {
      readonly: opts.readonly ?? false,
      fileMustExist: opts.readonly ?? false,
      timeout: 0,
    });
  } catch (err) {
    throw new KithError('STORE_OPEN_FAILED', `cannot open database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    if (opts.exclusive ?? true) db.pragma('locking_mode = EXCLUSIVE');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      // Holding the write lock from the start is what makes a second opener fail right away.
      if (opts.exclusive ?? true) db.exec('BEGIN EXCLUSIVE; COMMIT');
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new KithError('STORE_LOCKED', `database ${path} is in use by another Kith process`, {
        cause: err,
      });
    }
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new KithError('STORE_OPEN_FAILED', `${path} is not a Kith database (not SQLite)`, { cause: err });
    }
    throw new KithError('STORE_OPEN_FAILED', `cannot open database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
