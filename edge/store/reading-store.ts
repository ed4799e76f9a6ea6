// The readings table and its writer. The polling/safety path hands readings to `enqueue`, which
// only appends to a bounded in-memory queue; a background timer writes them in batches, one
// transaction each. A failing disk (full, locked, I/O error) never reaches the caller: the
// writer counts it, keeps the newest readings within a hard cap, and resumes by itself.
import { performance } from 'node:perf_hooks';
import type Database from 'better-sqlite3';
import type { Quality, Reading } from '../readings.js';
import { createLogger, type Logger } from '../log.js';
import { BoundedQueue } from './bounded-queue.js';
import type { Migration } from './database.js';

/** Migrations of the 'store' component: open with `openDatabase(file, { store: readingMigrations, ... })`. */
export const readingMigrations: Migration[] = [
  {
    version: 1,
    description: 'readings table with (point, wall_time) index',
    up: (db) => {
      db.exec(`CREATE TABLE readings (
        id INTEGER PRIMARY KEY,
        point TEXT NOT NULL,
        value REAL NULL,
        quality TEXT NOT NULL,
        wall_time INTEGER NOT NULL,
        mono_time REAL NOT NULL,
        raw TEXT NOT NULL
      )`);
      db.exec('CREATE INDEX readings_point_time ON readings (point, wall_time)');
    },
  },
];

const DAY_MS = 24 * 60 * 60 * 1000;
/** AQ 6201-2019: real-time values (CH4, CO, temperature, wind speed, pressure) are kept at least 7 days. */
export const MIN_READING_RETENTION_MS = 7 * DAY_MS;

export const readingWriterDefaults = {
  flushIntervalMs: 250,
  maxBatch: 5_000,
  maxQueued: 200_000,
  /** One day of margin over the legal 7-day minimum, so a late prune never cuts into it. */
  retentionMs: 8 * DAY_MS,
  /** While writes fail, retry with doubling delays up to this, to spare CPU and lock waits. */
  retryMaxMs: 5_000,
  /** Retention runs at most this often... */
  pruneEveryMs: 60_000,
  /** ...and deletes at most this many rows per run, so one run never stalls the event loop for long. */
  pruneMaxRowsPerRun: 50_000,
} as const;

export interface ReadingWriterOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  maxQueued?: number;
  /** Keep readings this long (by wall time); at least MIN_READING_RETENTION_MS. Infinity keeps all. */
  retentionMs?: number;
  retryMaxMs?: number;
  logger?: Logger;
  /** Clocks, replaceable in tests: wall = ms since epoch (retention cutoff), mono = monotonic ms (scheduling). */
  clock?: { wall: () => number; mono: () => number };
}

export interface ReadingWriterStats {
  /** Readings committed to the database since construction. */
  written: number;
  /** Readings discarded: oldest evicted from a full queue, enqueued after close, or unwritable at close. */
  dropped: number;
  /** Readings waiting in memory. */
  queued: number;
  /** Failed write attempts (each attempt is one batch transaction). */
  failures: number;
  /** True from a failed write until the next successful one (always set by ReadingWriter). */
  failing?: boolean;
  lastError?: string;
}

/** Bind values of one row, computed at enqueue so later changes to the caller's object cannot alter it. */
type Row = [point: string, value: number | null, quality: string, wallTime: number, monoTime: number, raw: string];

export class ReadingWriter {
  private readonly opts: Required<Omit<ReadingWriterOptions, 'logger' | 'clock'>>;
  private readonly log: Logger;
  private readonly clock: { wall: () => number; mono: () => number };
  private readonly queue: BoundedQueue<Row>;
  private readonly insertBatch: (rows: Row[]) => void;
  private readonly timer: NodeJS.Timeout;
  private drainStep: NodeJS.Immediate | undefined;

  private written = 0;
  private dropped = 0;
  private failures = 0;
  private consecutiveFailures = 0;
  private lastError: string | undefined;
  private nextAttemptAt = 0;
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  // Logged once per change, never once per reading or per attempt.
  private failingLogged = false;
  private droppingSince: number | undefined;
  private pruneFailing = false;
  private closedDropLogged = false;
  private malformedLogged = false;

