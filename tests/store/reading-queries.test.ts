import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Quality, Reading } from '../../edge/readings.js';
import { openDatabase } from '../../edge/store/database.js';
import { latestReadings, pruneReadings, queryReadings, ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';

const DAY = 24 * 3600_000;
let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-query-'));
  db = openDatabase(join(dir, 'minegate.db'), { store: readingMigrations });
});
afterEach(() => {
  vi.useRealTimers();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function insert(rows: { point: string; value: number | null; wallTime: number; quality?: Quality; raw?: number[] }[]): void {
  const stmt = db.prepare('INSERT INTO readings (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, ?, ?, 0, ?)');
  db.transaction(() => {
    for (const r of rows) stmt.run(r.point, r.value, r.quality ?? 'good', r.wallTime, JSON.stringify(r.raw ?? []));
  })();
}

describe('queryReadings', () => {
  beforeEach(() => {
    insert([
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
  });

  it('rejects bad query values', () => {
    expect(() => queryReadings(db, { limit: 0 })).toThrow(/limit.*0/);
    expect(() => queryReadings(db, { fromMs: Number.NaN })).toThrow(/fromMs/);
    expect(() => queryReadings(db, { order: 'up' as 'asc' })).toThrow(/order/);
  });
});

describe('latestReadings', () => {
  it('gives the newest reading of each point, later-stored winning a tie', () => {
    insert([
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
  });
});

describe('pruneReadings', () => {
  it('deletes only readings before the cutoff, across many chunks', () => {
    const old = Array.from({ length: 12_000 }, (_, i) => ({ point: `P${i % 7}`, value: i, wallTime: 10_000 + i }));
    insert([...old, { point: 'P0', value: -1, wallTime: 50_000 }, { point: 'P1', value: -2, wallTime: 50_001 }]);
    expect(pruneReadings(db, 50_000)).toBe(12_000);
    expect(queryReadings(db, { order: 'asc' }).map((r) => r.wallTime)).toEqual([50_000, 50_001]);
    expect(pruneReadings(db, 50_000)).toBe(0);
  });

  it('caps the rows deleted per call', () => {
    insert(Array.from({ length: 300 }, (_, i) => ({ point: 'P', value: i, wallTime: i })));
    expect(pruneReadings(db, 1_000, { maxRows: 120 })).toBe(120);
    expect(queryReadings(db, { order: 'asc', limit: 1 })[0]!.wallTime).toBe(120);
  });
});

describe('ReadingWriter retention', () => {
  it('prunes readings past 8 days, at most once a minute', () => {
    vi.useFakeTimers();
    const clock = { wallNow: 100 * DAY, monoNow: 0 };
    const w = new ReadingWriter(db, { flushIntervalMs: 10, clock: { wall: () => clock.wallNow, mono: () => clock.monoNow } });
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
    } finally {
      w.close();
    }
  });
});
