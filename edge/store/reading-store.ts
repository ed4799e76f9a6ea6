// The reading writer. The polling/safety path hands readings to `enqueue`, which only appends to a
// bounded in-memory queue; a background timer writes them in batches. A batch is written when it
// is appended to the open-block journal (reading-journal.ts: one write() per batch, what a SIGKILL
// cannot take back); once a block span (30 min) has passed, its readings are packed one block per
// point (reading-codec.ts) and committed to SQLite in one transaction (block-store.ts). A failing
// disk (full, locked, I/O error) never reaches the caller: the writer counts it, keeps the newest
// readings within a hard cap, and resumes by itself.
import { systemClock } from '../../core/clock.js';
import type Database from 'better-sqlite3';
import type { Reading } from '../../core/readings.js';
import { createLogger, type Logger } from '../log.js';
import type { Migration } from './database.js';
import { blockMsOf, blockStoreMigrations, packedLayoutMigration, commitBlocks, hasPackedLayout, journalGenOf, maxBlockId, PointIds, spanHasBlock, spanStartOf, type BlockRow } from './block-store.js';
import { exponentialDelay } from '../../core/backoff.js';
import { BoundedQueue } from '../../core/bounded-queue.js';
import { registerReadingsTable } from './reading-sql-view.js';
import { encodeBlock } from './reading-codec.js';
import { JournalAppender, journalFile, journalGenerations, type JournalReading, readJournal, removeJournalFile, writeJournalFile } from './reading-journal.js';
import { checkRetention, ClassRetention, gatewayRecordTables, STORE_RETENTION_DEFAULTS, type RecordTable, type StoreRetention } from './retention-classes.js';
import { DAY_MS, describe, messageOf, MIN_READING_RETENTION_MS, positiveInteger, READING_WRITER_DEFAULTS, type ReadingWriterOptions, type ReadingWriterStats, type Row, toRow } from './reading-writer-options.js';
import { hasStatistics, markBlocksCovered, statisticsMigration, storeWindows, windowsOf } from './statistics-store.js';
import { StoreHousekeeping } from './store-housekeeping.js';
import { SegmentWriter } from './segment-writer.js';
import type { FiveMinuteWindow } from '../five-minute-stats.js';

export { latestReadings, queryReadings, READING_QUERY_DEFAULTS, type ReadingQuery, type StoredReading } from './reading-reader.js';
export { pruneReadings } from './reading-retention.js';
export { MIN_READING_RETENTION_MS, READING_WRITER_DEFAULTS, type ReadingWriterOptions, type ReadingWriterStats } from './reading-writer-options.js';

/** Migrations of the 'store' component: open with `openDatabase(file, { store: readingMigrations, ... })`. */
// The packed layout's SQL `readings` view is attached here, not in block-store.ts: the view reads through reading-reader.ts, which imports block-store.ts (no-circular).
export const readingMigrations: Migration[] = [...blockStoreMigrations.map((m) => (m === packedLayoutMigration ? { ...m, connect: registerReadingsTable } : m)), statisticsMigration];

const FIVE_MINUTES = 5 * 60_000;

/** Databases with an open writer in this process: two writers would interleave one journal file. */
const openWriters = new Set<string>();

export class ReadingWriter {
  private readonly opts: Required<Omit<ReadingWriterOptions, 'logger' | 'clock' | 'retention' | 'recordTables' | 'layout'>>;
  private readonly log: Logger;
  private readonly clock: { wall: () => number; mono: () => number };
  private readonly queue: BoundedQueue<Row>;
  private readonly timer: NodeJS.Timeout;
  private readonly ids: PointIds;
  private readonly blockMs: number;
  private readonly dbFile: string;
  private journal: JournalAppender;
  /** The segment layout (segment-writer.ts), when this writer writes it; else batches go to the journal. */
  private readonly segments: SegmentWriter | undefined;
  /** Every reading of the current journal generation, in write order. */
  private open: JournalReading[] = [];
  private oldestOpenSpan = Number.POSITIVE_INFINITY;
  private newestBatchWall = Number.NEGATIVE_INFINITY;
  private drainStep: NodeJS.Immediate | undefined;
  private readonly housekeeping: StoreHousekeeping;

