// Retention per class of stored data, after AQ 6201-2019 (domain.md, "Data retention"):
//   readings    real-time values                          ≥ 7 days   (reading-retention.ts)
//   statistics  five-minute statistics                    ≥ 1 year   (statistics-store.ts)
//   records     alarms, cut-offs, feed abnormalities, fan
//               changes and faults (safety events), and the
//               personnel and seal event logs             ≥ 1 year
// Each class has an age limit (never below its legal minimum) and a byte cap. A full disk would
// stop the safety journal too, so the cap wins over the age; when it cuts into the legal minimum
// the writer logs an error and `doctor` fails. Runs in bounded steps on the writer's turns: never
// on the safety path (the kernel is another process), never long on the gateway's event loop.
import type Database from 'better-sqlite3';
import { freeDiskBytes } from './reading-retention.js';
import { RETENTION_MINIMUM_DAYS, STORE_DEFAULTS, type StoreConfig } from '../../board-configs/store-schema.js';

const DAY_MS = 86_400_000;

export type RetentionClassName = 'readings' | 'statistics' | 'records';

export interface RetentionLimit {
  /** Keep this many days (by the data's own wall time). */
  days: number;
  /** And at most this many bytes (Infinity: no cap). */
  maxBytes: number;
}

export type StoreRetention = Record<RetentionClassName, RetentionLimit>;

export { RETENTION_MINIMUM_DAYS };

const MIB = 1024 ** 2;

/** The config's `store.retention` (MB) as byte limits; the defaults when there is no config. */
export function storeRetention(config: StoreConfig['retention'] = STORE_DEFAULTS.retention): StoreRetention {
  const of = (l: { days: number; maxMB: number }): RetentionLimit => ({ days: l.days, maxBytes: l.maxMB * MIB });
  return checkRetention({ readings: of(config.readings), statistics: of(config.statistics), records: of(config.records) });
}

/** The defaults (board-configs/store-schema.ts): a month of 64 points at 1 s within 2 GiB. */
export const STORE_RETENTION_DEFAULTS: Readonly<StoreRetention> = Object.freeze(storeRetention());

/** A table of the records class: its rows carry their wall time in `timeColumn` (ms epoch). */
export interface RecordTable {
  table: string;
  timeColumn: string;
}

/** The record tables of the gateway's own components (tables a config does not use are skipped). */
export const gatewayRecordTables: readonly RecordTable[] = Object.freeze([
  { table: 'safety_events', timeColumn: 'wall_time' },
  { table: 'personnel_events', timeColumn: 'wall_time' },
  { table: 'seal_events', timeColumn: 'wall_time' },
]);

export interface ClassCapacity {
  name: RetentionClassName;
  bytes: number;
  capBytes: number;
  days: number;
  minimumDays: number;
  /** Bytes added in the last 24 h (estimated from the rows of that day); null with none. */
  bytesPerDay: number | null;
  /** Days from the oldest to the newest stored item. */
  daysStored: number | null;
  /** Days the cap holds at the last day's rate; null with no rate yet. */
  daysCapacity: number | null;
  /** Days until the cap is reached at that rate (0 when reached). */
  daysLeft: number | null;
  daysDiskLeft: number | null;
}

export interface ClassRetentionRun extends ClassCapacity {
  deleted: number;
  cutIntoMinimum: boolean;
}

/** Check a configured retention: whole positive numbers, never below the legal minimum. */
export function checkRetention(r: StoreRetention): StoreRetention {
  for (const name of Object.keys(RETENTION_MINIMUM_DAYS) as RetentionClassName[]) {
    const l = r[name];
    if (!l || typeof l.days !== 'number' || !(l.days >= RETENTION_MINIMUM_DAYS[name])) {
      throw new TypeError(`store retention: ${name}.days must be at least ${RETENTION_MINIMUM_DAYS[name]} (AQ 6201-2019), got ${String(l?.days)}`);
    }
    if (typeof l.maxBytes !== 'number' || !(l.maxBytes > 0)) throw new TypeError(`store retention: ${name}.maxBytes must be a positive number of bytes, got ${String(l.maxBytes)}`);
  }
  return r;
}

/** A table's size in bytes: its rows times the bytes per row that `dbstat` measured last. */
class TableSizer {
  private perRow = new Map<string, { bytesPerRow: number; at: number }>();

  constructor(private readonly remeasureMs: number) {}

  bytes(db: Database.Database, table: string, rows: number, nowMs: number): number {
    if (rows === 0) return 0;
    let m = this.perRow.get(table);
    if (!m || nowMs - m.at > this.remeasureMs || nowMs < m.at) {
      // dbstat walks every page of the table (~1 ms per MB), so only now and then.
      const pages = db.prepare('SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? AND aggregate = 1').pluck().get(table) as number;
      m = { bytesPerRow: pages / rows, at: nowMs };
      this.perRow.set(table, m);
    }
    return m.bytesPerRow * rows;
  }
}

