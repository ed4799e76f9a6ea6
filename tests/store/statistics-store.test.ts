// Five-minute statistics kept in the store (AQ 6201-2019: ≥ 1 year, while real-time values are
// kept ≥ 7 days): written with the blocks, backfilled for blocks stored without them, equal to
// what FiveMinuteStats computes from the same readings, and still there after the readings are gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FiveMinuteStats, type FiveMinuteWindow } from '../../edge/five-minute-stats.js';
import { closeLogger, createLogger, type Logger } from '../../edge/log.js';
import type { Quality, Reading } from '../../core/readings.js';
import { blockStoreMigrations } from '../../edge/store/block-store.js';
import { openDatabase } from '../../edge/store/database.js';
import { waitFor } from '../helpers/wait-for.js';
import { countReadings } from '../../edge/store/reading-reader.js';
import { pruneReadings, ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { convertAllLegacyReadings } from '../../edge/store/reading-migration.js';
import { backfillStatistics, queryStatistics } from '../../edge/store/statistics-store.js';

type Layout = 'blocks' | 'segments';

let dir: string;
let file: string;
const loggers: Logger[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-stats-'));
  file = join(dir, 'minegate.db');
});
afterEach(async () => {
  for (const l of loggers.splice(0)) await closeLogger(l);
  rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
// Three days ago, on a whole hour: two closed 30-minute spans and more, packed at the first flush.
const T0 = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
const POINTS = ['CH4-01', 'CO-01', 'WIND-01'];

/** 2 h of 1 s readings of three points: noise, a ramp, a fault stretch, a calibration, a missing value. */
function readings(): Reading[] {
  const out: Reading[] = [];
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let s = 0; s < 2 * 3600; s++) {
    for (const [i, point] of POINTS.entries()) {
      let quality: Quality = 'good';
      if (i === 0 && s >= 1000 && s < 1090) quality = 'comm-fault';
      if (i === 1 && s >= 4000 && s < 4030) quality = 'calibrating';
      const value = i === 2 && s === 5000 ? Number.NaN : Math.round((i === 0 ? 0.3 + rnd() * 0.1 : i === 1 ? s / 100 : 2 + rnd()) * 100) / 100;
      out.push({ point, value, unit: 'x', quality, wallTime: T0 + s * 1000 + (s % 3), monoTime: s * 1000, raw: [] });
    }
  }
  return out;
}

function liveWindows(rs: readonly Reading[]): FiveMinuteWindow[] {
  const stats = new FiveMinuteStats();
  const out: FiveMinuteWindow[] = [];
  for (const r of rs) out.push(...stats.add(r));
  out.push(...stats.closeUpTo(Number.POSITIVE_INFINITY));
  return out.map((w) => ({ ...w, late: 0 }));
}

function byPointAndStart(ws: readonly FiveMinuteWindow[]): FiveMinuteWindow[] {
  return [...ws].sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : a.start - b.start));
}

function write(db: Database.Database, rs: readonly Reading[], layout: Layout = 'blocks'): void {
  const log = createLogger({ level: 'silent' });
  loggers.push(log);
  // One batch: every span is packed whole, in one compaction (the writer's own fast path).
  const w = new ReadingWriter(db, { flushIntervalMs: 60_000, maxBatch: 100_000, logger: log, layout });
  for (const r of rs) w.enqueue(r);
  w.flush();
  w.close();
}

/** Stored windows of the two test hours. */
function storedRows(db: Database.Database): number {
  return db.prepare('SELECT count(*) FROM reading_statistics WHERE window_start < ?').pluck().get(T0 + 2 * HOUR) as number;
}

