// `minegate status`: the live table of the running gateway (points, devices, outputs, holds,
// alarms, remote cuts, calibrations), read through its control socket.
import type { Command } from 'commander';
import { addDataDir, type CommonOptions, intOption, printJson, READ_HELP, withGateway } from '../control/cli-support.js';
import { formatDuration, formatWall } from '../control/durations.js';
import type { ControlStatus } from '../control/status-handler.js';
import { renderStatus, type StatusSection } from '../status-view.js';
import { renderTable } from '../text-table.js';
import { out } from './output.js';

export function renderControlStatus(s: ControlStatus): string {
  const extra: StatusSection[] = [];
  // One row per hold (a hold on several outputs is one condition).
  const byKey = new Map<string, { outputs: string[]; reason: string; sinceWall: number; clause: string }>();
  for (const h of s.status.holds) {
    const row = byKey.get(h.key) ?? { outputs: [], reason: h.reason, sinceWall: h.sinceWall, clause: h.clause };
    row.outputs.push(h.output);
    byKey.set(h.key, row);
  }
  extra.push({
    title: 'holds:',
    body:
      byKey.size === 0
        ? '  none: every power output is permitted'
        : renderTable(
            [{ header: 'hold' }, { header: 'outputs' }, { header: 'since' }, { header: 'reason' }],
            [...byKey].map(([key, h]) => [key, h.outputs.join(', '), formatWall(h.sinceWall), h.reason]),
          ),
  });
  if (s.remoteCuts.length > 0) {
    extra.push({
      title: 'remote cuts (异地断电):',
      body: renderTable(
        [{ header: 'id' }, { header: 'outputs' }, { header: 'authority' }, { header: 'by' }, { header: 'expires in', right: true }, { header: 'reason' }],
        s.remoteCuts.map((c) => [c.id, c.outputs.join(', '), c.authority, c.operator, formatDuration(c.remainingMs), c.reason]),
      ),
    });
  }
  if (s.calibrating.length > 0) extra.push({ title: 'calibrating (values still drive protection):', body: `  ${s.calibrating.join(', ')}` });
  for (const section of s.sections ?? []) extra.push({ title: section.title, body: section.body });
  const head = `${s.substation.code} ${s.substation.name} (${s.mine.name} ${s.mine.code})  ${formatWall(s.wallTime)}`;
  return `${head}\n\n${renderStatus(s.status, extra)}`;
}

export function registerStatus(program: Command): void {
  addDataDir(
    program
      .command('status')
      .description('live status of the running gateway: points, outputs, holds, alarms, remote cuts')
      .option('--watch', 'refresh until Ctrl-C (on a terminal in place; in a pipe one block per refresh)')
      .option('--refresh-ms <ms>', 'with --watch: refresh interval (>= 200)', '1000')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', `\nExamples:\n  minegate status -d /var/lib/minegate\n  minegate status -d /var/lib/minegate --json\n  minegate status --watch --refresh-ms 2000\n${READ_HELP}`)
    .action(async (o: CommonOptions & { watch?: boolean; refreshMs: string }) => {
      await withGateway('status', o.dataDir, async (client) => {
        const refreshMs = intOption(o.refreshMs, '--refresh-ms', 200, 3_600_000)!;
        const show = async (): Promise<void> => {
          const s = await client.request<ControlStatus>('status');
          if (o.json) printJson(s);
          else if (o.watch && process.stdout.isTTY) process.stdout.write(`\x1b[H\x1b[2J${renderControlStatus(s)}\n`);
          else out(renderControlStatus(s));
        };
        await show();
        if (!o.watch) return;
        let stop = false;
        process.once('SIGINT', () => (stop = true));
        process.once('SIGTERM', () => (stop = true));
        while (!stop) {
          await new Promise((r) => setTimeout(r, refreshMs));
          if (!stop) await show();
        }
      });
    });
}