  constructor(
    private readonly db: Database.Database,
    opts: ReadingWriterOptions = {},
  ) {
    if (!db || typeof db.prepare !== 'function' || typeof db.transaction !== 'function') {
      throw new TypeError(`ReadingWriter: db must be a better-sqlite3 Database, got ${String(db)}`);
    }
    this.opts = {
      flushIntervalMs: positiveInteger('flushIntervalMs', opts.flushIntervalMs, readingWriterDefaults.flushIntervalMs),
      maxBatch: positiveInteger('maxBatch', opts.maxBatch, readingWriterDefaults.maxBatch),
      maxQueued: positiveInteger('maxQueued', opts.maxQueued, readingWriterDefaults.maxQueued),
      retentionMs: opts.retentionMs ?? readingWriterDefaults.retentionMs,
      retryMaxMs: positiveInteger('retryMaxMs', opts.retryMaxMs, readingWriterDefaults.retryMaxMs),
    };
    if (typeof this.opts.retentionMs !== 'number' || Number.isNaN(this.opts.retentionMs) || this.opts.retentionMs < MIN_READING_RETENTION_MS) {
      throw new TypeError(
        `ReadingWriter: retentionMs must be at least ${MIN_READING_RETENTION_MS} (7 days, AQ 6201-2019), got ${String(opts.retentionMs)}`,
      );
    }
    this.log = (opts.logger ?? createLogger()).child({ module: 'reading-store' });
    if (opts.clock !== undefined && (typeof opts.clock?.wall !== 'function' || typeof opts.clock?.mono !== 'function')) {
      throw new TypeError('ReadingWriter: clock must have wall() and mono() functions');
    }
    this.clock = opts.clock ?? { wall: Date.now, mono: () => performance.now() };
    this.queue = new BoundedQueue<Row>(this.opts.maxQueued);

    let insert: Database.Statement;
    try {
      insert = db.prepare(
        'INSERT INTO readings (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, ?, ?, ?, ?)',
      );
    } catch (err) {
      throw new TypeError(
        `ReadingWriter: cannot prepare the readings insert (${messageOf(err)}); open the database with { store: readingMigrations }`,
      );
    }
    this.insertBatch = db.transaction((rows: Row[]) => {
      for (const row of rows) insert.run(row);
    });
    // unref: a pending flush must not keep a finished process alive; close() does the final flush.
    this.timer = setInterval(() => this.onTick(), this.opts.flushIntervalMs).unref();
  }

  /** Queue one reading for writing. O(1), never touches the disk, never throws. */
  enqueue(reading: Reading): void {
    try {
      if (this.closed) {
        this.dropped++;
        if (!this.closedDropLogged) {
          this.closedDropLogged = true;
          this.log.error({ point: reading?.point }, 'reading enqueued after the writer was closed; dropped');
        }
        return;
      }
      if (this.queue.push(toRow(reading)) !== undefined) this.onEvicted();
    } catch (err) {
      // Only a malformed reading can get here (toRow); count it rather than break the caller.
      this.dropped++;
      if (!this.malformedLogged) {
        this.malformedLogged = true;
        this.log.error({ error: messageOf(err) }, 'malformed reading dropped (further ones are only counted)');
      }
    }
  }

  /** Write everything queued now, batch by batch, stopping at the first failure. Returns rows written. */
  flush(): number {
    let total = 0;
    while (this.queue.length > 0) {
      const n = this.writeOneBatch();
      if (n <= 0) break;
      total += n;
    }
    return total;
  }

  /** Stop the timer and write what is queued. The database stays open: its owner closes it. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    if (this.drainStep) clearImmediate(this.drainStep);
    this.drainStep = undefined;
    this.flush();
    this.closed = true;
    const lost = this.queue.length;
    if (lost > 0) {
      this.dropped += lost;
      this.queue.drop(lost);
      this.log.error({ lost, lastError: this.lastError }, 'writer closed while the database was failing; queued readings lost');
    }
  }

  stats(): ReadingWriterStats {
    const s: ReadingWriterStats = {
      written: this.written,
      dropped: this.dropped,
      queued: this.queue.length,
      failures: this.failures,
      failing: this.consecutiveFailures > 0,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  private onTick(): void {
    try {
      if (this.drainStep) return; // a drain is already running between ticks
      if (this.consecutiveFailures > 0 && this.clock.mono() < this.nextAttemptAt) return;
      this.drain();
    } catch (err) {
      // A bug here must not become an uncaught exception in the process that runs the interlocks.
      this.log.error({ err }, 'reading writer tick failed');
    }
  }

  /** One batch per event-loop turn, so a backlog never blocks polling for more than one batch. */
  private drain(): void {
    this.drainStep = undefined;
    const n = this.writeOneBatch();
    if (n > 0 && this.queue.length > 0) {
      this.drainStep = setImmediate(() => {
        try {
          this.drain();
        } catch (err) {
          this.drainStep = undefined;
          this.log.error({ err }, 'reading writer drain failed');
        }
      }).unref();
      return;
    }
    if (n >= 0) this.maybePrune();
  }

