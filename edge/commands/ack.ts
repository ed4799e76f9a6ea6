// `minegate ack`: acknowledge the active alarms — the siren stops, the beacon stays on until the
// conditions clear, and a new alarm sounds again.
import type { Command } from 'commander';
import type { AlarmAckResult } from '../control/alarm-ack.js';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, printJson, withGateway } from '../control/cli-support.js';
import { out } from './output.js';

export function registerAck(program: Command): void {
  addDataDir(
    program
      .command('ack')
      .description('acknowledge active alarms (silences the siren; the beacon stays on)')
      .option('-u, --user <name>', 'acting technician (or above)')
      .option('--reason <text>', 'note for the audit log')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', `\nExample:\n  minegate ack --user zhang -d /var/lib/minegate\n${AUTH_HELP}`)
    .action(async (o: CommonOptions & { reason?: string }) => {
      await withGateway('ack', o.dataDir, async (client) => {
        const auth = await credentials(o.user, 'technician');
        const r = await client.request<AlarmAckResult>('ack', o.reason ? { reason: o.reason } : {}, { auth });
        if (o.json) return printJson(r);
        if (r.acknowledged.length === 0) return out('no active alarm to acknowledge');
        out(`${r.acknowledged.length} alarm(s) acknowledged:`);
        for (const a of r.acknowledged) out(`  [${a.severity}] ${a.key}: ${a.message}`);
      });
    });
}
