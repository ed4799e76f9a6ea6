// The segment layout (edge/store/segment-files.ts) through the real ReadingWriter and reader API:
// the same answers as the block layout for the same readings, a power cut's torn tail cut at
// start, the five-minute statistics whole across a restart, and SIGKILL losing no acknowledged batch.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Quality, Reading } from '../../core/readings.js';
import { openDatabase } from '../../edge/store/database.js';
import { countReadings, iterateReadings, latestReadings, newestReadingTime, queryReadings } from '../../edge/store/reading-reader.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { segmentRoot } from '../../edge/store/segment-files.js';
import { queryStatistics } from '../../edge/store/statistics-store.js';
import { mulberry32 } from '../helpers/prng.js';

const WINDOW = 5 * 60_000;
// 2026-01-05 14:00 UTC = 22:00 mine time: the readings cross mine midnight (16:00 UTC).
const T0 = Date.UTC(2026, 0, 5, 14);
let dir: string;
const open: Database.Database[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-seg-'));
});
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function openStore(name: string): Database.Database {
  const db = openDatabase(join(dir, name, 'minegate.db'), { store: readingMigrations });
  open.push(db);
  return db;
}

/** 1 s polls of `points` points for `seconds`, the demo's kinds of trouble mixed in. */
function readings(points: number, seconds: number, seed = 1): Reading[][] {
  const r = mulberry32(seed);
  const batches: Reading[][] = [];
  let batch: Reading[] = [];
  for (let s = 0; s < seconds; s++) {
    for (let p = 0; p < points; p++) {
      const wallTime = T0 + s * 1000 + Math.floor(r() * 5);
      const fault = r() < 0.01;
      const value = fault ? null : p % 3 === 0 ? Math.round((0.3 + 0.1 * Math.sin(s / 90 + p)) * 100) / 100 : p % 3 === 1 ? Math.round(r() * 1000) / 10 : s % 600 < 300 ? 1 : 0;
      batch.push({ point: `P${p}`, value, unit: '', quality: (fault ? 'comm-fault' : 'good') as Quality, wallTime, monoTime: s * 1000, raw: value === null ? [] : [Math.round(value * 100)] });
    }
    if (s % 4 === 3 || s === seconds - 1) {
      // A late poll now and then: two readings of one point swapped inside a batch (same window).
      if (r() < 0.05 && batch.length > points) {
        const a = batch[0]!;
        const b = batch[points]!;
        if (Math.floor((a.wallTime - T0) / WINDOW) === Math.floor((b.wallTime - T0) / WINDOW)) [batch[0], batch[points]] = [b, a];
      }
      batches.push(batch);
      batch = [];
    }
  }
  return batches;
}

/** Write batches as the gateway does: one flush per batch, the clock at the batch's newest reading. */
function write(db: Database.Database, layout: 'blocks' | 'segments', batches: Reading[][]): ReadingWriter {
  let now = T0;
  const w = new ReadingWriter(db, { flushIntervalMs: 3_600_000, layout, clock: { wall: () => now, mono: () => now } });
  for (const b of batches) {
    for (const x of b) w.enqueue(x);
    now = Math.max(...b.map((x) => x.wallTime));
    expect(w.flush()).toBe(b.length);
  }
  return w;
}

function answers(db: Database.Database): unknown {
  const mid = T0 + 2 * 3600_000;
  return {
    asc: [...iterateReadings(db)],
    desc: [...iterateReadings(db, {}, 'desc')],
    onePoint: queryReadings(db, { point: 'P4', fromMs: mid - 600_000, toMs: mid + 600_000, limit: 100_000 }),
    newestFirst: queryReadings(db, { limit: 50 }),
    count: [countReadings(db), countReadings(db, { point: 'P2', fromMs: mid, toMs: mid + 3600_000 })],
    latest: latestReadings(db),
    newest: newestReadingTime(db),
    statistics: queryStatistics(db, { fromMs: T0 - WINDOW, toMs: T0 + 6 * 3600_000 }),
  };
}

