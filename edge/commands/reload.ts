// `minegate reload`: apply an edited config to the running gateway (the same as SIGHUP). A change
// that loosens an interlock needs a safety officer: with --user, the confirmation is recorded for
// the file's exact contents (audited) before the gateway is signalled.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openCliSession } from '../operators/cli-session.js';
import { configDigest, pidFile, writeConfirmation } from '../reload-confirmation.js';
import { fail, out } from './output.js';

interface ReloadOptions {
  config: string;
  dataDir: string;
  user?: string;
  reason?: string;
}

export function registerReload(program: Command): void {
  program
    .command('reload')
    .description('apply the edited config to the running gateway (SIGHUP); --user confirms a change that loosens an interlock')
    .requiredOption('-c, --config <file>', 'the config file the gateway runs from')
    .option('-d, --data-dir <dir>', 'gateway data directory', './data')
    .option('-u, --user <name>', 'safety officer confirming a loosening change (password from MINEGATE_PASSWORD or a prompt)')
    .option('--reason <text>', 'why the interlock may be loosened (recorded with your name)')
    .addHelpText('after', '\nExamples:\n  minegate reload -c /etc/minegate/substation.yaml -d /var/lib/minegate\n  minegate reload -c /etc/minegate/substation.yaml -d /var/lib/minegate --user chief --reason "T2 moved to the return, approved by the chief engineer"')
    .action(async (o: ReloadOptions) => {
      const dataDir = resolve(o.dataDir);
      const pidPath = pidFile(dataDir);
      if (!existsSync(pidPath)) return fail('reload', `no gateway is running on ${dataDir} (no ${pidPath}): start it with minegate run`);
      const pid = Number(readFileSync(pidPath, 'utf8').trim());
      if (o.user) {
        if (!o.reason?.trim()) return fail('reload', '--reason is required with --user, e.g. --reason "approved by the chief engineer"', 2);
        const text = readFileSync(o.config, 'utf8');
        const session = await openCliSession(dataDir, o.user, 'safety-officer', `config:${o.config}`);
        try {
          writeConfirmation(dataDir, { configSha256: configDigest(text), operator: session.operator.name, reason: o.reason.trim(), at: Date.now() });
          session.record({ action: 'config-change', target: `config:${resolve(o.config)}`, reason: o.reason.trim(), outcome: 'ok', detail: `reload confirmed for sha256 ${configDigest(text)}` });
        } finally {
          session.close();
        }
        out(`confirmation recorded for ${o.config} by ${session.operator.name} (valid 10 minutes, this file content only)`);
      }
      try {
        process.kill(pid, 'SIGHUP');
      } catch (err) {
        return fail('reload', `could not signal gateway pid ${pid}: ${(err as Error).message}`);
      }
      out(`reload requested (SIGHUP to pid ${pid}); the outcome is in the gateway log and \`minegate status\``);
    });
}
