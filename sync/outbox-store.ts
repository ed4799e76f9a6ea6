// The outbox's SQL: every statement on sync_batches, sync_streams and sync_history (schema in
// migrations.ts), the transactions that write them, and the pragmas that report and reclaim file
// space. No policy: the outbox says what to write, drop and acknowledge; this says how.
import type Database from 'better-sqlite3';
import { GENESIS_HASH } from './integrity.js';
import type { ChainState, PendingBatch, SealedBatch } from './outbox-sealer.js';
import type { VictimRow } from './outbox-retention.js';
import { LANE_RANK, LANES, type Lane } from './stream.js';

/** A sealed batch as stored: what the uplink publishes. */
export interface StoredBatch extends SealedBatch {
  id: number;
  stream: string;
  type: string;
  lane: Lane;
  critical: boolean;
  bytes: number;
}

/** Unacknowledged batches of one lane. */
export interface LaneBacklog {
  batches: number;
  records: number;
  bytes: number;
  /** Acquisition time of the oldest record waiting, ms epoch; null when the lane is empty. */
  oldestTime: number | null;
}

/** What an acknowledgement takes off the stored totals. */
export interface BatchSize {
  bytes: number;
  records: number;
}

interface BatchRow {
  id: number;
  stream: string;
  type: string;
  lane: number;
  critical: number;
  first_seq: number;
  last_seq: number;
  records: number;
  first_time: number;
  last_time: number;
  sealed_at: number;
  name: string;
  bytes: number;
  payload: Buffer;
  prev_hash: string;
  hash: string;
  signature: string;
}

/** Victim scans read this many rows per query, so a scan that stops early reads little. */
const VICTIM_PAGE = 256;

export class OutboxStore {
  private readonly stmt: ReturnType<typeof prepare>;

  constructor(private readonly db: Database.Database) {
    this.stmt = prepare(db);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Stored batches, payload bytes and records, counted once at start (the outbox keeps them in memory after). */
  totals(): { batches: number; bytes: number; records: number } {
    const t = this.stmt.totals.get() as { n: number; bytes: number; records: number };
    return { batches: t.n, bytes: t.bytes, records: t.records };
  }

  /** A stream's stored chain state; a stream never written starts at 1 on the genesis hash. */
  chainState(stream: string): ChainState {
    const row = this.stmt.loadState.get(stream) as { next_seq: number; last_hash: string } | undefined;
    return row ? { nextSeq: row.next_seq, lastHash: row.last_hash } : { nextSeq: 1, lastHash: GENESIS_HASH };
  }

  /** Deletes `victims`, inserts `pending` and saves the chain states, in one transaction. Throws what SQLite throws. */
  write(victims: readonly VictimRow[], pending: readonly PendingBatch[], chains: ReadonlyMap<string, ChainState>): void {
    this.db.transaction(() => {
      this.deleteVictims(victims);
      this.insertPending(pending, chains);
    })();
  }

  /** Routine batches, oldest first. */
  *routineOldestFirst(): Generator<VictimRow> {
    let after = 0;
    for (;;) {
      const rows = this.stmt.victimsOldest.all(after) as VictimRow[];
      if (rows.length === 0) return;
      for (const row of rows) {
        after = row.id;
        yield row;
      }
    }
  }

  /** One stream's batches, oldest first, with their criticality. */
  *streamOldestFirst(stream: string): Generator<VictimRow & { critical: number }> {
    let after = 0;
    for (;;) {
      const rows = this.stmt.victimsByAge.all(stream, after) as (VictimRow & { critical: number })[];
      if (rows.length === 0) return;
      for (const row of rows) {
        after = row.id;
        yield row;
      }
    }
  }

  /** Names of the streams with stored batches. Skip-scans the (stream, id) index: one seek per stream, not a scan of every row. */
  *storedStreams(): Generator<string> {
    let stream = this.stmt.nextStream.get('') as string | null;
    while (stream !== null && stream !== undefined) {
      yield stream;
      stream = this.stmt.nextStream.get(stream) as string | null;
    }
  }

  /** The next stored batch of `lane` with an id above `afterId`. */
  nextInLane(lane: Lane, afterId: number): StoredBatch | undefined {
    const row = this.stmt.nextInLane.get(LANE_RANK[lane], afterId) as BatchRow | undefined;
    return row ? toStoredBatch(row) : undefined;
  }

  /** Size of a stored batch, or undefined when it is not stored. */
  batchSize(id: number): BatchSize | undefined {
    return this.stmt.batchInfo.get(id) as BatchSize | undefined;
  }

  /** Copies acknowledged batches to history (streams that keep it) and deletes them, in one transaction. Returns those deleted. */
  ackWithHistory<T extends [number, BatchSize]>(acked: readonly T[], ackedAt: number): T[] {
    return this.db.transaction(() => {
      const done: T[] = [];
      for (const entry of acked) {
        this.stmt.toHistory.run(ackedAt, entry[0]);
        if (this.stmt.deleteBatch.run(entry[0]).changes > 0) done.push(entry);
      }
      return done;
    })();
  }

  /** Deletes acknowledged batches without their history copies (no room for them). Returns those deleted. */
  ackWithoutHistory<T extends [number, BatchSize]>(acked: readonly T[]): T[] {
    return this.db.transaction(() => acked.filter(([id]) => this.stmt.deleteBatch.run(id).changes > 0))();
  }

  /** Deletes history past its keep-until time. */
  pruneHistory(now: number): void {
    this.stmt.pruneHistory.run(now);
  }

  /** Stored batches per lane (one indexed query). */
  backlogRows(): { lane: Lane; backlog: LaneBacklog }[] {
    const rows = this.stmt.backlog.all() as { lane: number; batches: number; records: number; bytes: number; oldest: number | null }[];
    const out: { lane: Lane; backlog: LaneBacklog }[] = [];
    for (const r of rows) {
      const lane = LANES[r.lane];
      if (lane) out.push({ lane, backlog: { batches: r.batches, records: r.records, bytes: r.bytes, oldestTime: r.oldest } });
    }
    return out;
  }

  /** page_count × page_size and freelist bytes of the database file (excluding the -wal file). */
  fileSpace(): { fileBytes: number; freeBytes: number } {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return {
      fileBytes: (this.db.pragma('page_count', { simple: true }) as number) * pageSize,
      freeBytes: (this.db.pragma('freelist_count', { simple: true }) as number) * pageSize,
    };
  }

  /**
   * Hands up to `maxPages` free pages back to the filesystem when the file was created with
   * incremental auto-vacuum (openSyncDatabase). Returns whether it vacuumed anything.
   */
  vacuumStep(maxPages: number): boolean {
    if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) return false;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    if (free <= 0) return false;
    this.db.pragma(`incremental_vacuum(${Math.min(free, maxPages)})`);
    return true;
  }

