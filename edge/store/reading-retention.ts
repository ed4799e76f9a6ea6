// Retention of the real-time readings class: by age (default 8 days, never below the legal 7)
// and by a byte cap on the packed blocks, plus the capacity figures `status` and `doctor` show
// (how many days the cap holds at the current rate, and how long until it is reached).
// Deletes whole blocks, oldest span first, in bounded runs, so one run never stalls polling; in the
// segment layout whole day directories, oldest first (an unlink per file: no run to bound), never
// the current mine day's, which the writer is appending to. Byte cap and capacity count block
// payloads plus segment file sizes.
import { readFileSync, rmSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { hasLegacyRows, hasPackedLayout } from './block-store.js';
import { scanKeyFrames } from './segment-codec.js';
import { mineDayEnd, mineDayOf, mineDayStart, segmentDayBytes, segmentDays, segmentFile, segmentPoints, segmentRoot } from './segment-files.js';
import { countSegmentReadings } from './segment-reader.js';

const DAY_MS = 86_400_000;

export interface ReadingCapacity {
  /** Bytes of packed readings (block payloads). */
  bytes: number;
  capBytes: number;
  /** Readings stored in the last 24 h (packed blocks). */
  readingsPerDay: number;
  /** Packed bytes per reading over the last 24 h; null with nothing stored yet. */
  bytesPerReading: number | null;
  /** Days from the oldest to the newest stored reading. */
  daysStored: number | null;
  /** Days of readings the cap holds at the last day's rate; null with no rate yet. */
  daysCapacity: number | null;
  /** Days until the cap is reached at that rate (0 when reached); null with no rate yet. */
  daysLeft: number | null;
  /** Days the free space of the data directory's file system would last at that rate. */
  daysDiskLeft: number | null;
}

export interface RetentionRun extends ReadingCapacity {
  /** Readings deleted by this run. */
  deleted: number;
  /** True when the cap forced deleting readings younger than the legal minimum. */
  cutIntoMinimum: boolean;
}

/**
 * Delete readings whose wall time is before `olderThanMs`; returns how many. Whole blocks only
 * (a block with any reading at or after the cutoff stays), old-layout rows one by one.
 */
export function pruneReadings(db: Database.Database, olderThanMs: number, opts: { maxRows?: number } = {}): number {
  const cutoff = finiteNumber('olderThanMs', olderThanMs);
  const maxRows = opts.maxRows === undefined ? Number.POSITIVE_INFINITY : positiveInteger('maxRows', opts.maxRows);
  let total = 0;
  if (hasPackedLayout(db)) {
    const oldest = db.prepare('SELECT id, count FROM reading_blocks WHERE last_ms < ? ORDER BY span_start LIMIT 200');
    const remove = db.prepare('DELETE FROM reading_blocks WHERE id = ?');
    while (total < maxRows) {
      const rows = oldest.all(cutoff) as { id: number; count: number }[];
      if (rows.length === 0) break;
      db.transaction(() => {
        for (const r of rows) {
          if (total >= maxRows) break;
          remove.run(r.id);
          total += r.count;
        }
      })();
    }
  }
  if (hasLegacyRows(db)) total += pruneLegacyRows(db, cutoff, maxRows - total);
  const root = segmentRoot(db.name);
  for (const day of segmentDays(root)) {
    if (mineDayEnd(day) > cutoff) break; // whole days only: a day with any reading at or after the cutoff stays
    total += removeSegmentDay(root, day);
  }
  return total;
}

/** Delete one day directory; returns the readings it held. */
function removeSegmentDay(root: string, day: string): number {
  const n = countSegmentReadings(root, mineDayStart(day), mineDayEnd(day), undefined);
  rmSync(join(root, day), { recursive: true, force: true });
  return n;
}

export function enforceReadingRetention(
  db: Database.Database,
  o: { nowMs: number; retentionMs: number; capBytes: number; minRetentionMs: number; maxRows: number },
): RetentionRun {
  let deleted = o.retentionMs === Number.POSITIVE_INFINITY ? 0 : pruneReadings(db, o.nowMs - o.retentionMs, { maxRows: o.maxRows });
  let cutIntoMinimum = false;
  if (Number.isFinite(o.capBytes)) {
    const total = db.prepare('SELECT coalesce(sum(length(data)), 0) FROM reading_blocks').pluck();
    const oldest = db.prepare('SELECT id, count, last_ms, length(data) AS bytes FROM reading_blocks ORDER BY span_start LIMIT 200');
    const remove = db.prepare('DELETE FROM reading_blocks WHERE id = ?');
    const root = segmentRoot(db.name);
    const days = segmentDays(root).map((day) => ({ day, bytes: segmentDayBytes(root, day) }));
    let segmentBytes = days.reduce((a, d) => a + d.bytes, 0);
    let bytes = (total.get() as number) + segmentBytes;
    while (bytes > o.capBytes && deleted < o.maxRows) {
      const rows = oldest.all() as { id: number; count: number; last_ms: number; bytes: number }[];
      if (rows.length === 0) break;
      db.transaction(() => {
        for (const r of rows) {
          if (bytes <= o.capBytes) break;
          remove.run(r.id);
          bytes -= r.bytes;
          deleted += r.count;
          // A full disk would stop the safety journal too, so the cap wins; the error log says so.
          if (r.last_ms >= o.nowMs - o.minRetentionMs) cutIntoMinimum = true;
        }
      })();
    }
    // Then whole day directories, oldest first; the current mine day stays (the writer appends to it).
    const today = mineDayOf(o.nowMs);
    for (const d of days) {
      if (bytes <= o.capBytes || d.day >= today) break;
      deleted += removeSegmentDay(root, d.day);
      bytes -= d.bytes;
      segmentBytes -= d.bytes;
      if (mineDayEnd(d.day) > o.nowMs - o.minRetentionMs) cutIntoMinimum = true;
    }
  }
  return { ...readingCapacity(db, { nowMs: o.nowMs, capBytes: o.capBytes }), deleted, cutIntoMinimum };
}

export function readingCapacity(db: Database.Database, o: { nowMs: number; capBytes: number }): ReadingCapacity {
  const all = db
    .prepare('SELECT coalesce(sum(length(data)), 0) AS bytes, min(first_ms) AS oldest, max(last_ms) AS newest FROM reading_blocks')
    .get() as { bytes: number; oldest: number | null; newest: number | null };
  const day = db
    .prepare('SELECT coalesce(sum(length(data)), 0) AS bytes, coalesce(sum(count), 0) AS readings FROM reading_blocks WHERE last_ms >= ?')
    .get(o.nowMs - DAY_MS) as { bytes: number; readings: number };
  const seg = segmentCapacity(segmentRoot(db.name), o.nowMs);
  const bytes = all.bytes + seg.bytes;
  const readings = day.readings + seg.dayReadings;
  const perDay = day.bytes + seg.dayBytes;
  const oldest = minOf(all.oldest, seg.oldest);
  const newest = maxOf(all.newest, seg.newest);
  const free = freeDiskBytes(db);
  return {
    bytes,
    capBytes: o.capBytes,
    readingsPerDay: readings,
    bytesPerReading: readings > 0 ? perDay / readings : null,
    daysStored: oldest !== null && newest !== null ? (newest - oldest) / DAY_MS : null,
    daysCapacity: perDay > 0 && Number.isFinite(o.capBytes) ? o.capBytes / perDay : null,
    daysLeft: perDay > 0 && Number.isFinite(o.capBytes) ? Math.max(0, o.capBytes - bytes) / perDay : null,
    daysDiskLeft: perDay > 0 && free !== null ? free / perDay : null,
  };
}

/**
 * The segment layout's share: file bytes; readings of the last 24 h (counted, see
 * countSegmentReadings) and their bytes (the days' bytes in proportion); oldest and newest
 * reading time to within one key frame (10 minutes), from the key frames' wall times.
 */
function segmentCapacity(root: string, nowMs: number): { bytes: number; dayReadings: number; dayBytes: number; oldest: number | null; newest: number | null } {
  const days = segmentDays(root);
  let bytes = 0;
  let recentBytes = 0;
  let recentReadings = 0;
  for (const d of days) {
    const b = segmentDayBytes(root, d);
    bytes += b;
    if (mineDayEnd(d) > nowMs - DAY_MS) {
      recentBytes += b;
      recentReadings += countSegmentReadings(root, mineDayStart(d), mineDayEnd(d), undefined);
    }
  }
  const dayReadings = days.length === 0 ? 0 : countSegmentReadings(root, nowMs - DAY_MS, nowMs + 1, undefined);
  const keyWalls = (day: string | undefined): number[] => {
    if (day === undefined) return [];
    const out: number[] = [];
    for (const p of segmentPoints(root, day)) {
      try {
        out.push(...scanKeyFrames(readFileSync(segmentFile(root, day, p))).walls);
      } catch {
        // Removed by retention meanwhile.
      }
    }
    return out;
  };
  const first = keyWalls(days[0]);
  const last = keyWalls(days[days.length - 1]);
  return {
    bytes,
    dayReadings,
    dayBytes: recentReadings > 0 ? (recentBytes * dayReadings) / recentReadings : 0,
    oldest: first.length > 0 ? first.reduce((a, b) => Math.min(a, b)) : null,
    newest: last.length > 0 ? last.reduce((a, b) => Math.max(a, b)) : null,
  };
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** Free bytes of the file system holding the database (for "days the free disk lasts"); null if unknown. */
export function freeDiskBytes(db: Database.Database): number | null {
  try {
    const s = statfsSync(dirname(db.name));
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Old-layout rows: walks from the oldest row in short transactions; stops at the first chunk with nothing to delete. */
function pruneLegacyRows(db: Database.Database, cutoff: number, maxRows: number): number {
  const chunk = 5_000;
  const chunkEnd = db.prepare('SELECT max(id) FROM (SELECT id FROM readings_v1 WHERE id > ? ORDER BY id LIMIT ?)').pluck();
  const remove = db.prepare('DELETE FROM readings_v1 WHERE id > ? AND id <= ? AND wall_time < ?');
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

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function finiteNumber(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number, got ${String(value)}`);
  return value;
}

/** One line for `status` and `doctor`: size, rate, and days of capacity left at the current rate. */
export function describeCapacity(c: ReadingCapacity): string {
  const mb = (b: number): string => `${(b / 1e6).toFixed(b < 1e7 ? 2 : 0)} MB`;
  const days = (d: number | null): string => (d === null ? '?' : d >= 1000 ? '>1000' : d.toFixed(1));
  if (c.bytesPerReading === null) return `readings: ${mb(c.bytes)} packed, no readings in the last 24 h (no rate to project)`;
  const cap = Number.isFinite(c.capBytes) ? `cap ${mb(c.capBytes)} holds ${days(c.daysCapacity)} days at this rate, full in ${days(c.daysLeft)} days` : 'no byte cap';
  return `readings: ${mb(c.bytes)} packed, ${c.readingsPerDay} a day at ${c.bytesPerReading.toFixed(2)} B each; ${cap}; free disk lasts ${days(c.daysDiskLeft)} days`;
}
