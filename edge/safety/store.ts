// Durable safety state in the gateway database (component 'safety'): the event log and the hold
// snapshot that SafetyEngine.restore() reloads after a restart.
import type Database from 'better-sqlite3';
import type { Migration } from '../store/database.js';
import type { AbnormalityCode } from './clauses.js';
import type { SafetyBatch, SafetyEvent, SafetyEventType, SafetyRecordSink } from './events.js';
import type { PersistedHold, RuleId } from './holds.js';

export const safetyMigrations: Migration[] = [
  {
    version: 1,
    description: 'safety events and hold snapshot',
    up(db) {
      db.exec(`
        CREATE TABLE safety_events (
          id          INTEGER PRIMARY KEY AUTOINCREMENT,
          seq         INTEGER NOT NULL,
          wall_time   INTEGER NOT NULL,
          mono_time   REAL    NOT NULL,
          type        TEXT    NOT NULL,
          rule        TEXT,
          key         TEXT,
          alarm       TEXT,
          severity    TEXT,
          point       TEXT,
          value       REAL,
          threshold   REAL,
          clause      TEXT,
          outputs     TEXT,
          operator    TEXT,
          authority   TEXT,
          reason      TEXT,
          abnormality TEXT,
          message     TEXT    NOT NULL
        );
        CREATE INDEX safety_events_by_time ON safety_events (wall_time);
        CREATE INDEX safety_events_by_point ON safety_events (point, wall_time);
        CREATE TABLE safety_holds (
          output       TEXT    NOT NULL,
          key          TEXT    NOT NULL,
          rule         TEXT    NOT NULL,
          subject      TEXT    NOT NULL,
          reason       TEXT    NOT NULL,
          clause       TEXT    NOT NULL,
          point        TEXT,
          value        REAL,
          threshold    REAL,
          operator     TEXT,
          authority    TEXT,
          since_wall   INTEGER NOT NULL,
          expires_wall INTEGER,
          PRIMARY KEY (output, key)
        );
      `);
    },
  },
  {
    version: 2,
    description: 'safety event uid (write-ahead records imported once after a kill)',
    up(db) {
      db.exec(`
        ALTER TABLE safety_events ADD COLUMN uid TEXT;
        CREATE UNIQUE INDEX safety_events_by_uid ON safety_events (uid) WHERE uid IS NOT NULL;
      `);
    },
  },
];

interface EventRow {
  uid: string | null;
  seq: number;
  wall_time: number;
  mono_time: number;
  type: string;
  rule: string | null;
  key: string | null;
  alarm: string | null;
  severity: string | null;
  point: string | null;
  value: number | null;
  threshold: number | null;
  clause: string | null;
  outputs: string | null;
  operator: string | null;
  authority: string | null;
  reason: string | null;
  abnormality: string | null;
  message: string;
}

interface HoldRow {
  output: string;
  key: string;
  rule: string;
  subject: string;
  reason: string;
  clause: string;
  point: string | null;
  value: number | null;
  threshold: number | null;
  operator: string | null;
  authority: string | null;
  since_wall: number;
  expires_wall: number | null;
}

export interface EventQuery {
  /** Only events at or after this wall time. */
  sinceWall?: number;
  point?: string;
  types?: readonly SafetyEventType[];
  /** Newest first, at most this many (default 1000). */
  limit?: number;
}

/** SQLite side of the safety journal. The database must have the 'safety' migrations applied. */
export class SafetyStore implements SafetyRecordSink {
  private readonly insertEvent: Database.Statement;
  private readonly clearHolds: Database.Statement;
  private readonly insertHold: Database.Statement;
  private readonly writeTx: (batch: SafetyBatch) => void;

  constructor(private readonly db: Database.Database) {
    if (!db || typeof db.prepare !== 'function') throw new TypeError(`SafetyStore: expected a better-sqlite3 Database, got ${String(db)}`);
    this.insertEvent = db.prepare(`
      INSERT INTO safety_events (uid, seq, wall_time, mono_time, type, rule, key, alarm, severity, point, value, threshold,
                                 clause, outputs, operator, authority, reason, abnormality, message)
      VALUES (@uid, @seq, @wall_time, @mono_time, @type, @rule, @key, @alarm, @severity, @point, @value, @threshold,
              @clause, @outputs, @operator, @authority, @reason, @abnormality, @message)
      ON CONFLICT (uid) WHERE uid IS NOT NULL DO NOTHING`);
    this.clearHolds = db.prepare('DELETE FROM safety_holds');
    this.insertHold = db.prepare(`
      INSERT INTO safety_holds (output, key, rule, subject, reason, clause, point, value, threshold, operator, authority, since_wall, expires_wall)
      VALUES (@output, @key, @rule, @subject, @reason, @clause, @point, @value, @threshold, @operator, @authority, @since_wall, @expires_wall)`);
    // One transaction per batch: the events and the hold snapshot land together or not at all.
    this.writeTx = db.transaction((batch: SafetyBatch) => {
      for (const e of batch.events) this.insertEvent.run(eventRow(e));
      if (batch.holds) {
        this.clearHolds.run();
        for (const h of batch.holds) this.insertHold.run(holdRow(h));
      }
    });
  }

