// Converts rows of the old layout (readings_v1: one row per reading) into packed blocks, in place
// and in small steps. Each step takes the oldest remaining row, packs every row of that point in
// that block span, inserts the block and deletes exactly those rows in one transaction. So:
// (at most maxRows of them: a long span becomes several blocks, read back in order)
// - no row is lost or doubled: a step commits completely or not at all (a SIGKILL mid-step
//   rolls it back, and the next step simply does it again);
// - it resumes by itself: the remaining rows are the to-do list, no progress marker to get wrong;
// - it needs no second copy of the store: deleted rows free pages that the next blocks reuse;
// - readers see every reading throughout (reading-reader.ts reads both layouts).
import type Database from 'better-sqlite3';
import { blockMsOf, hasLegacyRows, type LegacyRow, PointIds, spanStartOf } from './block-store.js';
import { type BlockReading, encodeBlock, QUALITY_CODES, type QualityCode } from './reading-codec.js';

export const MIGRATION_DEFAULTS = {
  /**
   * Rows per step (one transaction). Measured on the shared VM with 64 interleaved points: ~8 µs
   * a row to read (each row of a point sits on its own page), ~3 µs to pack, ~2 µs to delete, so
   * ~13 ms a step; 5,000-row steps took 49 ms median, 184 ms worst. Polling and interlocks wait
   * at most one step.
   */
  maxRowsPerStep: 1_000,
} as const;

export interface MigrationStep {
  converted: number;
  /** False once every row is converted (and the old table dropped). */
  remaining: boolean;
}


/** Convert up to `maxRows` old rows. */
export function convertLegacyReadings(db: Database.Database, opts: { maxRows?: number } = {}): MigrationStep {
  if (!hasLegacyRows(db)) return { converted: 0, remaining: false };
  const maxRows = opts.maxRows ?? MIGRATION_DEFAULTS.maxRowsPerStep;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new TypeError(`maxRows must be a positive integer, got ${String(opts.maxRows)}`);
  const blockMs = blockMsOf(db);
  const ids = new PointIds(db);
  const oldest = db.prepare('SELECT point, wall_time FROM readings_v1 ORDER BY id LIMIT 1');
  const spanRows = db.prepare('SELECT id, point, value, quality, wall_time, mono_time, raw FROM readings_v1 WHERE point = ? AND wall_time >= ? AND wall_time < ? ORDER BY wall_time, id LIMIT ?');
  // Up to and including the last row packed, in the same (wall_time, id) order, in the same
  // transaction: exactly the rows just packed.
  const remove = db.prepare('DELETE FROM readings_v1 WHERE point = ? AND wall_time >= ? AND wall_time <= ? AND (wall_time < ? OR id <= ?)');
  const insert = db.prepare('INSERT INTO reading_blocks (point_id, span_start, first_ms, last_ms, count, data) VALUES (?, ?, ?, ?, ?, ?)');
  let converted = 0;
  let remaining = true;
  db.transaction(() => {
    while (converted < maxRows) {
      const first = oldest.get() as { point: string; wall_time: number } | undefined;
      if (!first) {
        db.exec('DROP TABLE readings_v1');
        remaining = false;
        return;
      }
      const span = spanStartOf(first.wall_time, blockMs);
      const take = maxRows - converted;
      const rows = spanRows.all(first.point, span, span + blockMs, take) as LegacyRow[];
      const block = rows.map(toBlockReading);
      const walls = block.map((r) => r.wallTime);
      insert.run(ids.idOf(first.point), span, Math.min(...walls), Math.max(...walls), block.length, encodeBlock(block));
      const last = rows[rows.length - 1]!;
      const removed = remove.run(first.point, span, last.wall_time, last.wall_time, last.id).changes;
      if (removed !== rows.length) throw new Error(`conversion step packed ${rows.length} rows but would delete ${removed}; rolled back`);
      converted += rows.length;
    }
  }).immediate();
  return { converted, remaining };
}

/** Convert everything (tests, `minegate` maintenance); returns rows converted. */
export function convertAllLegacyReadings(db: Database.Database, opts: { maxRows?: number } = {}): number {
  let total = 0;
  for (;;) {
    const step = convertLegacyReadings(db, opts);
    total += step.converted;
    if (!step.remaining) return total;
  }
}

function toBlockReading(row: LegacyRow): BlockReading {
  let raw: number[] = [];
  try {
    const parsed = JSON.parse(row.raw) as unknown;
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'number')) raw = parsed as number[];
  } catch {
    // A row whose raw words are unreadable keeps its value; raw words are context, not the measurement.
  }
  return {
    wallTime: Math.round(row.wall_time),
    monoTime: Math.round(row.mono_time),
    value: row.value,
    // An unknown quality is kept as the least trusted one: never shown as a good value.
    quality: (QUALITY_CODES as readonly string[]).includes(row.quality) ? (row.quality as QualityCode) : 'comm-fault',
    raw,
  };
}
