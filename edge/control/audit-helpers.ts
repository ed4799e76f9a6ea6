// Auditing from handlers: a done action whose record cannot be written is reported as such
// (AUDIT_FAILED, the action named) instead of looking like a failure to retry; a refusal is
// recorded best effort and the refusal itself goes back to the technician unchanged.
import type { AuditEntry, AuditRecord } from '../operators/audit.js';
import type { ControlContext } from './context.js';
import { ControlError } from './errors.js';

type Entry = Omit<AuditEntry, 'operator' | 'role'>;

export function auditDone(ctx: ControlContext, entry: Entry, done: string): AuditRecord {
  try {
    return ctx.audit(entry);
  } catch (err) {
    ctx.log.error({ err: (err as Error).message, action: entry.action, target: entry.target }, 'audit record not written');
    throw new ControlError('AUDIT_FAILED', `${done}, but the audit record could not be written: ${(err as Error).message}`);
  }
}

export function auditRefused(ctx: ControlContext, entry: Omit<Entry, 'outcome'>): void {
  try {
    ctx.audit({ ...entry, outcome: 'refused' });
  } catch (err) {
    ctx.log.error({ err: (err as Error).message, action: entry.action, target: entry.target }, 'refusal not recorded in the audit log');
  }
}
