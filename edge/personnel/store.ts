// Durable personnel state in the gateway database (component 'personnel'): each person's derived
// state, the open alarms, the running evacuation (with its deadlines as wall time) and the event
// log. PersonnelEngine.restore() reloads the first three after a restart.
import type Database from 'better-sqlite3';
import type { Migration } from '../store/database.js';
import type { PersonnelAlarm } from './alarms.js';
import type { PersonnelEvent, PersonnelEventType } from './events.js';
import type { PersistedEvacuation, PersistedPerson, PersistedPersonnelState, PersonnelBatch, PersonnelRecordSink } from './journal.js';

export const personnelMigrations: Migration[] = [
  {
    version: 1,
    description: 'personnel people, open alarms, evacuation and event log',
    up(db) {
      db.exec(`
        CREATE TABLE personnel_people (
          tag                INTEGER PRIMARY KEY,
          flag               INTEGER NOT NULL CHECK (flag IN (0, 1, 2)),
          entry_wall         INTEGER,
          exit_wall          INTEGER,
          area               TEXT,
          area_entry_wall    INTEGER,
          reader             INTEGER,
          station_entry_wall INTEGER,
          distance_m         REAL,
          last_seen_wall     INTEGER,
          trajectory         TEXT NOT NULL
        );
        CREATE TABLE personnel_alarms (
          key        TEXT PRIMARY KEY,
          kind       TEXT NOT NULL,
          start_wall INTEGER NOT NULL,
          alarm      TEXT NOT NULL
        );
        CREATE TABLE personnel_evacuation (
          id           INTEGER PRIMARY KEY CHECK (id = 1),
          evacuation   TEXT NOT NULL
        );
        CREATE TABLE personnel_events (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          seq        INTEGER NOT NULL,
          wall_time  INTEGER NOT NULL,
          mono_time  REAL    NOT NULL,
          type       TEXT    NOT NULL,
          tag        INTEGER,
          area       TEXT,
          alarm_kind TEXT,
          alarm_key  TEXT,
          event      TEXT    NOT NULL,
          message    TEXT    NOT NULL
        );
        CREATE INDEX personnel_events_by_time ON personnel_events (wall_time);
        CREATE INDEX personnel_events_by_tag ON personnel_events (tag, wall_time);
      `);
    },
  },
];

interface PersonRow {
  tag: number;
  flag: number;
  entry_wall: number | null;
  exit_wall: number | null;
  area: string | null;
  area_entry_wall: number | null;
  reader: number | null;
  station_entry_wall: number | null;
  distance_m: number | null;
  last_seen_wall: number | null;
  trajectory: string;
}

export interface PersonnelEventQuery {
  sinceWall?: number;
  tag?: number;
  types?: readonly PersonnelEventType[];
  /** Newest first, at most this many (default 1000). */
  limit?: number;
}

/** SQLite side of the personnel journal. The database must have the 'personnel' migrations applied. */
export class PersonnelStore implements PersonnelRecordSink {
  private readonly writeTx: (batch: PersonnelBatch) => void;

  constructor(private readonly db: Database.Database) {
    if (!db || typeof db.prepare !== 'function') throw new TypeError(`PersonnelStore: expected a better-sqlite3 Database, got ${String(db)}`);
    const insertEvent = db.prepare(`
      INSERT INTO personnel_events (seq, wall_time, mono_time, type, tag, area, alarm_kind, alarm_key, event, message)
      VALUES (@seq, @wall_time, @mono_time, @type, @tag, @area, @alarm_kind, @alarm_key, @event, @message)`);
    const upsertPerson = db.prepare(`
      INSERT INTO personnel_people (tag, flag, entry_wall, exit_wall, area, area_entry_wall, reader, station_entry_wall, distance_m, last_seen_wall, trajectory)
      VALUES (@tag, @flag, @entry_wall, @exit_wall, @area, @area_entry_wall, @reader, @station_entry_wall, @distance_m, @last_seen_wall, @trajectory)
      ON CONFLICT (tag) DO UPDATE SET flag = excluded.flag, entry_wall = excluded.entry_wall, exit_wall = excluded.exit_wall,
        area = excluded.area, area_entry_wall = excluded.area_entry_wall, reader = excluded.reader,
        station_entry_wall = excluded.station_entry_wall, distance_m = excluded.distance_m,
        last_seen_wall = excluded.last_seen_wall, trajectory = excluded.trajectory`);
    const clearAlarms = db.prepare('DELETE FROM personnel_alarms');
    const insertAlarm = db.prepare('INSERT INTO personnel_alarms (key, kind, start_wall, alarm) VALUES (?, ?, ?, ?)');
    const clearEvacuation = db.prepare('DELETE FROM personnel_evacuation');
    const insertEvacuation = db.prepare('INSERT INTO personnel_evacuation (id, evacuation) VALUES (1, ?)');
    // One transaction per batch: events and state land together or not at all.
    this.writeTx = db.transaction((batch: PersonnelBatch) => {
      for (const e of batch.events) insertEvent.run(eventRow(e));
      for (const p of batch.people) upsertPerson.run(personRow(p));
      if (batch.alarms) {
        clearAlarms.run();
        for (const a of batch.alarms) insertAlarm.run(a.key, a.kind, a.startWall, JSON.stringify(a));
      }
      if (batch.evacuation !== undefined) {
        clearEvacuation.run();
        if (batch.evacuation !== null) insertEvacuation.run(JSON.stringify(batch.evacuation));
      }
    });
  }

