// The durable outbox: everything that goes upstream passes through here.
//
// append() is called from the polling and safety path, so it only pushes onto a fixed-size
// in-memory queue (O(1), no disk, never throws). A timer flushes the queue in batched
// transactions: records get their per-stream sequence numbers, are grouped into batches (one
// batch = one MT/T 1201 file), and each batch is sealed (hash chain + Ed25519 signature) before
// it is written. The uplink reads sealed batches and deletes them only after the broker's PUBACK.
//
// Full policy (see sync/README.md for the exact contract):
// - the byte cap counts the payload bytes of stored batches; when a flush would exceed it, the
//   oldest routine batches are deleted in the same transaction and a gap marker goes upstream;
// - routine batches older than maxAgeMs are dropped the same way;
// - critical batches are never dropped before they are acknowledged;
// - when SQLite refuses writes (disk full), oldest routine batches are deleted to make room; if that
//   is not enough, records wait in memory (bounded; routine overflow is counted and reported).
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { GENESIS_HASH, sealBatch } from './integrity.js';
import { encodeLines } from './line-bytes.js';
import { BoundedQueue } from '../core/bounded-queue.js';
import { LANE_RANK, LANES, type BatchHeader, type Lane, type StreamDef } from './stream.js';
import { gapStream, type GapMarker, type GapReason } from './streams/gap.js';
import { SyncError, messageOf, silentLogger, type SyncLogger } from './sync-error.js';

export interface OutboxOptions {
  /** Opened with openDatabase(file, { sync: syncMigrations }); a file of its own is recommended (see README). */
  db: Database.Database;
  /** 12-digit 煤矿编码 */
  mineCode: string;
  mineName: string;
  /** 分站编码 */
  substation: string;
  /** The substation's Ed25519 private key (integrity.loadPrivateKey). */
  signingKey: KeyObject;
  /** Cap on the summed payload bytes of stored batches. */
  maxBytes?: number;
  /** Routine batches whose newest record was acquired longer ago than this are dropped. */
  maxAgeMs?: number;
  /** In-memory stage for routine records (entries). */
  queueCapacity?: number;
  /** In-memory stage for critical records (entries). */
  criticalQueueCapacity?: number;
  flushIntervalMs?: number;
  /** Records per flush transaction; bounds how long one flush holds the event loop. */
  maxFlushRecords?: number;
  batchMaxRecords?: number;
  /** Payload bytes per batch (approximate: counted on record lines). */
  batchMaxBytes?: number;
  encoding?: 'utf-8' | 'gb18030';
  /** After a failed flush (disk full, I/O error), wait this long before trying again. */
  diskRetryMs?: number;
  /** Age cap, history and reclaim run this often. */
  housekeepingIntervalMs?: number;
  /** false: no timers; the caller drives flush()/housekeeping() (tests, benches). */
  autoFlush?: boolean;
  now?: () => number;
  logger?: SyncLogger;
}

export const OUTBOX_DEFAULTS = {
  maxBytes: 256 * 1024 * 1024,
  // AQ 6201-2019 keeps real-time values locally for 7 days; older data is no longer worth a backlog slot.
  maxAgeMs: 7 * 86_400_000,
  queueCapacity: 200_000,
  criticalQueueCapacity: 100_000,
  flushIntervalMs: 100,
  // One flush holds the event loop (encode + seal + write): ~2000 CDSS records ≈ 15-35 ms here.
  maxFlushRecords: 2000,
  batchMaxRecords: 1000,
  batchMaxBytes: 256 * 1024,
  encoding: 'utf-8' as 'utf-8' | 'gb18030',
  diskRetryMs: 1000,
  housekeepingIntervalMs: 60_000,
  autoFlush: true,
  // When the cap is hit, drop down to this share of it, so the next flushes do not drop again at once.
  capHysteresis: 0.95,
  // On SQLITE_FULL, free at least this much (more when the pending flush is bigger) before retrying.
  diskFullMinFreeBytes: 64 * 1024,
  // Space reclaim (incremental vacuum step, WAL truncate after a full drain) at most this often…
  reclaimIntervalMs: 1_000,
  // …and at most this many pages per step (512 KiB with 4 KiB pages). Measured ~50 µs a page on
  // this machine's loaded disk: 1024-page steps stalled the event loop 35–90 ms after a drain.
  reclaimPagesPerStep: 128,
} as const;

/** A sealed batch as stored: what the uplink publishes. */
export interface StoredBatch {
  id: number;
  stream: string;
  type: string;
  lane: Lane;
  critical: boolean;
  firstSeq: number;
  lastSeq: number;
  records: number;
  firstTime: number;
  lastTime: number;
  sealedAt: number;
  name: string;
  bytes: number;
  payload: Buffer;
  prevHash: string;
  hash: string;
  signature: string;
}

export interface FlushResult {
  /** Records written in this flush. */
  records: number;
  batches: number;
  /** Records refused by their stream's encoder (counted in stats().rejected). */
  rejected: number;
  /** False when the database refused the write; records stay queued. */
  ok: boolean;
}

