import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { openDatabase } from '../../src/store/database.js';
import { openStore } from '../../src/store/store.js';
import { tmpDir } from '../helpers/tmp.js';

const WRITER = resolve('dist/test/fixtures/contact-writer.js');
const ROUNDS = 12;
const PER_ROUND_MAX = 100_000;

/** Runs the writer, kills it with SIGKILL after `afterAcks` acks plus a random extra delay. */
function writeAndKill(
  dataDir: string,
  first: number,
  afterAcks: number,
  extraMs: number,
): Promise<Map<number, string>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRITER, dataDir, String(first), String(PER_ROUND_MAX)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked = new Map<number, string>();
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('writer did not reach the kill point in time'));
    }, 30_000);
    let killScheduled = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^ack (\d+) ([0-9a-f]{64})$/.exec(line);
      if (!m) return;
      acked.set(Number(m[1]), m[2] as string);
      if (!killScheduled && acked.size >= afterAcks) {
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL')
        reject(new Error(`writer ended on its own (code ${code}) instead of being killed`));
      // Acks still in the pipe when the kill landed are read before 'exit' resolves this promise.
      else setImmediate(() => resolvePromise(acked));
    });
  });
}

describe('durability', () => {
  it(`keeps every acknowledged contact across ${ROUNDS} SIGKILLs at random moments`, async () => {
    const dataDir = tmpDir();
    const allAcked = new Map<number, string>();
    let next = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const acked = await writeAndKill(
        dataDir,
        next,
        1 + Math.floor(Math.random() * 50),
        Math.floor(Math.random() * 40),
      );
      expect(acked.size).toBeGreaterThan(0);
      for (const [i, key] of acked) allAcked.set(i, key);
      next = Math.max(...acked.keys()) + 1_000; // skip past any commit that was never acknowledged

      const db = openDatabase(join(dataDir, 'kith.db'));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set(
        (db.prepare('SELECT ed25519_public AS k FROM contacts').all() as { k: Uint8Array }[]).map((r) =>
          toHex(r.k),
        ),
      );
      db.close();
      const missing = [...allAcked].filter(([, key]) => !stored.has(key)).map(([i]) => i);
      expect(missing, `round ${round}: acknowledged but missing`).toEqual([]);
    }
    // The store as a whole still opens: identity, vault and every contact row are readable.
    const store = openStore({ dataDir });
    const { contacts, corrupt } = store.contacts.list();
    expect(corrupt).toEqual([]);
    expect(contacts.length).toBeGreaterThanOrEqual(allAcked.size);
    store.close();
  });
});
