// The segment layout's side of `bench store-size` (edge/store/segment-files.ts), through the real
// ReadingWriter and reader API:
// - stored bytes: the segment files plus what the five-minute statistics add to the database;
// - written bytes (/proc/self/io wchar, and the block device's write_bytes - cancelled) at the real
//   cadence, 64 points at 1 s in 250 ms batches;
// - a 24 h range query of one point from an 8-day, 64-point store through queryReadings. The
//   queried point's 8 days are real frames written by the writer's appender; the other 63 points
//   get copies of its files (real sizes and directory listings; the query never opens them).
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Reading } from '../core/readings.js';
import { PointIds } from '../edge/store/block-store.js';
import { openDatabase } from '../edge/store/database.js';
import type { BlockReading } from '../edge/store/reading-codec.js';
import { queryReadings } from '../edge/store/reading-reader.js';
import { ReadingWriter, readingMigrations } from '../edge/store/reading-store.js';
import { mineDayOf, SegmentAppender, segmentFile, segmentRoot } from '../edge/store/segment-files.js';
import { elapsedMs, median, nowNs } from './harness.js';

const DAY = 86_400_000;

export interface SegmentSide {
  segmentBytes: number;
  /** Database pages the statistics (and point ids) took, after a checkpoint. */
  databaseBytes: number;
  io: { wchar: number; device: number };
}

/** Bytes of every segment file under a root. */
export function segmentTreeBytes(root: string): number {
  let n = 0;
  for (const day of readdirSync(root)) for (const f of readdirSync(join(root, day))) n += statSync(join(root, day, f)).size;
  return n;
}

function usedBytes(db: Database.Database): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  return ((db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number)) * pageSize;
}

/**
 * Readings through a writer as the gateway hands them over: a batch per 250 ms of simulated time
 * (16 readings at 64 points/s), the writer's clock at each batch's newest reading.
 */
export function writeInPollBatches(writer: ReadingWriter, readings: readonly Reading[], setNow: (wallMs: number) => void): void {
  for (let i = 0; i < readings.length; i += 16) {
    for (let j = i; j < Math.min(i + 16, readings.length); j++) writer.enqueue(readings[j]!);
    setNow(readings[Math.min(i + 15, readings.length - 1)]!.wallTime);
    writer.flush();
  }
}

/** The segment layout (the default) through the real writer, in poll batches (writeInPollBatches). */
export function segmentLayout(dir: string, readings: Reading[], procIo: () => Record<string, number>): SegmentSide {
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, 'minegate.db'), { store: readingMigrations });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const emptyBytes = usedBytes(db);
    let now = readings[0]!.wallTime;
    const writer = new ReadingWriter(db, { flushIntervalMs: 3_600_000, maxQueued: readings.length, clock: { wall: () => now, mono: () => now } });
    const before = procIo();
    writeInPollBatches(writer, readings, (ms) => (now = ms));
    writer.close();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const after = procIo();
    return {
      segmentBytes: segmentTreeBytes(segmentRoot(db.name)),
      databaseBytes: usedBytes(db) - emptyBytes,
      io: { wchar: after.wchar - before.wchar, device: after.write_bytes - after.cancelled_write_bytes - (before.write_bytes - before.cancelled_write_bytes) },
    };
  } finally {
    db.close();
  }
}

/** Median of 5 queries of one point's 24 h through queryReadings, from an 8-day, `points`-point segment store. */
export function segmentRangeQuery(dir: string, series: readonly BlockReading[], points: number, from: number): { ms: number; storeBytes: number } {
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, 'minegate.db'), { store: readingMigrations });
  try {
    const ids = new PointIds(db);
    const codes = Array.from({ length: points }, (_, p) => `P${String(p).padStart(2, '0')}`);
    ids.register(codes);
    const root = segmentRoot(db.name);
    const appender = new SegmentAppender(root);
    const queried = ids.idOf(codes[0]!);
    // One frame per 250 ms batch, as the writer appends them (one reading each at 1 s).
    for (const r of series) appender.appendBatch([{ day: mineDayOf(r.wallTime), pointId: queried, readings: [r] }]);
    appender.close();
    for (const day of readdirSync(root)) {
      for (let p = 1; p < points; p++) copyFileSync(segmentFile(root, day, queried), segmentFile(root, day, ids.idOf(codes[p]!)));
    }
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = nowNs();
      const got = queryReadings(db, { point: codes[0]!, fromMs: from, toMs: from + DAY, order: 'asc', limit: 10_000_000 });
      times.push(elapsedMs(t));
      if (got.length < 86_000) throw new Error(`segment range query returned ${got.length} readings`);
    }
    return { ms: median(times), storeBytes: segmentTreeBytes(root) };
  } finally {
    db.close();
  }
}
