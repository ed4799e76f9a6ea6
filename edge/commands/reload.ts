// `minegate reload`: apply the edited config to the running gateway and say what happened —
// applied, refused (with the reasons: a loosening without a safety officer, a config that failed to
// start) or invalid (each problem as file:line:col). Exit 0 only when applied. The request goes
// through the control socket; the command then waits for the outcome its request caused, across the
// socket's restart. -c, when given, must name the file the gateway runs from (another file would be
// silently ignored). With --user a safety officer's confirmation of a loosening is recorded — for
// the exact bytes of the file, and only when the file validates.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { addDataDir, type CommonOptions, printJson, UsageError, withGateway } from '../control/cli-support.js';
import type { ControlClient } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import { openCliSession } from '../operators/cli-session.js';
import { configDigest, writeConfirmation } from '../reload-confirmation.js';
import { describeOutcome, type ReloadOutcome, type ReloadStatus, validate } from '../reload-control.js';
import { EXIT, out } from './output.js';

interface ReloadOptions extends CommonOptions {
  config?: string;
  reason?: string;
  timeoutS: string;
}

export const RELOAD_DEFAULTS = {
  /** A reload stops and starts the gateway's parts: seconds, not minutes. */
  timeoutS: 60,
  /** How often the command asks whether the outcome is in (the socket is down while reloading). */
  pollMs: 200,
} as const;

export function registerReload(program: Command): void {
  addDataDir(
    program
      .command('reload')
      .description('apply the edited config to the running gateway and report the outcome; --user confirms a change that loosens an interlock')
      .option('-c, --config <file>', 'the config file the gateway runs from (checked: another file is refused)')
      .option('-u, --user <name>', 'safety officer confirming a loosening change (password from MINEGATE_PASSWORD or a prompt)')
      .option('--reason <text>', 'why the interlock may be loosened (recorded with your name)')
      .option('--timeout-s <s>', 'how long to wait for the outcome', String(RELOAD_DEFAULTS.timeoutS))
      .option('--json', 'print the outcome as JSON'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  minegate reload\n  minegate reload -c /etc/minegate/minegate.yaml -d /var/lib/minegate\n  minegate reload --user chief --reason "T2 moved to the return, approved by the chief engineer"
Exit codes: 0 applied; 1 refused, invalid, or no gateway; 2 bad usage (e.g. -c names another file).`,
    )
    .action(async (o: ReloadOptions) => {
      await withGateway('reload', o.dataDir, async (client) => {
        const timeoutS = Number(o.timeoutS);
        if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout-s must be a positive number of seconds, got "${o.timeoutS}"`);
        const before = await client.request<ReloadStatus>('reload.status');
        if (o.config !== undefined && resolve(o.config) !== before.configFile) {
          throw new UsageError(`-c ${resolve(o.config)} is not the file this gateway runs from (${before.configFile}): edit that file, or restart the gateway with the other one`);
        }
        if (o.user) {
          if (!o.reason?.trim()) throw new UsageError('--reason is required with --user, e.g. --reason "approved by the chief engineer"');
          // A confirmation is for a file that can be applied: a broken one is reported, nothing recorded.
          const problems = validate(before.configFile);
          if (problems.length > 0) return report({ seq: 0, at: Date.now(), verdict: 'invalid', reasons: problems, loosening: [] }, o);
          const text = readFileSync(before.configFile, 'utf8');
          const session = await openCliSession(client.dataDir, o.user, 'safety-officer', `config:${before.configFile}`);
          try {
            writeConfirmation(client.dataDir, { configSha256: configDigest(text), operator: session.operator.name, reason: o.reason.trim(), at: Date.now() });
            session.record({ action: 'config-change', target: `config:${before.configFile}`, reason: o.reason.trim(), outcome: 'ok', detail: `reload confirmed for sha256 ${configDigest(text)}` });
          } finally {
            session.close();
          }
          if (!o.json) out(`confirmation recorded for ${before.configFile} by ${session.operator.name} (valid 10 minutes, this file content only)`);
        }
        let awaitSeq = before.seq + 1;
        try {
          awaitSeq = (await client.request<{ awaitSeq: number }>('reload')).awaitSeq;
        } catch (err) {
          // The gateway may close the socket for the reload before its answer is out: that is the reload.
          if (!(err instanceof ControlError) || err.code !== 'CONNECTION_LOST') throw err;
        }
        report(await waitForOutcome(client, awaitSeq, timeoutS * 1000), o);
      });
    });
}

async function waitForOutcome(client: ControlClient, seq: number, timeoutMs: number): Promise<ReloadOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const s = await client.request<ReloadStatus>('reload.status', {}, { timeoutMs: Math.max(1, Math.min(5_000, deadline - Date.now())) });
      if (s.last && s.last.seq >= seq) return s.last;
    } catch (err) {
      // While reloading the control socket is down for a moment.
      if (!(err instanceof ControlError) || !['NO_GATEWAY', 'CONNECTION_LOST', 'TIMEOUT'].includes(err.code)) throw err;
    }
    if (Date.now() >= deadline) throw new ControlError('TIMEOUT', `no reload outcome within ${Math.round(timeoutMs / 1000)} s: see the gateway log and \`minegate status\``);
    await new Promise((r) => setTimeout(r, RELOAD_DEFAULTS.pollMs));
  }
}

function report(outcome: ReloadOutcome, o: ReloadOptions): void {
  if (o.json) printJson(outcome);
  else if (outcome.verdict === 'applied') out(describeOutcome(outcome));
  else process.stderr.write(`minegate reload: ${describeOutcome(outcome)}\n`);
  if (outcome.verdict !== 'applied') process.exitCode = EXIT.failed;
}
