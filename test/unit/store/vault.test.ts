import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemRng } from '../../../src/crypto/random.js';
import { openStore } from '../../../src/store/store.js';
import { Vault } from '../../../src/store/vault.js';
import { makeCard } from '../../helpers/cards.js';
import { tmpDir } from '../../helpers/tmp.js';

function contains(haystack: Buffer, needle: Uint8Array): boolean {
  return haystack.indexOf(Buffer.from(needle)) !== -1;
}

function readIfExists(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

describe('vault', () => {
  it('seals and opens, binding each value to its context', () => {
    const vault = new Vault(systemRng(32), systemRng);
    const secret = systemRng(32);
    const sealed = vault.seal(secret, 'a');
    expect(sealed.length).toBe(1 + 24 + 32 + 16);
    expect(vault.open(sealed, 'a')).toEqual(secret);
    // Same plaintext twice gives different sealed values (random nonce).
    expect(vault.seal(secret, 'a')).not.toEqual(sealed);
    expect(() => vault.open(sealed, 'b')).toThrow(expect.objectContaining({ code: 'VAULT_OPEN_FAILED' }));
    expect(() => new Vault(systemRng(32), systemRng).open(sealed, 'a')).toThrow(
      expect.objectContaining({ code: 'VAULT_OPEN_FAILED' }),
    );
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i] = (bad[i] as number) ^ 1;
      expect(() => vault.open(bad, 'a'), `byte ${i}`).toThrow(
        expect.objectContaining({ code: 'VAULT_OPEN_FAILED' }),
      );
    }
    expect(() => vault.open(sealed.subarray(0, 40), 'a')).toThrow(
      expect.objectContaining({ code: 'VAULT_OPEN_FAILED' }),
    );
  });

  it('never lets a secret reach the database file or its WAL in the clear', () => {
    const dir = tmpDir();
    const store = openStore({ dataDir: dir });
    const psks: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      const contact = store.contacts.add(makeCard(`Friend ${i}`));
      const psk = systemRng(32);
      store.contacts.setPsk(contact.id, psk, false);
      psks.push(psk);
    }
    const withPsk = store.contacts.add(makeCard('Paired'), { psk: systemRng(32), verified: true });
    psks.push(store.contacts.psk(withPsk.id) as Uint8Array);
    const key = readFileSync(join(dir, 'storage.key'));
    const secrets = [store.identity.ed25519.secretKey, store.identity.x25519.secretKey, ...psks, key];
    const publics = [store.identity.ed25519.publicKey, store.identity.x25519.publicKey];

    const scan = () => {
      const files = Buffer.concat([
        readIfExists(join(dir, 'kith.db')),
        readIfExists(join(dir, 'kith.db-wal')),
      ]);
      expect(files.length).toBeGreaterThan(0);
      // The scan can find keys: the public halves are stored in the clear on purpose.
      for (const p of publics) expect(contains(files, p)).toBe(true);
      for (const s of secrets) expect(contains(files, s)).toBe(false);
    };
    scan(); // while open: most pages are still in the WAL
    store.close();
    scan(); // after close: checkpointed into the main file
  });

  it('reopens with the same identity and contacts', () => {
    const dir = tmpDir();
    const a = openStore({ dataDir: dir });
    expect(a.created).toBe(true);
    a.contacts.add(makeCard('Bo'), { psk: new Uint8Array(32).fill(7) });
    const id = a.identity;
    a.close();
    const b = openStore({ dataDir: dir });
    expect(b.created).toBe(false);
    expect(b.identity).toEqual(id);
    const bo = b.contacts.find('bo');
    expect(b.contacts.psk(bo.id)).toEqual(new Uint8Array(32).fill(7));
    b.close();
  });

  it('creates the key file 0600 in a 0700 directory', () => {
    const dir = join(tmpDir(), 'data');
    openStore({ dataDir: dir }).close();
    expect(statSync(join(dir, 'storage.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  describe('a wrong or missing key file is a clear error', () => {
    function prepared() {
      const dir = tmpDir();
      openStore({ dataDir: dir }).close();
      return { dir, keyPath: join(dir, 'storage.key') };
    }

    it('missing', () => {
      const { dir, keyPath } = prepared();
      rmSync(keyPath);
      expect(() => openStore({ dataDir: dir })).toThrow(
        expect.objectContaining({ code: 'VAULT_KEY_MISSING', message: expect.stringContaining(keyPath) }),
      );
    });

    it('another key', () => {
      const { dir, keyPath } = prepared();
      writeFileSync(keyPath, systemRng(32), { mode: 0o600 });
      expect(() => openStore({ dataDir: dir })).toThrow(
        expect.objectContaining({ code: 'VAULT_KEY_MISMATCH' }),
      );
    });

    it('wrong size', () => {
      const { dir, keyPath } = prepared();
      writeFileSync(keyPath, systemRng(31), { mode: 0o600 });
      expect(() => openStore({ dataDir: dir })).toThrow(
        expect.objectContaining({
          code: 'VAULT_KEY_INVALID',
          message: expect.stringContaining('holds 31 bytes'),
        }),
      );
    });

    it('readable by others', () => {
      const { dir, keyPath } = prepared();
      chmodSync(keyPath, 0o644);
      expect(() => openStore({ dataDir: dir })).toThrow(
        expect.objectContaining({
          code: 'VAULT_KEY_PERMISSIONS',
          message: expect.stringContaining('mode 0644'),
        }),
      );
    });

    it('not a file', () => {
      const { dir, keyPath } = prepared();
      rmSync(keyPath);
      openStore({ dataDir: join(keyPath) }).close(); // a directory where the key should be
      expect(() => openStore({ dataDir: dir })).toThrow(
        expect.objectContaining({ code: 'VAULT_KEY_INVALID' }),
      );
    });

    it('a sealed identity secret that was tampered with', () => {
      const { dir } = prepared();
      const s = openStore({ dataDir: dir });
      const row = s.db.prepare('SELECT ed25519_secret_sealed AS v FROM identity').get() as { v: Buffer };
      row.v[30] = (row.v[30] as number) ^ 1;
      s.db.prepare('UPDATE identity SET ed25519_secret_sealed = ?').run(row.v);
      s.close();
      expect(() => openStore({ dataDir: dir })).toThrow(
        expect.objectContaining({ code: 'VAULT_OPEN_FAILED' }),
      );
    });

    it('an identity whose public key no longer matches its secret', () => {
      const { dir } = prepared();
      const s = openStore({ dataDir: dir });
      s.db.prepare('UPDATE identity SET x25519_public = ?').run(systemRng(32));
      s.close();
      expect(() => openStore({ dataDir: dir })).toThrow(
        expect.objectContaining({ code: 'STORE_CORRUPT_ROW' }),
      );
    });
  });

  it('a second opener of the same data directory is refused while the first holds it', () => {
    const dir = tmpDir();
    const first = openStore({ dataDir: dir });
    expect(() => openStore({ dataDir: dir })).toThrow(expect.objectContaining({ code: 'STORE_LOCKED' }));
    first.close();
    openStore({ dataDir: dir }).close();
  });

  it('a file that is not SQLite is refused, not overwritten', () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'kith.db'), 'not a database at all, just text that is long enough to matter');
    expect(() => openStore({ dataDir: dir })).toThrow(expect.objectContaining({ code: 'STORE_OPEN_FAILED' }));
    expect(readFileSync(join(dir, 'kith.db'), 'utf8')).toMatch(/^not a database/);
  });
});
