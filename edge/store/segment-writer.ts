// The segment layout's side of ReadingWriter (reading-store.ts): a written batch becomes one
// frame per point and mine day (segment-files.ts), and its readings feed the five-minute
// statistics, which are stored in `reading_statistics` as each window closes (one small
// transaction per five minutes, not per batch: SQLite's WAL is the costly part of flash writes).
// At start the newest day's files are recovered (torn tails cut) and their last minutes re-fed to
// the statistics, so a window open at a restart is stored whole (INSERT OR REPLACE).
import type Database from 'better-sqlite3';
import { FiveMinuteStats, type FiveMinuteWindow } from '../five-minute-stats.js';
import type { Logger } from '../log.js';
import type { PointIds } from './block-store.js';
import type { JournalReading } from './reading-journal.js';
import { hasStatistics, storeWindows } from './statistics-store.js';
import { mineDayOf, SegmentAppender, type SegmentBatchPart, segmentRoot } from './segment-files.js';

/** Windows waiting for a commit that keeps failing are capped: a day of 64 points. */
const MAX_PENDING_WINDOWS = 64 * 288;

export class SegmentWriter {
  private readonly appender: SegmentAppender;
  private readonly stats = new FiveMinuteStats();
  private pending: FiveMinuteWindow[] = [];
  private readonly withStats: boolean;
  private statsFailing = false;

  constructor(
    private readonly db: Database.Database,
    private readonly ids: PointIds,
    private readonly log: Logger,
  ) {
    this.appender = new SegmentAppender(segmentRoot(db.name));
    this.withStats = hasStatistics(db);
    let newest = Number.NEGATIVE_INFINITY;
    const recovered = this.appender.recoverNewestDay();
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

  /** Store the windows closed by now (windows ending at or before `upTo`). */
  storeStatistics(upTo: number): void {
    if (!this.withStats) return;
    const closed = this.stats.closeUpTo(upTo);
    if (closed.length > 0) this.pending.push(...closed);
    if (this.pending.length === 0) return;
    try {
      this.db.transaction(() => storeWindows(this.db, this.ids, this.pending))();
      this.pending = [];
      if (this.statsFailing) this.log.warn('storing five-minute statistics works again');
      this.statsFailing = false;
    } catch (err) {
      if (!this.statsFailing) this.log.error({ error: err instanceof Error ? err.message : String(err) }, 'storing five-minute statistics failed; will retry');
      this.statsFailing = true;
      if (this.pending.length > MAX_PENDING_WINDOWS) this.pending.splice(0, this.pending.length - MAX_PENDING_WINDOWS);
    }
  }

  close(): void {
    this.storeStatistics(Number.POSITIVE_INFINITY);
    this.appender.close();
  }

  private feed(point: string, r: { wallTime: number; value: number | null; quality: string }): void {
    if (!this.withStats) return;
    const closed = this.stats.add({ point, wallTime: r.wallTime, value: r.value ?? Number.NaN, quality: r.quality as JournalReading['quality'] });
    if (closed.length > 0) this.pending.push(...closed);
  }
}
