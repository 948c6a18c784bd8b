import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/store.js';
import { makeCard } from '../../helpers/cards.js';
import { tmpDir } from '../../helpers/tmp.js';

function store(): Store {
  return openStore({ dataDir: tmpDir(), now: () => 1_700_000_000_000 });
}

describe('contacts', () => {
  it('adds, lists by name, finds, counts and removes', () => {
    const s = store();
    const bo = s.contacts.add(makeCard('Bo'));
    const ada = s.contacts.add(makeCard('Ada'), { verified: true });
    expect(s.contacts.count()).toBe(2);
    expect(s.contacts.list()).toEqual({ contacts: [ada, bo], corrupt: [] });
    expect(ada).toMatchObject({
      name: 'Ada',
      cardName: 'Ada',
      verified: true,
      hasPsk: false,
      addedAt: 1_700_000_000_000,
    });
    expect(s.contacts.find('ADA')).toEqual(ada);
    expect(s.contacts.find(bo.fingerprint.slice(0, 9))).toEqual(bo); // "abcd ef01" as read off a screen
    expect(s.contacts.findByKey(bo.ed25519Public)).toEqual(bo);
    s.contacts.remove(bo.id);
    expect(s.contacts.count()).toBe(1);
    expect(() => s.contacts.get(bo.id)).toThrow(expect.objectContaining({ code: 'CONTACT_NOT_FOUND' }));
    expect(() => s.contacts.remove(bo.id)).toThrow(expect.objectContaining({ code: 'CONTACT_NOT_FOUND' }));
    s.close();
  });

  it('keeps a local name apart from the card name', () => {
    const s = store();
    const c = s.contacts.add(makeCard('Robert'), { name: 'Dad' });
    expect(c).toMatchObject({ name: 'Dad', cardName: 'Robert' });
    expect(s.contacts.find('dad').id).toBe(c.id);
    expect(() => s.contacts.find('Robert')).toThrow(expect.objectContaining({ code: 'CONTACT_NOT_FOUND' }));
    s.close();
  });

  it('refuses duplicates by key and by name, and bad names', () => {
    const s = store();
    const card = makeCard('Ada');
    s.contacts.add(card);
    expect(() => s.contacts.add(card, { name: 'Other' })).toThrow(
      expect.objectContaining({
        code: 'CONTACT_EXISTS',
        message: 'this card is already a contact, named "Ada"',
      }),
    );
    expect(() => s.contacts.add(makeCard('ada'))).toThrow(
      expect.objectContaining({
        code: 'CONTACT_EXISTS',
        message: expect.stringContaining('choose another name'),
      }),
    );
    expect(() => s.contacts.add(makeCard('X'), { name: ' padded ' })).toThrow(
      expect.objectContaining({ code: 'CONTACT_BAD_NAME' }),
    );
    expect(s.contacts.count()).toBe(1);
    s.close();
  });

  it('reports ambiguous and unknown queries', () => {
    const s = store();
    const cards = Array.from({ length: 40 }, (_, i) => s.contacts.add(makeCard(`C${i}`)));
    // With 40 contacts, some pair shares a first hex digit... but queries need 4 digits, so find a
    // shared 4-digit prefix only if one exists; otherwise check that a 4-digit prefix is unique.
    const byPrefix = new Map<string, number>();
    for (const c of cards)
      byPrefix.set(c.fingerprint.slice(0, 4), (byPrefix.get(c.fingerprint.slice(0, 4)) ?? 0) + 1);
    for (const [prefix, n] of byPrefix) {
      if (n > 1)
        expect(() => s.contacts.find(prefix)).toThrow(expect.objectContaining({ code: 'CONTACT_AMBIGUOUS' }));
      else expect(s.contacts.find(prefix).fingerprint.startsWith(prefix)).toBe(true);
    }
    expect(() => s.contacts.find('nobody')).toThrow(expect.objectContaining({ code: 'CONTACT_NOT_FOUND' }));
    expect(() => s.contacts.find('abc')).toThrow(expect.objectContaining({ code: 'CONTACT_NOT_FOUND' }));
    s.close();
  });

  it('finds an ambiguous fingerprint prefix as ambiguous', () => {
    const s = store();
    // Draw cards until two share a 4-hex-digit prefix (birthday bound: ~300 draws; capped at 3000).
    const seen = new Map<string, string>();
    let shared: string | null = null;
    for (let i = 0; i < 3000 && !shared; i++) {
      const c = s.contacts.add(makeCard(`D${i}`));
      const p = c.fingerprint.slice(0, 4);
      if (seen.has(p)) shared = p;
      seen.set(p, c.name);
    }
    expect(shared).not.toBeNull();
    expect(() => s.contacts.find(shared as string)).toThrow(
      expect.objectContaining({
        code: 'CONTACT_AMBIGUOUS',
        message: expect.stringContaining('give more digits'),
      }),
    );
    s.close();
  });

  it('seals the pairing PSK and binds it to its contact', () => {
    const s = store();
    const a = s.contacts.add(makeCard('A'));
    const b = s.contacts.add(makeCard('B'));
    expect(s.contacts.psk(a.id)).toBeNull();
    s.contacts.setPsk(a.id, new Uint8Array(32).fill(1), true);
    expect(s.contacts.get(a.id)).toMatchObject({ hasPsk: true, verified: true });
    expect(s.contacts.psk(a.id)).toEqual(new Uint8Array(32).fill(1));
    // A sealed PSK moved to another contact's row does not open there.
    s.db
      .prepare('UPDATE contacts SET psk_sealed = (SELECT psk_sealed FROM contacts WHERE id = ?) WHERE id = ?')
      .run(a.id, b.id);
    expect(() => s.contacts.psk(b.id)).toThrow(expect.objectContaining({ code: 'VAULT_OPEN_FAILED' }));
    expect(() => s.contacts.setPsk(a.id, new Uint8Array(16), true)).toThrow(
      expect.objectContaining({ code: 'CRYPTO_BAD_KEY' }),
    );
    s.close();
  });

  it('reports corrupt rows by id instead of using them', () => {
    const s = store();
    const good = s.contacts.add(makeCard('Good'));
    const bad = s.contacts.add(makeCard('Bad'));
    const other = makeCard('Other');
    // A row whose card no longer matches its key columns, and one whose card is garbage.
    s.db.prepare('UPDATE contacts SET x25519_public = ? WHERE id = ?').run(other.x25519Public, bad.id);
    const worse = s.contacts.add(makeCard('Worse'));
    s.db.prepare("UPDATE contacts SET card = x'0102' WHERE id = ?").run(worse.id);
    expect(s.contacts.list()).toEqual({ contacts: [good], corrupt: [bad.id, worse.id] });
    expect(() => s.contacts.get(bad.id)).toThrow(
      expect.objectContaining({
        code: 'STORE_CORRUPT_ROW',
        message: expect.stringContaining(`row ${bad.id}`),
      }),
    );
    expect(() => s.contacts.find('worse')).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT_ROW' }));
    s.close();
  });
});

