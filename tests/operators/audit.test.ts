// The audit log in a real SQLite file: what a record holds, that safety actions need a reason,
// that nothing can be changed or deleted afterwards, and that it shares the gateway's file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditError, openAuditDatabase, queryAudit, recordAudit } from '../../edge/operators/audit.js';
import { appliedMigrations, openDatabase } from '../../edge/store/database.js';
import { readingMigrations } from '../../edge/store/reading-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('audit log', () => {
  it('records who, when, what, why, before and after, and reads them back after reopening', () => {
    let db = openAuditDatabase(dir);
    const rec = recordAudit(db, {
      at: 1_700_000_000_000,
      operator: 'tech',
      role: 'technician',
      action: 'board-param',
      target: 'ch4-t1.unit-id',
      reason: 'renumbering the heading line',
      before: { value: 1 },
      after: { value: 7 },
      outcome: 'ok',
      detail: 'verified at unit 7',
    });
    expect(rec.id).toBeGreaterThan(0);
    db.close();
    db = openAuditDatabase(dir);
    const rows = queryAudit(db);
    db.close();
    expect(rows).toEqual([
      {
        id: rec.id,
        at: 1_700_000_000_000,
        operator: 'tech',
        role: 'technician',
        action: 'board-param',
        target: 'ch4-t1.unit-id',
        reason: 'renumbering the heading line',
        before: { value: 1 },
        after: { value: 7 },
        outcome: 'ok',
        detail: 'verified at unit 7',
      },
    ]);
  });

  it('refuses a safety action without a reason, but records refusals and account changes without one', () => {
    const db = openAuditDatabase(dir);
    try {
      for (const reason of [undefined, '', '   ']) {
        const err = (() => {
          try {
            recordAudit(db, { operator: 'tech', role: 'technician', action: 'write', target: 'relay-1.coil0', outcome: 'ok', ...(reason === undefined ? {} : { reason }) });
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(err).toBeInstanceOf(AuditError);
        expect((err as AuditError).code).toBe('reason-required');
      }
      recordAudit(db, { operator: 'nobody', role: null, action: 'auth-refused', target: 'board set ch4-t1', outcome: 'refused' });
      recordAudit(db, { operator: 'chief', role: 'safety-officer', action: 'operator-change', target: 'operator:tech', outcome: 'ok' });
      expect(queryAudit(db).map((r) => r.action)).toEqual(['operator-change', 'auth-refused']);
    } finally {
      db.close();
    }
  });

  it('is append-only: UPDATE and DELETE are refused by the database', () => {
    const db = openAuditDatabase(dir);
    try {
      recordAudit(db, { operator: 'tech', role: 'technician', action: 'calibration', target: 'ch4-t1.zero', reason: 'monthly', outcome: 'ok' });
      expect(() => db.prepare("UPDATE audit_log SET operator = 'someone-else'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      expect(queryAudit(db)[0]!.operator).toBe('tech');
    } finally {
      db.close();
    }
  });

  it('filters by operator, action, target prefix and time, newest first by default', () => {
    const db = openAuditDatabase(dir);
    try {
      const base = { role: 'technician' as const, reason: 'r', outcome: 'ok' as const };
      recordAudit(db, { ...base, at: 1000, operator: 'a1', action: 'write', target: 'relay-1.coil0' });
      recordAudit(db, { ...base, at: 2000, operator: 'b2', action: 'board-param', target: 'ch4-t1.zero' });
      recordAudit(db, { ...base, at: 3000, operator: 'a1', action: 'board-param', target: 'ch4-t1.span' });
      recordAudit(db, { ...base, at: 4000, operator: 'a1', action: 'board-param', target: 'ch4-t10.span' });
      expect(queryAudit(db, { operator: 'a1' }).map((r) => r.at)).toEqual([4000, 3000, 1000]);
      expect(queryAudit(db, { target: 'ch4-t1.*', order: 'asc' }).map((r) => r.target)).toEqual(['ch4-t1.zero', 'ch4-t1.span']);
      expect(queryAudit(db, { action: 'board-param', since: 2500, until: 3500 }).map((r) => r.at)).toEqual([3000]);
      expect(queryAudit(db, { limit: 1 }).map((r) => r.at)).toEqual([4000]);
    } finally {
      db.close();
    }
  });

  it("lives in the gateway's minegate.db next to the readings, each component migrated on its own", () => {
    const file = join(dir, 'minegate.db');
    openDatabase(file, { store: readingMigrations }).close();
    const db = openAuditDatabase(dir);
    try {
      const applied = appliedMigrations(db);
      expect(applied.get('store')).toEqual(readingMigrations.map((m) => m.version));
      expect(applied.get('audit')).toEqual([1]);
    } finally {
      db.close();
    }
  });
});
