// Rejected platform commands as `minegate events` entries: the downlink writes each refusal (with
// its reason) to sync_command_log in the outbox database; the events command and the control
// socket's `events` merge them with the safety events as type 'remote-refused' (operator
// 'platform'), so a technician sees a forged or stale remote cut where the real ones are listed.
import type Database from 'better-sqlite3';
import type { SafetyEvent } from '../safety/events.js';
import type { EventQuery } from '../safety/store.js';

export interface RejectedCommand {
  at: number;
  commandId: string | null;
  kind: string | null;
  reason: string;
  detail: string;
}

const DAY_MS = 86_400_000;
const KEEP_MS = 400 * DAY_MS;

export class CommandLog {
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO sync_command_log (at, command_id, kind, reason, detail) VALUES (?, ?, ?, ?, ?)');
    this.prune = db.prepare('DELETE FROM sync_command_log WHERE at < ?');
  }

  /** One row per refusal; a failing disk costs the row, never the refusal (the caller logs and acks anyway). */
  record(r: RejectedCommand): void {
    this.insert.run(r.at, r.commandId, r.kind, r.reason, r.detail.slice(0, 500));
    this.prune.run(r.at - KEEP_MS);
  }
}

/** Refusals matching an events query, newest first, as safety-event-shaped entries. */
export function rejectedCommandEvents(db: Database.Database, q: EventQuery): SafetyEvent[] {
  if (q.point !== undefined) return []; // refusals concern no point
  if (q.types && !q.types.includes('remote-refused')) return [];
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_command_log'").get();
  if (!exists) return [];
  const rows = db
    .prepare('SELECT id, at, command_id AS commandId, kind, reason, detail FROM sync_command_log WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?')
    .all(q.sinceWall ?? 0, q.limit ?? 1000) as (RejectedCommand & { id: number })[];
  return rows.map((r) => ({
    seq: r.id,
    type: 'remote-refused',
    wallTime: r.at,
    monoTime: 0,
    operator: 'platform',
    reason: r.reason,
    message: `platform command ${r.kind ?? '?'} ${r.commandId ?? '(no id)'} rejected: ${r.reason} (${r.detail})`,
  }));
}

/** Safety events and refusals together, newest first, at most `limit`. */
export function mergeEvents(a: readonly SafetyEvent[], b: readonly SafetyEvent[], limit: number): SafetyEvent[] {
  return [...a, ...b].sort((x, y) => y.wallTime - x.wallTime).slice(0, limit);
}
