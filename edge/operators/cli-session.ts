// What every audited CLI action does first: authenticate the operator, open the audit log (an
// action that cannot be recorded is not done), and record refusals too, so a string of wrong
// passwords against the relay module shows up in the log.
import type Database from 'better-sqlite3';
import { type AuditEntry, type AuditRecord, openAuditDatabase, recordAudit } from './audit.js';
import { authorizeFromCli } from './cli-credentials.js';
import { OperatorError } from './operator-error.js';
import type { Operator } from './operator-store.js';
import type { Role } from './roles.js';

export interface CliSession {
  readonly operator: Operator;
  /** Append an audit record as this operator. */
  record(entry: Omit<AuditEntry, 'operator' | 'role'>): AuditRecord;
  close(): void;
}

/**
 * Authorise `user` for `needRole` and open the audit log in `dataDir`. On a failed authorisation
 * an 'auth-refused' record naming `what` is written (best effort) and the OperatorError rethrown.
 */
export async function openCliSession(dataDir: string, user: string | undefined, needRole: Role, what: string): Promise<CliSession> {
  let operator: Operator;
  try {
    operator = await authorizeFromCli(dataDir, user, needRole);
  } catch (err) {
    if (err instanceof OperatorError && (err.code === 'bad-credentials' || err.code === 'insufficient-role') && user) {
      recordRefusal(dataDir, user, what, err.message);
    }
    throw err;
  }
  const db = openAuditDatabase(dataDir);
  return sessionFor(db, operator);
}

function sessionFor(db: Database.Database, operator: Operator): CliSession {
  return {
    operator,
    record: (entry) => recordAudit(db, { ...entry, operator: operator.name, role: operator.role }),
    close: () => db.close(),
  };
}

function recordRefusal(dataDir: string, user: string, what: string, why: string): void {
  try {
    const db = openAuditDatabase(dataDir);
    try {
      recordAudit(db, { operator: user, role: null, action: 'auth-refused', target: what, outcome: 'refused', detail: why });
    } finally {
      db.close();
    }
  } catch {
    // The refusal itself stands; an unwritable log is reported by `minegate doctor`.
  }
}

/** Open the audit log for an action whose actor was authorised some other way (first account). */
export function sessionWithoutLogin(dataDir: string, operator: Operator): CliSession {
  return sessionFor(openAuditDatabase(dataDir), operator);
}