describe('stored five-minute statistics', () => {
  it('are written with the blocks and equal the live statistics of the same readings, field by field', () => {
    const db = openDatabase(file, { store: readingMigrations });
    const rs = readings();
    write(db, rs);
    // 2 h = 24 windows per point, every one from the table (the journal is empty after close).
    expect(storedRows(db)).toBe(24 * POINTS.length);
    const got = queryStatistics(db, { fromMs: T0, toMs: T0 + 2 * HOUR });
    expect(byPointAndStart(got)).toEqual(byPointAndStart(liveWindows(rs)));
    const faulty = got.find((w) => w.point === 'CH4-01' && w.start === T0 + 900_000)!;
    expect(faulty.excluded).toBe(90);
    expect(faulty.byQuality['comm-fault']).toBe(90);
    db.close();
  });

  it('outlive the readings: after the readings of the first hour are pruned, its windows are still read back unchanged', () => {
    let db = openDatabase(file, { store: readingMigrations });
    const rs = readings();
    write(db, rs);
    const before = queryStatistics(db, { fromMs: T0, toMs: T0 + HOUR });
    expect(pruneReadings(db, T0 + HOUR)).toBe(3600 * POINTS.length);
    expect(countReadings(db, { fromMs: T0, toMs: T0 + HOUR })).toBe(0);
    db.close();
    // A real reopen of the file, read-only as the CLI does.
    db = openDatabase(file, { store: readingMigrations }, { readonly: true });
    expect(queryStatistics(db, { fromMs: T0, toMs: T0 + HOUR })).toEqual(before);
    expect(queryStatistics(db, { fromMs: T0, toMs: T0 + HOUR, point: 'CO-01' })).toEqual(before.filter((w) => w.point === 'CO-01'));
    db.close();
  });

  it('are backfilled for blocks stored before the statistics table existed, by the writer in the background', async () => {
    let db = openDatabase(file, { store: blockStoreMigrations });
    const rs = readings();
    write(db, rs);
    db.close();
    db = openDatabase(file, { store: readingMigrations });
    expect(storedRows(db)).toBe(0);
    // Not yet backfilled: the query computes them from the readings, so nothing is missing meanwhile.
    expect(byPointAndStart(queryStatistics(db, { fromMs: T0, toMs: T0 + 2 * HOUR }))).toEqual(byPointAndStart(liveWindows(rs)));
    const log = createLogger({ level: 'silent' });
    loggers.push(log);
    // The writer's own timer runs the backfill, a step per tick; a reading keeps its ticks busy.
    const w = new ReadingWriter(db, { flushIntervalMs: 10, logger: log, layout: 'blocks' });
    w.enqueue({ ...rs[rs.length - 1]!, wallTime: Date.now() });
    await waitFor(() => storedRows(db) === 24 * POINTS.length, { timeoutMs: 10_000, what: 'statistics backfilled' });
    w.close();
    expect(storedRows(db)).toBe(24 * POINTS.length);
    pruneReadings(db, T0 + 2 * HOUR);
    expect(byPointAndStart(queryStatistics(db, { fromMs: T0, toMs: T0 + 2 * HOUR }))).toEqual(byPointAndStart(liveWindows(rs)));
    db.close();
  });

  // Both layouts: with segment files the late reading's window was once replaced by one computed
  // from the late batch alone (samples 1).
  it.each(['blocks', 'segments'] as Layout[])('a late reading for a span already packed (%s): its windows are recomputed from every reading of the span', (layout) => {
    const db = openDatabase(file, { store: readingMigrations });
    const rs = readings();
    write(db, rs, layout);
    const late: Reading = { point: 'WIND-01', value: 99, unit: 'x', quality: 'good', wallTime: T0 + 60_500, monoTime: 1, raw: [] };
    const log = createLogger({ level: 'silent' });
    loggers.push(log);
    const w = new ReadingWriter(db, { flushIntervalMs: 60_000, logger: log, layout });
    w.enqueue(late);
    w.flush();
    w.close();
    while (backfillStatistics(db) > 0);
    pruneReadings(db, T0 + 2 * HOUR);
    const win = queryStatistics(db, { fromMs: T0, toMs: T0 + 300_000, point: 'WIND-01' });
    expect(win).toHaveLength(1);
    expect(win[0]!.max).toBe(99);
    expect(win[0]!.samples).toBe(301);
    db.close();
  });

  it('segment files: a late reading reaching the running writer after its window was stored recomputes that window', () => {
    const db = openDatabase(file, { store: readingMigrations });
    // The new store's empty old-layout table goes first (the writer's first tick would drop it):
    // while it exists, queryStatistics computes every window from the readings, not the table.
    expect(convertAllLegacyReadings(db)).toBe(0);
    const log = createLogger({ level: 'silent' });
    loggers.push(log);
    const w = new ReadingWriter(db, { flushIntervalMs: 60_000, maxBatch: 100_000, logger: log, layout: 'segments' });
    for (const r of readings()) w.enqueue(r);
    w.flush();
    // The batch's newest reading is 2 h on: the first window is closed and stored by now.
    expect(queryStatistics(db, { fromMs: T0, toMs: T0 + 300_000, point: 'WIND-01' })[0]!.samples).toBe(300);
    w.enqueue({ point: 'WIND-01', value: 99, unit: 'x', quality: 'good', wallTime: T0 + 60_500, monoTime: 1, raw: [] });
    w.flush();
    const win = queryStatistics(db, { fromMs: T0, toMs: T0 + 300_000, point: 'WIND-01' });
    expect(win[0]!.max).toBe(99);
    expect(win[0]!.samples).toBe(301);
    // A backlog of late readings (one in each of the next 20 windows) is worked off over the
    // writer's turns; close stores whatever is left.
    for (let k = 1; k <= 20; k++) w.enqueue({ point: 'WIND-01', value: 98, unit: 'x', quality: 'good', wallTime: T0 + k * 300_000 + 60_500, monoTime: 1, raw: [] });
    w.flush();
    w.close();
    const later = queryStatistics(db, { fromMs: T0 + 300_000, toMs: T0 + 21 * 300_000, point: 'WIND-01' });
    // Window 16 holds the missing value at s = 5000 (excluded, not a sample).
    expect(later.map((x) => [x.samples, x.max])).toEqual(Array.from({ length: 20 }, (_, i) => [i + 1 === 16 ? 300 : 301, 98]));
    db.close();
  });
});