export const CLASS_RETENTION_DEFAULTS = {
  /** Rows one run deletes at most per class (a run happens every 10 minutes). */
  maxRowsPerRun: 20_000,
  everyMs: 10 * 60_000,
  remeasureMs: 6 * 3_600_000,
} as const;

/** Retention of the statistics and records classes (readings: reading-retention.ts). */
export class ClassRetention {
  private readonly sizer = new TableSizer(CLASS_RETENTION_DEFAULTS.remeasureMs);

  constructor(
    private readonly db: Database.Database,
    private readonly limits: StoreRetention,
    private readonly recordTables: readonly RecordTable[],
  ) {}

  run(nowMs: number, maxRows: number = CLASS_RETENTION_DEFAULTS.maxRowsPerRun): ClassRetentionRun[] {
    return [this.runStatistics(nowMs, maxRows), this.runRecords(nowMs, maxRows)];
  }

  capacity(nowMs: number): ClassCapacity[] {
    return [this.statisticsCapacity(nowMs), this.recordsCapacity(nowMs)];
  }

  private runStatistics(nowMs: number, maxRows: number): ClassRetentionRun {
    const { days, maxBytes } = this.limits.statistics;
    let deleted = 0;
    let cutIntoMinimum = false;
    if (hasTable(this.db, 'reading_statistics')) {
      const points = this.db.prepare('SELECT DISTINCT point_id FROM reading_statistics').pluck().all() as number[];
      const byAge = this.db.prepare('DELETE FROM reading_statistics WHERE point_id = ? AND window_start < ?');
      this.db.transaction(() => {
        for (const p of points) deleted += byAge.run(p, nowMs - days * DAY_MS).changes;
      })();
      // Over the cap: drop the oldest day of every point at a time, until under it.
      const oldest = this.db.prepare('SELECT min(window_start) FROM reading_statistics').pluck();
      while (deleted < maxRows) {
        const rows = countRows(this.db, 'reading_statistics');
        if (this.sizer.bytes(this.db, 'reading_statistics', rows, nowMs) <= maxBytes) break;
        const from = oldest.get() as number | null;
        if (from === null) break;
        if (from >= nowMs - RETENTION_MINIMUM_DAYS.statistics * DAY_MS) cutIntoMinimum = true;
        this.db.transaction(() => {
          for (const p of points) deleted += byAge.run(p, from + DAY_MS).changes;
        })();
      }
    }
    return { ...this.statisticsCapacity(nowMs), deleted, cutIntoMinimum };
  }

  private runRecords(nowMs: number, maxRows: number): ClassRetentionRun {
    const { days, maxBytes } = this.limits.records;
    const tables = this.recordTables.filter((t) => hasTable(this.db, t.table));
    let deleted = 0;
    let cutIntoMinimum = false;
    for (const t of tables) deleted += deleteOlder(this.db, t, nowMs - days * DAY_MS, maxRows - deleted);
    // Over the cap: the oldest rows of whichever table holds the oldest, a chunk at a time.
    while (deleted < maxRows && this.recordBytes(tables, nowMs) > maxBytes) {
      let oldest: { t: RecordTable; at: number } | undefined;
      for (const t of tables) {
        const at = this.db.prepare(`SELECT min(${t.timeColumn}) FROM ${t.table}`).pluck().get() as number | null;
        if (at !== null && (oldest === undefined || at < oldest.at)) oldest = { t, at };
      }
      if (oldest === undefined) break;
      if (oldest.at >= nowMs - RETENTION_MINIMUM_DAYS.records * DAY_MS) cutIntoMinimum = true;
      const n = deleteOlder(this.db, oldest.t, oldest.at + DAY_MS, Math.min(1_000, maxRows - deleted));
      if (n === 0) break;
      deleted += n;
    }
    return { ...this.recordsCapacity(nowMs), deleted, cutIntoMinimum };
  }

  private recordBytes(tables: readonly RecordTable[], nowMs: number): number {
    let bytes = 0;
    for (const t of tables) bytes += this.sizer.bytes(this.db, t.table, countRows(this.db, t.table), nowMs);
    return bytes;
  }

