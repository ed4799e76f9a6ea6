// `minegate unlock <fan>`: manual unlock of a local fan's lock (interlock clause e), through the
// running gateway. The engine refuses while the lock condition still holds.
import type { Command } from 'commander';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, printJson, requireText, withGateway } from '../control/cli-support.js';
import type { FanUnlockResult } from '../control/fan-unlock.js';
import { out } from './output.js';

export function registerUnlock(program: Command): void {
  addDataDir(
    program
      .command('unlock')
      .description('manually unlock a local fan lock (safety officer listed in safety.unlockOperators)')
      .argument('<fan>', 'local fan id from safety.localFans')
      .option('-u, --user <name>', 'acting safety officer')
      .option('--reason <text>', 'why (recorded with your name)')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', `\nExample:\n  minegate unlock fan-3101 --user chief --reason "CH4 0.3 % measured by hand at the fan, restart approved" -d /var/lib/minegate\n${AUTH_HELP}`)
    .action(async (fan: string, o: CommonOptions & { reason?: string }) => {
      await withGateway('unlock', o.dataDir, async (client) => {
        const reason = requireText(o.reason, '--reason', '"CH4 checked by hand"');
        const auth = await credentials(o.user, 'safety-officer');
        const r = await client.request<FanUnlockResult>('fan.unlock', { fan, reason }, { auth });
        if (o.json) return printJson(r);
        out(`fan lock of ${r.fan} released`);
        for (const [output, s] of Object.entries(r.fanOutput)) {
          out(s.holds.length > 0 ? `${output} still held by ${s.holds.join(', ')} (e.g. the restart permit needs CH4 ≤ 0.5 % at the fan)` : `${output}: power permitted`);
        }
      });
    });
}