  private written = 0;
  private dropped = 0;
  private failures = 0;
  private consecutiveFailures = 0;
  private lastError: string | undefined;
  private nextAttemptAt = 0;
  private compactError: unknown;
  private nextCompactAt = 0;
  private closed = false;
  // Logged once per change, never once per reading or per attempt.
  private failingLogged = false;
  private droppingSince: number | undefined;
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
      flushIntervalMs: positiveInteger('flushIntervalMs', opts.flushIntervalMs, READING_WRITER_DEFAULTS.flushIntervalMs),
      maxBatch: positiveInteger('maxBatch', opts.maxBatch, READING_WRITER_DEFAULTS.maxBatch),
      maxQueued: positiveInteger('maxQueued', opts.maxQueued, READING_WRITER_DEFAULTS.maxQueued),
      retentionMs: opts.retentionMs ?? (opts.retention ? opts.retention.readings.days * DAY_MS : READING_WRITER_DEFAULTS.retentionMs),
      capBytes: opts.capBytes ?? opts.retention?.readings.maxBytes ?? READING_WRITER_DEFAULTS.capBytes,
      retryMaxMs: positiveInteger('retryMaxMs', opts.retryMaxMs, READING_WRITER_DEFAULTS.retryMaxMs),
    };
    if (typeof this.opts.retentionMs !== 'number' || Number.isNaN(this.opts.retentionMs) || this.opts.retentionMs < MIN_READING_RETENTION_MS) {
      throw new TypeError(
        `ReadingWriter: retentionMs must be at least ${MIN_READING_RETENTION_MS} (7 days, AQ 6201-2019), got ${String(opts.retentionMs)}`,
      );
    }
    if (typeof this.opts.capBytes !== 'number' || Number.isNaN(this.opts.capBytes) || this.opts.capBytes <= 0) {
      throw new TypeError(`ReadingWriter: capBytes must be a positive number of bytes (or Infinity), got ${String(opts.capBytes)}`);
    }
    this.log = (opts.logger ?? createLogger()).child({ module: 'reading-store' });
    if (opts.clock !== undefined && (typeof opts.clock?.wall !== 'function' || typeof opts.clock?.mono !== 'function')) {
      throw new TypeError('ReadingWriter: clock must have wall() and mono() functions');
    }
    this.clock = opts.clock ?? systemClock;
    this.queue = new BoundedQueue<Row>(this.opts.maxQueued);
    if (!hasPackedLayout(db)) {
      throw new TypeError('ReadingWriter: the database has no reading store; open the database with { store: readingMigrations }');
    }
    this.ids = new PointIds(db);
    this.blockMs = blockMsOf(db);
    this.dbFile = db.name;
    if (openWriters.has(this.dbFile)) throw new TypeError(`ReadingWriter: another writer is open on ${this.dbFile}; close it first`);
    this.journal = this.recoverJournal();
    const layout = opts.layout ?? READING_WRITER_DEFAULTS.layout;
    if (layout !== 'segments' && layout !== 'blocks') throw new TypeError(`ReadingWriter: layout must be 'segments' or 'blocks', got ${String(opts.layout)}`);
    // A journal left by a blocks-layout run is still packed into blocks when its span closes.
    this.segments = layout === 'segments' ? new SegmentWriter(db, this.ids, this.log) : undefined;
    this.housekeeping = new StoreHousekeeping(db, this.log, this.clock, {
      retentionMs: this.opts.retentionMs,
      capBytes: this.opts.capBytes,
      classes: new ClassRetention(db, checkRetention(opts.retention ?? STORE_RETENTION_DEFAULTS), opts.recordTables ?? gatewayRecordTables),
    }, this.segments ? () => this.segments!.convertBlocks() : undefined);
    openWriters.add(this.dbFile);
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

  /** Retention from a reloaded config: the same checks as at construction; applies from the next run. */
  setRetention(retention: StoreRetention, recordTables: readonly RecordTable[] = gatewayRecordTables): void {
    const r = checkRetention(retention);
    this.housekeeping.setLimits({ retentionMs: r.readings.days * DAY_MS, capBytes: r.readings.maxBytes, classes: new ClassRetention(this.db, r, recordTables) });
  }

  /** Write everything queued now, batch by batch, stopping at the first failure. Returns readings written. */
  flush(): number {
    let total = 0;
    while (this.queue.size > 0) {
      const n = this.writeOneBatch();
      if (n <= 0) break;
      total += n;
    }
    return total;
  }

  /**
   * Stop the timer, write what is queued and pack the open span into blocks. The database stays
   * open: its owner closes it. If packing fails, the readings stay in the journal for the next start.
   */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    if (this.drainStep) clearImmediate(this.drainStep);
    this.housekeeping.stop();
    this.drainStep = undefined;
    this.flush();
    try {
      this.segments?.close();
    } catch (err) {
      this.log.error({ error: describe(err) }, 'could not store the open five-minute statistics at close');
    }
    try {
      this.compact(true);
    } catch (err) {
      this.log.error({ error: describe(err), open: this.open.length }, 'could not pack the open readings at close; they stay in the journal for the next start');
    }
    this.journal.close();
    openWriters.delete(this.dbFile);
    this.closed = true;
    const lost = this.queue.size;
    if (lost > 0) {
      this.dropped += lost;
      this.queue.drop(lost);
      this.log.error({ lost, lastError: this.lastError }, 'writer closed while the disk was failing; queued readings lost');
    }
  }

  stats(): ReadingWriterStats {
    const s: ReadingWriterStats = {
      written: this.written,
      dropped: this.dropped,
      queued: this.queue.size,
      failures: this.failures,
      failing: this.consecutiveFailures > 0,
      open: this.open.length,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    const { capacity, classes } = this.housekeeping;
    if (capacity !== undefined) s.capacity = capacity;
    if (classes !== undefined) s.classes = classes;
    return s;
  }

  /** The journal of the generation the database names; files of other generations are leftovers of a crash. */
  private recoverJournal(): JournalAppender {
    const gen = journalGenOf(this.db);
    for (const g of journalGenerations(this.dbFile)) if (g !== gen) removeJournalFile(journalFile(this.dbFile, g));
    const file = journalFile(this.dbFile, gen);
    const found = readJournal(file);
    if (!found) return new JournalAppender(file, gen);
    for (const r of found.readings) this.noteOpen(r);
    this.open = found.readings;
    if (this.open.length > 0) this.log.info({ readings: this.open.length }, 'open readings recovered from the journal');
    return new JournalAppender(file, gen, found.validBytes);
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
    if (n > 0 && this.queue.size > 0) {
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
    if (n >= 0) {
      this.housekeeping.step();
    }
  }

  /** Readings written, 0 when nothing was queued, -1 when the write failed (readings stay queued). */
  private writeOneBatch(): number {
    const batch = this.queue.oldest(this.opts.maxBatch);
    if (batch.length === 0) return 0;
    try {
      // Packing has failed for long: the open set would grow without bound, so stop taking more
      // until a retry of the packing succeeds.
      if (this.compactError !== undefined && this.open.length >= this.opts.maxQueued) {
        this.maybeCompact();
        if (this.compactError !== undefined) throw this.compactError;
      }
      this.ids.register(batch.map((r) => r.point));
      const entries = batch.map((r) => ({ pointId: this.ids.idOf(r.point), wallTime: r.wallTime, monoTime: r.monoTime, value: r.value, quality: r.quality, raw: r.raw }));
      let newest = Number.NEGATIVE_INFINITY;
      for (const e of entries) if (e.wallTime > newest) newest = e.wallTime;
      if (this.segments) this.segments.append(entries);
      else {
        this.journal.append(entries);
        for (const e of entries) {
          this.open.push(e);
          this.noteOpen(e);
        }
      }
      this.newestBatchWall = newest;
    } catch (err) {
      this.onWriteFailed(err);
      return -1;
    }
    this.queue.drop(batch.length);
    this.written += batch.length;
    this.onWriteSucceeded();
    if (this.droppingSince !== undefined && this.queue.size === 0) {
      this.log.warn({ dropped: this.droppedSinceEpisode() }, 'reading queue caught up; no longer dropping');
      this.droppingSince = undefined;
    }
    this.segments?.storeStatistics(Math.max(this.newestBatchWall, this.clock.wall()) - READING_WRITER_DEFAULTS.closeGraceMs);
    this.maybeCompact();
    return batch.length;
  }

  private noteOpen(r: JournalReading): void {
    const span = spanStartOf(r.wallTime, this.blockMs);
    if (span < this.oldestOpenSpan) this.oldestOpenSpan = span;
  }

  /**
   * Spans before this one are closed: their end lies a grace period behind the newest reading or
   * the clock, whichever is later (so readings that arrive old, e.g. a backlog, are packed at once).
   */
  private closeBefore(): number {
    return spanStartOf(Math.max(this.newestBatchWall, this.clock.wall()) - READING_WRITER_DEFAULTS.closeGraceMs, this.blockMs);
  }

  /** Pack closed spans when one has ended; a failure keeps them in the journal and is retried later. */
  private maybeCompact(): void {
    const closeBefore = this.closeBefore();
    if (!(this.oldestOpenSpan < closeBefore)) return;
    if (this.compactError !== undefined && this.clock.mono() < this.nextCompactAt) return;
    try {
      this.compact(false);
      if (this.compactError !== undefined) this.log.warn({ open: this.open.length }, 'packing reading blocks works again');
      this.compactError = undefined;
    } catch (err) {
      if (this.compactError === undefined) this.log.error({ error: describe(err), open: this.open.length }, 'packing reading blocks failed; readings stay in the journal, will retry');
      this.compactError = err;
      this.lastError = describe(err);
      this.nextCompactAt = this.clock.mono() + this.opts.retryMaxMs;
    }
  }

  /**
   * Write the still-open readings to the next journal generation, commit the closed spans as
   * blocks together with that generation, then drop the old journal (see reading-journal.ts).
   */
  private compact(all: boolean): void {
    const closeBefore = all ? Number.POSITIVE_INFINITY : this.closeBefore();
    const groups = new Map<string, JournalReading[]>();
    const keep: JournalReading[] = [];
    for (const r of this.open) {
      const span = spanStartOf(r.wallTime, this.blockMs);
      if (span >= closeBefore) {
        keep.push(r);
        continue;
      }
      const key = `${r.pointId}:${span}`;
      const g = groups.get(key);
      if (g) g.push(r);
      else groups.set(key, [r]);
    }
    if (groups.size === 0) return;
    const blocks: BlockRow[] = [];
    const windows: FiveMinuteWindow[] = [];
    const withStats = hasStatistics(this.db);
    // A span that already has a block (late readings) or does not hold whole windows: the
    // backfill recomputes it from every stored reading (statistics-store.ts).
    let exact = withStats && this.blockMs % FIVE_MINUTES === 0;
    for (const rs of groups.values()) {
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (const r of rs) {
        if (r.wallTime < first) first = r.wallTime;
        if (r.wallTime > last) last = r.wallTime;
      }
      const pointId = rs[0]!.pointId;
      const spanStart = spanStartOf(first, this.blockMs);
      if (exact && spanHasBlock(this.db, pointId, spanStart)) exact = false;
      if (exact) windows.push(...windowsOf(this.ids.codeOf(pointId), rs));
      blocks.push({ pointId, spanStart, firstMs: first, lastMs: last, count: rs.length, data: encodeBlock(rs) });
    }
    const gen = this.journal.gen;
    const nextFile = journalFile(this.dbFile, gen + 1);
    writeJournalFile(nextFile, gen + 1, keep);
    const maxIdBefore = withStats ? maxBlockId(this.db) : 0;
    try {
      commitBlocks(this.db, blocks, gen + 1, () => {
        if (!exact) return;
        storeWindows(this.db, this.ids, windows);
        markBlocksCovered(this.db, maxIdBefore);
      });
    } catch (err) {
      removeJournalFile(nextFile);
      throw err;
    }
    if (!exact) this.housekeeping.statisticsPending();
    this.housekeeping.blocksStored();
    const previous = this.journal;
    this.journal = new JournalAppender(nextFile, gen + 1, readJournal(nextFile)!.validBytes);
    previous.close();
    removeJournalFile(previous.file);
    this.open = keep;
    this.oldestOpenSpan = Number.POSITIVE_INFINITY;
    for (const r of keep) this.noteOpen(r);
  }

  private onWriteFailed(err: unknown): void {
    this.failures++;
    this.consecutiveFailures++;
    this.lastError = describe(err);
    const delay = exponentialDelay(this.opts.flushIntervalMs, this.opts.retryMaxMs, this.consecutiveFailures);
    this.nextAttemptAt = this.clock.mono() + delay;
    if (!this.failingLogged) {
      this.failingLogged = true;
      this.log.error(
        { error: this.lastError, queued: this.queue.size, maxQueued: this.opts.maxQueued },
        'reading store writes failing; readings kept in memory, oldest dropped if the queue fills',
      );
    }
  }

  private onWriteSucceeded(): void {
    if (this.consecutiveFailures > 0) {
      this.log.warn(
        { failedAttempts: this.consecutiveFailures, dropped: this.droppedSinceEpisode(), queued: this.queue.size },
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
}