  /** Checkpoints and truncates the WAL on this connection (an fsync). */
  truncateWal(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  private insertPending(pending: readonly PendingBatch[], chains: ReadonlyMap<string, ChainState>): void {
    for (const b of pending) {
      this.stmt.insert.run(
        b.def.name,
        b.def.type,
        LANE_RANK[b.def.lane],
        b.def.criticality === 'critical' ? 1 : 0,
        b.firstSeq,
        b.lastSeq,
        b.records,
        b.firstTime,
        b.lastTime,
        b.sealedAt,
        b.name,
        b.payload.length,
        b.payload,
        b.prevHash,
        b.hash,
        b.signature,
        b.def.historyRetentionMs,
      );
    }
    for (const [stream, st] of chains) this.stmt.upsertState.run(stream, st.nextSeq, st.lastHash);
  }

  private deleteVictims(victims: readonly VictimRow[]): void {
    const perStream = new Map<string, number>();
    for (const v of victims) {
      this.stmt.deleteBatch.run(v.id);
      perStream.set(v.stream, (perStream.get(v.stream) ?? 0) + v.records);
    }
    for (const [stream, n] of perStream) this.stmt.addDropped.run(stream, n);
  }
}

function prepare(db: Database.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO sync_batches (stream, type, lane, critical, first_seq, last_seq, records, first_time, last_time,
         sealed_at, name, bytes, payload, prev_hash, hash, signature, history_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    upsertState: db.prepare(
      `INSERT INTO sync_streams (stream, next_seq, last_hash) VALUES (?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET next_seq = excluded.next_seq, last_hash = excluded.last_hash`,
    ),
    loadState: db.prepare('SELECT next_seq, last_hash FROM sync_streams WHERE stream = ?'),
    deleteBatch: db.prepare('DELETE FROM sync_batches WHERE id = ?'),
    addDropped: db.prepare(
      `INSERT INTO sync_streams (stream, next_seq, last_hash, dropped_records) VALUES (?, 1, '${GENESIS_HASH}', ?)
       ON CONFLICT (stream) DO UPDATE SET dropped_records = dropped_records + excluded.dropped_records`,
    ),
    victimsByAge: db.prepare(
      `SELECT id, stream, critical, first_seq, last_seq, records, bytes, first_time, last_time, prev_hash, hash
       FROM sync_batches WHERE stream = ? AND id > ? ORDER BY id LIMIT ${VICTIM_PAGE}`,
    ),
    victimsOldest: db.prepare(
      `SELECT id, stream, first_seq, last_seq, records, bytes, first_time, last_time, prev_hash, hash
       FROM sync_batches WHERE critical = 0 AND id > ? ORDER BY id LIMIT ${VICTIM_PAGE}`,
    ),
    nextInLane: db.prepare('SELECT * FROM sync_batches WHERE lane = ? AND id > ? ORDER BY id LIMIT 1'),
    toHistory: db.prepare(
      `INSERT OR IGNORE INTO sync_history (batch_id, stream, type, first_seq, last_seq, records, first_time, last_time,
         name, payload, prev_hash, hash, signature, acked_at, keep_until)
       SELECT id, stream, type, first_seq, last_seq, records, first_time, last_time, name, payload, prev_hash, hash,
         signature, ?, last_time + history_ms
       FROM sync_batches WHERE id = ? AND history_ms IS NOT NULL`,
    ),
    batchInfo: db.prepare('SELECT bytes, records FROM sync_batches WHERE id = ?'),
    pruneHistory: db.prepare('DELETE FROM sync_history WHERE keep_until < ?'),
    nextStream: db.prepare('SELECT min(stream) FROM sync_batches WHERE stream > ?').pluck(),
    backlog: db.prepare(
      'SELECT lane, count(*) AS batches, coalesce(sum(records), 0) AS records, coalesce(sum(bytes), 0) AS bytes, min(first_time) AS oldest FROM sync_batches GROUP BY lane',
    ),
    totals: db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes, coalesce(sum(records), 0) AS records FROM sync_batches'),
  };
}

function toStoredBatch(row: BatchRow): StoredBatch {
  return {
    id: row.id,
    stream: row.stream,
    type: row.type,
    lane: LANES[row.lane] ?? 'backlog',
    critical: row.critical === 1,
    firstSeq: row.first_seq,
    lastSeq: row.last_seq,
    records: row.records,
    firstTime: row.first_time,
    lastTime: row.last_time,
    sealedAt: row.sealed_at,
    name: row.name,
    bytes: row.bytes,
    payload: row.payload,
    prevHash: row.prev_hash,
    hash: row.hash,
    signature: row.signature,
  };
}
