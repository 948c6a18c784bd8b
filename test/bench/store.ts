// Store benchmarks: the first start (identity creation, the figure the foundation issue asks for),
// a reopen, and adding a contact (signature check + sealed write, synchronous=FULL) against a bare
// SQLite insert of the same row with the same durability, measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { openStore } from '../../src/store/store.js';
import { makeCard } from '../helpers/cards.js';
import { emit } from './harness.js';

const ROUNDS = 20;

function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function run(): Promise<void> {
  const root = mkdtempSync('/tmp/kith-bench-');
  try {
    const first: number[] = [];
    const reopen: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const dir = join(root, `s${i}`);
      first.push(timeMs(() => openStore({ dataDir: dir }).close()));
      reopen.push(timeMs(() => openStore({ dataDir: dir }).close()));
    }
    emit({
      bench: 'store.firstStart',
      unit: 'ms',
      median: median(first),
      baseline: 'store.reopen',
      baselineMedian: median(reopen),
      ratio: median(first) / median(reopen),
    });

    const store = openStore({ dataDir: join(root, 'contacts') });
    const cards = Array.from({ length: 300 }, (_, i) => makeCard(`Bench ${i}`));
    const addMs = timeMs(() => {
      for (const card of cards) store.contacts.add(card);
    });
    const listMs = timeMs(() => store.contacts.list());
    store.close();

    const db = openDatabase(join(root, 'bare.db'));
    db.exec(
      `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, card BLOB, ed BLOB UNIQUE, x BLOB, added INTEGER) STRICT`,
    );
    const insert = db.prepare('INSERT INTO t (name, card, ed, x, added) VALUES (?, ?, ?, ?, ?)');
    const bareMs = timeMs(() => {
      for (const c of cards) insert.run(c.name, c.bytes, c.ed25519Public, c.x25519Public, Date.now());
    });
    db.close();
    const perSec = (ms: number) => Math.round(cards.length / (ms / 1000));
    emit({
      bench: 'store.contacts.add',
      opsPerSec: perSec(addMs),
      baseline: 'sqlite.insert.full-sync',
      baselineOpsPerSec: perSec(bareMs),
      ratio: bareMs / addMs,
    });
    emit({ bench: 'store.contacts.list.300', unit: 'ms', value: listMs });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
