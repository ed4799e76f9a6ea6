// `minegate sync status` and `minegate sync now`: the upstream link of the running gateway
// (connected?, backlog per lane, acked, drops, commands), through its control socket. With no
// gateway running, `sync status` reads the outbox file itself, read-only: what is waiting on disk.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatTime } from '../../core/mine-time.js';
import { readOutboxReport, type OutboxReport } from '../../sync/outbox-report.js';
import { LANES } from '../../sync/stream.js';
import { offlineSyncStatus, onlineSyncStatus } from '../../sync/sync-status-json.js';
import { renderUpstream, type UpstreamStatusJson } from '../../sync/sync-capability.js';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, printJson, READ_HELP, reportError, withGateway } from '../control/cli-support.js';
import { ControlClient } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import { renderTable } from '../text-table.js';
import { fail, out } from './output.js';

interface SyncStatusOptions extends CommonOptions {
  outbox?: string;
}

export function renderOutboxReport(r: OutboxReport): string {
  const lanes = LANES.map((l) => `${l} ${r.lanes[l].batches} batches/${r.lanes[l].records} records${r.lanes[l].oldestTime !== null ? ` (oldest ${formatTime(r.lanes[l].oldestTime!)})` : ''}`).join('; ');
  return [
    `no gateway running: outbox ${r.file} (read-only)`,
    `waiting: ${lanes}`,
    renderTable(
      [{ header: 'stream' }, { header: 'waiting batches', right: true }, { header: 'records', right: true }, { header: 'next seq', right: true }, { header: 'dropped', right: true }, { header: 'oldest waiting' }],
      r.streams.map((s) => [s.stream, String(s.waitingBatches), String(s.waitingRecords), String(s.nextSeq), String(s.droppedRecords), s.oldestTime === null ? '—' : formatTime(s.oldestTime)]),
    ),
    `acknowledged batches kept locally: ${r.historyBatches}`,
  ].join('\n');
}

export function registerSync(program: Command): void {
  const sync = program.command('sync').description('upstream store-and-forward: link state, backlog, snapshots now');
  addDataDir(
    sync
      .command('status')
      .description('upstream link and backlog of the running gateway (or of its outbox file when none runs)')
      .option('--outbox <file>', 'outbox file to read when no gateway runs (default <data-dir>/outbox.db)')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  minegate sync status -d /var/lib/minegate\n  minegate sync status -d /var/lib/minegate --json\n${READ_HELP}\nWith no gateway running, the outbox file is read directly (read-only).
--json prints schema "minegate.sync-status/1" (sync/README.md): the same keys with or without a running gateway.`,
    )
    .action(async (o: SyncStatusOptions) => {
      const client = new ControlClient(o.dataDir);
      try {
        const s = await client.request<UpstreamStatusJson>('sync.status');
        if (o.json) {
          // Per-stream state comes from the file, read here (read-only), not by the gateway.
          const file = o.outbox ?? join(resolve(o.dataDir), 'outbox.db');
          let report: OutboxReport | null = null;
          try {
            report = readOutboxReport(file);
          } catch {
            report = null;
          }
          printJson(onlineSyncStatus(s, report ? file : null, report));
        } else out(renderUpstream(s));
      } catch (err) {
        if (!(err instanceof ControlError) || err.code !== 'NO_GATEWAY') return reportError('sync status', err);
        const file = o.outbox ?? join(resolve(o.dataDir), 'outbox.db');
        try {
          const r = readOutboxReport(file);
          if (o.json) printJson(offlineSyncStatus(r));
          else out(renderOutboxReport(r));
        } catch (err2) {
          fail('sync status', `${err.message}; and the outbox ${file} cannot be read: ${(err2 as Error).message}`);
        }
      } finally {
        client.close();
      }
    });
  addDataDir(
    sync
      .command('now')
      .description('take every upstream snapshot now (CDSS, FZSS, RYSS, JZSS) and write it to the outbox')
      .option('-u, --user <name>', 'acting technician (or above)')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', `\nExample:\n  minegate sync now -d /var/lib/minegate --user zhang\n${AUTH_HELP}`)
    .action(async (o: CommonOptions) => {
      await withGateway('sync now', o.dataDir, async (client) => {
        const auth = await credentials(o.user, 'technician');
        const s = await client.request<UpstreamStatusJson>('sync.now', {}, { auth });
        if (o.json) return printJson(s);
        out('snapshots taken and written to the outbox');
        out(renderUpstream(s));
        if (!s.enabled) process.exitCode = 1;
      });
    });
}
