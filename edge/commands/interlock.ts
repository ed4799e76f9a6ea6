// `minegate interlock test <zone>`: a guided test of 甲烷电闭锁 / 风电闭锁. Prints the steps, then
// follows the gateway's test session through the control socket until the expected cut is proven
// (or the limit passes) and shows the timings; the gateway records pass/fail.
// `minegate interlock status`: zones with their last passed test, overdue after 15 days (AQ 1029-2019).
import type { Command } from 'commander';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, intOption, printJson, READ_HELP, requireText, UsageError, withGateway } from '../control/cli-support.js';
import type { ControlClient } from '../control/client.js';
import { formatWall, parseDuration } from '../control/durations.js';
import { INTERLOCK_KINDS, INTERLOCK_RECORD_DEFAULTS } from '../control/interlock-records.js';
import { INTERLOCK_TEST_DEFAULTS, type InterlockTestPlan, type InterlockTestState, type InterlockZoneStatus } from '../control/interlock-test.js';
import { renderTable } from '../text-table.js';
import { out } from './output.js';

export const INTERLOCK_CLI_DEFAULTS = { pollMs: 100 } as const;

interface TestOptions extends CommonOptions {
  reason?: string;
  kind: string;
  limitMs: string;
  wait: string;
}

function progressLines(prev: InterlockTestState | undefined, s: InterlockTestState): string[] {
  const lines: string[] = [];
  const since = (t: number | null): string => (t === null || s.trigger === null ? '' : ` (+${t - s.trigger.at} ms)`);
  if (s.trigger && !prev?.trigger) lines.push(`trigger: ${s.trigger.source} = ${s.trigger.value ?? '—'} read at ${formatWall(s.trigger.at)}`);
  if (s.cutAt !== null && prev?.cutAt == null) lines.push(`cut decision by the interlock${since(s.cutAt)}`);
  if (s.confirmedAt !== null && prev?.confirmedAt == null) lines.push(`relay module confirmed the zone cut${since(s.confirmedAt)}`);
  if (s.feedDeadAt !== null && prev?.feedDeadAt == null) lines.push(`feed sensors: load side dead${since(s.feedDeadAt)}`);
  return lines;
}

async function follow(client: ControlClient, session: string, onState: (s: InterlockTestState) => void, stopped: () => boolean): Promise<InterlockTestState> {
  for (;;) {
    const s = await client.request<InterlockTestState>('interlock.test.state', { session });
    onState(s);
    if (s.phase === 'done' || stopped()) return s;
    await new Promise((r) => setTimeout(r, INTERLOCK_CLI_DEFAULTS.pollMs));
  }
}

export function registerInterlock(program: Command): void {
  const interlock = program.command('interlock').description('interlock function tests (甲烷电闭锁 / 风电闭锁) through the running gateway');

  addDataDir(
    interlock
      .command('test')
      .description('guided interlock test of a zone: you raise test gas or stop the fan, the gateway times the cut')
      .argument('<zone>', 'zone id from the board config')
      .option('-u, --user <name>', 'acting technician (or above)')
      .option('--reason <text>', 'why (recorded with your name)')
      .option('--kind <kind>', `what to test: ${INTERLOCK_KINDS.join(' (甲烷电闭锁) or ')} (风电闭锁)`, 'methane')
      .option('--limit-ms <ms>', 'longest allowed execution time', String(INTERLOCK_TEST_DEFAULTS.limitMs))
      .option('--wait <duration>', 'how long to wait for the test gas / fan stop', '5m')
      .option('--json', 'print JSON (plan and result)'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  minegate interlock test heading-3101 --user zhang --reason "15-day interlock test" -d /var/lib/minegate
  minegate interlock test heading-3101 --kind fan --user zhang --reason "fan interlock test" --wait 10m
Ctrl-C aborts the test (recorded as aborted). Exit code 0 only when the test passed.\n${AUTH_HELP}`,
    )
    .action(async (zone: string, o: TestOptions) => {
      await withGateway('interlock test', o.dataDir, (client) => runInterlockTest(client, zone, o));
    });

  addDataDir(
    interlock
      .command('status')
      .description(`zones with their last passed interlock test; overdue after ${INTERLOCK_RECORD_DEFAULTS.periodDays} days (AQ 1029-2019)`)
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', `\nExample:\n  minegate interlock status -d /var/lib/minegate\n${READ_HELP}`)
    .action(async (o: CommonOptions) => {
      await withGateway('interlock status', o.dataDir, async (client) => {
        const rows = await client.request<InterlockZoneStatus[]>('interlock.status');
        if (o.json) return printJson(rows);
        if (rows.length === 0) return out('no zone with an interlock to test in this config');
        out(
          renderTable(
            [{ header: 'zone' }, { header: 'name' }, { header: 'test' }, { header: 'last passed' }, { header: 'last attempt' }, { header: 'due' }, { header: 'state' }],
            rows.map((r) => [
              r.zone,
              r.name,
              r.kind === 'methane' ? 'methane (甲烷电闭锁)' : 'fan (风电闭锁)',
              formatWall(r.lastPassAt),
              r.lastAttempt ? `${r.lastAttempt.outcome} ${formatWall(r.lastAttempt.at)} by ${r.lastAttempt.operator}` : 'never',
              formatWall(r.dueAt),
              r.overdue ? 'OVERDUE' : 'ok',
            ]),
          ),
        );
      });
    });
}

/** `interlock test`: start the session, follow it to its verdict, print it (exit 1 unless it passed). */
async function runInterlockTest(client: ControlClient, zone: string, o: TestOptions): Promise<void> {
  const reason = requireText(o.reason, '--reason', '"15-day interlock test"');
  if (!(INTERLOCK_KINDS as readonly string[]).includes(o.kind)) throw new UsageError(`--kind must be one of ${INTERLOCK_KINDS.join(', ')}, got "${o.kind}"`);
  const limitMs = intOption(o.limitMs, '--limit-ms', 100, 60_000)!;
  const waitMs = parseDuration(o.wait);
  const auth = await credentials(o.user, 'technician');
  const plan = await client.request<InterlockTestPlan>('interlock.test.start', { zone, kind: o.kind, reason, limitMs, waitMs }, { auth });
  if (!o.json) {
    out(`interlock test ${plan.session}: ${plan.kind === 'methane' ? '甲烷电闭锁' : '风电闭锁'} of zone ${plan.zone} (${plan.outputs.join(', ')})`);
    plan.steps.forEach((step, i) => out(`  ${i + 1}. ${step}`));
    out(`waiting up to ${Math.round(plan.waitMs / 1000)} s for the trigger…`);
  }
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  let last: InterlockTestState | undefined;
  try {
    last = await follow(
      client,
      plan.session,
      (s) => {
        if (!o.json) for (const line of progressLines(last, s)) out(line);
        last = s;
      },
      () => interrupted,
    );
    if (interrupted && last.phase !== 'done') last = await client.request<InterlockTestState>('interlock.test.abort', { session: plan.session }, { auth });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  if (o.json) printJson({ plan, result: last });
  else {
    const verdict = last.outcome === 'pass' ? 'PASS' : last.outcome === 'fail' ? 'FAIL' : (last.outcome ?? 'unfinished').toUpperCase();
    out(`${verdict}: ${last.detail ?? ''}`);
    if (last.executionMs !== null) out(`execution time ${last.executionMs} ms (limit ${last.limitMs} ms, resolution ${last.resolutionMs} ms)`);
    out(last.recordId !== null ? `recorded as interlock test #${last.recordId}` : 'NOT recorded: see the gateway log');
  }
  if (last.outcome !== 'pass') process.exitCode = 1;
}
