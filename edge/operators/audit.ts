// The audit log: every write, relay test, manual unlock, remote-cut release, calibration and config
// change, with who, when, what, why and the values before and after. An append-only table in the
// gateway's SQLite file (component 'audit'): triggers refuse UPDATE and DELETE, so a record once
// written can only be read.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { type Migration, openDatabase } from '../store/database.js';
import { isRole, type Role } from './roles.js';
import { MinegateError } from '../../core/minegate-error.js';

export const AUDIT_ACTIONS = [
  'write',
  'board-param',
  'relay-test',
  'manual-unlock',
  'remote-cut',
  'remote-cut-release',
  'alarm-ack',
  'interlock-test',
  'calibration',
  'config-change',
  'tap-write',
  'evacuation-start',
  'evacuation-stand-down',
  'evacuation-ack',
  'alarm-clear',
  'seal-mode',
  'operator-change',
  'auth-refused',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Actions that change what protects people underground: each needs a written reason. Every
 * action is one, except account changes and refused logins (they record who, not why). */
export const SAFETY_ACTIONS: ReadonlySet<AuditAction> = new Set<AuditAction>(
  AUDIT_ACTIONS.filter((a) => a !== 'operator-change' && a !== 'auth-refused'),
);

export type AuditOutcome = 'ok' | 'failed' | 'refused';

export interface AuditEntry {
  /** ms since the epoch; default now. */
  at?: number;
  operator: string;
  /** The operator's role when acting; null when they could not be authenticated. */
  role: Role | null;
  action: AuditAction;
  /** What was acted on, e.g. "ch4-t1.unit-id", "relay-1.coil0", "operator:alice". */
  target: string;
  /** Why. Required for SAFETY_ACTIONS. */
  reason?: string;
  /** JSON-serialisable values before and after the change. */
  before?: unknown;
  after?: unknown;
  outcome: AuditOutcome;
  /** Free text: error message, verification note, config edit. */
  detail?: string;
}

export interface AuditRecord {
  id: number;
  at: number;
  operator: string;
  role: Role | null;
  action: AuditAction;
  target: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  outcome: AuditOutcome;
  detail: string | null;
}

export interface AuditFilter {
  operator?: string;
  action?: AuditAction;
  /** Exact target, or a prefix ending in '*' (e.g. "ch4-t1.*"). */
  target?: string;
  /** Inclusive bounds, ms since the epoch. */
  since?: number;
  until?: number;
  /** Default 1000, newest first. */
  limit?: number;
  order?: 'asc' | 'desc';
}

export const AUDIT_DEFAULTS = {
  /** The gateway's database file inside the data dir (shared with readings, separate component). */
  fileName: 'minegate.db',
  queryLimit: 1000,
  maxReasonLength: 1000,
} as const;

/** 'reason-required': a safety action without --reason. 'invalid-entry': a malformed entry (a bug). */
export class AuditError extends MinegateError<'reason-required' | 'invalid-entry'> {
  constructor(
    code: 'reason-required' | 'invalid-entry',
    message: string,
  ) {
    super(code, message);
    this.name = 'AuditError';
  }
}

export const auditMigrations: Migration[] = [
  {
    version: 1,
    description: 'append-only audit_log',
    up: (db) => {
      db.exec(`CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        operator TEXT NOT NULL,
        role TEXT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        reason TEXT NULL,
        before_json TEXT NULL,
        after_json TEXT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'refused')),
        detail TEXT NULL
      )`);
      db.exec('CREATE INDEX audit_log_at ON audit_log (at)');
      db.exec('CREATE INDEX audit_log_target ON audit_log (target, at)');
      db.exec("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END");
      db.exec("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END");
    },
  },
];

/** Open <dataDir>/minegate.db with the audit component migrated (other components untouched). */
export function openAuditDatabase(dataDir: string): Database.Database {
  if (typeof dataDir !== 'string' || dataDir.trim() === '') throw new TypeError(`openAuditDatabase: dataDir must be a directory path, got ${JSON.stringify(dataDir)}`);
  return openDatabase(join(dataDir, AUDIT_DEFAULTS.fileName), { audit: auditMigrations });
}

/** The reason a technician typed, trimmed; throws 'reason-required' when there is none. */
export function requireReason(action: AuditAction, reason: unknown): string {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text === '') {
    throw new AuditError('reason-required', `${action} is a safety action: give --reason "<why>" (it is recorded in the audit log with your name)`);
  }
  if (text.length > AUDIT_DEFAULTS.maxReasonLength) {
    throw new AuditError('reason-required', `--reason is longer than ${AUDIT_DEFAULTS.maxReasonLength} characters`);
  }
  return text;
}

