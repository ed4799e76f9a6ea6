// `minegate events`: the safety event log (alarms, cuts, releases, remote commands, unlocks,
// calibrations), newest first — from the running gateway, or straight from its database
// (read-only) when no gateway runs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { mergeEvents, rejectedCommandEvents } from '../../sync/command-log.js';
import type { Command } from 'commander';
import { addDataDir, type CommonOptions, intOption, printJson, reportError, UsageError } from '../control/cli-support.js';
import { ControlClient } from '../control/client.js';
import { formatWall, parseSince } from '../control/durations.js';
import { ControlError } from '../control/errors.js';
import { isEventKind, SAFETY_EVENT_TYPES } from '../control/event-types.js';
import { eventQueryOf } from '../control/events-handler.js';
import type { SafetyEvent } from '../safety/events.js';
import { SafetyStore, safetyMigrations } from '../safety/store.js';
import { openDatabase } from '../store/database.js';
import { renderTable } from '../text-table.js';
import { out } from './output.js';

interface EventsOptions extends CommonOptions {
  since?: string;
  kind?: string;
  point?: string;
  limit?: string;
}

function renderEvents(events: readonly SafetyEvent[]): string {
  if (events.length === 0) return 'no safety events match';
  return renderTable(
    [{ header: 'time' }, { header: 'type' }, { header: 'point' }, { header: 'outputs' }, { header: 'by' }, { header: 'message' }],
    events.map((e) => [formatWall(e.wallTime), e.type, e.point ?? '', (e.outputs ?? []).join(', '), e.operator ?? '', e.message]),
  );
}

/** No gateway: read the store directly, read-only (never migrating or writing). */
function readStore(dataDir: string, args: Record<string, unknown>): SafetyEvent[] {
  const query = eventQueryOf(args);
  const db = openDatabase(join(dataDir, 'minegate.db'), { safety: safetyMigrations }, { readonly: true });
  let events: SafetyEvent[];
  try {
    events = new SafetyStore(db).events(query);
  } finally {
    db.close();
  }
  // Rejected platform commands are in the outbox file (when there is one), read-only too.
  const outbox = join(dataDir, 'outbox.db');
  if (!existsSync(outbox)) return events;
  const sync = new Database(outbox, { readonly: true, fileMustExist: true });
  try {
    return mergeEvents(events, rejectedCommandEvents(sync, query), query.limit ?? 50);
  } finally {
    sync.close();
  }
}

export function registerEvents(program: Command): void {
  addDataDir(
    program
      .command('events')
      .description('safety events (alarms, cuts, releases, remote cuts, unlocks, calibrations), newest first')
      .option('--since <time>', 'from this long ago (30m, 2h, 1d) or this date/time (2026-01-10T08:00)')
      .option('--kind <type>', `one event type, e.g. ${SAFETY_EVENT_TYPES.join(', ')}`)
      .option('--point <code>', 'events of one point')
      .option('--limit <n>', 'at most this many (default 50)')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  minegate events -d /var/lib/minegate --since 2h\n  minegate events -d /var/lib/minegate --kind remote-cut --json\n  minegate events -d /var/lib/minegate --point F001A01 --limit 20\n
Reads the running gateway; when none runs, the database in <data-dir> (read-only).
Exit codes: 0 done, 1 failed, 2 bad usage.`,
    )
    .action(async (o: EventsOptions) => {
      let client: ControlClient | undefined;
      try {
        const args: Record<string, unknown> = {};
        if (o.since !== undefined) args.sinceWall = parseSince(o.since, Date.now());
        if (o.kind !== undefined) {
          if (!isEventKind(o.kind)) throw new UsageError(`--kind must be an event type (${SAFETY_EVENT_TYPES.join(', ')}), got "${o.kind}"`);
          args.kind = o.kind;
        }
        if (o.point !== undefined) args.point = o.point;
        const limit = intOption(o.limit, '--limit', 1, 10_000);
        if (limit !== undefined) args.limit = limit;
        client = new ControlClient(o.dataDir);
        let events: SafetyEvent[];
        try {
          events = await client.request<SafetyEvent[]>('events', args);
        } catch (err) {
          if (!(err instanceof ControlError) || err.code !== 'NO_GATEWAY') throw err;
          events = readStore(o.dataDir, args);
          process.stderr.write(`minegate events: no gateway running on ${client.dataDir}; read from its database\n`);
        }
        if (o.json) printJson(events);
        else out(renderEvents(events));
      } catch (err) {
        reportError('events', err);
      } finally {
        client?.close();
      }
    });
}
