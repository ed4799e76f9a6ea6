// Exports of stored readings (edge/store, ≥ 7 days, read through its reader API) for an inspector, a platform
// that missed data, or a spreadsheet: CSV, or MT/T 1201 CDSS files (one record per stored reading,
// status bits from its quality; the interlock state of the past is not in the readings table, so
// no alarm / cut-off bits — YCBJ history has them). Streams readings (one block span at a time,
// never the whole range in memory) and reports progress.
import type Database from 'better-sqlite3';
import { writeDropFile } from './file-drop.js';
import { statusFromReading } from '../core/mt1201-codes.js';
import { encodeFile } from './formats/mt1201-file.js';
import { formatTimeZoned } from '../core/mine-time.js';
import { CDSS } from './formats/records/index.js';
import type { UpstreamPoint } from './feeds/point-info.js';
import { cdssRecord } from './feeds/point-snapshots.js';
import type { Quality } from '../core/readings.js';
import { countReadings as countStored, iterateReadings } from '../edge/store/reading-reader.js';

export interface ExportRange {
  /** Inclusive, ms epoch. */
  fromMs: number;
  /** Exclusive, ms epoch. */
  toMs: number;
  /** Only this point. */
  point?: string;
}

export interface ExportProgress {
  (done: number, total: number): void;
}

export const EXPORT_DEFAULTS = {
  /** Records per MT/T 1201 file. */
  recordsPerFile: 1000,
  /** Progress is reported every this many rows. */
  progressEvery: 5000,
} as const;

interface Row {
  point: string;
  value: number | null;
  quality: Quality;
  wall_time: number;
}

function checkRange(r: ExportRange): void {
  if (!Number.isFinite(r.fromMs) || !Number.isFinite(r.toMs)) throw new TypeError(`export range needs finite fromMs and toMs, got ${String(r.fromMs)}..${String(r.toMs)}`);
  if (r.toMs <= r.fromMs) throw new RangeError(`export range is empty: --to (${formatTimeZoned(r.toMs)}) must be after --from (${formatTimeZoned(r.fromMs)})`);
}

/** Readings in the range (for the progress total). */
export function countReadings(db: Database.Database, r: ExportRange): number {
  checkRange(r);
  return countStored(db, r);
}

function* rows(db: Database.Database, r: ExportRange): Generator<Row> {
  for (const x of iterateReadings(db, r)) yield { point: x.point, value: x.value, quality: x.quality, wall_time: x.wallTime };
}

const CSV_HEADER = 'time,epoch_ms,point,value,unit,quality,status\n';

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV (mine time with its zone, e.g. 2026-01-10 08:00:00+08:00, so the file reads the same on any host and `replay` parses it back; epoch ms, point, value, unit, quality, MT/T 1201 status bits) to `write`. Returns rows written. */
export function exportCsv(db: Database.Database, r: ExportRange, points: ReadonlyMap<string, UpstreamPoint>, write: (chunk: string) => void, progress?: ExportProgress): number {
  const total = countReadings(db, r);
  write(CSV_HEADER);
  let n = 0;
  let chunk = '';
  for (const row of rows(db, r)) {
    const unit = points.get(row.point)?.unit ?? '';
    const value = row.value === null ? '' : String(row.value);
    chunk += `${formatTimeZoned(row.wall_time)},${row.wall_time},${csvField(row.point)},${value},${csvField(unit)},${row.quality},${statusFromReading({ quality: row.quality })}\n`;
    n++;
    if (n % EXPORT_DEFAULTS.progressEvery === 0) {
      write(chunk);
      chunk = '';
      progress?.(n, total);
    }
  }
  if (chunk) write(chunk);
  progress?.(n, total);
  return n;
}

/**
 * MT/T 1201 CDSS files into `dir` (atomic, never replacing a file; see file-drop.ts). Readings of
 * points not in the config are skipped (their type name and location are unknown). Each file gets
 * its own upload second (`startMs` + i s), so names never collide. Returns files and records written.
 */
export async function exportMt1201(
  db: Database.Database,
  r: ExportRange,
  o: { dir: string; mineCode: string; mineName: string; points: ReadonlyMap<string, UpstreamPoint>; encoding?: 'utf-8' | 'gb18030'; startMs?: number },
  progress?: ExportProgress,
): Promise<{ files: string[]; records: number; skipped: number }> {
  const total = countReadings(db, r);
  const startMs = Math.floor((o.startMs ?? Date.now()) / 1000) * 1000;
  const none = { alarmed: new Set<string>(), cut: new Set<string>() };
  const files: string[] = [];
  let lines: string[] = [];
  let records = 0;
  let skipped = 0;
  let seen = 0;
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return;
    const file = encodeFile('CDSS', { mineCode: o.mineCode, mineName: o.mineName, uploadTime: startMs + files.length * 1000 }, lines, { encoding: o.encoding ?? 'utf-8' });
    files.push(await writeDropFile(o.dir, { name: file.name, bytes: file.bytes }));
    lines = [];
  };
  for (const row of rows(db, r)) {
    seen++;
    const p = o.points.get(row.point);
    if (!p) skipped++;
    else {
      lines.push(CDSS.encode(cdssRecord(p, { value: row.value, quality: row.quality, wallTime: row.wall_time }, none, row.wall_time)));
      records++;
      if (lines.length >= EXPORT_DEFAULTS.recordsPerFile) await flush();
    }
    if (seen % EXPORT_DEFAULTS.progressEvery === 0) progress?.(seen, total);
  }
  await flush();
  progress?.(seen, total);
  return { files, records, skipped };
}
