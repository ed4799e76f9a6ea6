import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeLogger, createLogger, type Logger } from '../../edge/log.js';
import type { Reading } from '../../edge/readings.js';
import { openDatabase } from '../../edge/store/database.js';
import { ReadingWriter, readingMigrations, type ReadingWriterOptions } from '../../edge/store/reading-store.js';
import { waitFor } from '../helpers/wait-for.js';

let dir: string;
let db: Database.Database;
const writers: ReadingWriter[] = [];
const loggers: Logger[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-writer-'));
  db = openDatabase(join(dir, 'minegate.db'), { store: readingMigrations });
});
afterEach(async () => {
  for (const w of writers.splice(0)) w.close();
  for (const l of loggers.splice(0)) await closeLogger(l);
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function writer(opts: ReadingWriterOptions = {}): ReadingWriter {
  const w = new ReadingWriter(db, opts);
  writers.push(w);
  return w;
}

// Recent wall times: readings older than the retention period would be pruned by the writer.
const T0 = Date.now() - 60_000;
function reading(i: number, point = `CH4-${i % 4}`): Reading {
  return { point, value: i, unit: '%CH4', quality: 'good', wallTime: T0 + i, monoTime: i + 0.5, raw: [i & 0xffff, 7] };
}

function rowCount(): number {
  return db.prepare('SELECT count(*) FROM readings').pluck().get() as number;
}

function storedValues(): number[] {
  return db.prepare('SELECT value FROM readings ORDER BY value').pluck().all() as number[];
}

const quiet = { flushIntervalMs: 60_000 }; // timer effectively off: the test drives flush()

describe('ReadingWriter', () => {
  it('does not touch the database on enqueue; flush writes every field', () => {
    const w = writer(quiet);
    w.enqueue(reading(1));
    w.enqueue({ point: 'CO-1', value: null, unit: 'ppm', quality: 'comm-fault', wallTime: T0 + 123, monoTime: 99.25, raw: [] });
    expect(rowCount()).toBe(0);
    expect(w.stats()).toMatchObject({ written: 0, queued: 2, dropped: 0, failures: 0 });

    expect(w.flush()).toBe(2);
    const rows = db.prepare('SELECT point, value, quality, wall_time, mono_time, raw FROM readings ORDER BY id').all();
    expect(rows).toEqual([
      { point: 'CH4-1', value: 1, quality: 'good', wall_time: T0 + 1, mono_time: 1.5, raw: '[1,7]' },
      { point: 'CO-1', value: null, quality: 'comm-fault', wall_time: T0 + 123, mono_time: 99.25, raw: '[]' },
    ]);
    expect(w.stats()).toMatchObject({ written: 2, queued: 0 });
  });

  it('stores what was enqueued even if the caller later changes its object', () => {
    const w = writer(quiet);
    const r = reading(5);
    w.enqueue(r);
    r.value = 999;
    r.raw[0] = 999;
    w.flush();
    expect(db.prepare('SELECT value, raw FROM readings').get()).toEqual({ value: 5, raw: '[5,7]' });
  });

  it('writes on its own timer', async () => {
    const w = writer({ flushIntervalMs: 20 });
    for (let i = 0; i < 50; i++) w.enqueue(reading(i));
    await waitFor(() => rowCount() === 50, { timeoutMs: 5_000, what: '50 rows written by the timer' });
    expect(w.stats()).toMatchObject({ written: 50, queued: 0 });
  });

  it('drains a backlog larger than one batch without a manual flush', async () => {
    const w = writer({ flushIntervalMs: 20, maxBatch: 100 });
    for (let i = 0; i < 1_050; i++) w.enqueue(reading(i));
    await waitFor(() => w.stats().queued === 0, { timeoutMs: 5_000, what: 'backlog drained' });
    expect(rowCount()).toBe(1_050);
  });

  it('keeps at most maxQueued readings, dropping the oldest and counting them', () => {
    const w = writer({ ...quiet, maxQueued: 5 });
    for (let i = 0; i < 8; i++) w.enqueue(reading(i));
    expect(w.stats()).toMatchObject({ queued: 5, dropped: 3 });
    w.flush();
    expect(storedValues()).toEqual([3, 4, 5, 6, 7]);
  });

  it('drops malformed readings at enqueue, without throwing and without blocking the good ones', () => {
    const w = writer(quiet);
    const bad = [
      null,
      { ...reading(1), wallTime: Number.NaN },
      { ...reading(2), monoTime: undefined },
      { ...reading(3), point: '' },
      { ...reading(4), quality: undefined },
    ] as unknown as Reading[];
    for (const r of bad) expect(() => w.enqueue(r)).not.toThrow();
    w.enqueue(reading(5));
    w.enqueue({ ...reading(6), value: Number.NaN }); // an unusable value is still a record: stored as NULL
    expect(w.stats()).toMatchObject({ dropped: 5, queued: 2 });
    expect(w.flush()).toBe(2);
    expect(db.prepare('SELECT value FROM readings ORDER BY id').pluck().all()).toEqual([5, null]);
    expect(w.stats()).toMatchObject({ failures: 0 });
  });

  it('close() writes what is queued, stops the timer, and counts later readings as dropped', () => {
    const w = writer(quiet);
    for (let i = 0; i < 10; i++) w.enqueue(reading(i));
    w.close();
    expect(rowCount()).toBe(10);
    expect(() => w.enqueue(reading(11))).not.toThrow();
    expect(w.flush()).toBe(0);
    expect(rowCount()).toBe(10);
    expect(w.stats()).toMatchObject({ written: 10, dropped: 1, queued: 0 });
    expect(db.open).toBe(true); // the database belongs to whoever opened it
  });

  it('survives a full disk: enqueue keeps working, memory stays bounded, then resumes by itself', async () => {
    const logger = createLogger({ dataDir: dir, level: 'info' });
    loggers.push(logger);
    const w = writer({ flushIntervalMs: 10, maxBatch: 100, maxQueued: 2_000, retryMaxMs: 40, logger });
    // Cap the file a few pages above its current size: a few batches fit, then SQLITE_FULL.
    db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 4}`);

    let enqueued = 0;
    const enqueueMany = (n: number): void => {
      for (let i = 0; i < n; i++) w.enqueue(reading(enqueued++));
    };
    enqueueMany(1_000);
    await waitFor(() => w.stats().failures >= 3, { timeoutMs: 5_000, what: 'repeated SQLITE_FULL failures' });
    const full = w.stats();
    expect(full.failing).toBe(true);
    expect(full.lastError).toMatch(/SQLITE_FULL/);
    expect(full.written).toBeGreaterThan(0); // some batches fitted before the file filled
    expect(full.written % 100).toBe(0); // the failed batch left no partial rows
    expect(rowCount()).toBe(full.written);

    expect(() => enqueueMany(5_000)).not.toThrow();
    const bounded = w.stats();
    expect(bounded.queued).toBe(2_000);
    expect(bounded.dropped).toBe(enqueued - bounded.written - 2_000);
    expect(bounded.dropped).toBeGreaterThan(0);

    db.pragma('max_page_count = 1073741823'); // space is back
    await waitFor(() => w.stats().queued === 0, { timeoutMs: 5_000, what: 'the writer to resume and drain' });
    const after = w.stats();
    expect(after.failing).toBe(false);
    expect(after.written + after.dropped).toBe(enqueued);
    expect(rowCount()).toBe(after.written);
    // What survived: everything written before the disk filled, then the newest 2,000.
    const expected = [...Array(full.written).keys(), ...Array.from({ length: 2_000 }, (_, i) => enqueued - 2_000 + i)];
    expect(storedValues()).toEqual(expected);

    // One log line per state change, not one per failed attempt.
    const failuresSeen = after.failures;
    expect(failuresSeen).toBeGreaterThanOrEqual(3);
    w.close();
    await closeLogger(logger);
    loggers.splice(loggers.indexOf(logger), 1);
    const lines = readFileSync(join(dir, 'logs', 'minegate.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; module?: string; level: number });
    const count = (re: RegExp): number => lines.filter((l) => re.test(l.msg)).length;
    expect(count(/writes failing/)).toBe(1);
    expect(count(/queue full/)).toBe(1);
    expect(count(/writes resumed/)).toBe(1);
    expect(lines.every((l) => l.module === 'reading-store')).toBe(true);
  });

  it('rejects bad options with a TypeError naming the value', () => {
    expect(() => new ReadingWriter(db, { maxBatch: 0 })).toThrow(/maxBatch.*0/);
    expect(() => new ReadingWriter(db, { flushIntervalMs: -5 })).toThrow(/flushIntervalMs.*-5/);
    expect(() => new ReadingWriter(db, { maxQueued: 1.5 })).toThrow(/maxQueued.*1\.5/);
    expect(() => new ReadingWriter(db, { retentionMs: 24 * 3600_000 })).toThrow(/7 days/);
    expect(() => new ReadingWriter(undefined as unknown as Database.Database)).toThrow(TypeError);
    const bare = openDatabase(join(dir, 'bare.db'), {});
    try {
      expect(() => new ReadingWriter(bare)).toThrow(/readingMigrations/);
    } finally {
      bare.close();
    }
  });
});