  private statisticsCapacity(nowMs: number): ClassCapacity {
    if (!hasTable(this.db, 'reading_statistics')) return capacityOf(this.db, 'statistics', this.limits.statistics, 0, null, null, 0);
    const rows = countRows(this.db, 'reading_statistics');
    const bytes = this.sizer.bytes(this.db, 'reading_statistics', rows, nowMs);
    const span = this.db.prepare('SELECT min(window_start) AS oldest, max(window_start) AS newest FROM reading_statistics').get() as { oldest: number | null; newest: number | null };
    const points = this.db.prepare('SELECT DISTINCT point_id FROM reading_statistics').pluck().all() as number[];
    const lastDay = this.db.prepare('SELECT count(*) FROM reading_statistics WHERE point_id = ? AND window_start >= ?').pluck();
    let dayRows = 0;
    for (const p of points) dayRows += lastDay.get(p, nowMs - DAY_MS) as number;
    return capacityOf(this.db, 'statistics', this.limits.statistics, bytes, span.oldest, span.newest, rows > 0 ? (dayRows * bytes) / rows : 0);
  }

  private recordsCapacity(nowMs: number): ClassCapacity {
    let bytes = 0;
    let perDay = 0;
    let oldest: number | null = null;
    let newest: number | null = null;
    for (const t of this.recordTables) {
      if (!hasTable(this.db, t.table)) continue;
      const rows = countRows(this.db, t.table);
      const b = this.sizer.bytes(this.db, t.table, rows, nowMs);
      bytes += b;
      // Separate statements: each min/max/count can use the table's time index where it has one.
      const s = {
        o: this.db.prepare(`SELECT min(${t.timeColumn}) FROM ${t.table}`).pluck().get() as number | null,
        n: this.db.prepare(`SELECT max(${t.timeColumn}) FROM ${t.table}`).pluck().get() as number | null,
        d: this.db.prepare(`SELECT count(*) FROM ${t.table} WHERE ${t.timeColumn} >= ?`).pluck().get(nowMs - DAY_MS) as number,
      };
      if (s.o !== null && (oldest === null || s.o < oldest)) oldest = s.o;
      if (s.n !== null && (newest === null || s.n > newest)) newest = s.n;
      if (rows > 0) perDay += ((s.d ?? 0) * b) / rows;
    }
    return capacityOf(this.db, 'records', this.limits.records, bytes, oldest, newest, perDay);
  }
}

function capacityOf(db: Database.Database, name: RetentionClassName, limit: RetentionLimit, bytes: number, oldest: number | null, newest: number | null, perDay: number): ClassCapacity {
  const free = freeDiskBytes(db);
  const capped = Number.isFinite(limit.maxBytes);
  return {
    name,
    bytes: Math.round(bytes),
    capBytes: limit.maxBytes,
    days: limit.days,
    minimumDays: RETENTION_MINIMUM_DAYS[name],
    bytesPerDay: perDay > 0 ? Math.round(perDay) : null,
    daysStored: oldest !== null && newest !== null ? (newest - oldest) / DAY_MS : null,
    daysCapacity: perDay > 0 && capped ? limit.maxBytes / perDay : null,
    daysLeft: perDay > 0 && capped ? Math.max(0, limit.maxBytes - bytes) / perDay : null,
    daysDiskLeft: perDay > 0 && free !== null ? free / perDay : null,
  };
}

/** Delete up to `max` rows of `t` older than `before`, oldest first, in chunks of 1,000. */
function deleteOlder(db: Database.Database, t: RecordTable, before: number, max: number): number {
  const chunk = db.prepare(`DELETE FROM ${t.table} WHERE rowid IN (SELECT rowid FROM ${t.table} WHERE ${t.timeColumn} < ? ORDER BY ${t.timeColumn} LIMIT ?)`);
  let total = 0;
  while (total < max) {
    const n = chunk.run(before, Math.min(1_000, max - total)).changes;
    total += n;
    if (n === 0) break;
  }
  return total;
}

function countRows(db: Database.Database, table: string): number {
  return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** One line per class for `status` and `doctor`. */
export function describeClassCapacity(c: ClassCapacity): string {
  const mb = (b: number): string => `${(b / 1e6).toFixed(b < 1e7 ? 2 : 0)} MB`;
  const days = (d: number | null): string => (d === null ? '?' : d >= 10_000 ? '>10000' : d.toFixed(0));
  const kept = `kept ${c.days} days (legal minimum ${c.minimumDays})`;
  if (c.bytesPerDay === null) return `${c.name}: ${mb(c.bytes)}, ${kept}, nothing added in the last 24 h (no rate to project)`;
  return `${c.name}: ${mb(c.bytes)}, ${mb(c.bytesPerDay)} a day, ${kept}; cap ${mb(c.capBytes)} holds ${days(c.daysCapacity)} days, full in ${days(c.daysLeft)}; free disk lasts ${days(c.daysDiskLeft)} days`;
}
