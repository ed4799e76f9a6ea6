// Store capacity and flash wear, packed layout against the previous release's row layout, same run:
// - bytes per reading on the demo's signal mix (noise, ramps and excursions, sines, switch points,
//   poll jitter, rare comm faults), file bytes after a checkpoint, and the 30-day projection for
//   64 points at 1 s;
// - bytes written per reading at the real cadence (64 points at 1 s, one writer batch per 250 ms),
//   from /proc/self/io (wchar: bytes handed to write(); write_bytes: bytes the kernel accounted to
//   the block device, 0 where the file system does not report it), and that over the stored size;
// - a 24 h range query of one point from an 8-day, 64-point store. The 8-day store is built at the
//   block level: the queried point's 8 days are real encoded readings, the other 63 points get
//   copies of one real block per span (same row and index sizes; the query never decodes them).
//   The baseline holds only the queried point's 8 days in the row layout (its index makes the cost
//   follow the rows returned, and 64 points would be 3.4 GB).
// Usage: npm run bench -- store-size [--minutes 60] [--points 64]
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Quality, Reading } from '../core/readings.js';
import { blockMsOf, commitBlocks, journalGenOf, PointIds, spanStartOf, type BlockRow } from '../edge/store/block-store.js';
import { openDatabase } from '../edge/store/database.js';
import { encodeBlock, type BlockReading } from '../edge/store/reading-codec.js';
import { journalFile } from '../edge/store/reading-journal.js';
import { queryReadings } from '../edge/store/reading-reader.js';
import { ReadingWriter, readingMigrations } from '../edge/store/reading-store.js';
import { type BenchContext, median, nowNs, elapsedMs, intArg } from './harness.js';
import { segmentLayout, segmentRangeQuery, writeInPollBatches } from './store-segments.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);

