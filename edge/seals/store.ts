// Durable seal state in the gateway database (component 'seals'): the event log, and one state
// document holding what must survive a restart — shift-start counts and baseline, each camera's
// last counter values (so crossings made while the gateway was down are counted once, not lost and
// not twice), the operator-set modes and the active alarms. Both are written in one transaction.
import type Database from 'better-sqlite3';
import type { SealMode } from '../../board-configs/seal-schema.js';
import type { CounterBaseline, CounterSet } from '../../drivers/seal-camera.js';
import type { Migration } from '../store/database.js';
import type { SealAlarm, SealEvent, SealEventType } from './events.js';

export const sealMigrations: Migration[] = [
  {
    version: 1,
    description: 'seal events and state document',
    up(db) {
      db.exec(`
        CREATE TABLE seal_events (
          seq         INTEGER PRIMARY KEY,
          wall_time   INTEGER NOT NULL,
          type        TEXT    NOT NULL,
          rule        TEXT,
          alarm_id    TEXT,
          shaft_mouth TEXT,
          camera_id   TEXT,
          position    TEXT    NOT NULL,
          message     TEXT    NOT NULL,
          count       INTEGER,
          image_ref   TEXT,
          load        TEXT,
          value       REAL,
          counter     TEXT,
          operator    TEXT,
          reason      TEXT
        );
        CREATE INDEX seal_events_by_time ON seal_events (wall_time);
        CREATE INDEX seal_events_by_alarm ON seal_events (alarm_id);
        CREATE TABLE seal_state (
          id         INTEGER PRIMARY KEY CHECK (id = 1),
          document   TEXT    NOT NULL,
          saved_wall INTEGER NOT NULL
        );
      `);
    },
  },
];

export interface PersistedMode {
  mode: SealMode;
  sinceWall: number;
  operator: string | null;
  reason: string | null;
  /** The config's declared mode when this was recorded: a changed declaration overrides the record. */
  configMode: SealMode;
}

export interface PersistedShift {
  startWall: number;
  /** Seal headcount at the shift start. */
  baseline: number;
  /** Crossings since the shift start per shaft mouth, in the mine's direction. */
  totals: Record<string, CounterSet>;
}

export interface PersistedSealState {
  version: 1;
  nextSeq: number;
  shift: PersistedShift | null;
  modes: Record<string, PersistedMode>;
  cameras: Record<string, CounterBaseline>;
  alarms: SealAlarm[];
  /** Persons counted in per shaft mouth within the card check's window (absent in older documents). */
  entries?: Record<string, { wall: number; count: number; cameraId: string }[]>;
  savedWall: number;
}

/** Where the engine keeps its state (SQLite in production). write() may throw; the engine retries. */
export interface SealStateStore {
  load(): PersistedSealState | null;
  write(batch: { state: PersistedSealState; events: readonly SealEvent[] }): void;
}

interface EventRow {
  seq: number;
  wall_time: number;
  type: string;
  rule: string | null;
  alarm_id: string | null;
  shaft_mouth: string | null;
  camera_id: string | null;
  position: string;
  message: string;
  count: number | null;
  image_ref: string | null;
  load: string | null;
  value: number | null;
  counter: string | null;
  operator: string | null;
  reason: string | null;
}

/** SQLite side of the seal engine. The database must have the 'seals' migrations applied. */
export class SealStore implements SealStateStore {
  private readonly insertEvent: Database.Statement;
  private readonly saveState: Database.Statement;
  private readonly writeTx: (batch: { state: PersistedSealState; events: readonly SealEvent[] }) => void;

  constructor(private readonly db: Database.Database) {
    if (!db || typeof db.prepare !== 'function') throw new TypeError(`SealStore: expected a better-sqlite3 Database, got ${String(db)}`);
    // OR IGNORE: a batch retried after a failure that did commit must not fail forever on its own seqs.
    this.insertEvent = db.prepare(`
      INSERT OR IGNORE INTO seal_events (seq, wall_time, type, rule, alarm_id, shaft_mouth, camera_id, position, message, count,
                                         image_ref, load, value, counter, operator, reason)
      VALUES (@seq, @wall_time, @type, @rule, @alarm_id, @shaft_mouth, @camera_id, @position, @message, @count,
              @image_ref, @load, @value, @counter, @operator, @reason)`);
    this.saveState = db.prepare(`
      INSERT INTO seal_state (id, document, saved_wall) VALUES (1, @document, @saved_wall)
      ON CONFLICT (id) DO UPDATE SET document = excluded.document, saved_wall = excluded.saved_wall`);
    this.writeTx = db.transaction((batch: { state: PersistedSealState; events: readonly SealEvent[] }) => {
      for (const e of batch.events) this.insertEvent.run(eventRow(e));
      this.saveState.run({ document: JSON.stringify(batch.state), saved_wall: batch.state.savedWall });
    });
  }

  load(): PersistedSealState | null {
    const row = this.db.prepare('SELECT document FROM seal_state WHERE id = 1').get() as { document: string } | undefined;
    if (!row) return null;
    const doc = JSON.parse(row.document) as PersistedSealState;
    if (doc.version !== 1) throw new TypeError(`SealStore: state document version ${String(doc.version)} is not supported`);
    return doc;
  }

  write(batch: { state: PersistedSealState; events: readonly SealEvent[] }): void {
    this.writeTx(batch);
  }

  /** Events in seq order, optionally after a seq and of some types (newest `limit`, default 1000). */
  events(query: { afterSeq?: number; types?: readonly SealEventType[]; limit?: number } = {}): SealEvent[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit ?? 1000 };
    if (query.afterSeq !== undefined) {
      where.push('seq > @after');
      params.after = query.afterSeq;
    }
    if (query.types && query.types.length > 0) {
      where.push(`type IN (${query.types.map((_, i) => `@t${i}`).join(', ')})`);
      query.types.forEach((t, i) => (params[`t${i}`] = t));
    }
    const sql = `SELECT * FROM (SELECT * FROM seal_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit) ORDER BY seq`;
    return (this.db.prepare(sql).all(params) as EventRow[]).map(fromRow);
  }
}

function eventRow(e: SealEvent): EventRow {
  return {
    seq: e.seq,
    wall_time: e.wallTime,
    type: e.type,
    rule: e.rule ?? null,
    alarm_id: e.alarmId ?? null,
    shaft_mouth: e.shaftMouth ?? null,
    camera_id: e.cameraId ?? null,
    position: e.position,
    message: e.message,
    count: e.count ?? null,
    image_ref: e.imageRef ?? null,
    load: e.load ?? null,
    value: e.value ?? null,
    counter: e.counter ?? null,
    operator: e.operator ?? null,
    reason: e.reason ?? null,
  };
}

function fromRow(r: EventRow): SealEvent {
  const e: SealEvent = { seq: r.seq, type: r.type as SealEventType, wallTime: r.wall_time, position: r.position, message: r.message };
  if (r.rule !== null) e.rule = r.rule as SealEvent['rule'] & string;
  if (r.alarm_id !== null) e.alarmId = r.alarm_id;
  if (r.shaft_mouth !== null) e.shaftMouth = r.shaft_mouth;
  if (r.camera_id !== null) e.cameraId = r.camera_id;
  if (r.count !== null) e.count = r.count;
  if (r.image_ref !== null) e.imageRef = r.image_ref;
  if (r.load !== null) e.load = r.load;
  if (r.value !== null) e.value = r.value;
  if (r.counter !== null) e.counter = r.counter as SealEvent['counter'] & string;
  if (r.operator !== null) e.operator = r.operator;
  if (r.reason !== null) e.reason = r.reason;
  return e;
}
