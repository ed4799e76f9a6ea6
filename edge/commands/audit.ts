// `minegate audit`: the audit log, newest first, filtered — from the running gateway, or straight
// from its database (read-only) when none runs.
import { join } from 'node:path';
import type { Command } from 'commander';
import { readAudit } from '../control/audit-handler.js';
import { addDataDir, type CommonOptions, intOption, printJson, reportError } from '../control/cli-support.js';
import { ControlClient } from '../control/client.js';
import { formatWall, parseSince } from '../control/durations.js';
import { ControlError } from '../control/errors.js';
import { AUDIT_ACTIONS, auditMigrations, type AuditRecord } from '../operators/audit.js';
import { openDatabase } from '../store/database.js';
import { renderTable } from '../text-table.js';
import { out } from './output.js';

interface AuditOptions extends CommonOptions {
  since?: string;
  action?: string;
  operator?: string;
  target?: string;
  limit?: string;
}

function renderAudit(records: readonly AuditRecord[]): string {
  if (records.length === 0) return 'no audit records match';
  return renderTable(
    [{ header: 'time' }, { header: 'operator' }, { header: 'role' }, { header: 'action' }, { header: 'target' }, { header: 'outcome' }, { header: 'reason' }],
    records.map((r) => [formatWall(r.at), r.operator, r.role ?? '', r.action, r.target, r.outcome, r.reason ?? r.detail ?? '']),
  );
}

export function registerAudit(program: Command): void {
  addDataDir(
    program
      .command('audit')
      .description('the audit log: who did what, when and why (writes, cuts, unlocks, evacuations, reloads …), newest first')
      .option('--since <time>', 'from this long ago (30m, 2h, 1d) or this date/time (2026-01-10T08:00, mine time +08:00 unless a zone is given)')
      .option('--action <action>', `one action: ${AUDIT_ACTIONS.join(', ')}`)
      .option('--operator <name>', 'one operator')
      .option('--target <target>', 'one target, or a prefix ending in * (e.g. "zone:*")')
      .option('--limit <n>', 'at most this many (default 50)')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', `\nExamples:\n  minegate audit --since 1d\n  minegate audit --action evacuation-start --json\n  minegate audit --operator chief --target "zone:*"\n
Reads the running gateway; when none runs, the database in <data-dir> (read-only).
Exit codes: 0 done, 1 failed, 2 bad usage.`)
    .action(async (o: AuditOptions) => {
      let client: ControlClient | undefined;
      try {
        const args: Record<string, unknown> = {};
        if (o.since !== undefined) args.sinceWall = parseSince(o.since, Date.now());
        if (o.action !== undefined) {
          if (!(AUDIT_ACTIONS as readonly string[]).includes(o.action)) throw new RangeError(`--action must be one of ${AUDIT_ACTIONS.join(', ')}, got "${o.action}"`);
          args.action = o.action;
        }
        if (o.operator !== undefined) args.operator = o.operator;
        if (o.target !== undefined) args.target = o.target;
        const limit = intOption(o.limit, '--limit', 1, 10_000);
        if (limit !== undefined) args.limit = limit;
        client = new ControlClient(o.dataDir);
        let records: AuditRecord[];
        try {
          records = await client.request<AuditRecord[]>('audit', args);
        } catch (err) {
          if (!(err instanceof ControlError) || err.code !== 'NO_GATEWAY') throw err;
          const db = openDatabase(join(client.dataDir, 'minegate.db'), { audit: auditMigrations }, { readonly: true });
          try {
            records = readAudit(db, args);
          } finally {
            db.close();
          }
          process.stderr.write(`minegate audit: no gateway running on ${client.dataDir}; read from its database\n`);
        }
        if (o.json) printJson(records);
        else out(renderAudit(records));
      } catch (err) {
        reportError('audit', err);
      } finally {
        client?.close();
      }
    });
}
