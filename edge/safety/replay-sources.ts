// Recorded readings for `minegate replay`, streamed in time order from either the gateway's SQLite
// store (through the reader API, opened read-only: a running gateway is not disturbed) or a CSV file
// (`time,point,value[,quality]`). Malformed input is refused with its line, never skipped: a
// replay that silently drops readings would show a timeline that never happened.
import { createReadStream, closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type Database from 'better-sqlite3';
import { QUALITIES, type Quality, type Reading } from '../../core/readings.js';
import type { LegacyRow } from '../store/block-store.js';
import { openDatabase } from '../store/database.js';
import { iterateReadings } from '../store/reading-reader.js';
import { readingMigrations } from '../store/reading-store.js';
import { MinegateError } from '../../core/minegate-error.js';

export type ReplayInputErrorCode = 'UNREADABLE' | 'UNKNOWN_FORMAT' | 'BAD_HEADER' | 'BAD_LINE';

/** The recording cannot be read as readings. `line` is 1-based for CSV problems. */
export class ReplayInputError extends MinegateError<ReplayInputErrorCode> {
  override readonly name = 'ReplayInputError';
  constructor(
    code: ReplayInputErrorCode,
    message: string,
    file: string,
    readonly line?: number,
  ) {
    super(code, line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`, { file });
  }
}

export interface RecordingWindow {
  /** Inclusive lower bound on wall time, ms since the epoch. */
  fromMs?: number;
  /** Exclusive upper bound. */
  toMs?: number;
}

export type RecordingFormat = 'sqlite' | 'csv';

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** sqlite for a gateway store (by its header, whatever the name), csv for .csv files. */
export function recordingFormat(file: string): RecordingFormat {
  let header = '';
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    header = buf.subarray(0, n).toString('latin1');
  } catch (err) {
    throw new ReplayInputError('UNREADABLE', `cannot read the recording (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (header === SQLITE_MAGIC) return 'sqlite';
  if (extname(file).toLowerCase() === '.csv') return 'csv';
  throw new ReplayInputError('UNKNOWN_FORMAT', 'neither a gateway database (SQLite) nor a .csv file (time,point,value[,quality])', file);
}

/** Readings of a recording in time order, within the window. */
export function recordedReadings(file: string, window: RecordingWindow = {}): AsyncIterable<Reading> {
  return recordingFormat(file) === 'sqlite' ? readingsFromStore(file, window) : readingsFromCsv(file, window);
}

type ReadingRow = Omit<LegacyRow, 'id'>;

/** The `readings` table of a gateway database, oldest first, opened read-only. */
export async function* readingsFromStore(file: string, window: RecordingWindow = {}): AsyncGenerator<Reading> {
  let db: Database.Database;
  try {
    db = openDatabase(file, { store: readingMigrations }, { readonly: true });
  } catch (err) {
    throw new ReplayInputError('UNREADABLE', `not a readable gateway database: ${(err as Error).message}`, file);
  }
  try {
    // The reader API (edge/store/reading-reader.ts): old rows, packed blocks and the open-span
    // journal, in time order, one block span in memory at a time, from one read snapshot.
    for (const r of iterateReadings(db, { ...(window.fromMs !== undefined ? { fromMs: window.fromMs } : {}), ...(window.toMs !== undefined ? { toMs: window.toMs } : {}) })) {
      yield { point: r.point, value: r.value, unit: '', quality: isQuality(r.quality) ? r.quality : 'comm-fault', wallTime: r.wallTime, monoTime: r.monoTime, raw: r.raw };
    }
  } finally {
    db.close();
  }
}

/**
 * A CSV recording: a header naming `time`, `point`, `value` and optionally `quality` (any order,
 * other columns ignored), then one reading per line. time: ISO 8601 or ms since the epoch;
 * value: a number, or empty for "no value"; quality: one of good, calibrating, over-range, stale,
 * sensor-fault, comm-fault (default good). Blank lines and lines starting with # are skipped.
 */
export async function* readingsFromCsv(file: string, window: RecordingWindow = {}): AsyncGenerator<Reading> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let columns: { time: number; point: number; value: number; quality: number | undefined } | undefined;
  let lineNo = 0;
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      const cells = splitCsv(line);
      if (!columns) {
        columns = headerOf(cells, file, lineNo);
        continue;
      }
      const reading = parseLine(cells, columns, file, lineNo);
      if (window.fromMs !== undefined && reading.wallTime < window.fromMs) continue;
      if (window.toMs !== undefined && reading.wallTime >= window.toMs) continue;
      yield reading;
    }
  } catch (err) {
    if (err instanceof ReplayInputError) throw err;
    throw new ReplayInputError('UNREADABLE', `cannot read the recording (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, file);
  } finally {
    lines.close();
    stream.destroy();
  }
  if (!columns) throw new ReplayInputError('BAD_HEADER', 'empty file: expected a header line "time,point,value[,quality]"', file, Math.max(lineNo, 1));
}

function headerOf(cells: string[], file: string, line: number): { time: number; point: number; value: number; quality: number | undefined } {
  const names = cells.map((c) => c.trim().toLowerCase());
  const find = (...aliases: string[]) => names.findIndex((n) => aliases.includes(n));
  const time = find('time', 'wall_time', 'walltime', 'timestamp');
  const point = find('point', 'code', 'point_code');
  const value = find('value');
  const quality = find('quality');
  const missing = [time < 0 ? 'time' : '', point < 0 ? 'point' : '', value < 0 ? 'value' : ''].filter(Boolean);
  if (missing.length > 0) {
    throw new ReplayInputError('BAD_HEADER', `the header must name the columns time, point and value (quality optional); missing ${missing.join(', ')} in "${cells.join(',')}"`, file, line);
  }
  return { time, point, value, quality: quality < 0 ? undefined : quality };
}

function parseLine(cells: string[], col: { time: number; point: number; value: number; quality: number | undefined }, file: string, line: number): Reading {
  const cell = (i: number) => (cells[i] ?? '').trim();
  const bad = (message: string): never => {
    throw new ReplayInputError('BAD_LINE', message, file, line);
  };
  const timeText = cell(col.time);
  const wallTime = /^\d+$/.test(timeText) ? Number(timeText) : Date.parse(timeText);
  if (timeText === '' || !Number.isFinite(wallTime)) bad(`time "${timeText}" is neither ISO 8601 nor ms since the epoch`);
  const point = cell(col.point);
  if (point === '') bad('no point code');
  const valueText = cell(col.value);
  const value = valueText === '' || valueText.toLowerCase() === 'null' ? null : Number(valueText);
  if (value !== null && !Number.isFinite(value)) bad(`value "${valueText}" is not a number`);
  const qualityText = col.quality === undefined ? '' : cell(col.quality);
  const quality = qualityText === '' ? 'good' : qualityText;
  if (!isQuality(quality)) bad(`quality "${quality}" is not one of ${QUALITIES.join(', ')}`);
  return { point, value, unit: '', quality: quality as Quality, wallTime, monoTime: wallTime, raw: [] };
}

/** Comma-separated cells; a cell in double quotes may contain commas ("" is a quote). */
function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

function isQuality(q: string): q is Quality {
  return (QUALITIES as readonly string[]).includes(q);
}

function parseRaw(text: string): number[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  } catch {
    return [];
  }
}
