// `audit`: the audit log (who did what, when, why, before/after) as data, filtered. Read through the
// running gateway's own connection; the CLI falls back to the database file (read-only) when no
// gateway runs, like `events`.
import type Database from 'better-sqlite3';
import { AUDIT_ACTIONS, type AuditAction, type AuditFilter, type AuditRecord, queryAudit } from '../operators/audit.js';
import { optionalIntArg, optionalStringArg } from './args.js';
import type { ControlHandler } from './context.js';
import { ControlError } from './errors.js';

export const AUDIT_QUERY_DEFAULTS = { limit: 50, maxLimit: 10_000 } as const;

/** Request args → an audit filter (shared with the CLI's read-only fallback). */
export function auditFilterOf(args: Record<string, unknown>): AuditFilter {
  const filter: AuditFilter = { limit: optionalIntArg(args, 'limit', 1, AUDIT_QUERY_DEFAULTS.maxLimit) ?? AUDIT_QUERY_DEFAULTS.limit, order: 'desc' };
  const action = optionalStringArg(args, 'action');
  if (action !== undefined) {
    if (!(AUDIT_ACTIONS as readonly string[]).includes(action)) throw new ControlError('BAD_REQUEST', `action must be one of ${AUDIT_ACTIONS.join(', ')}, got ${JSON.stringify(action)}`);
    filter.action = action as AuditAction;
  }
  const operator = optionalStringArg(args, 'operator');
  if (operator !== undefined) filter.operator = operator;
  const target = optionalStringArg(args, 'target');
  if (target !== undefined) filter.target = target;
  const since = optionalIntArg(args, 'sinceWall', 0, Number.MAX_SAFE_INTEGER);
  if (since !== undefined) filter.since = since;
  return filter;
}

export function readAudit(db: Database.Database, args: Record<string, unknown>): AuditRecord[] {
  return queryAudit(db, auditFilterOf(args));
}

export const auditHandler: ControlHandler = {
  command: 'audit',
  // Who acted on the substation is for everyone on the control-room group to see.
  role: 'viewer',
  handle: (args, { db }): AuditRecord[] => readAudit(db, args),
};
