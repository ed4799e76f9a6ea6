// `minegate seal mode <shaft-mouth> producing|stopped`: switch a shaft mouth's electronic seal mode
// at runtime (stopped = 停产: any crossing or power use alarms), through the running gateway.
import type { Command } from 'commander';
import { SEAL_MODES } from '../../board-configs/seal-schema.js';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, printJson, requireText, UsageError, withGateway } from '../control/cli-support.js';
import type { SealModeResult } from '../control/seal-commands.js';
import { out } from './output.js';

export function registerSeal(program: Command): void {
  const seal = program.command('seal').description('electronic seals (电子封条)');
  addDataDir(
    seal
      .command('mode')
      .description('switch a shaft mouth between producing and stopped (safety officer)')
      .argument('<shaft-mouth>', 'shaft mouth id from seals.shaftMouths')
      .argument('<mode>', SEAL_MODES.join(' | '))
      .option('-u, --user <name>', 'acting safety officer')
      .option('--reason <text>', 'why (recorded with your name)')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', `\nExample:\n  minegate seal mode main-shaft stopped --user chief --reason "production stopped by order 2026-17"\n${AUTH_HELP}`)
    .action(async (shaftMouth: string, mode: string, o: CommonOptions & { reason?: string }) => {
      await withGateway('seal mode', o.dataDir, async (client) => {
        if (!(SEAL_MODES as readonly string[]).includes(mode)) throw new UsageError(`mode must be ${SEAL_MODES.join(' or ')}, got "${mode}"`);
        const reason = requireText(o.reason, '--reason', '"production stopped by order 17"');
        const auth = await credentials(o.user, 'safety-officer');
        const r = await client.request<SealModeResult>('seal.mode', { shaftMouth, mode, reason }, { auth });
        if (o.json) return printJson(r);
        out(r.changed ? `${r.shaftMouth} is now ${r.mode}` : `${r.shaftMouth} already was ${r.mode}`);
      });
    });
}
