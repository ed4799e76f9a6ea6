// `events --domain`: one event list across the substation's parts — safety (interlocks), personnel
// (positioning, evacuations, 叫应), seals (electronic seals, power use), sync (platform commands the
// gateway refused: unsigned, bad signature, expired, replayed) — each read from its own
// table in the gateway database, merged newest first into one row shape the CLI prints. A domain
// whose tables do not exist (no such section in the config) has no events; it is not an error.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { PersonnelStore } from '../personnel/store.js';
import { type EventQuery, SafetyStore } from '../safety/store.js';
import { SealStore } from '../seals/store.js';
import { rejectedCommandEvents } from './command-log.js';
import { ControlError } from './errors.js';
import { optionalIntArg, optionalStringArg } from './args.js';
import { isEventKind, SAFETY_EVENT_TYPES } from './event-types.js';

export const EVENT_QUERY_DEFAULTS = { limit: 50, maxLimit: 10_000 } as const;

/** Request args → a store query (shared with the CLI's read-only fallback). */
export function eventQueryOf(args: Record<string, unknown>): EventQuery {
  const query: EventQuery = { limit: optionalIntArg(args, 'limit', 1, EVENT_QUERY_DEFAULTS.maxLimit) ?? EVENT_QUERY_DEFAULTS.limit };
  const since = optionalIntArg(args, 'sinceWall', 0, Number.MAX_SAFE_INTEGER);
  if (since !== undefined) query.sinceWall = since;
  const point = optionalStringArg(args, 'point');
  if (point !== undefined) query.point = point;
  if (args.kind !== undefined && args.kind !== null) {
    if (!isEventKind(args.kind)) throw new ControlError('BAD_REQUEST', `kind must be an event type such as ${SAFETY_EVENT_TYPES.slice(0, 6).join(', ')}, got ${JSON.stringify(args.kind)}`);
    query.types = [args.kind];
  }
  return query;
}

export const EVENT_DOMAINS = ['safety', 'personnel', 'seals', 'sync'] as const;
export type EventDomain = (typeof EVENT_DOMAINS)[number];

export interface DomainEvent {
  domain: EventDomain;
  wallTime: number;
  type: string;
  /** What it is about: a point, an area or card, a shaft mouth. */
  subject: string;
  by: string;
  message: string;
}

/** "safety,personnel" / "all" → the domains; throws ControlError BAD_REQUEST naming the bad one. */
export function parseDomains(value: unknown): EventDomain[] {
  if (value === undefined || value === null || value === 'all') return [...EVENT_DOMAINS];
  const parts = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
  const bad = parts.find((p) => !(EVENT_DOMAINS as readonly string[]).includes(p));
  if (parts.length === 0 || bad !== undefined) throw new ControlError('BAD_REQUEST', `domain must be all or one or more of ${EVENT_DOMAINS.join(', ')} (comma-separated), got ${JSON.stringify(value)}`);
  return parts as EventDomain[];
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Events of the given domains, newest first, at most `limit` (request args as for `events`). */
export function domainEvents(db: Database.Database, domains: readonly EventDomain[], args: Record<string, unknown>): DomainEvent[] {
  const q = eventQueryOf({ ...args, kind: undefined });
  const since = q.sinceWall ?? 0;
  const rows: DomainEvent[] = [];
  if (domains.includes('safety') && hasTable(db, 'safety_events')) {
    for (const e of new SafetyStore(db).events(eventQueryOf(args))) {
      rows.push({ domain: 'safety', wallTime: e.wallTime, type: e.type, subject: e.point ?? (e.outputs ?? []).join(','), by: e.operator ?? '', message: e.message });
    }
  }
  if (domains.includes('personnel') && hasTable(db, 'personnel_events')) {
    for (const e of new PersonnelStore(db).events({ sinceWall: since, limit: q.limit })) {
      rows.push({ domain: 'personnel', wallTime: e.wallTime, type: e.type, subject: e.area ?? e.areas?.join(',') ?? e.card ?? '', by: e.by ?? '', message: e.message });
    }
  }
  if (domains.includes('seals') && hasTable(db, 'seal_events')) {
    // The seal store pages by seq: take the newest `limit` and keep those in the time window.
    for (const e of new SealStore(db).events({ limit: q.limit })) {
      if (e.wallTime < since) continue;
      rows.push({ domain: 'seals', wallTime: e.wallTime, type: e.type, subject: e.shaftMouth ?? e.cameraId ?? e.position, by: e.operator ?? '', message: e.message });
    }
  }
  if (domains.includes('sync')) {
    // The upstream link's own record, in <data-dir>/outbox.db next to the gateway database (read-only):
    // every platform command refused, with the reason.
    const outbox = db.name && db.name !== ':memory:' ? join(dirname(db.name), 'outbox.db') : '';
    if (outbox !== '' && existsSync(outbox)) {
      const sync = new Database(outbox, { readonly: true, fileMustExist: true });
      try {
        for (const e of rejectedCommandEvents(sync, { sinceWall: since, limit: q.limit })) {
          rows.push({ domain: 'sync', wallTime: e.wallTime, type: e.type, subject: 'platform', by: e.operator ?? 'platform', message: e.message });
        }
      } finally {
        sync.close();
      }
    }
  }
  return rows.sort((a, b) => b.wallTime - a.wallTime).slice(0, q.limit);
}
