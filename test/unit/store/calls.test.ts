// The call history (store/calls.ts): records written once and read back checked, newest first,
// paged; malformed records refused whole; corrupt rows reported by id, never shown as calls.
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../../src/store/call-record.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { makeCard } from '../../helpers/cards.js';
import { tmpDir } from '../../helpers/tmp.js';

const PEER = 'ab'.repeat(32);

function call(n: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    id: new Uint8Array(16).fill(n),
    direction: 'outgoing',
    peerId: PEER,
    startedAt: 1_700_000_000_000 + n * 60_000,
    answeredAt: 1_700_000_000_000 + n * 60_000 + 2_000,
    endedAt: 1_700_000_000_000 + n * 60_000 + 30_000,
    endReason: 'hangup-local',
    metrics: { setupMs: 2_000, rttMs: 48.5, lossBeforeRecovery: 0.03, lossAfterRecovery: 0.001, mos: 4.1 },
    ...overrides,
  };
}

function store(dir = tmpDir()): Store {
  return openStore({ dataDir: dir, now: () => 1_700_000_000_000 });
}

describe('calls', () => {
  it('records a call and reads it back, committed, across a reopen', () => {
    const dir = tmpDir();
    const s = store(dir);
    const stored = s.calls.record(call(1));
    expect(stored).toEqual({ ...call(1), rowId: 1 });
    const missed = s.calls.record(
      call(2, { direction: 'incoming', answeredAt: null, endReason: 'no-answer', metrics: null }),
    );
    s.close();
    const again = store(dir);
    expect(again.calls.get(call(1).id)).toEqual(stored);
    expect(again.calls.get(call(2).id)).toEqual(missed);
    expect(again.calls.count()).toBe(2);
    again.close();
  });

  it('lists newest first, pages with limit and before, and breaks ties by insertion', () => {
    const s = store();
    for (const n of [3, 1, 4, 2]) s.calls.record(call(n));
    const tie = s.calls.record(call(5, { startedAt: call(4).startedAt }));
    const ids = (page: { calls: CallRecord[] }) => page.calls.map((c) => c.id[0]);
    expect(ids(s.calls.list({ limit: 10 }))).toEqual([5, 4, 3, 2, 1]);
    const first = s.calls.list({ limit: 2 });
    expect(ids(first)).toEqual([5, 4]);
    expect(ids(s.calls.list({ limit: 2, before: tie.startedAt }))).toEqual([3, 2]);
    expect(ids(s.calls.list({ limit: 10, before: call(1).startedAt }))).toEqual([]);
    expect(first.corrupt).toEqual([]);
    s.close();
  });

  it('refuses malformed records whole', () => {
    const s = store();
    const bad: [string, CallRecord, string][] = [
      ['short call id', call(1, { id: new Uint8Array(15) }), 'id: call id is not 16 bytes'],
      ['peer id not hex', call(1, { peerId: 'Bo' }), 'peerId'],
      ['upper-case peer id', call(1, { peerId: PEER.toUpperCase() }), 'peerId'],
      ['answered after the end', call(1, { answeredAt: call(1).endedAt + 1 }), 'times are not in the order'],
      ['ended before the start', call(1, { endedAt: call(1).startedAt - 1, answeredAt: null }), 'times'],
      ['fractional time', call(1, { startedAt: 1.5 }), 'startedAt'],
      ['unknown reason', call(1, { endReason: 'exploded' as 'error' }), 'endReason'],
      ['MOS out of range', call(1, { metrics: { mos: 5.5 } }), 'metrics.mos'],
      ['unknown metric', call(1, { metrics: { mos: 4, loudness: 3 } as CallRecord['metrics'] }), 'metrics'],
    ];
    for (const [what, record, message] of bad) {
      expect(() => s.calls.record(record), what).toThrow(
        expect.objectContaining({ code: 'CALL_BAD_RECORD', message: expect.stringContaining(message) }),
      );
    }
    expect(s.calls.count()).toBe(0);
    s.close();
  });

  it('refuses a call recorded twice, and names unknown calls and bad queries', () => {
    const s = store();
    s.calls.record(call(1));
    expect(() => s.calls.record(call(1, { endReason: 'error' }))).toThrow(
      expect.objectContaining({
        code: 'CALL_ALREADY_RECORDED',
        message: `call ${toHex(call(1).id)} is already in the call history`,
      }),
    );
    expect(s.calls.get(call(1).id).endReason).toBe('hangup-local');
    expect(() => s.calls.get(call(2).id)).toThrow(expect.objectContaining({ code: 'CALL_NOT_FOUND' }));
    for (const limit of [0, -1, 1.5, 1001, Number.NaN]) {
      expect(() => s.calls.list({ limit }), `limit ${limit}`).toThrow(
        expect.objectContaining({ code: 'CALL_BAD_QUERY' }),
      );
    }
    expect(() => s.calls.list({ limit: 1, before: Number.POSITIVE_INFINITY })).toThrow(
      expect.objectContaining({ code: 'CALL_BAD_QUERY' }),
    );
    s.close();
  });

  it('reports corrupt rows by id instead of using them', () => {
    const s = store();
    const good = s.calls.record(call(1));
    const badMetrics = s.calls.record(call(2));
    const badReason = s.calls.record(call(3));
    const badTimes = s.calls.record(call(4));
    // Valid JSON the schema refuses; and, past the table's CHECKs (as a damaged page or an older,
    // buggier writer would be), a reason outside the set and times out of order.
    s.db.prepare(`UPDATE calls SET metrics = '{"mos": 9}' WHERE id = ?`).run(badMetrics.rowId);
    s.db.pragma('ignore_check_constraints = ON');
    s.db.prepare(`UPDATE calls SET end_reason = 'exploded' WHERE id = ?`).run(badReason.rowId);
    s.db.prepare('UPDATE calls SET answered_at = ended_at + 1 WHERE id = ?').run(badTimes.rowId);
    s.db.pragma('ignore_check_constraints = OFF');
    expect(s.calls.list({ limit: 10 })).toEqual({
      calls: [good],
      corrupt: [badTimes.rowId, badReason.rowId, badMetrics.rowId],
    });
    for (const bad of [badMetrics, badReason, badTimes]) {
      expect(() => s.calls.get(bad.id)).toThrow(
        expect.objectContaining({ code: 'STORE_CORRUPT_ROW', message: `call row ${bad.rowId} is corrupt` }),
      );
    }
    s.close();
  });

  it('keeps a contact history through its removal and re-import', () => {
    const s = store();
    const card = makeCard('Ada');
    const ada = s.contacts.add(card);
    const peerId = toHex(ada.ed25519Public);
    s.calls.record(call(1, { peerId }));
    s.contacts.remove(ada.id);
    // SQLite hands Ada's row id to the next contact: a history kept by row id would now be Bo's.
    const bo = s.contacts.add(makeCard('Bo'));
    expect(bo.id).toBe(ada.id);
    s.contacts.add(card);
    const [entry] = s.calls.list({ limit: 10 }).calls;
    expect(s.contacts.findByKey(Buffer.from(entry?.peerId ?? '', 'hex'))?.name).toBe('Ada');
    s.close();
  });
});