describe('settings', () => {
  it('stores typed values and reads them back', () => {
    const s = store();
    expect(s.settings.get('service.starts')).toBeUndefined();
    s.settings.set('service.starts', 3);
    s.settings.set('service.running', true);
    s.settings.set('service.version', '1.2.3');
    expect(s.settings.get('service.starts')).toBe(3);
    expect(s.settings.get('service.running')).toBe(true);
    expect(s.settings.get('service.version')).toBe('1.2.3');
    s.settings.delete('service.running');
    expect(s.settings.get('service.running')).toBeUndefined();
    s.close();
  });

  it('refuses a value of the wrong type and reports a corrupt row', () => {
    const s = store();
    expect(() => s.settings.set('service.starts', -1)).toThrow(
      expect.objectContaining({ code: 'SETTING_INVALID' }),
    );
    // @ts-expect-error: the wrong type on purpose, as a bug elsewhere would pass it
    expect(() => s.settings.set('service.running', 'yes')).toThrow(
      expect.objectContaining({ code: 'SETTING_INVALID' }),
    );
    s.db.prepare("INSERT INTO settings VALUES ('service.starts', 'not json', 0)").run();
    expect(() => s.settings.get('service.starts')).toThrow(
      expect.objectContaining({
        code: 'STORE_CORRUPT_ROW',
        message: 'setting service.starts is corrupt: not JSON',
      }),
    );
    s.db.prepare("UPDATE settings SET value = '\"three\"' WHERE key = 'service.starts'").run();
    expect(() => s.settings.get('service.starts')).toThrow(
      expect.objectContaining({ code: 'STORE_CORRUPT_ROW' }),
    );
    s.close();
  });
});
