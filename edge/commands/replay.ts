// `minegate replay`: recorded readings (the gateway's database, or a CSV file) through the safety
// rules of a config, printing the alarm / cut / release timeline. Nothing is actuated and nothing
// is written: the engine runs without outputs or journal, the database is opened read-only. Use
// it to check a config change against last week's gas data, or to explain a past cut-off.
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { formatWall, parseMineTime } from '../control/durations.js';
import { ReplayOrderError, REPLAY_DEFAULTS, replaySafety, type ReplayResult } from '../safety/replay.js';
import { recordedReadings, ReplayInputError } from '../safety/replay-sources.js';
import { renderTable } from '../text-table.js';
import { EXIT, fail, out } from './output.js';
import { configOption } from '../locations.js';

interface ReplayCliOptions {
  config: string;
  from: string;
  since?: string;
  until?: string;
  cycleMs: string;
  coldStart?: boolean;
  integrity?: boolean;
  json?: boolean;
}

function parseTime(text: string, option: string): number {
  // Mine time unless the text names a zone (one time rule, like events --since and export --from).
  const t = /^\d+$/.test(text) ? Number(text) : parseMineTime(text);
  if (!Number.isFinite(t)) throw new RangeError(`${option} "${text}" is not a date/time in mine time (2026-01-10T08:00, +08:00 unless a zone is given) or ms since the epoch`);
  return t;
}

function render(result: ReplayResult, from: string): string {
  if (result.readings === 0) return `${from}: no recorded readings in the window`;
  const lines = [
    `replay of ${from}: ${result.readings} readings, ${formatWall(result.from)} → ${formatWall(result.to)}, ${result.cycles} evaluations; outputs not touched`,
  ];
  if (result.unknownPoints.length > 0) lines.push(`ignored (not in the config): ${result.unknownPoints.join(', ')}`);
  lines.push('');
  lines.push(
    result.timeline.length === 0
      ? 'no alarm, cut or release in this recording'
      : renderTable(
          [{ header: 'time' }, { header: '+s', right: true }, { header: 'event' }, { header: 'rule / alarm' }, { header: 'point' }, { header: 'value', right: true }, { header: 'outputs' }, { header: 'message' }],
          result.timeline.map((e) => [
            formatWall(e.wallTime),
            (e.offsetMs / 1000).toFixed(1),
            e.type,
            e.rule ?? e.alarm ?? '',
            e.point ?? '',
            e.value === undefined || e.value === null ? '' : String(e.value),
            (e.outputs ?? []).join(', '),
            e.message,
          ]),
        ),
  );
  lines.push('');
  lines.push(`at the end: ${result.holds.length === 0 ? 'no hold' : `holds ${[...new Set(result.holds.map((h) => `${h.output} ← ${h.key}`))].join('; ')}`}`);
  lines.push(`            ${result.alarms.length === 0 ? 'no alarm' : `alarms ${result.alarms.map((a) => a.key).join(', ')}`}`);
  return lines.join('\n');
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('run recorded readings through the safety rules and print the alarm / cut / release timeline (outputs untouched)')
    .addOption(configOption('substation board config whose rules to apply'))
    .requiredOption('--from <db|csv>', 'a gateway database (minegate.db) or a CSV file with time,point,value[,quality]')
    .option('--since <time>', 'only readings from this date/time (2026-01-10T08:00, mine time +08:00 unless a zone is given)')
    .option('--until <time>', 'only readings before this date/time')
    .option('--cycle-ms <ms>', 'evaluation period on the recording\'s clock', String(REPLAY_DEFAULTS.cycleMs))
    .option('--cold-start', 'replay as a gateway start (every output cut until its points are read)')
    .option('--integrity', 'run the sensor-integrity checks too (frozen value, sudden drop, calibration age, gaps)')
    .option('--json', 'print the whole result as JSON')
    .addHelpText(
      'after',
      `\nExamples:
  minegate replay -c board-configs/examples/demo-substation.yaml --from /var/lib/minegate/minegate.db --since 2026-01-10T08:00
  minegate replay -c new-thresholds.yaml --from gas-2026-01-10.csv --json

CSV: a header naming time, point, value (and optionally quality), then one reading per line, oldest
first; time is ISO 8601 or ms since the epoch. Exit codes: 0 done, 1 failed, 2 bad usage.`,
    )
    .action(async (o: ReplayCliOptions) => {
      try {
        const cycleMs = Number(o.cycleMs);
        if (!Number.isInteger(cycleMs) || cycleMs < 10 || cycleMs > 60_000) throw new RangeError(`--cycle-ms must be an integer 10..60000, got "${o.cycleMs}"`);
        const window: { fromMs?: number; toMs?: number } = {};
        if (o.since !== undefined) window.fromMs = parseTime(o.since, '--since');
        if (o.until !== undefined) window.toMs = parseTime(o.until, '--until');
        const loaded = loadConfig(o.config);
        const result = await replaySafety(loaded.config, recordedReadings(o.from, window), {
          cycleMs,
          freshnessMs: (code) => loaded.freshnessMs(code),
          coldStart: o.coldStart ?? false,
          integrity: o.integrity ?? false,
        });
        out(o.json ? JSON.stringify(result, null, 2) : render(result, o.from));
      } catch (err) {
        if (err instanceof RangeError) return fail('replay', err.message, EXIT.usage);
        if (err instanceof ConfigError) {
          for (const issue of err.issues) out(`${issue.file}:${issue.line}:${issue.column}  ${issue.path}  ${issue.message}`);
          return fail('replay', `${o.config} is not a valid config (${err.issues.length} issue${err.issues.length === 1 ? '' : 's'})`);
        }
        if (err instanceof ReplayInputError || err instanceof ReplayOrderError) return fail('replay', err.message);
        fail('replay', err instanceof Error ? err.message : String(err));
      }
    });
}
