// The reading writer's options, defaults and statistics, and the check of each reading at enqueue:
// what a caller of ReadingWriter sees, kept apart from how the writer writes (reading-store.ts).
import type { Reading } from '../../core/readings.js';
import type { Logger } from '../log.js';
import { QUALITY_CODES, type QualityCode } from './reading-codec.js';
import type { RetentionRun } from './reading-retention.js';
import { RETENTION_MINIMUM_DAYS, type ClassRetentionRun, type RecordTable, type StoreRetention } from './retention-classes.js';

export const DAY_MS = 24 * 60 * 60 * 1000;
/** AQ 6201-2019: real-time values (CH4, CO, temperature, wind speed, pressure) are kept at least 7 days. */
export const MIN_READING_RETENTION_MS = RETENTION_MINIMUM_DAYS.readings * DAY_MS;

export const READING_WRITER_DEFAULTS = {
  flushIntervalMs: 250,
  maxBatch: 5_000,
  maxQueued: 200_000,
  /** One day of margin over the legal 7-day minimum, so a late prune never cuts into it. */
  retentionMs: 8 * DAY_MS,
  /** Packed blocks may take at most this many bytes; the oldest go first (see reading-retention.ts). */
  capBytes: 1.5 * 1024 ** 3,
  /** While writes fail, retry with doubling delays up to this, to spare CPU and lock waits. */
  retryMaxMs: 5_000,
  /** A span is packed this long after the newest reading has passed its end (late polls of slow devices). */
  closeGraceMs: 5_000,
  /**
   * Where batches go: write-once segment files (segment-files.ts; written ≤ 2× stored, issue 17) or
   * the journal + SQLite blocks (denser, but the journal, WAL and checkpoint write each byte ~5×).
   */
  layout: 'segments' as 'segments' | 'blocks',
} as const;

export interface ReadingWriterOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  maxQueued?: number;
  /** Keep readings this long (by wall time); at least MIN_READING_RETENTION_MS. Infinity keeps all. */
  retentionMs?: number;
  /** Byte cap of the packed readings; Infinity for none. */
  capBytes?: number;
  retryMaxMs?: number;
  /**
   * Retention of every class (retention-classes.ts): readings' days and cap stand in for
   * retentionMs/capBytes when those are not given; statistics and records are enforced every
   * 10 minutes. Default: the config defaults (board-configs/store-schema.ts).
   */
  retention?: StoreRetention;
  /** The tables of the records class (safety, personnel and seal events). Default: gatewayRecordTables. */
  recordTables?: readonly RecordTable[];
  logger?: Logger;
  /**
   * 'segments': one append-only file per point and mine day (edge/store/README.md); 'blocks': the
   * open-span journal packed into SQLite blocks. Stores of either layout stay readable either way.
   */
  layout?: 'segments' | 'blocks';
  /** Clocks, replaceable in tests: wall = ms since epoch (retention cutoff), mono = monotonic ms (scheduling). */
  clock?: { wall: () => number; mono: () => number };
}

export interface ReadingWriterStats {
  /** Readings written (journaled, then packed) since construction. */
  written: number;
  /** Readings discarded: oldest evicted from a full queue, enqueued after close, or unwritable at close. */
  dropped: number;
  /** Readings waiting in memory. */
  queued: number;
  /** Failed write attempts (each attempt is one batch). */
  failures: number;
  /** True from a failed write until the next successful one (always set by ReadingWriter). */
  failing?: boolean;
  lastError?: string;
  /** Written readings of the still-open block span (in the journal, not yet packed). */
  open?: number;
  /** Retention and capacity, as of the last retention run. */
  capacity?: RetentionRun;
  /** The statistics and records classes, as of their last retention run. */
  classes?: ClassRetentionRun[];
}

/** Bind values of one reading, computed at enqueue so later changes to the caller's object cannot alter it. */
export interface Row {
  point: string;
  wallTime: number;
  monoTime: number;
  value: number | null;
  quality: QualityCode;
  raw: number[];
}

/**
 * Validated here, at enqueue: a reading the store cannot keep exactly would otherwise fail its
 * whole batch on every retry and block every reading queued behind it.
 */
export function toRow(r: Reading): Row {
  if (typeof r.point !== 'string' || r.point === '') throw new TypeError(`reading has no point code: ${String(r.point)}`);
  if (typeof r.quality !== 'string' || (r.quality as string) === '') throw new TypeError(`reading ${r.point} has no quality`);
  if (!Number.isFinite(r.wallTime) || Math.abs(r.wallTime) >= 2 ** 48) throw new TypeError(`reading ${r.point} has wallTime ${String(r.wallTime)}`);
  if (!Number.isFinite(r.monoTime) || Math.abs(r.monoTime) >= 2 ** 48) throw new TypeError(`reading ${r.point} has monoTime ${String(r.monoTime)}`);
  return {
    point: r.point,
    // NaN is "no value", as the old row layout stored it (SQLite NULL).
    value: typeof r.value === 'number' && !Number.isNaN(r.value) ? r.value : null,
    // An unknown quality is stored as the least trusted one, never as good.
    quality: (QUALITY_CODES as readonly string[]).includes(r.quality) ? (r.quality as QualityCode) : 'comm-fault',
    wallTime: Math.round(r.wallTime),
    monoTime: Math.round(r.monoTime),
    raw: Array.isArray(r.raw) ? r.raw.filter((x) => typeof x === 'number') : [],
  };
}

export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

export function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
