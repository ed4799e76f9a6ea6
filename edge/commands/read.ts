// `minegate read`: one point or device, once, straight from the bus (no running gateway needed).
import type { Command } from 'commander';
import { ModbusDevice } from '../../drivers/modbus-device.js';
import { createMaster } from '../bus-factory.js';
import { systemClock } from '../../core/clock.js';
import { loadConfig } from '../config/load-config.js';
import { renderTable } from '../text-table.js';
import { fail, out } from './output.js';
import { configOption } from '../locations.js';

export function registerRead(program: Command): void {
  program
    .command('read')
    .description('read one point (or every point of a device) once, directly from the bus')
    .argument('<point-or-device>', 'point code or device id')
    .addOption(configOption('substation board config (YAML)'))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  minegate read F001A01 -c board-configs/examples/demo-substation.yaml\n  minegate read ch4-t1 -c board-configs/examples/demo-substation.yaml --json')
    .action(async (target: string, o: { config: string; json?: boolean }) => {
      const loaded = loadConfig(o.config);
      const point = loaded.pointsByCode.get(target);
      const deviceCfg = loaded.devicesById.get(point ? point.device : target);
      if (!deviceCfg) {
        fail('read', `"${target}" is neither a point code nor a device id in ${o.config}`);
        return;
      }
      const device = new ModbusDevice(deviceCfg, loaded.profiles.get(deviceCfg.profile)!, loaded.config.points);
      const master = createMaster(loaded.busesById.get(deviceCfg.bus)!);
      try {
        await master.open();
        const readings = (await device.poll(master, systemClock)).filter((r) => !point || r.point === point.code);
        if (o.json) out(JSON.stringify(readings));
        else
          out(renderTable(
            [{ header: 'point' }, { header: 'value', right: true }, { header: 'unit' }, { header: 'quality' }, { header: 'raw' }],
            readings.map((r) => [r.point, r.value === null ? '—' : String(r.value), r.unit, r.quality, r.raw.join(' ')]),
          ));
      } catch (err) {
        const e = err as Error & { code?: string };
        fail('read', `${deviceCfg.id} (unit ${deviceCfg.unit} on ${deviceCfg.bus}) did not answer: ${e.code ?? ''} ${e.message}`);
      } finally {
        await master.close();
      }
    });
}