/** Append one record; returns it with its id. */
export function recordAudit(db: Database.Database, entry: AuditEntry): AuditRecord {
  if (!entry || typeof entry !== 'object') throw new AuditError('invalid-entry', `audit entry must be an object, got ${String(entry)}`);
  if (!(AUDIT_ACTIONS as readonly string[]).includes(entry.action)) throw new AuditError('invalid-entry', `unknown audit action ${JSON.stringify(entry.action)}`);
  if (typeof entry.operator !== 'string' || entry.operator === '') throw new AuditError('invalid-entry', 'audit entry needs the operator name');
  if (entry.role !== null && !isRole(entry.role)) throw new AuditError('invalid-entry', `audit entry role ${JSON.stringify(entry.role)} is not a role`);
  if (typeof entry.target !== 'string' || entry.target === '') throw new AuditError('invalid-entry', 'audit entry needs a target');
  if (entry.outcome !== 'ok' && entry.outcome !== 'failed' && entry.outcome !== 'refused') throw new AuditError('invalid-entry', `audit outcome ${JSON.stringify(entry.outcome)} is not ok/failed/refused`);
  const at = entry.at ?? Date.now();
  if (!Number.isInteger(at) || at <= 0) throw new AuditError('invalid-entry', `audit time must be ms since the epoch, got ${String(entry.at)}`);
  // A refused attempt is recorded even without a reason: the refusal may be exactly that.
  const reason = SAFETY_ACTIONS.has(entry.action) && entry.outcome !== 'refused' ? requireReason(entry.action, entry.reason) : (entry.reason?.trim() || null);
  const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
  const info = db
    .prepare(
      `INSERT INTO audit_log (at, operator, role, action, target, reason, before_json, after_json, outcome, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(at, entry.operator, entry.role, entry.action, entry.target, reason, json(entry.before), json(entry.after), entry.outcome, entry.detail ?? null);
  return {
    id: Number(info.lastInsertRowid),
    at,
    operator: entry.operator,
    role: entry.role,
    action: entry.action,
    target: entry.target,
    reason,
    before: entry.before ?? null,
    after: entry.after ?? null,
    outcome: entry.outcome,
    detail: entry.detail ?? null,
  };
}

interface AuditRow {
  id: number;
  at: number;
  operator: string;
  role: string | null;
  action: string;
  target: string;
  reason: string | null;
  before_json: string | null;
  after_json: string | null;
  outcome: string;
  detail: string | null;
}

export function queryAudit(db: Database.Database, filter: AuditFilter = {}): AuditRecord[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.operator !== undefined) {
    where.push('operator = ?');
    args.push(filter.operator);
  }
  if (filter.action !== undefined) {
    where.push('action = ?');
    args.push(filter.action);
  }
  if (filter.target !== undefined) {
    if (filter.target.endsWith('*')) {
      // Prefix match without LIKE's own wildcards getting in the way.
      where.push('substr(target, 1, ?) = ?');
      const prefix = filter.target.slice(0, -1);
      args.push(prefix.length, prefix);
    } else {
      where.push('target = ?');
      args.push(filter.target);
    }
  }
  if (filter.since !== undefined) {
    where.push('at >= ?');
    args.push(filter.since);
  }
  if (filter.until !== undefined) {
    where.push('at <= ?');
    args.push(filter.until);
  }
  const limit = filter.limit ?? AUDIT_DEFAULTS.queryLimit;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`queryAudit: limit must be a positive integer, got ${String(filter.limit)}`);
  const order = filter.order === 'asc' ? 'ASC' : 'DESC';
  const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at ${order}, id ${order} LIMIT ?`;
  const rows = db.prepare(sql).all(...args, limit) as AuditRow[];
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    operator: r.operator,
    role: isRole(r.role) ? r.role : null,
    action: r.action as AuditAction,
    target: r.target,
    reason: r.reason,
    before: r.before_json === null ? null : JSON.parse(r.before_json),
    after: r.after_json === null ? null : JSON.parse(r.after_json),
    outcome: r.outcome as AuditOutcome,
    detail: r.detail,
  }));
}
