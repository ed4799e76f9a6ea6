// What is waiting upstream, read straight from an outbox database file (read-only, never
// migrating or writing): for `minegate sync status` when no gateway runs. Per lane and per stream:
// batches, records, bytes and the oldest record waiting; per stream the next sequence number and
// the records dropped so far (gap markers were sent for them).
import Database from 'better-sqlite3';
import { LANES, type Lane } from './stream.js';
import type { LaneBacklog } from './outbox.js';

export interface OutboxReport {
  file: string;
  lanes: Record<Lane, LaneBacklog>;
  streams: { stream: string; waitingBatches: number; waitingRecords: number; nextSeq: number; droppedRecords: number; oldestTime: number | null }[];
  /** Acknowledged batches kept locally (alarms, statistics: ≥ 1 year). */
  historyBatches: number;
}

/** Throws the SQLite error (e.g. SQLITE_CANTOPEN) when the file is missing or not an outbox. */
export function readOutboxReport(file: string): OutboxReport {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const lanes = Object.fromEntries(LANES.map((l) => [l, { batches: 0, records: 0, bytes: 0, oldestTime: null }])) as Record<Lane, LaneBacklog>;
    const laneRows = db
      .prepare('SELECT lane, count(*) AS batches, coalesce(sum(records), 0) AS records, coalesce(sum(bytes), 0) AS bytes, min(first_time) AS oldest FROM sync_batches GROUP BY lane')
      .all() as { lane: number; batches: number; records: number; bytes: number; oldest: number | null }[];
    for (const r of laneRows) {
      const lane = LANES[r.lane];
      if (lane) lanes[lane] = { batches: r.batches, records: r.records, bytes: r.bytes, oldestTime: r.oldest };
    }
    const streams = db
      .prepare(
        `SELECT s.stream AS stream, s.next_seq AS nextSeq, s.dropped_records AS droppedRecords,
                count(b.id) AS waitingBatches, coalesce(sum(b.records), 0) AS waitingRecords, min(b.first_time) AS oldestTime
         FROM sync_streams s LEFT JOIN sync_batches b ON b.stream = s.stream
         GROUP BY s.stream ORDER BY s.stream`,
      )
      .all() as OutboxReport['streams'];
    const historyBatches = db.prepare('SELECT count(*) FROM sync_history').pluck().get() as number;
    return { file, lanes, streams, historyBatches };
  } finally {
    db.close();
  }
}
