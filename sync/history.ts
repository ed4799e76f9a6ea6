// Local history of acknowledged batches of the streams that must be kept (AQ 6201-2019: alarms,
// cut-offs, feed abnormalities, faults and 5-minute statistics ≥ 1 year). The outbox copies a
// batch here when the broker acknowledges it; housekeeping deletes it after its keep_until.
import type Database from 'better-sqlite3';

export interface HistoryBatch {
  batchId: number;
  stream: string;
  type: string;
  firstSeq: number;
  lastSeq: number;
  records: number;
  /** Acquisition times of the oldest and newest record, ms epoch. */
  firstTime: number;
  lastTime: number;
  name: string;
  /** The file exactly as delivered (MT/T 1201 or JSON Lines). */
  payload: Buffer;
  prevHash: string;
  hash: string;
  signature: string;
  ackedAt: number;
  keepUntil: number;
}

export interface HistoryQuery {
  stream?: string;
  /** Batches whose newest record is at or after this time, ms epoch. */
  fromMs?: number;
  /** …and whose oldest record is before this time. */
  toMs?: number;
  /** Default 1000. */
  limit?: number;
}

/** Kept batches, oldest first, for the technician CLI and audits. */
export function queryHistory(db: Database.Database, q: HistoryQuery = {}): HistoryBatch[] {
  const limit = q.limit ?? 1000;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError(`queryHistory: limit must be a positive integer, got ${String(q.limit)}`);
  for (const k of ['fromMs', 'toMs'] as const) {
    if (q[k] !== undefined && !Number.isFinite(q[k])) throw new TypeError(`queryHistory: ${k} must be a ms epoch, got ${String(q[k])}`);
  }
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.stream !== undefined) {
    where.push('stream = ?');
    args.push(q.stream);
  }
  if (q.fromMs !== undefined) {
    where.push('last_time >= ?');
    args.push(q.fromMs);
  }
  if (q.toMs !== undefined) {
    where.push('first_time < ?');
    args.push(q.toMs);
  }
  const sql = `SELECT batch_id AS batchId, stream, type, first_seq AS firstSeq, last_seq AS lastSeq, records, first_time AS firstTime,
      last_time AS lastTime, name, payload, prev_hash AS prevHash, hash, signature, acked_at AS ackedAt, keep_until AS keepUntil
    FROM sync_history ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY stream, first_seq LIMIT ?`;
  return db.prepare(sql).all(...args, limit) as HistoryBatch[];
}