  /** Rows written, 0 when nothing was queued, -1 when the write failed (rows stay queued). */
  private writeOneBatch(): number {
    const batch = this.queue.peek(this.opts.maxBatch);
    if (batch.length === 0) return 0;
    try {
      this.insertBatch(batch);
    } catch (err) {
      this.onWriteFailed(err);
      return -1;
    }
    this.queue.drop(batch.length);
    this.written += batch.length;
    this.onWriteSucceeded();
    if (this.droppingSince !== undefined && this.queue.length === 0) {
      this.log.warn({ dropped: this.droppedSinceEpisode() }, 'reading queue caught up; no longer dropping');
      this.droppingSince = undefined;
    }
    return batch.length;
  }

  private onWriteFailed(err: unknown): void {
    this.failures++;
    this.consecutiveFailures++;
    this.lastError = describe(err);
    const delay = Math.min(this.opts.flushIntervalMs * 2 ** Math.min(this.consecutiveFailures, 20), this.opts.retryMaxMs);
    this.nextAttemptAt = this.clock.mono() + delay;
    if (!this.failingLogged) {
      this.failingLogged = true;
      this.log.error(
        { error: this.lastError, queued: this.queue.length, maxQueued: this.opts.maxQueued },
        'reading store writes failing; readings kept in memory, oldest dropped if the queue fills',
      );
    }
  }

  private onWriteSucceeded(): void {
    if (this.consecutiveFailures > 0) {
      this.log.warn(
        { failedAttempts: this.consecutiveFailures, dropped: this.droppedSinceEpisode(), queued: this.queue.length },
        'reading store writes resumed',
      );
    }
    this.consecutiveFailures = 0;
    this.failingLogged = false;
  }

  private onEvicted(): void {
    this.dropped++;
    if (this.droppingSince === undefined) {
      this.droppingSince = this.dropped - 1;
      this.log.error(
        { maxQueued: this.opts.maxQueued, lastError: this.lastError },
        'reading queue full; dropping the oldest queued readings',
      );
    }
  }

  private droppedSinceEpisode(): number {
    return this.droppingSince === undefined ? 0 : this.dropped - this.droppingSince;
  }

  private maybePrune(): void {
    if (this.opts.retentionMs === Number.POSITIVE_INFINITY) return;
    const now = this.clock.mono();
    if (now - this.lastPruneAt < readingWriterDefaults.pruneEveryMs) return;
    this.lastPruneAt = now;
    try {
      const deleted = pruneReadings(this.db, this.clock.wall() - this.opts.retentionMs, {
        maxRows: readingWriterDefaults.pruneMaxRowsPerRun,
      });
      if (deleted > 0) this.log.debug({ deleted }, 'pruned readings past retention');
      if (this.pruneFailing) this.log.warn('reading retention pruning works again');
      this.pruneFailing = false;
    } catch (err) {
      if (!this.pruneFailing) this.log.error({ error: describe(err) }, 'reading retention pruning failed; will retry');
      this.pruneFailing = true;
    }
  }
}

/**
 * Validated here, at enqueue: a row the database would reject (NULL in a NOT NULL column) would
 * otherwise fail its whole batch on every retry and block every reading queued behind it.
 */
function toRow(r: Reading): Row {
  if (typeof r.point !== 'string' || r.point === '') throw new TypeError(`reading has no point code: ${String(r.point)}`);
  if (typeof r.quality !== 'string' || (r.quality as string) === '') throw new TypeError(`reading ${r.point} has no quality`);
  if (!Number.isFinite(r.wallTime)) throw new TypeError(`reading ${r.point} has wallTime ${String(r.wallTime)}`);
  if (!Number.isFinite(r.monoTime)) throw new TypeError(`reading ${r.point} has monoTime ${String(r.monoTime)}`);
  return [
    r.point,
    typeof r.value === 'number' ? r.value : null, // NaN is stored as NULL by SQLite
    r.quality,
    Math.round(r.wallTime),
    r.monoTime,
    JSON.stringify(Array.isArray(r.raw) ? r.raw : []),
  ];
}

export interface StoredReading {
  id: number;
  point: string;
  value: number | null;
  quality: Quality;
  wallTime: number;
  monoTime: number;
  raw: number[];
}

