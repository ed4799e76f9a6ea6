// Five-minute statistics kept in the store, so they outlive the real-time readings: AQ 6201-2019
// wants real-time values ≥ 7 days but 5-minute statistics ≥ 1 year (domain.md, "Data retention").
// The statistics are those of FiveMinuteStats (one definition, the same rules as the live ones
// sent upstream), computed from the stored readings:
//   - when the writer packs a closed span, from that span's readings, in the same transaction as
//     the blocks (a window is never stored without its readings, or the other way round);
//   - for blocks stored some other way (a store from before this table, the conversion of the old
//     row layout, a late block added to a span that already had one): by a background step that
//     recomputes the windows of each such block's span from every stored reading of it
//     (reading-reader.ts reads all three places), idempotently.
// One row per point and window (~55 B): 64 points keep a year in ~370 MB. Times of the extremes
// and of the first/last reading are stored as offsets into the window (small integers).
import type Database from 'better-sqlite3';
import { FIVE_MINUTE_STATS_DEFAULTS, FiveMinuteStats, type FiveMinuteWindow } from '../five-minute-stats.js';
import { QUALITIES, type Quality } from '../../core/readings.js';
import type { Migration } from './database.js';
import { blockMsOf, PointIds, spanStartOf } from './block-store.js';
import { iterateReadings, newestSegmentTime, openSpanStart } from './reading-reader.js';

export const statisticsMigration: Migration = {
  version: 3,
  description: 'five-minute statistics per point (reading_statistics), kept ≥ 1 year after the readings are gone',
  up: (db) => {
    // No index on window_start alone: retention and queries go point by point over the primary key.
    db.exec(`CREATE TABLE reading_statistics (
      point_id INTEGER NOT NULL,
      window_start INTEGER NOT NULL,
      max REAL,
      max_at INTEGER,
      min REAL,
      min_at INTEGER,
      average REAL,
      samples INTEGER NOT NULL,
      excluded INTEGER NOT NULL,
      qualities TEXT,
      first_at INTEGER NOT NULL,
      last_at INTEGER NOT NULL,
      PRIMARY KEY (point_id, window_start)
    ) WITHOUT ROWID`);
    // Every block already stored still needs its windows: the backfill starts at block id 0.
    db.exec("INSERT INTO reading_state (key, value) VALUES ('statistics_through_block', 0)");
  },
};

export const STATISTICS_DEFAULTS = {
  /** Blocks whose spans one backfill step recomputes (64 points' spans: ~10 ms). */
  backfillBlocksPerStep: 16,
} as const;

const WINDOW_MS = FIVE_MINUTE_STATS_DEFAULTS.windowMs;

export function hasStatistics(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reading_statistics'").get() !== undefined;
}

/** Windows of readings (any order) of one point: what FiveMinuteStats closes, late readings none. */
export function windowsOf(point: string, readings: readonly { wallTime: number; value: number | null; quality: string }[]): FiveMinuteWindow[] {
  const stats = new FiveMinuteStats();
  // The writer's spans are nearly always in time order already: sort only when they are not.
  let ordered = true;
  for (let i = 1; i < readings.length && ordered; i++) if (readings[i]!.wallTime < readings[i - 1]!.wallTime) ordered = false;
  const inOrder = ordered ? readings : [...readings].sort((a, b) => a.wallTime - b.wallTime);
  const out: FiveMinuteWindow[] = [];
  // One object, refilled per reading: FiveMinuteStats copies what it keeps (numbers), never the object.
  const r = { point, wallTime: 0, value: 0, quality: 'good' as Quality };
  for (const x of inOrder) {
    r.wallTime = x.wallTime;
    r.value = x.value ?? Number.NaN;
    r.quality = x.quality as Quality;
    const closed = stats.add(r);
    if (closed.length > 0) out.push(...closed);
  }
  out.push(...stats.closeUpTo(Number.POSITIVE_INFINITY));
  return out;
}

