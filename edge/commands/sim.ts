// `minegate sim`: the simulated substation on its own.
import type { Command } from 'commander';
import { packageRoot } from '../../board-configs/paths.js';
import { runSimulator } from '../../simulator/run.js';
import { out, untilInterrupted } from './output.js';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('run the simulated substation (virtual sensors and relay modules speaking real Modbus)')
    .option('-s, --scenario <file>', 'scenario file', `${packageRoot()}/simulator/scenarios/demo.yaml`)
    .addHelpText('after', '\nExample:\n  minegate sim --scenario simulator/scenarios/faults.yaml')
    .action(async (o: { scenario: string }) => {
      const sim = await runSimulator(o.scenario, out);
      await untilInterrupted();
      await sim.stop();
      out('simulator stopped');
    });
}
