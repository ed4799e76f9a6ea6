// The reader API gives the same answers wherever a reading is: old-layout rows not yet converted,
// packed blocks, the open-block journal, rows converted by the migration, or segment files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Quality, Reading } from '../../core/readings.js';
import { openDatabase } from '../../edge/store/database.js';
import { convertAllLegacyReadings } from '../../edge/store/reading-migration.js';
import { countReadings, iterateReadings, newestReadingTime } from '../../edge/store/reading-reader.js';
import { latestReadings, pruneReadings, queryReadings, ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';

const DAY = 24 * 3600_000;
let dir: string;
let db: Database.Database;
let writers: ReadingWriter[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-query-'));
  db = openDatabase(join(dir, 'minegate.db'), { store: readingMigrations });
});
afterEach(() => {
  vi.useRealTimers();
  for (const w of writers) w.close();
  writers = [];
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

type Row = { point: string; value: number | null; wallTime: number; quality?: Quality; raw?: number[] };
type Layout = 'old rows' | 'converted rows' | 'packed blocks' | 'open journal' | 'segment files';

function insertOldRows(rows: Row[]): void {
  const stmt = db.prepare('INSERT INTO readings_v1 (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, ?, ?, 0, ?)');
  db.transaction(() => {
    for (const r of rows) stmt.run(r.point, r.value, r.quality ?? 'good', r.wallTime, JSON.stringify(r.raw ?? []));
  })();
}

function store(layout: Layout, rows: Row[]): void {
  if (layout === 'old rows' || layout === 'converted rows') {
    insertOldRows(rows);
    if (layout === 'converted rows') expect(convertAllLegacyReadings(db, { maxRows: 7 })).toBe(rows.length);
    return;
  }
  if (layout === 'segment files') {
    const w = new ReadingWriter(db, { flushIntervalMs: 3_600_000, layout: 'segments', clock: { wall: () => 0, mono: () => 0 } });
    writers.push(w);
    for (const r of rows) w.enqueue({ point: r.point, value: r.value, unit: '', quality: r.quality ?? 'good', wallTime: r.wallTime, monoTime: 0, raw: r.raw ?? [] });
    expect(w.flush()).toBe(rows.length);
    w.close();
    return;
  }
  // 'open journal': a clock at 1970 keeps every span open, so the readings stay in the journal.
  const w = new ReadingWriter(db, { flushIntervalMs: 3_600_000, layout: 'blocks', clock: { wall: () => 0, mono: () => 0 } });
  writers.push(w);
  for (const r of rows) w.enqueue({ point: r.point, value: r.value, unit: '', quality: r.quality ?? 'good', wallTime: r.wallTime, monoTime: 0, raw: r.raw ?? [] });
  expect(w.flush()).toBe(rows.length);
  if (layout === 'packed blocks') {
    w.close();
    expect(w.stats().open).toBe(0);
  } else expect(w.stats().open).toBe(rows.length);
}

const LAYOUTS: Layout[] = ['old rows', 'converted rows', 'packed blocks', 'open journal', 'segment files'];

describe.each(LAYOUTS)('reader API on %s', (layout) => {
  describe('queryReadings', () => {
    beforeEach(() => {
      store(layout, [
        { point: 'CH4-1', value: 0.1, wallTime: 1000, raw: [10] },
        { point: 'CH4-2', value: 0.2, wallTime: 1500 },
        { point: 'CH4-1', value: 0.3, wallTime: 2000 },
        { point: 'CH4-1', value: null, wallTime: 3000, quality: 'comm-fault' },
        { point: 'CH4-1', value: 0.5, wallTime: 3000 }, // same instant, stored later
      ]);
    });

    it('returns newest first by default, with parsed fields', () => {
      const rows = queryReadings(db, { point: 'CH4-1' });
      expect(rows.map((r) => r.value)).toEqual([0.5, null, 0.3, 0.1]);
      expect(rows[3]).toMatchObject({ point: 'CH4-1', quality: 'good', wallTime: 1000, raw: [10] });
      expect(rows[1]!.quality).toBe('comm-fault');
    });

    it('filters by time window (from inclusive, to exclusive), orders and limits', () => {
      expect(queryReadings(db, { fromMs: 1500, toMs: 3000, order: 'asc' }).map((r) => r.value)).toEqual([0.2, 0.3]);
      expect(queryReadings(db, { order: 'asc', limit: 2 }).map((r) => r.value)).toEqual([0.1, 0.2]);
      expect(queryReadings(db, { point: 'nope' })).toEqual([]);
      expect(countReadings(db, { fromMs: 1500, toMs: 3001 })).toBe(4);
      expect(countReadings(db, { point: 'CH4-1' })).toBe(4);
      expect([...iterateReadings(db)].map((r) => r.value)).toEqual([0.1, 0.2, 0.3, null, 0.5]);
      expect(newestReadingTime(db)).toBe(3000);
    });

    it('rejects bad query values', () => {
      expect(() => queryReadings(db, { limit: 0 })).toThrow(/limit.*0/);
      expect(() => queryReadings(db, { fromMs: Number.NaN })).toThrow(/fromMs/);
      expect(() => queryReadings(db, { order: 'up' as 'asc' })).toThrow(/order/);
    });
  });

  it('latestReadings gives the newest reading of each point, later-stored winning a tie', () => {
    store(layout, [
      { point: 'CO-1', value: 5, wallTime: 100 },
      { point: 'CH4-1', value: 0.1, wallTime: 200 },
      { point: 'CH4-1', value: 0.9, wallTime: 900 },
      { point: 'CO-1', value: 7, wallTime: 300 },
      { point: 'CH4-1', value: 0.4, wallTime: 500 },
      { point: 'CO-1', value: 8, wallTime: 300 },
    ]);
    expect(latestReadings(db).map((r) => [r.point, r.value])).toEqual([
      ['CH4-1', 0.9],
      ['CO-1', 8],
    ]);
  });

  it('is empty for an empty store', () => {
    expect(latestReadings(db)).toEqual([]);
    expect(queryReadings(db)).toEqual([]);
    expect(newestReadingTime(db)).toBeNull();
  });
});

describe.each(['old rows', 'packed blocks'] as Layout[])('pruneReadings on %s', (layout) => {
  it('deletes only readings before the cutoff (whole blocks), across many chunks', () => {
    // 12,000 readings of 7 points in [10 s, 22 s): one block span, so one block per point.
    const old = Array.from({ length: 12_000 }, (_, i) => ({ point: `P${i % 7}`, value: i, wallTime: 10_000 + i }));
    store(layout, [...old, { point: 'P0', value: -1, wallTime: 50 * 60_000 }, { point: 'P1', value: -2, wallTime: 50 * 60_000 + 1 }]);
    expect(pruneReadings(db, 50 * 60_000)).toBe(12_000);
    expect(queryReadings(db, { order: 'asc' }).map((r) => r.wallTime)).toEqual([50 * 60_000, 50 * 60_000 + 1]);
    expect(pruneReadings(db, 50 * 60_000)).toBe(0);
  });
});

it('pruneReadings caps the old rows deleted per call', () => {
  insertOldRows(Array.from({ length: 300 }, (_, i) => ({ point: 'P', value: i, wallTime: i })));
  expect(pruneReadings(db, 1_000, { maxRows: 120 })).toBe(120);
  expect(queryReadings(db, { order: 'asc', limit: 1 })[0]!.wallTime).toBe(120);
});

describe('ReadingWriter retention', () => {
  it('prunes readings past 8 days, at most once a minute', () => {
    vi.useFakeTimers();
    const clock = { wallNow: 100 * DAY, monoNow: 0 };
    // The blocks layout's retention (whole blocks by age); segment files go by whole day (segment-store.test.ts).
    const w = new ReadingWriter(db, { flushIntervalMs: 10, layout: 'blocks', clock: { wall: () => clock.wallNow, mono: () => clock.monoNow } });
    const at = (ageMs: number, value: number): Reading => ({
      point: 'CH4-1',
      value,
      unit: '%CH4',
      quality: 'good',
      wallTime: clock.wallNow - ageMs,
      monoTime: 0,
      raw: [],
    });
    try {
      w.enqueue(at(9 * DAY, 1));
      w.enqueue(at(7.5 * DAY, 2)); // inside the 8-day retention: kept
      vi.advanceTimersByTime(10);
      expect(queryReadings(db, { order: 'asc' }).map((r) => r.value)).toEqual([2]);

      clock.monoNow = 30_000;
      w.enqueue(at(9 * DAY, 3));
      vi.advanceTimersByTime(50);
      expect(queryReadings(db, { order: 'asc' }).map((r) => r.value)).toEqual([3, 2]); // written, not yet pruned

      clock.monoNow = 60_000;
      vi.advanceTimersByTime(10);
      expect(queryReadings(db, { order: 'asc' }).map((r) => r.value)).toEqual([2]);
      expect(w.stats().capacity).toMatchObject({ deleted: 1, cutIntoMinimum: false });
    } finally {
      w.close();
    }
  });

  it('keeps packed readings under the byte cap, oldest span first', () => {
    const clock = { wallNow: 100 * DAY };
    const w = new ReadingWriter(db, { flushIntervalMs: 3_600_000, capBytes: 4_000, layout: 'blocks', clock: { wall: () => clock.wallNow, mono: () => 0 } });
    writers.push(w);
    // Four hours of one point at 1 s: 8 blocks of 1,800 readings.
    for (let i = 0; i < 4 * 3600; i++) w.enqueue({ point: 'CO-1', value: (i * 7919) % 100, unit: 'ppm', quality: 'good', wallTime: clock.wallNow - 5 * 3600_000 + i * 1000, monoTime: 0, raw: [] });
    w.flush();
    w.close();
    const before = countReadings(db);
    const newest = newestReadingTime(db);
    const w2 = new ReadingWriter(db, { flushIntervalMs: 1, capBytes: 4_000, layout: 'blocks', clock: { wall: () => clock.wallNow, mono: () => 1e9 } });
    writers.push(w2);
    w2.enqueue({ point: 'CO-1', value: 1, unit: 'ppm', quality: 'good', wallTime: clock.wallNow, monoTime: 0, raw: [] });
    w2.flush();
    (w2 as unknown as { drain(): void }).drain(); // one writer turn: retention runs after a batch
    const cap = w2.stats().capacity!;
    expect(cap.bytes).toBeLessThanOrEqual(4_000);
    expect(cap.deleted).toBeGreaterThan(0);
    expect(countReadings(db)).toBe(before + 1 - cap.deleted);
    expect(newestReadingTime(db)).toBe(clock.wallNow); // the newest readings are the ones kept
    expect(newest).toBeLessThan(clock.wallNow);
    expect(cap.cutIntoMinimum).toBe(true); // 4 kB hold less than 7 days: said, not hidden
  });
});