export default async function storeSizeBench(ctx: BenchContext): Promise<void> {
  const minutes = intArg(ctx.args, '--minutes', 60);
  const points = intArg(ctx.args, '--points', 64);
  const dir = mkdtempSync(join(tmpdir(), 'minegate-bench-size-'));
  try {
    const readings = signalMix(points, minutes * 60);
    const oldSide = await rowLayout(join(dir, 'rows.db'), readings);
    const newSide = await packedLayout(join(dir, 'packed.db'), readings);
    const n = readings.length;
    ctx.report({ figure: `bytes per reading, demo signal mix, ${points} points x ${minutes} min at 1 s (file after checkpoint)`, value: round2(newSide.fileBytes / n), unit: 'B/reading', baseline: round2(oldSide.fileBytes / n) });
    ctx.report({ figure: 'bytes per reading, packed block payload only', value: round2(newSide.payloadBytes / n), unit: 'B/reading', baseline: null });
    const perMonth = 64 * 86_400 * 30;
    ctx.report({ figure: '30-day projection, 64 points at 1 s', value: round2((newSide.fileBytes / n) * perMonth / 1e9), unit: 'GB', baseline: round2((oldSide.fileBytes / n) * perMonth / 1e9) });
    ctx.report({ figure: 'bytes written per reading at 64 points/s, 250 ms batches (wchar)', value: round2(newSide.io.wchar / n), unit: 'B/reading', baseline: round2(oldSide.io.wchar / n) });
    ctx.report({ figure: 'bytes written / bytes stored (wchar)', value: round2(newSide.io.wchar / newSide.fileBytes), unit: 'x', baseline: round2(oldSide.io.wchar / oldSide.fileBytes) });
    ctx.report({ figure: 'bytes written per reading to the block device (write_bytes - cancelled)', value: round2(newSide.io.device / n), unit: 'B/reading', baseline: round2(oldSide.io.device / n) });

    // The segment layout (what `layout: 'segments'` writes), its baseline the packed blocks above.
    const seg = segmentLayout(join(dir, 'segments'), readings, procIo);
    const segStored = seg.segmentBytes + seg.databaseBytes;
    ctx.report({ figure: 'segment files: bytes stored per reading (files + statistics in the database)', value: round2(segStored / n), unit: 'B/reading', baseline: round2(newSide.fileBytes / n) });
    ctx.report({ figure: 'segment files: 30-day projection, 64 points at 1 s', value: round2((segStored / n) * perMonth / 1e9), unit: 'GB', baseline: round2((newSide.fileBytes / n) * perMonth / 1e9) });
    ctx.report({ figure: 'segment files: bytes written per reading (wchar)', value: round2(seg.io.wchar / n), unit: 'B/reading', baseline: round2(newSide.io.wchar / n) });
    ctx.report({ figure: 'segment files: bytes written / bytes stored (wchar)', value: round2(seg.io.wchar / segStored), unit: 'x', baseline: round2(newSide.io.wchar / newSide.fileBytes) });
    ctx.report({ figure: 'segment files: bytes to the block device per reading (write_bytes - cancelled)', value: round2(seg.io.device / n), unit: 'B/reading', baseline: round2(newSide.io.device / n) });

    const q = await rangeQuery(dir, points);
    ctx.report({ figure: 'range query, one point over 24 h from an 8-day store (median of 5)', value: round2(q.packedMs), unit: 'ms', baseline: round2(q.rowsMs) });
    ctx.report({ figure: '8-day store file size (block-level synthetic, see bench header)', value: round2(q.packedFileBytes / 1e6), unit: 'MB', baseline: null });
    ctx.report({ figure: 'segment files: range query, one point over 24 h from an 8-day store (median of 5), baseline packed blocks', value: round2(q.segmentMs), unit: 'ms', baseline: round2(q.packedMs) });
    ctx.report({ figure: 'segment files: 8-day store size (see store-segments.ts)', value: round2(q.segmentStoreBytes / 1e6), unit: 'MB', baseline: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The demo substation's kinds of signal, repeated over the points; values rounded like the driver. */
export function signalMix(points: number, seconds: number): Reading[] {
  let seed = 12345;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const out: Reading[] = [];
  for (let s = 0; s < seconds; s++) {
    for (let p = 0; p < points; p++) {
      const kind = p % 8;
      const wall = T0 + s * 1000 + (p >> 3) * 37 + Math.floor(rand() * 6); // eight devices, jitter
      let value: number | null;
      let decimals = 2;
      switch (kind) {
        case 0: { // T1: 0.35 %, excursion to 1.2 % every 5 min, noise 0.01
          const t = s % 300;
          const base = t < 150 ? 0.35 : t < 200 ? 0.35 + (t - 150) * 0.017 : t < 220 ? 1.2 : t < 270 ? 1.2 - (t - 220) * 0.017 : 0.35;
          value = base + (rand() - 0.5) * 0.02;
          break;
        }
        case 1: value = 0.3 + (rand() - 0.5) * 0.02; break; // T2
        case 2: value = 6 + (rand() - 0.5) * 1.6; decimals = 1; break; // CO ppm
        case 3: value = 1.2 + (rand() - 0.5) * 0.1; break; // wind speed
        case 4: value = 24 + 0.3 * Math.sin((2 * Math.PI * s) / 600) + (rand() - 0.5) * 0.1; decimals = 1; break; // temperature
        case 5: value = 250 + (rand() - 0.5) * 4; decimals = 0; break; // airflow
        case 6: value = s % 1800 < 1500 ? 1 : 0; decimals = 0; break; // fan run switch
        default: value = s % 3600 < 60 ? 0 : 1; decimals = 0; break; // feed sensor switch
      }
      const fault = rand() < 0.001;
      const v = fault ? null : Math.round(value * 10 ** decimals) / 10 ** decimals;
      out.push({ point: `P${String(p).padStart(2, '0')}`, value: v, unit: '', quality: (fault ? 'comm-fault' : 'good') as Quality, wallTime: wall, monoTime: 5_000 + s * 1000 + (p >> 3) * 37 + 0.37, raw: v === null ? [] : [Math.round(v * 10 ** decimals) & 0xffff] });
    }
  }
  return out;
}

interface Side {
  fileBytes: number;
  payloadBytes: number;
  io: { wchar: number; device: number };
}

/** The previous release: one row per reading, 250 ms batches (16 readings at 64 points/s). */
async function rowLayout(file: string, readings: Reading[]): Promise<Side> {
  const db = openDatabase(file, { store: [readingMigrations[0]!] });
  try {
    const insert = db.prepare('INSERT INTO readings (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, ?, ?, ?, ?)');
    const batch = db.transaction((rs: Reading[]) => {
      for (const r of rs) insert.run(r.point, r.value, r.quality, r.wallTime, r.monoTime, JSON.stringify(r.raw));
    });
    const io = await measureIo(() => {
      for (let i = 0; i < readings.length; i += 16) batch(readings.slice(i, i + 16));
      db.pragma('wal_checkpoint(TRUNCATE)');
    });
    return { fileBytes: usedBytes(db), payloadBytes: 0, io };
  } finally {
    db.close();
  }
}

/** The packed-blocks layout (no longer the default: pinned) through the real writer, in poll batches. */
async function packedLayout(file: string, readings: Reading[]): Promise<Side> {
  const db = openDatabase(file, { store: readingMigrations });
  try {
    let now = readings[0]!.wallTime;
    const writer = new ReadingWriter(db, { layout: 'blocks', flushIntervalMs: 3_600_000, maxQueued: readings.length, clock: { wall: () => now, mono: () => now } });
    const io = await measureIo(() => {
      writeInPollBatches(writer, readings, (ms) => (now = ms));
      writer.close();
      db.pragma('wal_checkpoint(TRUNCATE)');
    });
    const journal = statSync(journalFile(db.name, journalGenOf(db)), { throwIfNoEntry: false })?.size ?? 0;
    const payload = db.prepare('SELECT sum(length(data)) FROM reading_blocks').pluck().get() as number;
    return { fileBytes: usedBytes(db) + journal, payloadBytes: payload, io };
  } finally {
    db.close();
  }
}

/** Pages in use (file minus free pages): what the readings occupy. */
function usedBytes(db: Database.Database): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  return ((db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number)) * pageSize;
}

async function measureIo(fn: () => void): Promise<{ wchar: number; device: number }> {
  const before = procIo();
  fn();
  const after = procIo();
  return { wchar: after.wchar - before.wchar, device: after.write_bytes - after.cancelled_write_bytes - (before.write_bytes - before.cancelled_write_bytes) };
}

export function procIo(): Record<string, number> {
  const out: Record<string, number> = { wchar: 0, write_bytes: 0, cancelled_write_bytes: 0 };
  try {
    for (const line of readFileSync('/proc/self/io', 'utf8').split('\n')) {
      const [k, v] = line.split(':');
      if (k && v) out[k.trim()] = Number(v.trim());
    }
  } catch {
    // Not Linux: the figures stay 0.
  }
  return out;
}

async function rangeQuery(dir: string, points: number): Promise<{ packedMs: number; rowsMs: number; packedFileBytes: number; segmentMs: number; segmentStoreBytes: number }> {
  const days = 8;
  const start = T0;
  const from = start + 3 * DAY;
  const to = from + DAY;
  // The queried point: 8 days of a noisy 2-decimal signal at 1 s with jitter.
  let seed = 99;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const series: BlockReading[] = [];
  for (let s = 0; s < days * 86_400; s++) {
    const v = Math.round((0.35 + (rand() - 0.5) * 0.02) * 100) / 100;
    series.push({ wallTime: start + s * 1000 + Math.floor(rand() * 6), monoTime: s * 1000, value: v, quality: 'good', raw: [Math.round(v * 100)] });
  }

  const packedFile = join(dir, 'eight-days.db');
  const db = openDatabase(packedFile, { store: readingMigrations });
  let packedMs: number;
  try {
    const blockMs = blockMsOf(db);
    const ids = new PointIds(db);
    const codes = Array.from({ length: points }, (_, p) => `P${String(p).padStart(2, '0')}`);
    for (const c of codes) ids.idOf(c);
    const bySpan = new Map<number, BlockReading[]>();
    for (const r of series) {
      const span = spanStartOf(r.wallTime, blockMs);
      const list = bySpan.get(span);
      if (list) list.push(r);
      else bySpan.set(span, [r]);
    }
    const blocks: BlockRow[] = [];
    for (const [span, rs] of bySpan) {
      const data = encodeBlock(rs);
      // Other points: the same payload, so rows and index have the real sizes.
      for (let p = 0; p < points; p++) blocks.push({ pointId: ids.idOf(codes[p]!), spanStart: span, firstMs: rs[0]!.wallTime, lastMs: rs[rs.length - 1]!.wallTime, count: rs.length, data });
      if (blocks.length >= 20_000) commitBlocks(db, blocks.splice(0), journalGenOf(db));
    }
    commitBlocks(db, blocks, journalGenOf(db));
    db.pragma('wal_checkpoint(TRUNCATE)');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = nowNs();
      const got = queryReadings(db, { point: codes[0]!, fromMs: from, toMs: to, order: 'asc', limit: 10_000_000 });
      times.push(elapsedMs(t));
      if (got.length < 86_000) throw new Error(`range query returned ${got.length} readings`);
    }
    packedMs = median(times);
  } finally {
    db.close();
  }
  const packedFileBytes = statSync(packedFile).size;
  rmSync(packedFile, { force: true });

  const rowsFile = join(dir, 'eight-days-rows.db');
  const rows = openDatabase(rowsFile, { store: [readingMigrations[0]!] });
  let rowsMs: number;
  try {
    const insert = rows.prepare("INSERT INTO readings (point, value, quality, wall_time, mono_time, raw) VALUES ('P00', ?, 'good', ?, ?, ?)");
    const many = rows.transaction((rs: BlockReading[]) => {
      for (const r of rs) insert.run(r.value, r.wallTime, r.monoTime, JSON.stringify(r.raw));
    });
    for (let i = 0; i < series.length; i += 50_000) many(series.slice(i, i + 50_000));
    rows.pragma('wal_checkpoint(TRUNCATE)');
    // The previous release's queryReadings: the same SQL and row mapping.
    const stmt = rows.prepare('SELECT id, point, value, quality, wall_time, mono_time, raw FROM readings WHERE point = ? AND wall_time >= ? AND wall_time < ? ORDER BY wall_time ASC, id ASC LIMIT ?');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = nowNs();
      const got = (stmt.all('P00', from, to, 10_000_000) as { point: string; value: number; quality: string; wall_time: number; mono_time: number; raw: string }[]).map((r) => ({ point: r.point, value: r.value, quality: r.quality, wallTime: r.wall_time, monoTime: r.mono_time, raw: JSON.parse(r.raw) as number[] }));
      times.push(elapsedMs(t));
      if (got.length < 86_000) throw new Error(`row range query returned ${got.length} readings`);
    }
    rowsMs = median(times);
  } finally {
    rows.close();
  }
  const seg = segmentRangeQuery(join(dir, 'eight-days-segments'), series, points, from);
  return { packedMs, rowsMs, packedFileBytes, segmentMs: seg.ms, segmentStoreBytes: seg.storeBytes };
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

