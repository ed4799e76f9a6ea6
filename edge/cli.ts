#!/usr/bin/env node
// minegate command line: what a technician types at the substation console.
// Exit codes: 0 success; 1 the check/command failed (invalid config, device did not answer);
// 2 bad usage (unknown command or option).
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ModbusDevice } from '../drivers/modbus-device.js';
import { boardConfigsDir, packageRoot } from '../board-configs/paths.js';
import { createMaster } from './bus-factory.js';
import { checkConfigFiles } from './config/check-command.js';
import { loadConfig } from './config/load-config.js';
import { systemClock } from './clock.js';
import { Gateway } from './gateway.js';
import { closeLogger, createLogger } from './log.js';
import { renderStatus } from './status-view.js';
import { renderTable } from './text-table.js';
import { runSimulator } from '../simulator/run.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface RunOptions {
  dataDir: string;
  duration?: number;
  refreshMs: number;
  logLevel: string;
}

/** Run the gateway until Ctrl-C (or --duration), redrawing the status table. */
async function runGateway(configFile: string, opts: RunOptions, before?: () => Promise<() => Promise<void>>): Promise<void> {
  const loaded = loadConfig(configFile);
  const dataDir = resolve(opts.dataDir);
  const logger = createLogger({ dataDir, level: opts.logLevel });
  const stopExtra = before ? await before() : async () => {};
  const gateway = new Gateway(loaded, { dataDir, logger });
  await gateway.start();
  const tty = process.stdout.isTTY;
  out(`minegate: ${loaded.config.substation.name} (${loaded.config.mine.name} ${loaded.config.mine.code}); data in ${dataDir}; Ctrl-C to stop`);
  const draw = (): void => {
    const text = renderStatus(gateway.status());
    // On a terminal redraw in place; in a pipe (CI, logs) print each refresh as its own block.
    if (tty) process.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString()}  minegate ${loaded.config.substation.code}\n\n${text}\n`);
    else out(`[status ${new Date().toISOString()}]\n${text}`);
  };
  const timer = setInterval(draw, opts.refreshMs);
  let stopping = false;
  await new Promise<void>((done) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (opts.duration) setTimeout(stop, opts.duration * 1000).unref();
  });
  clearInterval(timer);
  draw();
  await gateway.stop();
  await stopExtra();
  await closeLogger(logger);
  out('minegate: stopped cleanly');
}

function buildProgram(): Command {
  const program = new Command('minegate')
    .description('Edge gateway for an underground coal-mine substation (井下分站)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('run the gateway from a board config')
    .requiredOption('-c, --config <file>', 'substation board config (YAML)')
    .option('-d, --data-dir <dir>', 'data directory (SQLite store, logs)', './data')
    .option('--duration <seconds>', 'stop after this many seconds (tests, demos)', Number)
    .option('--refresh-ms <ms>', 'status refresh interval', Number, 1000)
    .option('--log-level <level>', 'log level for the JSON log file', 'info')
    .addHelpText('after', '\nExample:\n  minegate run --config board-configs/examples/demo-substation.yaml --data-dir /var/lib/minegate')
    .action(async (o: RunOptions & { config: string }) => runGateway(o.config, o));

  const config = program.command('config').description('board config tools');
  config
    .command('check')
    .description('validate board configs; prints file:line and field path for every mistake')
    .argument('<files...>', 'config files')
    .addHelpText('after', '\nExample:\n  minegate config check board-configs/examples/*.yaml')
    .action((files: string[]) => {
      process.exitCode = checkConfigFiles(files, out);
    });

  program
    .command('read')
    .description('read one point (or every point of a device) once, directly from the bus')
    .argument('<point-or-device>', 'point code or device id')
    .requiredOption('-c, --config <file>', 'substation board config (YAML)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  minegate read F001A01 -c board-configs/examples/demo-substation.yaml\n  minegate read ch4-t1 -c board-configs/examples/demo-substation.yaml --json')
    .action(async (target: string, o: { config: string; json?: boolean }) => {
      const loaded = loadConfig(o.config);
      const point = loaded.pointsByCode.get(target);
      const deviceCfg = loaded.devicesById.get(point ? point.device : target);
      if (!deviceCfg) {
        process.stderr.write(`minegate read: "${target}" is neither a point code nor a device id in ${o.config}\n`);
        process.exitCode = 1;
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
        process.stderr.write(`minegate read: ${deviceCfg.id} (unit ${deviceCfg.unit} on ${deviceCfg.bus}) did not answer: ${e.code ?? ''} ${e.message}\n`);
        process.exitCode = 1;
      } finally {
        await master.close();
      }
    });

  program
    .command('sim')
    .description('run the simulated substation (virtual sensors and relay modules speaking real Modbus)')
    .option('-s, --scenario <file>', 'scenario file', `${packageRoot()}/simulator/scenarios/demo.yaml`)
    .addHelpText('after', '\nExample:\n  minegate sim --scenario simulator/scenarios/faults.yaml')
    .action(async (o: { scenario: string }) => {
      const sim = await runSimulator(o.scenario, out);
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await sim.stop();
      out('simulator stopped');
    });

  program
    .command('demo')
    .description('the built-in simulated substation and the gateway, in one process (what `npm start` runs)')
    .option('-d, --data-dir <dir>', 'data directory', './data/demo')
    .option('--duration <seconds>', 'stop after this many seconds', Number)
    .option('--refresh-ms <ms>', 'status refresh interval', Number, 1000)
    .option('--log-level <level>', 'log level for the JSON log file', 'info')
    .action(async (o: RunOptions) => {
      const scenario = `${packageRoot()}/simulator/scenarios/demo.yaml`;
      await runGateway(`${boardConfigsDir()}/examples/demo-substation.yaml`, o, async () => {
        const sim = await runSimulator(scenario, (line: string) => out(`sim: ${line}`));
        return () => sim.stop();
      });
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const e = err as Error;
    process.stderr.write(`minegate: ${e.message}\n`);
    return 1;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

const exit = await main(process.argv);
process.exitCode = exit;
