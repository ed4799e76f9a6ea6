// A store of the old row layout is converted in place, in steps, by the running gateway. Killing
// the process mid-conversion (SIGKILL, twice) loses and doubles nothing: export and replay give
// byte-identical output before the conversion, in the middle of it and after it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { convertAllLegacyReadings } from '../../edge/store/reading-migration.js';
import { countReadings, iterateReadings } from '../../edge/store/reading-reader.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { segmentDays, segmentPoints, segmentRoot } from '../../edge/store/segment-files.js';
import { backfillStatistics } from '../../edge/store/statistics-store.js';
import { exportCsv } from '../../sync/export.js';
import { runCli } from '../cli/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { writeOnePointHeadingConfig } from '../helpers/one-point-heading.js';

const child = fileURLToPath(new URL('./fixtures/migrate-child.mjs', import.meta.url));
const segmentChild = fileURLToPath(new URL('./fixtures/segment-convert-child.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'minegate-migrate-'));
let running: ChildProcess | undefined;
afterEach(() => {
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = writeOnePointHeadingConfig(dir, 'migrate');

const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);
const SECONDS = 3 * 3600;

/** An old-layout store (migration 1 only, as the previous release left it): the demo's signal mix. */
function oldStore(file: string): number {
  const db = openDatabase(file, { store: [readingMigrations[0]!] });
  const insert = db.prepare('INSERT INTO readings (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, ?, ?, ?, ?)');
  let n = 0;
  let seed = 17;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.02;
  db.transaction(() => {
    for (let s = 0; s < SECONDS; s++) {
      const wall = T0 + s * 1000 + (s % 7); // poll jitter
      // T1: a methane excursion past the 1.5 % cut-off every 20 minutes, with noise.
      const phase = s % 1200;
      const t1 = Math.round((phase < 600 ? 0.35 : phase < 700 ? 0.35 + (phase - 600) * 0.0125 : phase < 760 ? 1.6 : 0.35) * 100 + noise() * 100) / 100;
      const fault = s % 997 === 0;
      insert.run('T1', fault ? null : Math.max(0, t1), fault ? 'comm-fault' : 'good', wall, s * 1000 + 0.25, JSON.stringify(fault ? [] : [Math.round(t1 * 100)]));
      // Same poll, same wall time: a second point and a switch point (insertion order is the tie order).
      insert.run('T2', Math.round((0.3 + noise()) * 100) / 100, 'good', wall, s * 1000 + 0.5, '[30]');
      insert.run('FAN', s % 1800 < 1500 ? 1 : 0, 'good', wall, s * 1000 + 0.75, JSON.stringify([s % 1800 < 1500 ? 1 : 0]));
      n += 3;
    }
  })();
  db.close();
  return n;
}

/** Run the migration child, SIGKILL it after `steps` committed steps. */
async function migrateAndKill(file: string, steps: number): Promise<void> {
  const proc = spawn(process.execPath, [child, file, '700'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running = proc;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let seen = 0;
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line.startsWith('step ') && ++seen === steps) proc.kill('SIGKILL');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('close', (c, s) => resolve([c, s])));
  expect(signal, `migration child ended by itself (code ${code}): ${stderr}`).toBe('SIGKILL');
}

function exported(file: string): string {
  const db = openDatabase(file, { store: readingMigrations }, { readonly: true });
  try {
    let csv = '';
    exportCsv(db, { fromMs: T0 - 1000, toMs: T0 + SECONDS * 1000 }, new Map(), (chunk) => (csv += chunk));
    return csv;
  } finally {
    db.close();
  }
}

async function replayed(file: string): Promise<string> {
  const r = await runCli(['replay', '-c', CONFIG, '--from', file, '--json'], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function oldRows(file: string): number {
  const db = openDatabase(file, { store: readingMigrations }, { readonly: true });
  try {
    return db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'readings_v1'").pluck().get() === 0 ? 0 : (db.prepare('SELECT count(*) FROM readings_v1').pluck().get() as number);
  } finally {
    db.close();
  }
}

it('converts an old store in place across two SIGKILLs: no row lost or doubled, export and replay byte-identical', async () => {
  const file = join(dir, 'minegate.db');
  const n = oldStore(file);

  // The order the old export used, read from the old table with the old SQL.
  const v1 = openDatabase(file, { store: [readingMigrations[0]!] }, { readonly: true });
  const oldOrder = (v1.prepare('SELECT point, value, wall_time FROM readings ORDER BY wall_time, id').all() as { point: string; value: number | null; wall_time: number }[]).map((r) => `${r.wall_time} ${r.point} ${r.value}`);
  v1.close();

  // The new version starts: the schema step is quick, the rows are converted afterwards.
  openDatabase(file, { store: readingMigrations }).close();
  expect(oldRows(file)).toBe(n);
  const csvBefore = exported(file);
  const replayBefore = await replayed(file);
  const db = openDatabase(file, { store: readingMigrations }, { readonly: true });
  expect([...iterateReadings(db)].map((r) => `${r.wallTime} ${r.point} ${r.value}`)).toEqual(oldOrder);
  db.close();
  expect(csvBefore.split('\n').length).toBe(n + 2); // header, rows, trailing newline
  expect(JSON.parse(replayBefore).timeline.some((e: { type: string }) => e.type === 'cut')).toBe(true);

  await migrateAndKill(file, 4);
  const left1 = oldRows(file);
  expect(left1).toBeGreaterThan(0);
  expect(left1).toBeLessThan(n);
  expect(exported(file)).toBe(csvBefore); // half converted: still every reading, once, in order

  await migrateAndKill(file, 6);
  const left2 = oldRows(file);
  expect(left2).toBeLessThan(left1);
  expect(left2).toBeGreaterThan(0);

  const rw = openDatabase(file, { store: readingMigrations });
  expect(convertAllLegacyReadings(rw)).toBe(left2);
  expect(countReadings(rw)).toBe(n);
  expect(rw.prepare('SELECT coalesce(sum(count), 0) FROM reading_blocks').pluck().get()).toBe(n);
  expect(rw.pragma('integrity_check', { simple: true })).toBe('ok');
  rw.close();
  expect(oldRows(file)).toBe(0);

  expect(exported(file)).toBe(csvBefore);
  expect(await replayed(file)).toBe(replayBefore);
}, 120_000);

it('the running writer converts an old store by itself, between its batches, while new readings arrive', async () => {
  const file = join(dir, 'by-writer.db');
  const n = oldStore(file);
  const db = openDatabase(file, { store: readingMigrations });
  // No retention: the test data is from January.
  const writer = new ReadingWriter(db, { flushIntervalMs: 10, retentionMs: Number.POSITIVE_INFINITY, layout: 'blocks' });
  try {
    const after = T0 + SECONDS * 1000;
    for (let i = 0; i < 50; i++) writer.enqueue({ point: 'T1', value: 0.4, unit: '%CH4', quality: 'good', wallTime: after + i * 1000, monoTime: 0, raw: [] });
    await waitFor(() => db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'readings_v1'").pluck().get() === 0 || undefined, { timeoutMs: 60_000, what: 'the old table converted and dropped' });
    expect(countReadings(db)).toBe(n + 50);
    // Readings from January are long past their span, so the new ones are packed at once too.
    expect(db.prepare('SELECT coalesce(sum(count), 0) FROM reading_blocks').pluck().get()).toBe(n + 50);
    const newest = [...iterateReadings(db, { fromMs: after - 1000 })].map((r) => r.value);
    expect(newest.slice(-50)).toEqual(Array(50).fill(0.4));
  } finally {
    writer.close();
    db.close();
  }
}, 90_000);

/** Run the blocks -> segments child to its end, or until it SIGKILLs itself as `kill` says. */
async function toSegments(file: string, kill: 'none' | 'after-append' | 'after-step', n = 0): Promise<void> {
  const proc = spawn(process.execPath, [segmentChild, file, kill, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
  running = proc;
  let out = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('close', (c, s) => resolve([c, s])));
  if (kill === 'none') expect({ code, tail: out.slice(-5) }, stderr).toEqual({ code: 0, tail: 'done\n' });
  else expect(signal, `conversion child ended by itself (code ${code}): ${stderr}`).toBe('SIGKILL');
}

function blocksLeft(file: string): number {
  const db = openDatabase(file, { store: readingMigrations }, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM reading_blocks').pluck().get() as number;
  } finally {
    db.close();
  }
}

it('moves a packed-block store into segment files across SIGKILLs mid-step and between steps: no reading lost or doubled, export and replay byte-identical', async () => {
  // A directory of its own: segment files live in readings/ next to the database file.
  const file = join(mkdtempSync(join(dir, 'to-segments-')), 'minegate.db');
  const n = oldStore(file);
  const db = openDatabase(file, { store: readingMigrations });
  convertAllLegacyReadings(db);
  while (backfillStatistics(db) > 0);
  const blocks = db.prepare('SELECT count(*) FROM reading_blocks').pluck().get() as number;
  db.close();
  expect(blocks).toBeGreaterThan(12);
  const csvBefore = exported(file);
  const replayBefore = await replayed(file);

  // Killed between a block's append to its file and the commit that deletes the block (the second
  // step's first block): the file holds readings the block still holds too, readers count them once.
  await toSegments(file, 'after-append', 5);
  expect(blocksLeft(file)).toBe(blocks - 4);
  expect(exported(file)).toBe(csvBefore);

  // The next start undoes the file side of that step first; killed after its third step.
  await toSegments(file, 'after-step', 3);
  const left = blocksLeft(file);
  expect(left).toBe(blocks - 4 - 12);
  expect(exported(file)).toBe(csvBefore);

  await toSegments(file, 'none');
  expect(blocksLeft(file)).toBe(0);
  const after = openDatabase(file, { store: readingMigrations }, { readonly: true });
  try {
    expect(countReadings(after)).toBe(n);
    const root = segmentRoot(file);
    expect(segmentDays(root).flatMap((d) => segmentPoints(root, d))).toHaveLength(3); // one mine day, three points
    expect(after.prepare("SELECT count(*) FROM reading_state WHERE key LIKE 'segment_convert%'").pluck().get()).toBe(0);
  } finally {
    after.close();
  }
  expect(exported(file)).toBe(csvBefore);
  expect(await replayed(file)).toBe(replayBefore);
}, 120_000);

it('a writer of the default layout moves an old store into segment files by itself (rows, then blocks) while new readings arrive', async () => {
  const file = join(mkdtempSync(join(dir, 'by-segment-writer-')), 'minegate.db');
  const n = oldStore(file);
  openDatabase(file, { store: readingMigrations }).close();
  const csvBefore = exported(file);
  const db = openDatabase(file, { store: readingMigrations });
  const writer = new ReadingWriter(db, { flushIntervalMs: 10, retentionMs: Number.POSITIVE_INFINITY });
  try {
    const after = T0 + SECONDS * 1000;
    for (let i = 0; i < 50; i++) writer.enqueue({ point: 'T1', value: 0.4, unit: '%CH4', quality: 'good', wallTime: after + i * 1000, monoTime: 0, raw: [] });
    const moved = (): boolean => db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'readings_v1'").pluck().get() === 0 && db.prepare('SELECT count(*) FROM reading_blocks').pluck().get() === 0;
    await waitFor(() => moved() || undefined, { timeoutMs: 60_000, what: 'rows and blocks moved into segment files' });
    expect(countReadings(db)).toBe(n + 50);
    expect([...iterateReadings(db, { fromMs: after - 1000 })].map((r) => r.value).slice(-50)).toEqual(Array(50).fill(0.4));
  } finally {
    writer.close();
    db.close();
  }
  expect(exported(file)).toBe(csvBefore);
}, 90_000);