export interface OutboxStats {
  /** Records waiting in memory (routine + critical). */
  queued: number;
  queuedCritical: number;
  storedBatches: number;
  storedRecords: number;
  /** Payload bytes of stored batches: the capped quantity. */
  storedBytes: number;
  maxBytes: number;
  /** Stored bytes exceed the cap with nothing routine left to drop (critical data is never dropped). */
  overCap: boolean;
  /** The database refuses writes (disk full or I/O error); records are held in memory. */
  diskBlocked: boolean;
  appended: number;
  committedRecords: number;
  committedBatches: number;
  ackedBatches: number;
  ackedRecords: number;
  /** Routine records dropped, per reason. */
  dropped: Record<GapReason, number>;
  /** Critical records lost because the in-memory stage overflowed while the disk refused writes. */
  lostCritical: number;
  /** Records their stream could not encode (bad field), or appended after close. */
  rejected: number;
  gapMarkers: number;
  flushFailures: number;
  lastError: string | null;
  inFlight: number;
  /** page_count × page_size and freelist bytes of the database file (excluding the -wal file). */
  fileBytes: number;
  freeBytes: number;
}

interface QueueEntry {
  stream: StreamDef<unknown>;
  record: unknown;
}

interface StreamState {
  nextSeq: number;
  lastHash: string;
}

interface PendingBatch {
  def: StreamDef<unknown>;
  firstSeq: number;
  lastSeq: number;
  records: number;
  firstTime: number;
  lastTime: number;
  sealedAt: number;
  name: string;
  payload: Buffer;
  prevHash: string;
  hash: string;
  signature: string;
}

interface VictimRow {
  id: number;
  stream: string;
  first_seq: number;
  last_seq: number;
  records: number;
  bytes: number;
  first_time: number;
  last_time: number;
  prev_hash: string;
  hash: string;
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

interface InFlightInfo {
  bytes: number;
  records: number;
}

interface MemoryDrop {
  records: number;
  fromTime: number;
  toTime: number;
  critical: boolean;
}

const MINE_CODE = /^\d{12}$/;

export interface OutboxEvents {
  /** New sealed batches are ready to drain. */
  batches: [count: number];
  /** Records were dropped (the marker also goes upstream). */
  gap: [marker: GapMarker];
  /** One batch was committed (after its transaction): for exporters such as the file drop. Listeners must be cheap. */
  sealed: [batch: SealedBatchInfo];
}

/** Unacknowledged batches of one lane. */
export interface LaneBacklog {
  batches: number;
  records: number;
  bytes: number;
  /** Acquisition time of the oldest record waiting, ms epoch; null when the lane is empty. */
  oldestTime: number | null;
}

/** A committed batch as the 'sealed' event reports it. */
export interface SealedBatchInfo {
  stream: string;
  type: string;
  firstSeq: number;
  lastSeq: number;
  records: number;
  sealedAt: number;
  name: string;
  payload: Buffer;
}

export class Outbox extends EventEmitter<OutboxEvents> {
  private readonly db: Database.Database;
  private readonly opts: Required<Omit<OutboxOptions, 'db' | 'signingKey' | 'logger' | 'now'>>;
  private readonly signingKey: KeyObject;
  private readonly log: SyncLogger;
  private readonly now: () => number;

  private readonly routine: BoundedQueue<QueueEntry>;
  private readonly critical: BoundedQueue<QueueEntry>;
  private readonly streams = new Map<string, StreamDef<unknown>>();
  private readonly states = new Map<string, StreamState>();
  private readonly inFlight = new Map<number, InFlightInfo>();
  private readonly memoryDrops = new Map<string, MemoryDrop>();

  private storedBytes = 0;
  private storedBatches = 0;
  private storedRecords = 0;
  private counters = {
    appended: 0,
    committedRecords: 0,
    committedBatches: 0,
    ackedBatches: 0,
    ackedRecords: 0,
    rejected: 0,
    gapMarkers: 0,
    flushFailures: 0,
    lostCritical: 0,
  };
  private dropped: Record<GapReason, number> = { 'over-cap': 0, 'too-old': 0, 'disk-full': 0, 'queue-overflow': 0 };
  private lastError: string | null = null;
  private lastFailureWasFull = false;
  private lastAttemptBytes = 0;
  private diskBlockedUntil = 0;
  private diskBlocked = false;
  private overCap = false;
  private flushing = false;
  private closed = false;
  private flushSoon: NodeJS.Immediate | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private housekeepingTimer: NodeJS.Timeout | null = null;
  private lastReclaim = 0;
  /** Who truncates the WAL after a full drain (a checkpoint worker), or null: this connection does. */
  private walTruncate: (() => boolean) | null = null;
  /** Batches were written or deleted since the last WAL truncation. */
  private walDirty = false;
  private readonly warnedStreams = new Set<string>();

  private readonly stmt: {
    insert: Database.Statement;
    upsertState: Database.Statement;
    loadState: Database.Statement;
    deleteBatch: Database.Statement;
    addDropped: Database.Statement;
    victimsByAge: Database.Statement;
    victimsOldest: Database.Statement;
    nextInLane: Database.Statement;
    toHistory: Database.Statement;
    batchInfo: Database.Statement;
    pruneHistory: Database.Statement;
    nextStream: Database.Statement;
    backlog: Database.Statement;
  };