export interface ReadingQuery {
  point?: string;
  /** Inclusive lower bound on wall time, ms since epoch. */
  fromMs?: number;
  /** Exclusive upper bound on wall time, ms since epoch. */
  toMs?: number;
  /** Default 1000. */
  limit?: number;
  /** By wall time; default 'desc' (newest first, what a technician usually wants). */
  order?: 'asc' | 'desc';
}

export const readingQueryDefaults = { limit: 1_000, order: 'desc' } as const;

interface ReadingRow {
  id: number;
  point: string;
  value: number | null;
  quality: string;
  wall_time: number;
  mono_time: number;
  raw: string;
}

/** Stored readings matching the query, ordered by wall time (ties by insertion order). */
export function queryReadings(db: Database.Database, q: ReadingQuery = {}): StoredReading[] {
  const limit = positiveInteger('limit', q.limit, readingQueryDefaults.limit);
  const order = q.order ?? readingQueryDefaults.order;
  if (order !== 'asc' && order !== 'desc') throw new TypeError(`queryReadings: order must be 'asc' or 'desc', got ${String(q.order)}`);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.point !== undefined) {
    if (typeof q.point !== 'string') throw new TypeError(`queryReadings: point must be a string, got ${String(q.point)}`);
    where.push('point = ?');
    params.push(q.point);
  }
  if (q.fromMs !== undefined) {
    where.push('wall_time >= ?');
    params.push(finiteNumber('fromMs', q.fromMs));
  }
  if (q.toMs !== undefined) {
    where.push('wall_time < ?');
    params.push(finiteNumber('toMs', q.toMs));
  }
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const sql =
    `SELECT id, point, value, quality, wall_time, mono_time, raw FROM readings` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY wall_time ${dir}, id ${dir} LIMIT ?`;
  return (db.prepare(sql).all(...params, limit) as ReadingRow[]).map(fromRow);
}

/** The newest stored reading of every point, ordered by point. */
export function latestReadings(db: Database.Database): StoredReading[] {
  // Walks the (point, wall_time) index point by point: cost grows with the number of points,
  // not with days of history.
  const rows = db
    .prepare(
      `WITH RECURSIVE points(p) AS (
         SELECT min(point) FROM readings
         UNION ALL
         SELECT (SELECT min(point) FROM readings WHERE point > points.p) FROM points WHERE points.p IS NOT NULL
       )
       SELECT r.id, r.point, r.value, r.quality, r.wall_time, r.mono_time, r.raw
       FROM points JOIN readings r ON r.id = (
         SELECT id FROM readings WHERE point = points.p ORDER BY wall_time DESC, id DESC LIMIT 1
       )
       WHERE points.p IS NOT NULL
       ORDER BY r.point`,
    )
    .all() as ReadingRow[];
  return rows.map(fromRow);
}

/**
 * Delete readings whose wall time is before `olderThanMs` (ms since epoch); returns how many.
 * Walks from the oldest row in short transactions, so the cost follows the rows deleted, not the
 * table size. It stops at the first chunk with nothing to delete, so a reading stored long after
 * its wall time may outlive the cutoff a while; a reading at or after the cutoff is never deleted.
 */
export function pruneReadings(db: Database.Database, olderThanMs: number, opts: { maxRows?: number } = {}): number {
  const cutoff = finiteNumber('olderThanMs', olderThanMs);
  const maxRows = opts.maxRows === undefined ? Number.POSITIVE_INFINITY : positiveInteger('maxRows', opts.maxRows, 1);
  const chunk = 5_000;
  const chunkEnd = db.prepare('SELECT max(id) FROM (SELECT id FROM readings WHERE id > ? ORDER BY id LIMIT ?)').pluck();
  const remove = db.prepare('DELETE FROM readings WHERE id > ? AND id <= ? AND wall_time < ?');
  let cursor = 0;
  let total = 0;
  while (total < maxRows) {
    const end = chunkEnd.get(cursor, Math.min(chunk, maxRows - total)) as number | null;
    if (end === null) break;
    const deleted = remove.run(cursor, end, cutoff).changes;
    if (deleted === 0) break;
    total += deleted;
    cursor = end;
  }
  return total;
}

function fromRow(r: ReadingRow): StoredReading {
  return {
    id: r.id,
    point: r.point,
    value: r.value,
    quality: r.quality as Quality,
    wallTime: r.wall_time,
    monoTime: r.mono_time,
    raw: JSON.parse(r.raw) as number[],
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function finiteNumber(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number, got ${String(value)}`);
  return value;
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