  write(batch: SafetyBatch): void {
    this.writeTx(batch);
  }

  /**
   * Records a killed process wrote ahead (write-ahead-journal.ts) and its journal had not stored:
   * events already stored (same uid) are skipped; the newest hold snapshot replaces the stored one.
   * Returns how many events were new.
   */
  importWrittenAhead(events: readonly SafetyEvent[], holds: PersistedHold[] | undefined): number {
    const before = this.db.prepare('SELECT COUNT(*) AS n FROM safety_events').get() as { n: number };
    const batch: SafetyBatch = { events: [...events] };
    if (holds) batch.holds = holds;
    this.writeTx(batch);
    const after = this.db.prepare('SELECT COUNT(*) AS n FROM safety_events').get() as { n: number };
    return after.n - before.n;
  }

  loadHolds(): PersistedHold[] {
    const rows = this.db.prepare('SELECT * FROM safety_holds ORDER BY since_wall, output, key').all() as HoldRow[];
    return rows.map((r) => {
      const hold: PersistedHold = { output: r.output, key: r.key, rule: r.rule as RuleId, subject: r.subject, reason: r.reason, clause: r.clause, sinceWall: r.since_wall };
      if (r.point !== null) hold.point = r.point;
      if (r.value !== null) hold.value = r.value;
      if (r.threshold !== null) hold.threshold = r.threshold;
      if (r.operator !== null) hold.operator = r.operator;
      if (r.authority !== null) hold.authority = r.authority;
      if (r.expires_wall !== null) hold.expiresWall = r.expires_wall;
      return hold;
    });
  }

  /** Latest calibration time per point, from 'calibration' events. */
  lastCalibrations(): Map<string, number> {
    const rows = this.db
      .prepare("SELECT point, MAX(wall_time) AS wall FROM safety_events WHERE type = 'calibration' AND point IS NOT NULL GROUP BY point")
      .all() as { point: string; wall: number }[];
    return new Map(rows.map((r) => [r.point, r.wall]));
  }

  events(query: EventQuery = {}): SafetyEvent[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit ?? 1000 };
    if (query.sinceWall !== undefined) {
      where.push('wall_time >= @since');
      params.since = query.sinceWall;
    }
    if (query.point !== undefined) {
      where.push('point = @point');
      params.point = query.point;
    }
    if (query.types && query.types.length > 0) {
      where.push(`type IN (${query.types.map((_, i) => `@t${i}`).join(', ')})`);
      query.types.forEach((t, i) => (params[`t${i}`] = t));
    }
    const sql = `SELECT * FROM safety_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as EventRow[]).map(fromEventRow);
  }
}

function eventRow(e: SafetyEvent): EventRow {
  return {
    uid: e.uid ?? null,
    seq: e.seq,
    wall_time: e.wallTime,
    mono_time: Number.isFinite(e.monoTime) ? e.monoTime : 0,
    type: e.type,
    rule: e.rule ?? null,
    key: e.key ?? null,
    alarm: e.alarm ?? null,
    severity: e.severity ?? null,
    point: e.point ?? null,
    value: e.value ?? null,
    threshold: e.threshold ?? null,
    clause: e.clause ?? null,
    outputs: e.outputs ? JSON.stringify(e.outputs) : null,
    operator: e.operator ?? null,
    authority: e.authority ?? null,
    reason: e.reason ?? null,
    abnormality: e.abnormality ?? null,
    message: e.message,
  };
}

function fromEventRow(r: EventRow): SafetyEvent {
  const e: SafetyEvent = { seq: r.seq, type: r.type as SafetyEventType, wallTime: r.wall_time, monoTime: r.mono_time, message: r.message };
  if (r.uid !== null) e.uid = r.uid;
  if (r.rule !== null) e.rule = r.rule as RuleId;
  if (r.key !== null) e.key = r.key;
  if (r.alarm !== null) e.alarm = r.alarm as SafetyEvent['alarm'] & string;
  if (r.severity !== null) e.severity = r.severity as SafetyEvent['severity'] & string;
  if (r.point !== null) e.point = r.point;
  if (r.value !== null) e.value = r.value;
  if (r.threshold !== null) e.threshold = r.threshold;
  if (r.clause !== null) e.clause = r.clause;
  if (r.outputs !== null) e.outputs = JSON.parse(r.outputs) as string[];
  if (r.operator !== null) e.operator = r.operator;
  if (r.authority !== null) e.authority = r.authority;
  if (r.reason !== null) e.reason = r.reason;
  if (r.abnormality !== null) e.abnormality = r.abnormality as AbnormalityCode;
  return e;
}

function holdRow(h: PersistedHold): HoldRow {
  return {
    output: h.output,
    key: h.key,
    rule: h.rule,
    subject: h.subject,
    reason: h.reason,
    clause: h.clause,
    point: h.point ?? null,
    value: h.value ?? null,
    threshold: h.threshold ?? null,
    operator: h.operator ?? null,
    authority: h.authority ?? null,
    since_wall: h.sinceWall,
    expires_wall: h.expiresWall ?? null,
  };
}
