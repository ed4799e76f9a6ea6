// The segment layout's side of ReadingWriter (reading-store.ts): a written batch becomes one
// frame per point and mine day (segment-files.ts), and its readings feed the five-minute
// statistics, which are stored in `reading_statistics` as each window closes (one small
// transaction per five minutes, not per batch: SQLite's WAL is the costly part of flash writes).
// At start the newest day's files are recovered (torn tails cut) and their last minutes re-fed to
// the statistics, so a window open at a restart is closed and stored (INSERT OR REPLACE).
// A window this writer may not have seen whole is not stored from its batches but recomputed from
// every stored reading of it (statistics-store.ts recomputeWindows, through the reader API, as the
// blocks layout's backfill does): a window that began before the newest reading stored when the
// writer started (a restart, a late reading for an old span, readings of another layout), and a
// window that gets a late reading after FiveMinuteStats has closed it (it drops such readings).
import type Database from 'better-sqlite3';
import { FIVE_MINUTE_STATS_DEFAULTS, FiveMinuteStats, type FiveMinuteWindow } from '../five-minute-stats.js';
import type { Logger } from '../log.js';
import type { PointIds } from './block-store.js';
import type { JournalReading } from './reading-journal.js';
import { newestReadingTime } from './reading-reader.js';
import { type ConversionStep, convertBlocksToSegments, resumeSegmentConversion } from './segment-conversion.js';
import { hasStatistics, recomputeWindows, storeWindows } from './statistics-store.js';
import { mineDayOf, SegmentAppender, type SegmentBatchPart, segmentRoot } from './segment-files.js';

/** Windows waiting for a commit that keeps failing are capped: a day of 64 points. */
const MAX_PENDING_WINDOWS = 64 * 288;
const WINDOW_MS = FIVE_MINUTE_STATS_DEFAULTS.windowMs;
/**
 * Windows recomputed per call (each reads its point's day file from disk, a few ms): a backlog of
 * late readings is worked off over the writer's turns instead of holding the event loop at once.
 */
const RECOMPUTE_PER_CALL = 16;

export class SegmentWriter {
  private readonly appender: SegmentAppender;
  private readonly stats = new FiveMinuteStats();
  private pending: FiveMinuteWindow[] = [];
  /** Windows to recompute from every stored reading, by `${point}\u0000${start}` (see the header). */
  private recompute = new Map<string, { point: string; start: number }>();
  /** Per point, the newest window fed: a reading of an earlier window is late, FiveMinuteStats drops it. */
  private readonly newestWindow = new Map<string, number>();
  /** Windows starting before this may hold readings stored before this writer started. */
  private readonly trustFrom: number;
  private readonly withStats: boolean;
  private statsFailing = false;

  constructor(
    private readonly db: Database.Database,
    private readonly ids: PointIds,
    private readonly log: Logger,
  ) {
    this.appender = new SegmentAppender(segmentRoot(db.name));
    // Before any file is opened: a conversion step a crash interrupted is undone on the file side.
    if (resumeSegmentConversion(db, this.appender.root)) this.log.info('an interrupted conversion step of packed blocks into segment files was undone; it is redone in the background');
    this.withStats = hasStatistics(db);
    let newest = Number.NEGATIVE_INFINITY;
    const recovered = this.appender.recoverNewestDay();
    const stored = this.withStats ? newestReadingTime(db) : null;
    this.trustFrom = stored === null ? Number.NEGATIVE_INFINITY : this.stats.windowStart(stored) + WINDOW_MS;
    for (const f of recovered) for (const r of f.readings) if (r.wallTime > newest) newest = r.wallTime;
    // The windows that may still be open: the newest one and the one before (its grace period).
    const from = this.stats.windowStart(newest) - 5 * 60_000;
    for (const f of recovered) {
      const code = this.ids.codeOf(f.pointId);
      for (const r of f.readings) if (r.wallTime >= from) this.feed(code, r);
    }
    if (recovered.length > 0) this.log.info({ files: recovered.length }, 'segment files of the newest day recovered');
  }

  /** Append a batch (throws, leaving no trace of it, when the disk refuses; see SegmentAppender). */
  append(entries: readonly JournalReading[]): void {
    const parts = new Map<string, SegmentBatchPart>();
    for (const e of entries) {
      const day = mineDayOf(e.wallTime);
      const key = `${day}/${e.pointId}`;
      const reading = { wallTime: e.wallTime, monoTime: e.monoTime, value: e.value, quality: e.quality, raw: e.raw };
      const part = parts.get(key);
      if (part) part.readings.push(reading);
      else parts.set(key, { day, pointId: e.pointId, readings: [reading] });
    }
    this.appender.appendBatch([...parts.values()]);
    for (const e of entries) this.feed(this.ids.codeOf(e.pointId), e);
  }

  /** Store the windows closed by now (windows ending at or before `upTo`); `all`: every window waiting to be recomputed too. */
  storeStatistics(upTo: number, all = false): void {
    if (!this.withStats) return;
    this.take(this.stats.closeUpTo(upTo));
    if (this.pending.length === 0 && this.recompute.size === 0) return;
    const some = [...this.recompute].slice(0, all ? undefined : RECOMPUTE_PER_CALL);
    try {
      this.db.transaction(() => {
        storeWindows(this.db, this.ids, this.pending);
        // After the windows from batches: a recomputed window replaces one stored from part of its readings.
        for (const [, w] of some) recomputeWindows(this.db, this.ids, w.point, w.start, w.start + WINDOW_MS);
      })();
      this.pending = [];
      for (const [key] of some) this.recompute.delete(key);
      if (this.statsFailing) this.log.warn('storing five-minute statistics works again');
      this.statsFailing = false;
    } catch (err) {
      if (!this.statsFailing) this.log.error({ error: err instanceof Error ? err.message : String(err) }, 'storing five-minute statistics failed; will retry');
      this.statsFailing = true;
      if (this.pending.length > MAX_PENDING_WINDOWS) this.pending.splice(0, this.pending.length - MAX_PENDING_WINDOWS);
      if (this.recompute.size > MAX_PENDING_WINDOWS) this.recompute = new Map([...this.recompute].slice(-MAX_PENDING_WINDOWS));
    }
  }

  /** One background step moving packed blocks of an older store into segment files (segment-conversion.ts). */
  convertBlocks(): ConversionStep {
    return convertBlocksToSegments(this.db, this.appender);
  }

  close(): void {
    this.storeStatistics(Number.POSITIVE_INFINITY, true);
    this.appender.close();
  }

  private feed(point: string, r: { wallTime: number; value: number | null; quality: string }): void {
    if (!this.withStats) return;
    const start = this.stats.windowStart(r.wallTime);
    const newest = this.newestWindow.get(point);
    if (newest !== undefined && start < newest) this.recomputeLater(point, start);
    else if (newest !== start) this.newestWindow.set(point, start);
    this.take(this.stats.add({ point, wallTime: r.wallTime, value: r.value ?? Number.NaN, quality: r.quality as JournalReading['quality'] }));
  }

  /** Closed windows: stored as computed when this writer saw all of them, else recomputed (see the header). */
  private take(closed: readonly FiveMinuteWindow[]): void {
    for (const w of closed) {
      if (w.start >= this.trustFrom) this.pending.push(w);
      else this.recomputeLater(w.point, w.start);
    }
  }

  private recomputeLater(point: string, start: number): void {
    this.recompute.set(`${point}\u0000${start}`, { point, start });
  }
}