describe('segment layout', () => {
  it('answers every reader query exactly as the block layout does for the same readings, across a mine midnight', () => {
    const batches = readings(6, 4 * 3600);
    const blocks = openStore('blocks');
    const segments = openStore('segments');
    write(blocks, 'blocks', batches).close();
    write(segments, 'segments', batches).close();
    // 22:00-02:00 mine time: two day directories, one file per point in each.
    const root = segmentRoot(segments.name);
    expect(readdirSync(root)).toEqual(['20260105', '20260106']);
    expect(readdirSync(join(root, '20260106')).filter((f) => f.endsWith('.seg')).length).toBe(6);
    expect(segments.prepare('SELECT count(*) FROM reading_blocks').pluck().get()).toBe(0);
    const want = answers(blocks);
    expect(answers(segments)).toEqual(want);
    expect((want as { statistics: unknown[] }).statistics.length).toBe(6 * 48);
  });

  it('shows the still-open five-minute windows while writing, as the block layout does', () => {
    const batches = readings(3, 1000, 4); // ends 16 min 40 s in: a window is open
    const blocks = openStore('open-blocks');
    const segments = openStore('open-segments');
    const wb = write(blocks, 'blocks', batches);
    const ws = write(segments, 'segments', batches);
    try {
      const range = { fromMs: T0 - WINDOW, toMs: T0 + 3600_000 };
      const want = queryStatistics(blocks, range);
      expect(want.length).toBe(3 * 4);
      expect(queryStatistics(segments, range)).toEqual(want);
    } finally {
      wb.close();
      ws.close();
    }
  });

  it('cuts a torn or garbage tail at start, rebuilds the point state and appends after it', () => {
    const batches = readings(3, 1200, 2);
    const db = openStore('torn');
    write(db, 'segments', batches.slice(0, 150)).close();
    const file = join(segmentRoot(db.name), '20260105', '1.seg');
    const good = statSync(file).size;
    appendFileSync(file, Buffer.from([0x05, 0x12, 0x34, 0x56, 0xff, 0x00])); // a frame torn by a power cut
    appendFileSync(file, Buffer.alloc(512)); // and a zero-filled page after it
    const w = write(db, 'segments', batches.slice(150));
    expect(statSync(file).size).toBeGreaterThan(good);
    w.close();
    const fresh = openStore('fresh');
    write(fresh, 'segments', batches).close();
    expect([...iterateReadings(db)]).toEqual([...iterateReadings(fresh)]);
    expect(statSync(file).size).toBe(statSync(join(segmentRoot(fresh.name), '20260105', '1.seg')).size);
  });

  it('keeps a five-minute window whole across a restart in its middle', () => {
    const batches = readings(4, 1800, 3);
    const once = openStore('once');
    write(once, 'segments', batches).close();
    const twice = openStore('twice');
    // Restarted 2.5 minutes into a window: close() stores the half window, the next start must
    // re-read its first half from the files, or the window would be replaced by its second half.
    const cut = batches.findIndex((b) => b[0]!.wallTime >= T0 + 12.5 * 60_000);
    write(twice, 'segments', batches.slice(0, cut)).close();
    write(twice, 'segments', batches.slice(cut)).close();
    expect(queryStatistics(twice, { fromMs: T0, toMs: T0 + 3600_000 })).toEqual(queryStatistics(once, { fromMs: T0, toMs: T0 + 3600_000 }));
  });

  it('retention removes whole day directories past 8 days and under the byte cap, oldest first; capacity counts the files', () => {
    const db = openStore('retention');
    const now = T0 + 12 * 86_400_000;
    // Two points, one reading a minute, for the last 12 days (mine days 20260105 .. 20260117).
    const batches: Reading[][] = [];
    for (let t = T0; t < now; t += 3600_000) {
      const b: Reading[] = [];
      for (let m = 0; m < 60; m++) for (const point of ['A', 'B']) b.push({ point, value: m, unit: '', quality: 'good', wallTime: t + m * 60_000, monoTime: 0, raw: [] });
      batches.push(b);
    }
    let wall = T0;
    const w = new ReadingWriter(db, { layout: 'segments', flushIntervalMs: 3_600_000, clock: { wall: () => wall, mono: () => 0 } });
    for (const b of batches) {
      for (const x of b) w.enqueue(x);
      wall = b[b.length - 1]!.wallTime;
      w.flush();
    }
    w.close();
    const root = segmentRoot(db.name);
    const before = readdirSync(root);
    expect(before.length).toBe(13);
    const total = countReadings(db);
    expect(total).toBe(12 * 24 * 60 * 2);

    const w2 = new ReadingWriter(db, { layout: 'segments', flushIntervalMs: 3_600_000, clock: { wall: () => now, mono: () => 1e9 } });
    w2.enqueue({ point: 'A', value: 1, unit: '', quality: 'good', wallTime: now, monoTime: 0, raw: [] });
    w2.flush();
    (w2 as unknown as { drain(): void }).drain(); // one writer turn: retention runs after a batch
    const run = w2.stats().capacity!;
    w2.close();
    const kept = readdirSync(root);
    // 8 days back from now (22:00 mine time): days ending before that are gone, whole.
    expect(kept[0]).toBe('20260109');
    expect(run.deleted).toBe(total + 1 - countReadings(db));
    expect(countReadings(db, { toMs: now - 8 * 86_400_000 })).toBe(countReadings(db, { fromMs: Date.UTC(2026, 0, 8, 16), toMs: now - 8 * 86_400_000 }));
    expect(run.bytes).toBe(kept.reduce((a, d) => a + readdirSync(join(root, d)).reduce((b, f) => b + statSync(join(root, d, f)).size, 0), 0));
    expect(run.readingsPerDay).toBe(24 * 60 * 2 + 1);
    expect(run.daysStored).toBeGreaterThan(7.5);

    // A byte cap of half the files: the oldest days go first, today's day stays, and it is said.
    const cap = Math.floor(run.bytes / 2);
    const w3 = new ReadingWriter(db, { layout: 'segments', capBytes: cap, flushIntervalMs: 3_600_000, clock: { wall: () => now, mono: () => 2e9 } });
    w3.enqueue({ point: 'B', value: 1, unit: '', quality: 'good', wallTime: now, monoTime: 0, raw: [] });
    w3.flush();
    (w3 as unknown as { drain(): void }).drain();
    const capped = w3.stats().capacity!;
    w3.close();
    expect(capped.bytes).toBeLessThanOrEqual(cap);
    expect(capped.cutIntoMinimum).toBe(true);
    const left = readdirSync(root);
    expect(left).toEqual(kept.slice(kept.length - left.length));
    expect(left[left.length - 1]).toBe('20260117');
  });

  it('SIGKILL mid-stream loses no acknowledged batch and stores none twice, round after round', async () => {
    const file = join(dir, 'kill', 'minegate.db');
    openDatabase(file, { store: readingMigrations }).close();
    // A kill between two files' write()s keeps part of an unacknowledged batch (it was never
    // reported written); every acknowledged batch (the 500 values up to each ack) must be whole.
    const acknowledged: number[] = [];
    for (const killAfterAcks of [7, 23, 3]) {
      acknowledged.push(...(await runAndKill(file, killAfterAcks)));
      const db = openDatabase(file, { store: readingMigrations });
      try {
        const values = [...iterateReadings(db)].map((r) => r.value!);
        const have = new Set(values);
        expect(have.size).toBe(values.length); // no reading twice
        for (const ack of acknowledged) for (let v = ack - 499; v <= ack; v++) if (!have.has(v)) throw new Error(`acknowledged reading ${v} lost`);
        expect(countReadings(db)).toBe(values.length);
      } finally {
        db.close();
      }
    }
    expect(existsSync(segmentRoot(file))).toBe(true);
  });
});

const child = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));

/** Run the writer child, SIGKILL it after `killAfterAcks` acknowledged batches; returns every ack. */
async function runAndKill(file: string, killAfterAcks: number): Promise<number[]> {
  const proc = spawn(process.execPath, [child, file, '500', 'segments'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const acks: number[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const m = /^ack (\d+)$/.exec(line);
    if (!m) return;
    acks.push(Number(m[1]));
    if (acks.length === killAfterAcks) proc.kill('SIGKILL');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('close', (c, s) => resolve([c, s])));
  expect(signal, `writer child ended by itself (code ${code}): ${stderr}`).toBe('SIGKILL');
  expect(acks.length).toBeGreaterThanOrEqual(killAfterAcks);
  return acks;
}