  constructor(options: OutboxOptions) {
    super();
    const o = validateOptions(options);
    this.db = options.db;
    this.signingKey = options.signingKey;
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.opts = o;
    this.routine = new BoundedQueue(o.queueCapacity, { preallocate: true });
    this.critical = new BoundedQueue(o.criticalQueueCapacity, { preallocate: true });

    const db = this.db;
    this.stmt = {
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
         FROM sync_batches WHERE stream = ? AND id > ? ORDER BY id LIMIT 256`,
      ),
      victimsOldest: db.prepare(
        `SELECT id, stream, first_seq, last_seq, records, bytes, first_time, last_time, prev_hash, hash
         FROM sync_batches WHERE critical = 0 AND id > ? ORDER BY id LIMIT 256`,
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
      nextStream: db.prepare('SELECT min(stream) FROM sync_batches WHERE stream > ?'),
      backlog: db.prepare(
        'SELECT lane, count(*) AS batches, coalesce(sum(records), 0) AS records, coalesce(sum(bytes), 0) AS bytes, min(first_time) AS oldest FROM sync_batches GROUP BY lane',
      ),
    };

    const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes, coalesce(sum(records), 0) AS records FROM sync_batches').get() as {
      n: number;
      bytes: number;
      records: number;
    };
    this.storedBatches = totals.n;
    this.storedBytes = totals.bytes;
    this.storedRecords = totals.records;
    this.register(gapStream as StreamDef<unknown>);

    if (o.autoFlush) {
      this.flushTimer = setInterval(() => this.flushFromTimer(), o.flushIntervalMs);
      this.flushTimer.unref();
      this.housekeepingTimer = setInterval(() => this.housekeeping(), o.housekeepingIntervalMs);
      this.housekeepingTimer.unref();
    }
  }

  /**
   * Queues one record for upstream. O(1), no disk access, never throws: a record that cannot be
   * accepted is counted (stats().rejected / dropped / lostCritical) and logged instead.
   */
  append<R>(stream: StreamDef<R>, record: R): void {
    const def = stream as StreamDef<unknown>;
    if (this.closed) {
      this.counters.rejected++;
      return;
    }
    const known = this.streams.get(def.name);
    if (known !== def && !this.register(def)) {
      this.counters.rejected++;
      return;
    }
    const queue = def.criticality === 'critical' ? this.critical : this.routine;
    this.counters.appended++;
    const evicted = queue.push({ stream: def, record });
    if (evicted) this.noteMemoryDrop(evicted);
    // A burst: flush as soon as the current task ends instead of waiting for the timer.
    if (queue.size >= this.opts.maxFlushRecords && this.flushSoon === null && this.opts.autoFlush) {
      this.flushSoon = setImmediate(() => {
        this.flushSoon = null;
        this.flushFromTimer();
      });
    }
  }

  /**
   * Writes queued records as sealed batches, in one transaction. Called by the timer; tests and
   * shutdown call it directly. Never throws for database errors (see FlushResult.ok).
   */
  flush(): FlushResult {
    if (this.flushing) return { records: 0, batches: 0, rejected: 0, ok: true };
    this.flushing = true;
    try {
      let result = this.tryFlush(false);
      if (!result.ok && this.lastFailureWasFull) {
        // Disk full: make room for this flush by dropping the oldest routine batches, then try once more.
        if (this.freeSpaceForDisk(this.lastAttemptBytes)) result = this.tryFlush(false);
        // Still full (nothing routine left on disk): at least get the critical records in.
        if (!result.ok && this.lastFailureWasFull && this.critical.size > 0) result = this.tryFlush(true);
      }
      return result;
    } finally {
      this.flushing = false;
    }
  }

  /** Drops routine batches past the age limit, prunes history past its retention, reclaims space. */
  housekeeping(): void {
    if (this.closed) return;
    try {
      const cutoff = this.now() - this.opts.maxAgeMs;
      const victims: VictimRow[] = [];
      // Skip-scan the (stream, id) index: one seek per stream instead of a scan of every row.
      let stream = this.stmt.nextStream.pluck().get('') as string | null;
      while (stream !== null && stream !== undefined) {
        victims.push(...this.oldPrefix(stream, cutoff));
        stream = this.stmt.nextStream.pluck().get(stream) as string | null;
      }
      if (victims.length > 0) this.commitDrops(victims, 'too-old');
      this.stmt.pruneHistory.run(this.now());
      this.reclaim();
    } catch (err) {
      this.noteFailure(err, 'housekeeping');
    }
  }

  /**
   * The next sealed batch of `lane` with an id above `afterId`, marked in flight (in-flight
   * batches are never dropped). The uplink keeps one cursor per lane per connection.
   */
  claimNext(lane: Lane, afterId: number): StoredBatch | undefined {
    if (this.closed) return undefined;
    const row = this.stmt.nextInLane.get(LANE_RANK[lane], afterId) as BatchRow | undefined;
    if (!row) return undefined;
    this.inFlight.set(row.id, { bytes: row.bytes, records: row.records });
    return toStoredBatch(row);
  }

  /** Forget in-flight marks (the connection dropped; unacked batches will be sent again). */
  releaseAll(): void {
    this.inFlight.clear();
  }

  /**
   * The broker acknowledged batch `id`: delete it (copying it to history when its stream keeps
   * history). Returns false when the batch is not stored (already acked).
   */
  ack(id: number): boolean {
    return this.ackMany([id]) === 1;
  }

  /**
   * Acknowledges several batches in one transaction (the uplink collects the PUBACKs of one
   * event-loop turn): a tenth of the WAL writes of one commit per batch. Returns how many were deleted.
   */
  ackMany(ids: readonly number[]): number {
    if (this.closed || ids.length === 0) return 0;
    const infos: [number, InFlightInfo][] = [];
    for (const id of ids) {
      const info = this.inFlight.get(id) ?? (this.stmt.batchInfo.get(id) as InFlightInfo | undefined);
      this.inFlight.delete(id);
      if (info) infos.push([id, info]);
    }
    if (infos.length === 0) return 0;
    const ackedAt = this.now();
    let deleted: [number, InFlightInfo][] = [];
    try {
      deleted = this.db.transaction(() => {
        const done: [number, InFlightInfo][] = [];
        for (const entry of infos) {
          this.stmt.toHistory.run(ackedAt, entry[0]);
          if (this.stmt.deleteBatch.run(entry[0]).changes > 0) done.push(entry);
        }
        return done;
      })();
    } catch (err) {
      // No room for the history copies (disk full): the platform has them; free the outbox anyway.
      this.noteFailure(err, 'history copy of acked batches');
      try {
        deleted = this.db.transaction(() => infos.filter(([id]) => this.stmt.deleteBatch.run(id).changes > 0))();
      } catch (err2) {
        this.noteFailure(err2, 'delete of acked batches');
        return 0;
      }
    }
    if (deleted.length > 0) this.walDirty = true;
    for (const [, info] of deleted) {
      this.storedBatches--;
      this.storedBytes -= info.bytes;
      this.storedRecords -= info.records;
      this.counters.ackedBatches++;
      this.counters.ackedRecords += info.records;
    }
    if (this.overCap && this.storedBytes <= this.opts.maxBytes) this.setOverCap(false);
    if (this.storedBatches === 0) this.reclaim();
    return deleted.length;
  }

  stats(): OutboxStats {
    let fileBytes = 0;
    let freeBytes = 0;
    if (this.db.open) {
      const pageSize = this.db.pragma('page_size', { simple: true }) as number;
      fileBytes = (this.db.pragma('page_count', { simple: true }) as number) * pageSize;
      freeBytes = (this.db.pragma('freelist_count', { simple: true }) as number) * pageSize;
    }
    return {
      queued: this.routine.size + this.critical.size,
      queuedCritical: this.critical.size,
      storedBatches: this.storedBatches,
      storedRecords: this.storedRecords,
      storedBytes: this.storedBytes,
      maxBytes: this.opts.maxBytes,
      overCap: this.overCap,
      diskBlocked: this.diskBlocked,
      ...this.counters,
      dropped: { ...this.dropped },
      lastError: this.lastError,
      inFlight: this.inFlight.size,
      fileBytes,
      freeBytes,
    };
  }

  /**
   * Stored (unacknowledged) batches per lane, with their records and payload bytes and the
   * acquisition time of the oldest record: the status screen's backlog. One indexed query; not
   * for the hot path.
   */
  backlogByLane(): Record<Lane, LaneBacklog> {
    const out = Object.fromEntries(LANES.map((l) => [l, { batches: 0, records: 0, bytes: 0, oldestTime: null }])) as Record<Lane, LaneBacklog>;
    if (!this.db.open) return out;
    const rows = this.stmt.backlog.all() as { lane: number; batches: number; records: number; bytes: number; oldest: number | null }[];
    for (const r of rows) {
      const lane = LANES[r.lane];
      if (lane) out[lane] = { batches: r.batches, records: r.records, bytes: r.bytes, oldestTime: r.oldest };
    }
    return out;
  }

  /**
   * Hand the WAL truncation after a full drain to someone else (the checkpoint worker); `truncate`
   * returns false when it cannot, and this connection does it then.
   */
  delegateWalTruncate(truncate: (() => boolean) | null): void {
    if (truncate !== null && typeof truncate !== 'function') throw new TypeError(`Outbox.delegateWalTruncate: expected a function or null, got ${typeof truncate}`);
    this.walTruncate = truncate;
  }

  /** Current sequence state of a stream: the next number to assign and the chain head. */
  streamState(stream: string): { nextSeq: number; lastHash: string } {
    return { ...this.state(stream) };
  }

  /** Stops the timers and writes what is queued (best effort). The database stays open: its owner closes it. */
  close(): FlushResult {
    if (this.closed) return { records: 0, batches: 0, rejected: 0, ok: true };
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.housekeepingTimer) clearInterval(this.housekeepingTimer);
    if (this.flushSoon) clearImmediate(this.flushSoon);
    this.flushTimer = this.housekeepingTimer = this.flushSoon = null;
    let result: FlushResult = { records: 0, batches: 0, rejected: 0, ok: true };
    if (this.db.open) {
      this.diskBlockedUntil = 0;
      // A full queue may need several transactions.
      for (let i = 0; i < 1000 && (this.routine.size + this.critical.size > 0 || this.memoryDrops.size > 0); i++) {
        result = this.flush();
        if (!result.ok) break;
      }
    }
    this.closed = true;
    this.inFlight.clear();
    return result;
  }

  // ---- internals ------------------------------------------------------------------------------

  private register(def: StreamDef<unknown>): boolean {
    const known = this.streams.get(def.name);
    if (known && known !== def) {
      if (!this.warnedStreams.has(def.name)) {
        this.warnedStreams.add(def.name);
        this.log.error({ stream: def.name }, 'two different stream definitions share one name; records of the second are rejected');
      }
      return false;
    }
    this.streams.set(def.name, def);
    return true;
  }

  private flushFromTimer(): void {
    if (this.closed) return;
    // Drained: hand freed pages back to the SD card, one small step a second (reclaim() paces it).
    if (this.storedBatches === 0 && this.now() - this.lastReclaim >= OUTBOX_DEFAULTS.reclaimIntervalMs) this.reclaim();
    if (this.routine.size + this.critical.size === 0 && this.memoryDrops.size === 0) return;
    if (this.diskBlocked && this.now() < this.diskBlockedUntil) return;
    this.flush();
  }

  private state(stream: string): StreamState {
    let s = this.states.get(stream);
    if (!s) {
      const row = this.stmt.loadState.get(stream) as { next_seq: number; last_hash: string } | undefined;
      s = row ? { nextSeq: row.next_seq, lastHash: row.last_hash } : { nextSeq: 1, lastHash: GENESIS_HASH };
      this.states.set(stream, s);
    }
    return s;
  }

  private tryFlush(criticalOnly: boolean): FlushResult {
    const take = Math.min(this.opts.maxFlushRecords, this.critical.size + (criticalOnly ? 0 : this.routine.size));
    const fromCritical = Math.min(take, this.critical.size);
    const fromRoutine = take - fromCritical;

    // Group by stream, keeping append order within each stream.
    const groups = new Map<string, { def: StreamDef<unknown>; lines: string[]; times: number[] }>();
    let rejected = 0;
    const addEntry = (entry: QueueEntry): void => {
      let line: string;
      let time: number;
      try {
        line = entry.stream.toLine(entry.record);
        time = entry.stream.timeOf(entry.record);
        if (!Number.isFinite(time)) throw new TypeError(`timeOf() returned ${String(time)}`);
      } catch (err) {
        rejected++;
        this.log.error({ stream: entry.stream.name, err: messageOf(err) }, 'record rejected by its stream encoder; it is not sent');
        return;
      }
      let g = groups.get(entry.stream.name);
      if (!g) groups.set(entry.stream.name, (g = { def: entry.stream, lines: [], times: [] }));
      g.lines.push(line);
      g.times.push(time);
    };
    for (let i = 0; i < fromCritical; i++) addEntry(this.critical.peek(i)!);
    for (let i = 0; i < fromRoutine; i++) addEntry(this.routine.peek(i)!);
    const drops = [...this.memoryDrops];
    if (drops.length > 0) {
      const at = this.now();
      const g = { def: gapStream as StreamDef<unknown>, lines: [] as string[], times: [] as number[] };
      for (const [stream, d] of drops) {
        const marker: GapMarker = {
          stream,
          reason: 'queue-overflow',
          records: d.records,
          batches: 0,
          firstSeq: null,
          lastSeq: null,
          fromTime: d.fromTime,
          toTime: d.toTime,
          prevHash: null,
          lastHash: null,
          at,
        };
        g.lines.push(gapStream.toLine(marker));
        g.times.push(at);
      }
      const existing = groups.get(gapStream.name);
      if (existing) {
        existing.lines.push(...g.lines);
        existing.times.push(...g.times);
      } else groups.set(gapStream.name, g);
    }

    const working = new Map<string, StreamState>();
    const pending: PendingBatch[] = [];
    for (const g of groups.values()) rejected += this.sealGroup(g.def, g.lines, g.times, working, pending);
    let pendingBytes = 0;
    for (const b of pending) pendingBytes += b.payload.length;
    this.lastAttemptBytes = pendingBytes;

    // Enforce the byte cap inside the same transaction: drop oldest routine batches first.
    let victims: VictimRow[] = [];
    let markers: GapMarker[] = [];
    const over = this.storedBytes + pendingBytes - this.opts.maxBytes;
    if (over > 0) {
      const target = over + Math.floor(this.opts.maxBytes * (1 - OUTBOX_DEFAULTS.capHysteresis));
      victims = this.oldestRoutine(target);
      markers = gapMarkers(victims, 'over-cap', this.now());
      if (markers.length > 0) {
        this.sealGroup(gapStream as StreamDef<unknown>, markers.map((m) => gapStream.toLine(m)), markers.map((m) => m.at), working, pending);
      }
    }

    if (pending.length === 0 && victims.length === 0) {
      this.critical.drop(fromCritical);
      this.routine.drop(fromRoutine);
      this.counters.rejected += rejected;
      return { records: 0, batches: 0, rejected, ok: true };
    }

    try {
      this.db.transaction(() => {
        this.deleteVictims(victims);
        this.insertPending(pending, working);
      })();
    } catch (err) {
      this.noteFailure(err, 'flush', true);
      return { records: 0, batches: 0, rejected: 0, ok: false };
    }

    // Committed: only now does memory state follow the database.
    this.critical.drop(fromCritical);
    this.routine.drop(fromRoutine);
    for (const [stream] of drops) this.memoryDrops.delete(stream);
    this.counters.rejected += rejected;
    const result = this.applyCommitted(pending, working);
    this.applyDrops(victims, markers);
    if (this.diskBlocked) this.setDiskBlocked(false);
    const critStored = this.storedBytes > this.opts.maxBytes;
    if (critStored !== this.overCap) this.setOverCap(critStored);
    return { ...result, rejected, ok: true };
  }

  /** Splits one stream's lines into batches and seals them against the working chain state. Returns records rejected. */
  private sealGroup(def: StreamDef<unknown>, lines: string[], times: number[], working: Map<string, StreamState>, out: PendingBatch[]): number {
    let st = working.get(def.name);
    if (!st) working.set(def.name, (st = { ...this.state(def.name) }));
    let rejected = 0;
    let start = 0;
    // JSON Lines: every line encoded once, its exact size read off the offsets (line-bytes.ts).
    const utf8 = def.encodeUtf8Body ? encodeLines(lines) : null;
    const endOf = (i: number): number => utf8!.ends[i]!;
    while (start < lines.length) {
      let end = start;
      let bytes = 0;
      while (end < lines.length && end - start < this.opts.batchMaxRecords) {
        const len = utf8 ? endOf(end) - (end === 0 ? 0 : endOf(end - 1)) : Buffer.byteLength(lines[end]!) + 1;
        if (end > start && bytes + len > this.opts.batchMaxBytes) break;
        bytes += len;
        end++;
      }
      const count = end - start;
      const chunkTimes = times.slice(start, end);
      const chunkStart = start;
      start = end;
      const sealedAt = this.now();
      const header: BatchHeader = { mineCode: this.opts.mineCode, mineName: this.opts.mineName, uploadTime: sealedAt, encoding: this.opts.encoding };
      try {
        const encoded = utf8
          ? def.encodeUtf8Body!(utf8.bytes.subarray(chunkStart === 0 ? 0 : endOf(chunkStart - 1), endOf(end - 1)), header)
          : def.encodeBatch(lines.slice(chunkStart, end), header);
        const firstSeq = st.nextSeq;
        const lastSeq = firstSeq + count - 1;
        const seal = sealBatch(
          { mineCode: this.opts.mineCode, substation: this.opts.substation, stream: def.name, type: def.type, firstSeq, lastSeq, name: encoded.name },
          st.lastHash,
          encoded.bytes,
          this.signingKey,
        );
        out.push({
          def,
          firstSeq,
          lastSeq,
          records: count,
          firstTime: minOf(chunkTimes),
          lastTime: maxOf(chunkTimes),
          sealedAt,
          name: encoded.name,
          payload: encoded.bytes,
          ...seal,
        });
        st.nextSeq = lastSeq + 1;
        st.lastHash = seal.hash;
      } catch (err) {
        rejected += count;
        this.log.error({ stream: def.name, records: count, err: messageOf(err) }, 'batch could not be encoded; its records are not sent');
      }
    }
    return rejected;
  }

  private insertPending(pending: PendingBatch[], working: Map<string, StreamState>): void {
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
    for (const [stream, st] of working) this.stmt.upsertState.run(stream, st.nextSeq, st.lastHash);
  }

  private deleteVictims(victims: VictimRow[]): void {
    const perStream = new Map<string, number>();
    for (const v of victims) {
      this.stmt.deleteBatch.run(v.id);
      perStream.set(v.stream, (perStream.get(v.stream) ?? 0) + v.records);
    }
    for (const [stream, n] of perStream) this.stmt.addDropped.run(stream, n);
  }

  private applyCommitted(pending: PendingBatch[], working: Map<string, StreamState>): { records: number; batches: number } {
    let records = 0;
    for (const b of pending) {
      this.storedBatches++;
      this.storedBytes += b.payload.length;
      this.storedRecords += b.records;
      if (b.def !== gapStream) records += b.records;
    }
    for (const [stream, st] of working) this.states.set(stream, st);
    this.walDirty = true;
    this.counters.committedRecords += records;
    this.counters.committedBatches += pending.length;
    if (pending.length > 0) this.emit('batches', pending.length);
    if (this.listenerCount('sealed') > 0) {
      for (const b of pending) {
        this.emit('sealed', { stream: b.def.name, type: b.def.type, firstSeq: b.firstSeq, lastSeq: b.lastSeq, records: b.records, sealedAt: b.sealedAt, name: b.name, payload: b.payload });
      }
    }
    return { records, batches: pending.length };
  }

  private applyDrops(victims: VictimRow[], markers: GapMarker[]): void {
    for (const v of victims) {
      this.storedBatches--;
      this.storedBytes -= v.bytes;
      this.storedRecords -= v.records;
    }
    for (const m of markers) {
      this.dropped[m.reason] += m.records;
      this.counters.gapMarkers++;
      this.log.warn({ ...m }, `dropped ${m.records} routine ${m.stream} records (${m.reason}); a gap marker goes upstream`);
      this.emit('gap', m);
    }
  }

  /** Oldest routine batches (not in flight) until `bytes` would be freed. */
  private oldestRoutine(bytes: number): VictimRow[] {
    const victims: VictimRow[] = [];
    let freed = 0;
    let after = 0;
    while (freed < bytes) {
      const rows = this.stmt.victimsOldest.all(after) as VictimRow[];
      if (rows.length === 0) break;
      for (const row of rows) {
        after = row.id;
        if (this.inFlight.has(row.id)) continue;
        victims.push(row);
        freed += row.bytes;
        if (freed >= bytes) break;
      }
    }
    return victims;
  }

  /** The leading batches of a routine stream whose newest record is older than `cutoff`. */
  private oldPrefix(stream: string, cutoff: number): VictimRow[] {
    const victims: VictimRow[] = [];
    let after = 0;
    for (;;) {
      const rows = this.stmt.victimsByAge.all(stream, after) as VictimRow[];
      if (rows.length === 0) return victims;
      for (const row of rows) {
        after = row.id;
        if ((row as VictimRow & { critical: number }).critical === 1) return victims; // critical streams are never aged out
        if (this.inFlight.has(row.id)) continue;
        if (row.last_time >= cutoff) return victims;
        victims.push(row);
      }
    }
  }

  /** Deletes victims and writes their gap markers in one transaction. */
  private commitDrops(victims: VictimRow[], reason: GapReason): boolean {
    const markers = gapMarkers(victims, reason, this.now());
    const working = new Map<string, StreamState>();
    const pending: PendingBatch[] = [];
    this.sealGroup(gapStream as StreamDef<unknown>, markers.map((m) => gapStream.toLine(m)), markers.map((m) => m.at), working, pending);
    try {
      this.db.transaction(() => {
        this.deleteVictims(victims);
        this.insertPending(pending, working);
      })();
    } catch (err) {
      this.noteFailure(err, `dropping ${reason} batches`, true);
      return false;
    }
    this.applyCommitted(pending, working);
    this.applyDrops(victims, markers);
    return true;
  }

  private freeSpaceForDisk(needBytes: number): boolean {
    // Page overhead: a batch occupies somewhat more than its payload; ask for half as much again.
    const want = Math.max(OUTBOX_DEFAULTS.diskFullMinFreeBytes, Math.ceil(needBytes * 1.5));
    const victims = this.oldestRoutine(want);
    if (victims.length === 0) return false;
    return this.commitDrops(victims, 'disk-full');
  }

  private noteMemoryDrop(entry: QueueEntry): void {
    const critical = entry.stream.criticality === 'critical';
    let time = this.now();
    try {
      const t = entry.stream.timeOf(entry.record);
      if (Number.isFinite(t)) time = t;
    } catch {
      // the record is gone either way; its time is only for the marker
    }
    let d = this.memoryDrops.get(entry.stream.name);
    if (!d) {
      this.memoryDrops.set(entry.stream.name, (d = { records: 0, fromTime: time, toTime: time, critical }));
      this.log.error(
        { stream: entry.stream.name, critical },
        critical ? 'in-memory outbox stage overflowed: CRITICAL records are being lost' : 'in-memory outbox stage overflowed: oldest routine records dropped',
      );
    }
    d.records++;
    d.fromTime = Math.min(d.fromTime, time);
    d.toTime = Math.max(d.toTime, time);
    if (critical) this.counters.lostCritical++;
    else this.dropped['queue-overflow']++;
  }

  /** Records a database failure; `blocksWrites` failures hold records in memory until diskRetryMs has passed. */
  private noteFailure(err: unknown, what: string, blocksWrites = false): void {
    this.lastError = `${what}: ${messageOf(err)}`;
    if (!blocksWrites) {
      this.log.warn({ err: messageOf(err) }, `outbox ${what} failed`);
      return;
    }
    this.counters.flushFailures++;
    this.lastFailureWasFull = (err as { code?: unknown })?.code === 'SQLITE_FULL';
    this.diskBlockedUntil = this.now() + this.opts.diskRetryMs;
    if (!this.diskBlocked) this.setDiskBlocked(true, err);
  }

  private setDiskBlocked(blocked: boolean, err?: unknown): void {
    this.diskBlocked = blocked;
    if (blocked) {
      const code = (err as { code?: string })?.code;
      this.log.error({ code, err: messageOf(err) }, 'outbox database refuses writes; records are held in memory and routine ones may be dropped');
    } else {
      this.log.info({}, 'outbox database accepts writes again');
    }
  }

  private setOverCap(over: boolean): void {
    this.overCap = over;
    if (over) this.log.error({ storedBytes: this.storedBytes, maxBytes: this.opts.maxBytes }, 'outbox is over its byte cap with only critical data left; nothing is dropped');
    else this.log.info({ storedBytes: this.storedBytes }, 'outbox is back under its byte cap');
  }

  /**
   * Hands free pages back to the filesystem when the file was created with incremental auto-vacuum
   * (openSyncDatabase), a bounded number per call so no call stalls the event loop for long, and
   * truncates the WAL once the outbox is empty.
   */
  private reclaim(): void {
    const t = this.now();
    if (t - this.lastReclaim < OUTBOX_DEFAULTS.reclaimIntervalMs) return;
    this.lastReclaim = t;
    try {
      let vacuumed = false;
      if (this.db.pragma('auto_vacuum', { simple: true }) === 2) {
        const free = this.db.pragma('freelist_count', { simple: true }) as number;
        if (free > 0) {
          this.db.pragma(`incremental_vacuum(${Math.min(free, OUTBOX_DEFAULTS.reclaimPagesPerStep)})`);
          vacuumed = true;
        }
      }
      // Truncate the WAL once after a drain and after each vacuum step, not every second while idle.
      // A checkpoint is an fsync: the worker does it when there is one (wal-checkpointer.ts).
      if (this.storedBatches === 0 && (vacuumed || this.walDirty)) {
        this.walDirty = false;
        if (!this.walTruncate?.()) this.db.pragma('wal_checkpoint(TRUNCATE)');
      }
    } catch (err) {
      this.log.warn({ err: messageOf(err) }, 'outbox space reclaim failed; freed pages are still reused');
    }
  }
}

// Loops, not Math.min(...xs): a spread of a very large batch would overflow the call stack.
function minOf(xs: readonly number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}
function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** Contiguous runs of dropped batches per stream → one gap marker each. */
function gapMarkers(victims: VictimRow[], reason: GapReason, at: number): GapMarker[] {
  const markers: GapMarker[] = [];
  const open = new Map<string, GapMarker>();
  for (const v of victims) {
    const m = open.get(v.stream);
    if (m && m.lastSeq !== null && v.first_seq === m.lastSeq + 1) {
      m.lastSeq = v.last_seq;
      m.records += v.records;
      m.batches++;
      m.fromTime = Math.min(m.fromTime, v.first_time);
      m.toTime = Math.max(m.toTime, v.last_time);
      m.lastHash = v.hash;
      continue;
    }
    const next: GapMarker = {
      stream: v.stream,
      reason,
      records: v.records,
      batches: 1,
      firstSeq: v.first_seq,
      lastSeq: v.last_seq,
      fromTime: v.first_time,
      toTime: v.last_time,
      prevHash: v.prev_hash,
      lastHash: v.hash,
      at,
    };
    markers.push(next);
    open.set(v.stream, next);
  }
  return markers;
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

function validateOptions(o: OutboxOptions): Required<Omit<OutboxOptions, 'db' | 'signingKey' | 'logger' | 'now'>> {
  if (!o || typeof o !== 'object') throw new TypeError(`Outbox: options must be an object, got ${String(o)}`);
  if (!o.db || typeof o.db.prepare !== 'function') throw new TypeError('Outbox: db must be an open better-sqlite3 database');
  if (!o.db.open) throw new SyncError('closed', 'Outbox: the database is closed');
  if (typeof o.mineCode !== 'string' || !MINE_CODE.test(o.mineCode)) throw new TypeError(`Outbox: mineCode must be the 12-digit mine code, got ${JSON.stringify(o.mineCode)}`);
  if (typeof o.mineName !== 'string' || o.mineName.trim() === '') throw new TypeError(`Outbox: mineName must be a non-empty string, got ${JSON.stringify(o.mineName)}`);
  if (typeof o.substation !== 'string' || !/^[A-Za-z0-9]{1,16}$/.test(o.substation)) {
    throw new TypeError(`Outbox: substation must be the substation code (1-16 letters/digits), got ${JSON.stringify(o.substation)}`);
  }
  if (!o.signingKey || o.signingKey.type !== 'private' || o.signingKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('Outbox: signingKey must be an Ed25519 private KeyObject (integrity.loadPrivateKey)');
  }
  const d = OUTBOX_DEFAULTS;
  const merged = {
    mineCode: o.mineCode,
    mineName: o.mineName,
    substation: o.substation,
    maxBytes: o.maxBytes ?? d.maxBytes,
    maxAgeMs: o.maxAgeMs ?? d.maxAgeMs,
    queueCapacity: o.queueCapacity ?? d.queueCapacity,
    criticalQueueCapacity: o.criticalQueueCapacity ?? d.criticalQueueCapacity,
    flushIntervalMs: o.flushIntervalMs ?? d.flushIntervalMs,
    maxFlushRecords: o.maxFlushRecords ?? d.maxFlushRecords,
    batchMaxRecords: o.batchMaxRecords ?? d.batchMaxRecords,
    batchMaxBytes: o.batchMaxBytes ?? d.batchMaxBytes,
    encoding: o.encoding ?? d.encoding,
    diskRetryMs: o.diskRetryMs ?? d.diskRetryMs,
    housekeepingIntervalMs: o.housekeepingIntervalMs ?? d.housekeepingIntervalMs,
    autoFlush: o.autoFlush ?? d.autoFlush,
  };
  const positiveInt = (name: keyof typeof merged): void => {
    const v = merged[name];
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw new TypeError(`Outbox: ${name} must be a positive integer, got ${String(v)}`);
  };
  for (const k of ['maxBytes', 'maxAgeMs', 'queueCapacity', 'criticalQueueCapacity', 'flushIntervalMs', 'maxFlushRecords', 'batchMaxRecords', 'batchMaxBytes', 'housekeepingIntervalMs'] as const) {
    positiveInt(k);
  }
  if (!Number.isSafeInteger(merged.diskRetryMs) || merged.diskRetryMs < 0) throw new TypeError(`Outbox: diskRetryMs must be a non-negative integer, got ${String(merged.diskRetryMs)}`);
  if (merged.maxBytes < 2 * merged.batchMaxBytes) {
    throw new TypeError(`Outbox: maxBytes (${merged.maxBytes}) must be at least twice batchMaxBytes (${merged.batchMaxBytes})`);
  }
  if (merged.encoding !== 'utf-8' && merged.encoding !== 'gb18030') throw new TypeError(`Outbox: encoding must be utf-8 or gb18030, got ${String(merged.encoding)}`);
  if (typeof merged.autoFlush !== 'boolean') throw new TypeError(`Outbox: autoFlush must be a boolean, got ${String(merged.autoFlush)}`);
  return merged;
}
