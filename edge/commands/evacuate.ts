// `minegate evacuate start <area...>`, `evacuate stand-down`, `evacuate ack <area>` (叫应 taken by
// an operator) and `minegate alarm clear <id>` (SOS, cloned card): the personnel engine's operator
// commands, through the running gateway. The engine's refusals (not in
// personnel.evacuation.operators, unknown area, no evacuation running) come back as they are.
import type { Command } from 'commander';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, printJson, requireText, withGateway } from '../control/cli-support.js';
import { formatWall } from '../control/durations.js';
import type { EvacuationView } from '../personnel/engine.js';
import { out } from './output.js';

interface Options extends CommonOptions {
  reason?: string;
}

function subcommand(parent: Command, name: string, description: string, role: string): Command {
  return addDataDir(
    parent
      .command(name)
      .description(description)
      .option('-u, --user <name>', `acting ${role}`)
      .option('--reason <text>', 'why (recorded with your name)')
      .option('--json', 'print JSON'),
  );
}

export function renderEvacuation(v: EvacuationView): string {
  const lines = [`evacuation ${v.id} since ${formatWall(v.startedWall)}: ${v.insideCount} still inside${v.complete ? ' (complete: everyone out)' : ''}`];
  for (const a of v.areas) {
    const ack = a.acknowledged ? `叫应 by ${a.acknowledged.by} (${a.acknowledged.via}) at ${formatWall(a.acknowledged.wall)}` : `叫应 awaited from ${a.responsible ?? '(no responsible person)'} until ${formatWall(a.ackDeadlineWall)}`;
    lines.push(`  ${a.area}: ${ack}`);
  }
  return lines.join('\n');
}

export function registerEvacuate(program: Command): void {
  const evacuate = program.command('evacuate').description('start, acknowledge (叫应) or stand down an evacuation (personnel positioning)');
  subcommand(evacuate, 'start', 'evacuate areas: warning outputs on, 叫应 requested from each area', 'technician (or above)')
    .argument('<area...>', 'area ids from personnel.areas (e.g. heading-face heading-roadway)')
    .addHelpText('after', `\nExample:\n  minegate evacuate start heading-face heading-roadway --user zhang --reason "CH4 rising at T1, smell of smoke"\n${AUTH_HELP}`)
    .action(async (areas: string[], o: Options) => {
      await withGateway('evacuate start', o.dataDir, async (client) => {
        const reason = requireText(o.reason, '--reason', '"smoke in the return"');
        const auth = await credentials(o.user, 'technician');
        const v = await client.request<EvacuationView>('evacuate.start', { areas, reason }, { auth });
        if (o.json) return printJson(v);
        out(renderEvacuation(v));
      });
    });
  subcommand(evacuate, 'stand-down', 'end the running evacuation (safety officer)', 'safety officer')
    .addHelpText('after', `\nExample:\n  minegate evacuate stand-down --user chief --reason "CH4 back to 0.3 %, checked by hand"\n${AUTH_HELP}`)
    .action(async (o: Options) => {
      await withGateway('evacuate stand-down', o.dataDir, async (client) => {
        const reason = requireText(o.reason, '--reason', '"all clear"');
        const auth = await credentials(o.user, 'safety-officer');
        const r = await client.request<{ id: string; areas: string[]; insideCount: number }>('evacuate.stand-down', { reason }, { auth });
        if (o.json) return printJson(r);
        out(`evacuation ${r.id} stood down (${r.areas.join(', ')})${r.insideCount > 0 ? `; ${r.insideCount} still inside` : ''}`);
      });
    });
  subcommand(evacuate, 'ack', '叫应: acknowledge an area\'s evacuation on behalf of its responsible person (by phone, radio)', 'technician (or above)')
    .argument('<area>', 'evacuated area id')
    .addHelpText('after', `\nExample:\n  minegate evacuate ack heading-face --user zhang --reason "team leader Li answered on the phone at the face"\n${AUTH_HELP}`)
    .action(async (area: string, o: Options) => {
      await withGateway('evacuate ack', o.dataDir, async (client) => {
        const auth = await credentials(o.user, 'technician');
        const r = await client.request<{ area: string; acknowledged: boolean; by: string }>('evacuate.ack', { area, ...(o.reason ? { reason: o.reason } : {}) }, { auth });
        if (o.json) return printJson(r);
        out(r.acknowledged ? `叫应 of ${r.area} recorded (by ${r.by})` : `${r.area} was already acknowledged`);
      });
    });

  const alarm = program.command('alarm').description('alarms that need a person: clear an SOS or a cloned-card alarm after dealing with it');
  subcommand(alarm, 'clear', 'clear a personnel SOS or cloned-card alarm (they never end by themselves)', 'technician (or above)')
    .argument('<id>', 'alarm key as `minegate status` shows it, e.g. sos:1001')
    .addHelpText('after', `\nExample:\n  minegate alarm clear sos:1001 --user zhang --reason "spoke to him at the pump room: pressed by mistake"\n${AUTH_HELP}`)
    .action(async (id: string, o: Options) => {
      await withGateway('alarm clear', o.dataDir, async (client) => {
        const reason = requireText(o.reason, '--reason', '"pressed by mistake, checked on the phone"');
        const auth = await credentials(o.user, 'technician');
        const r = await client.request<{ id: string }>('alarm.clear', { id, reason }, { auth });
        if (o.json) return printJson(r);
        out(`alarm ${r.id} cleared`);
      });
    });
}
