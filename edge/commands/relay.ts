// `minegate relay test <output>`: pulse one output through the running gateway's safety loop and
// check the relay module confirms it. Refused for an output a rule holds cut (the holds are named).
import type { Command } from 'commander';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, intOption, printJson, requireText, withGateway } from '../control/cli-support.js';
import type { RelayTestResult } from '../control/relay-test.js';
import { SAFETY_LOOP_DEFAULTS } from '../safety/safety-loop.js';
import { out } from './output.js';

export function registerRelay(program: Command): void {
  const relay = program.command('relay').description('relay module tests through the running gateway');
  addDataDir(
    relay
      .command('test')
      .description('pulse one output away from its current state and back; confirms the read-back')
      .argument('<output>', 'output id from the board config (e.g. siren, heading-power)')
      .option('-u, --user <name>', 'acting technician (or above)')
      .option('--reason <text>', 'why (recorded with your name)')
      .option('--pulse-ms <ms>', `pulse length, ${SAFETY_LOOP_DEFAULTS.minPulseMs}..${SAFETY_LOOP_DEFAULTS.maxPulseMs}`, '500')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  minegate relay test siren --user zhang --reason "weekly siren check" -d /var/lib/minegate
  minegate relay test heading-power --user zhang --reason "contactor check" --pulse-ms 1000
A power output is only ever pulsed off (a cut); one held cut by any rule is refused.\n${AUTH_HELP}`,
    )
    .action(async (output: string, o: CommonOptions & { reason?: string; pulseMs: string }) => {
      await withGateway('relay test', o.dataDir, async (client) => {
        const reason = requireText(o.reason, '--reason', '"weekly siren check"');
        const pulseMs = intOption(o.pulseMs, '--pulse-ms', SAFETY_LOOP_DEFAULTS.minPulseMs, SAFETY_LOOP_DEFAULTS.maxPulseMs)!;
        const auth = await credentials(o.user, 'technician');
        const r = await client.request<RelayTestResult>('relay.test', { output, reason, pulseMs }, { auth, timeoutMs: pulseMs + 15_000 });
        if (o.json) return printJson(r);
        const verb = r.pulsedTo ? 'energised' : 'cut';
        out(`${r.output} (${r.device}.${r.channel}) ${verb} for ${r.pulseMs} ms: ${r.pulse.confirmed ? 'confirmed' : `NOT confirmed (${r.pulse.error ?? 'read-back mismatch'})`}`);
        out(`handed back to the interlock engine (${r.handBack.energize ? 'on' : 'off'}): ${r.handBack.confirmed ? 'confirmed' : `NOT confirmed (${r.handBack.error ?? 'read-back mismatch'})`}`);
        if (!r.confirmed) process.exitCode = 1;
      });
    });
}
