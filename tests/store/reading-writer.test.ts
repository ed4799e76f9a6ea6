import { performance } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeLogger, createLogger, type Logger } from '../../edge/log.js';
import type { Reading } from '../../core/readings.js';
import { openDatabase } from '../../edge/store/database.js';
import { countReadings, queryReadings } from '../../edge/store/reading-reader.js';
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
  return countReadings(db);
}

function stored(): ReturnType<typeof queryReadings> {
  return queryReadings(db, { order: 'asc', limit: 1e9 });
}

function storedValues(): number[] {
  return stored()
    .map((r) => r.value!)
    .sort((a, b) => a - b);
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
    // monoTime is kept to the whole millisecond (edge/store/reading-codec.ts says why).
    expect(stored()).toEqual([
      { point: 'CH4-1', value: 1, quality: 'good', wallTime: T0 + 1, monoTime: 2, raw: [1, 7] },
      { point: 'CO-1', value: null, quality: 'comm-fault', wallTime: T0 + 123, monoTime: 99, raw: [] },
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
    expect(stored().map((x) => [x.value, x.raw])).toEqual([[5, [5, 7]]]);
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
    expect(stored().map((x) => x.value)).toEqual([5, null]);
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
    // Readings 2 s apart from the start of a 30-minute block span: after 903 of them the span is
    // closed and must be packed into SQLite, which the capped file refuses (SQLITE_FULL).
    const base = 20_000 * 86_400_000;
    const w = writer({ flushIntervalMs: 10, maxBatch: 100, maxQueued: 2_000, retryMaxMs: 40, logger, layout: 'blocks', clock: { wall: () => base, mono: () => performance.now() } });
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);

    let enqueued = 0;
    const enqueueMany = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const v = enqueued++;
        // Scattered raw words: a packed span needs new pages, not just the free room of the last one.
        w.enqueue({ ...reading(v), wallTime: base + v * 2000, raw: [Math.imul(v, 2654435761) >>> 16, Math.imul(v, 40503) & 0xffff] });
      }
    };
    enqueueMany(1_000);
    // The journal takes the batches although the database refuses the packed span...
    await waitFor(() => w.stats().written === 1_000 && /SQLITE_FULL/.test(w.stats().lastError ?? ''), { timeoutMs: 5_000, what: 'journaled while packing fails' });
    expect(w.stats()).toMatchObject({ failing: false, queued: 0, failures: 0 });
    expect(rowCount()).toBe(1_000); // ...and every reading is readable meanwhile

    // ...until the unpacked readings reach maxQueued: then writes fail, and the queue holds the newest.
    expect(() => enqueueMany(5_000)).not.toThrow();
    await waitFor(() => w.stats().failures >= 3, { timeoutMs: 5_000, what: 'repeated SQLITE_FULL failures' });
    const bounded = w.stats();
    expect(bounded.failing).toBe(true);
    expect(bounded.lastError).toMatch(/SQLITE_FULL/);
    // 5,000 arrived at once into a 2,000-reading queue: the oldest 3,000 were dropped; 1,000 more
    // were journaled before the cap, 1,000 wait.
    expect(bounded).toMatchObject({ written: 2_000, dropped: 3_000, queued: 1_000 });
    expect(rowCount()).toBe(bounded.written);

    db.pragma('max_page_count = 1073741823'); // space is back
    await waitFor(() => w.stats().queued === 0, { timeoutMs: 5_000, what: 'the writer to resume and drain' });
    const after = w.stats();
    expect(after.failing).toBe(false);
    expect(after.written + after.dropped).toBe(enqueued);
    expect(rowCount()).toBe(after.written);
    // What survived: the first 1,000, then the newest 2,000.
    const expected = [...Array(1_000).keys(), ...Array.from({ length: 2_000 }, (_, i) => enqueued - 2_000 + i)];
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
    const first = writer(quiet);
    expect(() => new ReadingWriter(db)).toThrow(/another writer is open/); // one journal, one writer
    first.close();
    expect(() => new ReadingWriter(db).close()).not.toThrow();
    const bare = openDatabase(join(dir, 'bare.db'), {});
    try {
      expect(() => new ReadingWriter(bare)).toThrow(/readingMigrations/);
    } finally {
      bare.close();
    }
  });
});
