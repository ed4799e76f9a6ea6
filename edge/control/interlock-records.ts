// Results of the guided interlock tests (甲烷电闭锁 / 风电闭锁, AQ 1029-2019: every 15 days) in the
// gateway database (component 'control'). Append-only like the audit log: a test result is a
// compliance record, so triggers refuse UPDATE and DELETE.
import type Database from 'better-sqlite3';
import type { Migration } from '../store/database.js';

export const INTERLOCK_KINDS = ['methane', 'fan'] as const;
export type InterlockKind = (typeof INTERLOCK_KINDS)[number];

export type InterlockOutcome = 'pass' | 'fail' | 'no-trigger' | 'aborted';

export const INTERLOCK_RECORD_DEFAULTS = {
  /** AQ 1029-2019: 甲烷电闭锁 and 风电闭锁 are function-tested every 15 days. */
  periodDays: 15,
} as const;

export const controlMigrations: Migration[] = [
  {
    version: 1,
    description: 'append-only interlock_tests',
    up: (db) => {
      db.exec(`CREATE TABLE interlock_tests (
        id INTEGER PRIMARY KEY,
        zone TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('methane', 'fan')),
        operator TEXT NOT NULL,
        reason TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'no-trigger', 'aborted')),
        trigger_at INTEGER NULL,
        trigger_source TEXT NULL,
        trigger_value REAL NULL,
        cut_at INTEGER NULL,
        confirmed_at INTEGER NULL,
        feed_dead_at INTEGER NULL,
        execution_ms INTEGER NULL,
        limit_ms INTEGER NOT NULL,
        detail TEXT NOT NULL
      )`);
      db.exec('CREATE INDEX interlock_tests_zone ON interlock_tests (zone, kind, ended_at)');
      db.exec("CREATE TRIGGER interlock_tests_no_update BEFORE UPDATE ON interlock_tests BEGIN SELECT RAISE(ABORT, 'interlock_tests is append-only'); END");
      db.exec("CREATE TRIGGER interlock_tests_no_delete BEFORE DELETE ON interlock_tests BEGIN SELECT RAISE(ABORT, 'interlock_tests is append-only'); END");
    },
  },
];

export interface InterlockTestRecord {
  id?: number;
  zone: string;
  kind: InterlockKind;
  operator: string;
  reason: string;
  startedAt: number;
  endedAt: number;
  outcome: InterlockOutcome;
  /** Wall ms of the reading that showed the condition (gas ≥ cut-off, fan stopped). */
  triggerAt: number | null;
  /** Point or fan that triggered. */
  triggerSource: string | null;
  triggerValue: number | null;
  /** Wall ms the interlock placed its hold (the cut decision). */
  cutAt: number | null;
  /** Wall ms the relay module confirmed every zone output off. */
  confirmedAt: number | null;
  /** Wall ms every feed sensor of the zone read the load side dead (null: no feed sensor, or never). */
  feedDeadAt: number | null;
  /** From the trigger reading to the cut proven (confirmed, and feed dead where a feed sensor exists). */
  executionMs: number | null;
  limitMs: number;
  detail: string;
}

interface Row {
  id: number;
  zone: string;
  kind: string;
  operator: string;
  reason: string;
  started_at: number;
  ended_at: number;
  outcome: string;
  trigger_at: number | null;
  trigger_source: string | null;
  trigger_value: number | null;
  cut_at: number | null;
  confirmed_at: number | null;
  feed_dead_at: number | null;
  execution_ms: number | null;
  limit_ms: number;
  detail: string;
}

export function recordInterlockTest(db: Database.Database, r: InterlockTestRecord): InterlockTestRecord {
  const info = db
    .prepare(
      `INSERT INTO interlock_tests (zone, kind, operator, reason, started_at, ended_at, outcome, trigger_at, trigger_source, trigger_value,
                                    cut_at, confirmed_at, feed_dead_at, execution_ms, limit_ms, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(r.zone, r.kind, r.operator, r.reason, r.startedAt, r.endedAt, r.outcome, r.triggerAt, r.triggerSource, r.triggerValue, r.cutAt, r.confirmedAt, r.feedDeadAt, r.executionMs, r.limitMs, r.detail);
  return { ...r, id: Number(info.lastInsertRowid) };
}

/** Newest first. */
export function interlockTests(db: Database.Database, filter: { zone?: string; kind?: InterlockKind; limit?: number } = {}): InterlockTestRecord[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.zone !== undefined) {
    where.push('zone = ?');
    args.push(filter.zone);
  }
  if (filter.kind !== undefined) {
    where.push('kind = ?');
    args.push(filter.kind);
  }
  const rows = db.prepare(`SELECT * FROM interlock_tests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ended_at DESC, id DESC LIMIT ?`).all(...args, filter.limit ?? 1000) as Row[];
  return rows.map((row) => ({
    id: row.id,
    zone: row.zone,
    kind: row.kind as InterlockKind,
    operator: row.operator,
    reason: row.reason,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome as InterlockOutcome,
    triggerAt: row.trigger_at,
    triggerSource: row.trigger_source,
    triggerValue: row.trigger_value,
    cutAt: row.cut_at,
    confirmedAt: row.confirmed_at,
    feedDeadAt: row.feed_dead_at,
    executionMs: row.execution_ms,
    limitMs: row.limit_ms,
    detail: row.detail,
  }));
}