  write(batch: PersonnelBatch): void {
    this.writeTx(batch);
  }

  /** Everything PersonnelEngine.restore() needs. */
  load(): PersistedPersonnelState {
    const people = (this.db.prepare('SELECT * FROM personnel_people ORDER BY tag').all() as PersonRow[]).map(fromPersonRow);
    const alarms = (this.db.prepare('SELECT alarm FROM personnel_alarms ORDER BY start_wall, key').pluck().all() as string[]).map(
      (json) => JSON.parse(json) as PersonnelAlarm,
    );
    const evacuationJson = this.db.prepare('SELECT evacuation FROM personnel_evacuation WHERE id = 1').pluck().get() as string | undefined;
    const evacuation = evacuationJson === undefined ? null : (JSON.parse(evacuationJson) as PersistedEvacuation);
    return { people, alarms, evacuation };
  }

  events(query: PersonnelEventQuery = {}): PersonnelEvent[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit ?? 1000 };
    if (query.sinceWall !== undefined) {
      where.push('wall_time >= @since');
      params.since = query.sinceWall;
    }
    if (query.tag !== undefined) {
      where.push('tag = @tag');
      params.tag = query.tag;
    }
    if (query.types && query.types.length > 0) {
      where.push(`type IN (${query.types.map((_, i) => `@t${i}`).join(', ')})`);
      query.types.forEach((t, i) => (params[`t${i}`] = t));
    }
    const sql = `SELECT event FROM personnel_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
    return (this.db.prepare(sql).pluck().all(params) as string[]).map((json) => JSON.parse(json) as PersonnelEvent);
  }
}

function eventRow(e: PersonnelEvent): Record<string, unknown> {
  return {
    seq: e.seq,
    wall_time: e.wallTime,
    mono_time: Number.isFinite(e.monoTime) ? e.monoTime : 0,
    type: e.type,
    tag: e.tag ?? null,
    area: e.area ?? null,
    alarm_kind: e.alarm?.kind ?? null,
    alarm_key: e.alarm?.key ?? null,
    event: JSON.stringify(e),
    message: e.message,
  };
}

function personRow(p: PersistedPerson): PersonRow {
  return {
    tag: p.tag,
    flag: p.flag,
    entry_wall: p.entryWall,
    exit_wall: p.exitWall,
    area: p.area,
    area_entry_wall: p.areaEntryWall,
    reader: p.reader,
    station_entry_wall: p.stationEntryWall,
    distance_m: p.distanceM,
    last_seen_wall: p.lastSeenWall,
    trajectory: JSON.stringify(p.trajectory),
  };
}

function fromPersonRow(r: PersonRow): PersistedPerson {
  return {
    tag: r.tag,
    flag: r.flag as 0 | 1 | 2,
    entryWall: r.entry_wall,
    exitWall: r.exit_wall,
    area: r.area,
    areaEntryWall: r.area_entry_wall,
    reader: r.reader,
    stationEntryWall: r.station_entry_wall,
    distanceM: r.distance_m,
    lastSeenWall: r.last_seen_wall,
    trajectory: JSON.parse(r.trajectory) as PersistedPerson['trajectory'],
  };
}