/** Store windows (replacing any stored for the same point and start). Call inside the writer's transaction. */
export function storeWindows(db: Database.Database, ids: PointIds, windows: readonly FiveMinuteWindow[]): void {
  if (windows.length === 0) return;
  const put = db.prepare(
    `INSERT OR REPLACE INTO reading_statistics (point_id, window_start, max, max_at, min, min_at, average, samples, excluded, qualities, first_at, last_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const w of windows) {
    const at = (t: number | null): number | null => (t === null ? null : t - w.start);
    put.run(ids.idOf(w.point), w.start, w.max, at(w.maxTime), w.min, at(w.minTime), w.average, w.samples, w.excluded, qualitiesText(w), w.firstTime - w.start, w.lastTime - w.start);
  }
}

/**
 * Recompute and store the windows of the spans of up to `maxBlocks` blocks the statistics do not
 * cover yet (see the header). Returns how many blocks it covered; 0 when there is nothing left.
 */
export function backfillStatistics(db: Database.Database, maxBlocks: number = STATISTICS_DEFAULTS.backfillBlocksPerStep): number {
  if (!hasStatistics(db)) return 0;
  const through = db.prepare("SELECT value FROM reading_state WHERE key = 'statistics_through_block'").pluck().get() as number;
  const blocks = db.prepare('SELECT id, point_id, span_start FROM reading_blocks WHERE id > ? ORDER BY id LIMIT ?').all(through, maxBlocks) as {
    id: number;
    point_id: number;
    span_start: number;
  }[];
  if (blocks.length === 0) return 0;
  const ids = new PointIds(db);
  const blockMs = blockMsOf(db);
  db.transaction(() => {
    const done = new Set<string>();
    for (const b of blocks) {
      const key = `${b.point_id}:${b.span_start}`;
      if (done.has(key)) continue;
      done.add(key);
      recomputeSpan(db, ids, ids.codeOf(b.point_id), b.span_start, blockMs);
    }
    db.prepare("UPDATE reading_state SET value = ? WHERE key = 'statistics_through_block'").run(blocks[blocks.length - 1]!.id);
  }).immediate();
  return blocks.length;
}

/**
 * Called by the writer in its block commit, after the blocks are inserted: when no backfill was
 * pending before them, they are covered by the windows the writer stored with them.
 */
export function markBlocksCovered(db: Database.Database, maxIdBefore: number): void {
  if (!hasStatistics(db)) return;
  db.prepare("UPDATE reading_state SET value = (SELECT coalesce(max(id), 0) FROM reading_blocks) WHERE key = 'statistics_through_block' AND value >= ?").run(maxIdBefore);
}

/** Windows of every stored reading of one point's span (windows overlapping it, aligned outwards). */
function recomputeSpan(db: Database.Database, ids: PointIds, point: string, spanStart: number, blockMs: number): void {
  recomputeWindows(db, ids, point, spanStart, spanStart + blockMs);
}

/**
 * Recompute and store the windows of one point overlapping [fromMs, toMs) (aligned outwards) from
 * every stored reading of them, whatever layout holds them (reading-reader.ts). For windows whose
 * readings a writer did not all see in one run: late readings, a restart, another layout's readings.
 */
export function recomputeWindows(db: Database.Database, ids: PointIds, point: string, fromMs: number, toMs: number): void {
  const stats = new FiveMinuteStats();
  const from = stats.windowStart(fromMs);
  const to = stats.windowStart(toMs - 1) + WINDOW_MS;
  const readings = [...iterateReadings(db, { point, fromMs: from, toMs: to })];
  storeWindows(db, ids, windowsOf(point, readings));
}

export interface StatisticsRange {
  point?: string;
  fromMs: number;
  toMs: number;
}

/**
 * Five-minute windows starting in [fromMs, toMs), per point in time order, points by id. Stored
 * windows, except where the store's readings may say more than the table yet: the still-open
 * span (journal) and any span the backfill has not reached; those are computed from the readings.
 */
export function queryStatistics(db: Database.Database, range: StatisticsRange): FiveMinuteWindow[] {
  // One snapshot for the table and the readings on a read-only (CLI) connection.
  const snapshot = db.readonly && !db.inTransaction;
  if (snapshot) db.exec('BEGIN');
  try {
    return queryInSnapshot(db, range);
  } finally {
    if (snapshot) db.exec('COMMIT');
  }
}

function queryInSnapshot(db: Database.Database, range: StatisticsRange): FiveMinuteWindow[] {
  const ids = new PointIds(db);
  const byKey = new Map<string, FiveMinuteWindow>();
  const pointId = range.point === undefined ? undefined : ids.find(range.point);
  if (range.point !== undefined && pointId === undefined) return [];
  if (hasStatistics(db)) {
    const where = pointId === undefined ? '' : ' AND point_id = ?';
    const rows = db
      .prepare(`SELECT * FROM reading_statistics WHERE window_start >= ? AND window_start < ?${where}`)
      .all(range.fromMs, range.toMs, ...(pointId === undefined ? [] : [pointId])) as StatisticsRow[];
    for (const row of rows) {
      const w = fromRow(row, ids.codeOf(row.point_id));
      byKey.set(`${w.point}\u0000${w.start}`, w);
    }
  }
  const liveFrom = computedFrom(db);
  if (liveFrom < range.toMs) {
    const stats = new FiveMinuteStats();
    const from = Math.max(range.fromMs, stats.windowStart(liveFrom));
    const byPoint = new Map<string, { wallTime: number; value: number | null; quality: string }[]>();
    for (const r of iterateReadings(db, { fromMs: from, toMs: range.toMs, ...(range.point !== undefined ? { point: range.point } : {}) })) {
      const list = byPoint.get(r.point);
      if (list) list.push(r);
      else byPoint.set(r.point, [r]);
    }
    for (const [point, readings] of byPoint) for (const w of windowsOf(point, readings)) if (w.start >= range.fromMs) byKey.set(`${point}\u0000${w.start}`, w);
  }
  return [...byKey.values()].sort((a, b) => (ids.find(a.point) ?? 0) - (ids.find(b.point) ?? 0) || a.start - b.start);
}

/** Wall time from which windows must be computed from readings rather than read from the table. */
function computedFrom(db: Database.Database): number {
  if (!hasStatistics(db)) return Number.NEGATIVE_INFINITY;
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings_v1'").get() !== undefined) return Number.NEGATIVE_INFINITY;
  const through = db.prepare("SELECT value FROM reading_state WHERE key = 'statistics_through_block'").pluck().get() as number;
  const pending = db.prepare('SELECT min(span_start) FROM reading_blocks WHERE id > ?').pluck().get(through) as number | null;
  const open = openSpanStart(db);
  // Segment layout: the writer stores a window once it has closed (segment-writer.ts), so the
  // newest window and the one before (its grace period) may not be in the table yet.
  const segment = newestSegmentTime(db);
  const segmentFrom = segment === null ? Number.POSITIVE_INFINITY : new FiveMinuteStats().windowStart(segment) - WINDOW_MS;
  return Math.min(pending ?? Number.POSITIVE_INFINITY, open === null ? Number.POSITIVE_INFINITY : spanStartOf(open, blockMsOf(db)), segmentFrom);
}

interface StatisticsRow {
  point_id: number;
  window_start: number;
  max: number | null;
  max_at: number | null;
  min: number | null;
  min_at: number | null;
  average: number | null;
  samples: number;
  excluded: number;
  qualities: string | null;
  first_at: number;
  last_at: number;
}

/** NULL when every reading was good (the usual case); else the non-zero counts, as JSON. */
function qualitiesText(w: FiveMinuteWindow): string | null {
  const nonZero = QUALITIES.filter((q) => w.byQuality[q] > 0);
  if (nonZero.length === 1 && nonZero[0] === 'good') return null;
  return JSON.stringify(Object.fromEntries(nonZero.map((q) => [q, w.byQuality[q]])));
}

function fromRow(row: StatisticsRow, point: string): FiveMinuteWindow {
  const byQuality = Object.fromEntries(QUALITIES.map((q) => [q, 0])) as Record<Quality, number>;
  if (row.qualities === null) byQuality.good = row.samples + row.excluded;
  else for (const [q, n] of Object.entries(JSON.parse(row.qualities) as Record<string, number>)) byQuality[q as Quality] = n;
  const at = (off: number | null): number | null => (off === null ? null : row.window_start + off);
  return {
    point,
    start: row.window_start,
    end: row.window_start + WINDOW_MS,
    max: row.max,
    maxTime: at(row.max_at),
    min: row.min,
    minTime: at(row.min_at),
    average: row.average,
    samples: row.samples,
    excluded: row.excluded,
    byQuality,
    late: 0,
    firstTime: row.window_start + row.first_at,
    lastTime: row.window_start + row.last_at,
  };
}
