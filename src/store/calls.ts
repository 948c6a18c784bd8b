// Calls: the call history. One row per call, written once when the call ends (by the service,
// from the call machine's record) and never changed. A row names its contact by Ed25519 public
// key, so the history survives the contact's removal and re-import.
//
// Every row read back is checked against the same schema its write was (store/call-record.ts), so a
// corrupt row is reported by id and never shown as a call that happened.
import { callRecordSchema, type CallRecord } from './call-record.js';
import { fromHex, plainBytes, toHex } from '../crypto/bytes.js';
import { KithError } from '../errors.js';
import type { Db } from './database.js';

/** The largest page `list` returns. */
export const MAX_CALLS_PER_PAGE = 1000;

export interface StoredCall extends CallRecord {
  /** The row's id: how a corrupt row is reported. */
  rowId: number;
}

export interface ListCallsOptions {
  /** Most rows to read, 1..MAX_CALLS_PER_PAGE; corrupt rows count towards it. */
  limit: number;
  /**
   * Only calls started strictly before this time (ms since the epoch): pass the startedAt of a
   * page's last call to get the next page. (Two calls that started in the same millisecond across
   * a page boundary would skip one; a device holds one call at a time, so that takes a busy refusal
   * landing on the millisecond its own call began.)
   */
  before?: number;
}

interface CallRow {
  id: number;
  call_id: Uint8Array;
  contact_key: Uint8Array;
  direction: string;
  started_at: number;
  answered_at: number | null;
  ended_at: number;
  end_reason: string;
  metrics: string | null;
}

export class Calls {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Stores the record of a call that ended. Returns once the row is committed (autocommit with
   * synchronous=FULL, store/database.ts), so the caller may then acknowledge the end.
   */
  record(call: CallRecord): StoredCall {
    const checked = callRecordSchema.safeParse(call);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new KithError(
        'CALL_BAD_RECORD',
        `call record is malformed: ${issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid'}`,
      );
    }
    const r = checked.data;
    try {
      const info = this.#db
        .prepare(
          `INSERT INTO calls (call_id, contact_key, direction, started_at, answered_at, ended_at, end_reason, metrics)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.id,
          fromHex(r.peerId),
          r.direction,
          r.startedAt,
          r.answeredAt,
          r.endedAt,
          r.endReason,
          r.metrics === null ? null : JSON.stringify(r.metrics),
        );
      return { ...r, rowId: Number(info.lastInsertRowid) };
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new KithError('CALL_ALREADY_RECORDED', `call ${toHex(r.id)} is already in the call history`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  /** Calls newest first (by start), and the row ids of rows that failed their checks. */
  list(opts: ListCallsOptions): { calls: StoredCall[]; corrupt: number[] } {
    const { limit, before } = opts;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CALLS_PER_PAGE) {
      throw new KithError('CALL_BAD_QUERY', `limit must be 1..${MAX_CALLS_PER_PAGE}, got ${limit}`);
    }
    if (before !== undefined && !Number.isSafeInteger(before)) {
      throw new KithError('CALL_BAD_QUERY', `before must be a time in ms since the epoch, got ${before}`);
    }
    const rows = (
      before === undefined
        ? this.#db.prepare('SELECT * FROM calls ORDER BY started_at DESC, id DESC LIMIT ?').all(limit)
        : this.#db
            .prepare('SELECT * FROM calls WHERE started_at < ? ORDER BY started_at DESC, id DESC LIMIT ?')
            .all(before, limit)
    ) as CallRow[];
    const calls: StoredCall[] = [];
    const corrupt: number[] = [];
    for (const row of rows) {
      const call = fromRow(row);
      if (call) calls.push(call);
      else corrupt.push(row.id);
    }
    return { calls, corrupt };
  }

  get(callId: Uint8Array): StoredCall {
    const row = this.#db.prepare('SELECT * FROM calls WHERE call_id = ?').get(callId) as CallRow | undefined;
    if (!row) throw new KithError('CALL_NOT_FOUND', `no call ${toHex(callId)} in the call history`);
    const call = fromRow(row);
    if (!call) throw new KithError('STORE_CORRUPT_ROW', `call row ${row.id} is corrupt`);
    return call;
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM calls').get() as { n: number }).n;
  }
}

function fromRow(row: CallRow): StoredCall | null {
  let metrics: unknown = null;
  if (row.metrics !== null) {
    try {
      metrics = JSON.parse(row.metrics);
    } catch {
      return null;
    }
  }
  const parsed = callRecordSchema.safeParse({
    id: plainBytes(row.call_id),
    direction: row.direction,
    peerId: toHex(row.contact_key),
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    endReason: row.end_reason,
    metrics,
  });
  return parsed.success ? { ...parsed.data, rowId: row.id } : null;
}
