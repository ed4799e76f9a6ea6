// `minegate run` and `minegate demo`: the gateway with a live status table until Ctrl-C.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { boardConfigsDir, packageRoot } from '../../board-configs/paths.js';
import { runSimulator } from '../../simulator/run.js';
import { startDemoPlatform } from '../../sync/demo-platform.js';
import { defaultCapabilities } from '../capabilities.js';
import type { Capability } from '../capability.js';
import { type LoadedConfig, loadConfig } from '../config/load-config.js';
import type { ControlHandler } from '../control/context.js';
import { assertNoGatewayRunning, ControlServer } from '../control/server.js';
import { Gateway } from '../gateway.js';
import { closeLogger, createLogger, type Logger } from '../log.js';
import { renderStatus } from '../status-view.js';
import { out } from './output.js';

interface RunOptions {
  dataDir: string;
  duration?: number;
  refreshMs: number;
  logLevel: string;
}

/** Something the gateway talks to upstream in the demo (broker + receiver): started before the gateway, stopped after it. */
type StartUpstream = (loaded: LoadedConfig, dataDir: string, logger: Logger) => Promise<{ loaded: LoadedConfig; capability: Capability; stop(): Promise<void> }>;

/** Run the gateway until Ctrl-C (or --duration), redrawing the status table. */
async function runGateway(configFile: string, opts: RunOptions, before?: () => Promise<() => Promise<void>>, upstream?: StartUpstream): Promise<void> {
  let loaded = loadConfig(configFile);
  const dataDir = resolve(opts.dataDir);
  // Before anything touches the buses: a second gateway on the same data dir would fight the first
  // one over the relay module.
  await assertNoGatewayRunning(dataDir);
  const logger = createLogger({ dataDir, level: opts.logLevel });
  const stopExtra = before ? await before() : async () => {};
  // Before the capabilities are chosen: the demo points the config's sync section at its own platform.
  const platform = upstream ? await upstream(loaded, dataDir, logger).catch(async (err: unknown) => {
    await stopExtra();
    await closeLogger(logger);
    throw err;
  }) : undefined;
  if (platform) loaded = platform.loaded;
  // Personnel positioning, electronic seals and upstream sync run when the config has their sections.
  const capabilities = [...defaultCapabilities(loaded), ...(platform ? [platform.capability] : [])];
  const gateway = new Gateway(loaded, { dataDir, logger, capabilities });
  await gateway.start();
  // Technician commands (status, cut, unlock, relay test …) act through this socket.
  const control = new ControlServer(gateway, { dataDir, logger });
  // Capabilities may bring commands of their own (sync status / sync now).
  for (const c of capabilities) for (const h of (c as { controlHandlers?(): ControlHandler[] }).controlHandlers?.() ?? []) control.register(h);
  try {
    await control.start();
  } catch (err) {
    await gateway.stop();
    await platform?.stop();
    await stopExtra();
    await closeLogger(logger);
    throw err;
  }
  const tty = process.stdout.isTTY;
  out(`minegate: ${loaded.config.substation.name} (${loaded.config.mine.name} ${loaded.config.mine.code}); data in ${dataDir}; Ctrl-C to stop`);
  const draw = (): void => {
    const text = renderStatus(gateway.status(), gateway.capabilitySections());
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
  await control.stop();
  await gateway.stop();
  await platform?.stop();
  await stopExtra();
  await closeLogger(logger);
  out('minegate: stopped cleanly');
}

export function registerRun(program: Command): void {
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

}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the built-in simulated substation and the gateway, in one process (what `npm start` runs)')
    .option('-d, --data-dir <dir>', 'data directory', './data/demo')
    .option('--duration <seconds>', 'stop after this many seconds', Number)
    .option('--refresh-ms <ms>', 'status refresh interval', Number, 1000)
    .option('--log-level <level>', 'log level for the JSON log file', 'info')
    .action(async (o: RunOptions) => {
      const scenario = `${packageRoot()}/simulator/scenarios/demo.yaml`;
      await runGateway(
        `${boardConfigsDir()}/examples/demo-substation.yaml`,
        o,
        async () => {
          const sim = await runSimulator(scenario, (line: string) => out(`sim: ${line}`));
          return () => sim.stop();
        },
        // "The platform": embedded MQTT 5 broker and reference receiver (files in <data-dir>/platform/).
        (loaded, dataDir, logger) => startDemoPlatform(loaded, dataDir, logger),
      );
    });
}
