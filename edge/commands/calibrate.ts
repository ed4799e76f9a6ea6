// `minegate calibrate <point> start|end`: mark a sensor calibration (调校) on the running gateway.
// The point's values are flagged 'calibrating' and still drive protection; at `end` the engine
// records the calibration date (a methane sensor older than 15 days raises an alarm).
import type { Command } from 'commander';
import type { CalibrationResult } from '../control/calibration.js';
import { addDataDir, AUTH_HELP, type CommonOptions, credentials, printJson, requireText, UsageError, withGateway } from '../control/cli-support.js';
import { formatWall } from '../control/durations.js';
import { out } from './output.js';

export function registerCalibrate(program: Command): void {
  addDataDir(
    program
      .command('calibrate')
      .description('mark the start or end of a sensor calibration (values still drive protection)')
      .argument('<point>', 'point code (e.g. F001A01)')
      .argument('<phase>', 'start or end')
      .option('-u, --user <name>', 'acting technician (or above)')
      .option('--gas <text>', 'calibration gas, e.g. "2.0% CH4"')
      .option('--reason <text>', 'why (recorded with your name)')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  minegate calibrate F001A01 start --user zhang --gas "2.0% CH4" --reason "15-day calibration" -d /var/lib/minegate
  minegate calibrate F001A01 end --user zhang --gas "2.0% CH4" --reason "15-day calibration" -d /var/lib/minegate
Test gas above the cut-off cuts power during calibration, as it must.\n${AUTH_HELP}`,
    )
    .action(async (point: string, phase: string, o: CommonOptions & { gas?: string; reason?: string }) => {
      await withGateway('calibrate', o.dataDir, async (client) => {
        if (phase !== 'start' && phase !== 'end') throw new UsageError(`phase must be start or end, got "${phase}"`);
        const gas = requireText(o.gas, '--gas', '"2.0% CH4"');
        const reason = requireText(o.reason, '--reason', '"15-day calibration"');
        const auth = await credentials(o.user, 'technician');
        const r = await client.request<CalibrationResult>('calibrate', { point, phase, gas, reason }, { auth, timeoutMs: 60_000 });
        if (o.json) return printJson(r);
        if (r.phase === 'start') {
          out(`${r.point} marked calibrating with ${r.gas}; its values still drive protection (last calibration: ${formatWall(r.previousCalibration)})`);
          out(`when done: minegate calibrate ${r.point} end --user <you> --gas "${r.gas}" --reason "<why>"`);
        } else if (r.calibratedAt !== null) out(`${r.point} calibration ended; calibration date recorded: ${formatWall(r.calibratedAt)}`);
        else if (r.checkedByEngine) out(`${r.point} calibration ended; the date is recorded with its next reading (none arrived yet: check the sensor answers)`);
        else out(`${r.point} calibration ended (recorded in the audit log; the engine does not check this point's calibration age)`);
      });
    });
}
