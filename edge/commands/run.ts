// `minegate run` and `minegate demo`: the gateway with a live status table until Ctrl-C.
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { boardConfigsDir, packageRoot } from '../../board-configs/paths.js';
import { runSimulator } from '../../simulator/run.js';
import { readSimWorld, writeSimWorld } from '../../simulator/world-state.js';
import { startDemoPlatform } from '../../sync/demo-platform.js';
import { defaultCapabilities } from '../capabilities.js';
import type { Capability } from '../capability.js';
import { type LoadedConfig, loadConfig } from '../config/load-config.js';
import { assertNoGatewayRunning, ControlServer } from '../control/server.js';
import type { Gateway } from '../gateway.js';
import { GatewaySupervisor } from '../gateway-supervisor.js';
import { MetricsCapability } from '../metrics-capability.js';
import { DashboardCapability } from '../dashboard/dashboard-capability.js';
import { DASHBOARD_DEFAULTS } from '../../board-configs/dashboard-schema.js';
import { FaultInjectCapability } from '../fault-inject-capability.js';
import { installProcessGuard } from '../process-guard.js';
import { pidFile } from '../reload-confirmation.js';
import { closeLogger, createLogger, type Logger } from '../log.js';
import { clip, renderLiveScreen } from '../live-screen.js';
import { statusChanges, statusFacts, type StatusFacts } from '../status-changes.js';
import { describeOutcome, ReloadTracker } from '../reload-control.js';
import { dataDirOption, LOCATIONS, configOption } from '../locations.js';
import { UsageError } from '../control/cli-support.js';
import { formatWall } from '../control/durations.js';
import { out } from './output.js';

/** Below this a refresh is a busy loop (--refresh-ms 0 printed ~75k lines/s). */
export const MIN_REFRESH_MS = 200;

/** In the demo's data dir: where the simulated world stood when the demo stopped. */
export const DEMO_WORLD_FILE = 'demo-world.json';

interface RunOptions {
  dataDir: string;
  duration?: number;
  refreshMs: string | number;
  logLevel: string;
  /** Prometheus metrics on 127.0.0.1:<port>; off unless given. */
  metricsPort?: number;
  /** The web dashboard on 127.0.0.1:<port> (over the config's `dashboard:` port); the demo's default is on. */
  dashboardPort?: number;
  /** The demo's default port: when taken (a second demo, a test run), a free one, printed. */
  dashboardFallback?: boolean;
}

/** Something the gateway talks to upstream in the demo (broker + receiver): started before the gateway, stopped after it. */
type StartUpstream = (loaded: LoadedConfig, dataDir: string, logger: Logger) => Promise<{ loaded: LoadedConfig; pointAt(loaded: LoadedConfig): LoadedConfig; capability: Capability; stop(): Promise<void> }>;

/** The refresh interval, or UsageError naming the bad option (before anything starts). */
function checkRunOptions(opts: RunOptions): number {
  const refreshMs = Number(opts.refreshMs);
  if (!Number.isInteger(refreshMs) || refreshMs < MIN_REFRESH_MS) throw new UsageError(`--refresh-ms must be an integer >= ${MIN_REFRESH_MS}, got "${String(opts.refreshMs)}"`);
  if (opts.metricsPort !== undefined && (!Number.isInteger(opts.metricsPort) || opts.metricsPort < 0 || opts.metricsPort > 65535)) throw new UsageError(`--metrics-port must be a port 0..65535, got "${String(opts.metricsPort)}"`);
  if (opts.dashboardPort !== undefined && (!Number.isInteger(opts.dashboardPort) || opts.dashboardPort < 0 || opts.dashboardPort > 65535)) throw new UsageError(`--dashboard-port must be a port 0..65535, got "${String(opts.dashboardPort)}"`);
  return refreshMs;
}

/**
 * From here on, a fault nobody caught drives the fail-safe outputs and exits 70 within 2 s.
 * `supervised` is read at fault time: the supervisor does not exist yet when the guard goes in.
 */
function guardProcess(logger: Logger, supervised: () => GatewaySupervisor | undefined): () => void {
  const current = (): Gateway | undefined => {
    try {
      return supervised()?.current;
    } catch {
      return undefined; // not started yet, or between two gateways of a reload
    }
  };
  return installProcessGuard({
    logger,
    failSafe: async (reason) => current()?.failSafe(reason),
    settleRecords: async (timeoutMs) => current()?.settleRecords(timeoutMs) ?? true,
  });
}

/**
 * Technician commands (status, cut, unlock, relay test …) act through the control socket; it
 * follows the gateway across reloads. Reload outcomes are kept across the socket's restarts:
 * `minegate reload` waits for its own.
 */
function controlChannel(supervisor: GatewaySupervisor, dataDir: string, logger: Logger): { reloads: ReloadTracker; start(gateway: Gateway): Promise<void>; stop(): Promise<void> } {
  let control: ControlServer | undefined;
  const reloads = new ReloadTracker(supervisor, async (reload) => {
    await control?.stop();
    control = undefined;
    try {
      return await reload();
    } finally {
      await start(supervisor.current).catch((err: Error) => logger.error({ err: err.message }, 'control socket did not come back after reload'));
    }
  }, (o) => out(`minegate: ${describeOutcome(o)}`));
  const start = async (gateway: Gateway): Promise<void> => {
    const c = new ControlServer(gateway, { dataDir, logger });
    // Capabilities may bring commands of their own (sync status / sync now).
    for (const cap of gateway.capabilityList()) for (const h of cap.controlHandlers?.() ?? []) c.register(h);
    for (const h of reloads.handlers()) c.register(h);
    await c.start();
    control = c;
  };
  return { reloads, start, stop: async () => control?.stop() };
}

/** Draws the status each refresh: the live screen on a terminal, changed facts as lines otherwise. */
function statusDrawer(supervisor: GatewaySupervisor): (final?: boolean) => void {
  const tty = process.stdout.isTTY;
  let facts: StatusFacts | undefined;
  return (final = false): void => {
    const gateway = supervisor.current;
    const status = gateway.status();
    // On a terminal redraw in place. Not a terminal (systemd, a pipe): one line per change, never
    // the whole block each refresh; the full status is `minegate status`.
    if (tty) {
      const size = { rows: process.stdout.rows || 24, columns: process.stdout.columns || 80 };
      const text = renderLiveScreen(status, gateway.capabilitySections(), size);
      // No newline after the last line: a full screen must not scroll its first line away.
      process.stdout.write(`\x1b[H\x1b[2J${clip(`${formatWall(Date.now())}  minegate ${gateway.loaded.config.substation.code} ${gateway.loaded.config.substation.name}`, size.columns)}\n\n${text}`);
      return;
    }
    const next = statusFacts(status);
    const lines = facts ? statusChanges(facts, next) : [...next.facts.values()].map((t) => `  ${t}`);
    if (!facts) out(`minegate: ${next.facts.size === 0 ? 'no alarm, no hold, every device online' : `${next.facts.size} condition(s) at start:`}`);
    facts = next;
    for (const l of lines) out(`${formatWall(Date.now())} ${l}`);
    if (final) out(`minegate: ${status.alarms.length} safety alarm(s), ${new Set(status.holds.map((h) => h.key)).size} hold(s) at stop`);
  };
}

/** Resolves on Ctrl-C, SIGTERM or after `durationS` seconds, whichever comes first. */
function untilStopped(durationS: number | undefined): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (durationS) setTimeout(stop, durationS * 1000).unref();
  });
}

/** Run the gateway until Ctrl-C (or --duration), redrawing the status table; SIGHUP reloads the config. */
async function runGateway(configFile: string, opts: RunOptions, before?: (dataDir: string) => Promise<() => Promise<void>>, upstream?: StartUpstream): Promise<void> {
  const refreshMs = checkRunOptions(opts);
  const first = loadConfig(configFile);
  const dataDir = resolve(opts.dataDir);
  // Before anything touches the buses: a second gateway on the same data dir would fight the first
  // one over the relay module.
  await assertNoGatewayRunning(dataDir);
  // Test/commissioning hook (README): checked before anything starts, so a typo is a plain error.
  const injection = FaultInjectCapability.fromEnv();
  const logger = createLogger({ dataDir, level: opts.logLevel });
  let guarded: GatewaySupervisor | undefined;
  const removeGuard = guardProcess(logger, () => guarded);
  const stopExtra = before ? await before(dataDir) : async () => {};
  // Before the capabilities are chosen: the demo points the config's sync section at its own platform.
  const platform = upstream ? await upstream(first, dataDir, logger).catch(async (err: unknown) => {
    await stopExtra();
    await closeLogger(logger);
    removeGuard();
    throw err;
  }) : undefined;
  let metricsBound: number | undefined;
  let dashboardBound: number | undefined;
  // Personnel positioning, electronic seals and upstream sync run when the config has their sections;
  // they are built anew for every (re)loaded config.
  const capabilitiesFor = (loaded: LoadedConfig): Capability[] => [
    // After a reload the dashboard keeps the port it got first (--dashboard-port 0 too): open pages reconnect.
    ...defaultCapabilities(loaded, opts.dashboardPort !== undefined || loaded.config.dashboard !== undefined ? { dashboard: { port: dashboardBound ?? opts.dashboardPort ?? loaded.config.dashboard?.port, fallbackToFreePort: dashboardBound === undefined && opts.dashboardFallback === true } } : {}),
    ...(platform ? [platform.capability] : []),
    // After a reload the new gateway's endpoint binds the port the first one got (--metrics-port 0 too).
    ...(opts.metricsPort !== undefined ? [new MetricsCapability({ port: metricsBound ?? opts.metricsPort })] : []),
    ...(injection ? [new FaultInjectCapability(injection.injection)] : []),
  ];
  // The demo points every (re)loaded version of the file at its own platform, so edits do apply.
  const supervisor = new GatewaySupervisor(configFile, { dataDir, logger, capabilities: capabilitiesFor, prepare: platform ? (l) => platform.pointAt(l) : undefined });
  guarded = supervisor;
  const stopAll = async (): Promise<void> => {
    await supervisor.stop();
    await platform?.stop();
    await stopExtra();
    rmSync(pidFile(dataDir), { force: true });
    await closeLogger(logger);
    removeGuard();
  };
  const control = controlChannel(supervisor, dataDir, logger);
  try {
    await control.start(await supervisor.start());
  } catch (err) {
    await stopAll();
    throw err;
  }
  writeFileSync(pidFile(dataDir), `${process.pid}\n`);
  const title = (): string => {
    const { config } = supervisor.current.loaded;
    return `${config.substation.name} (${config.mine.name} ${config.mine.code})`;
  };
  out(`minegate: ${title()}; data in ${dataDir}; Ctrl-C to stop, SIGHUP (minegate reload) to apply an edited config`);
  // The address actually bound (--metrics-port 0 picks a free one): scrapers and tests read it here.
  const metrics = supervisor.current.capabilityList().find((c): c is MetricsCapability => c instanceof MetricsCapability);
  metricsBound = metrics?.port;
  if (metrics?.url) out(`minegate: metrics on ${metrics.url}, health on ${metrics.url.replace(/\/metrics$/, '/healthz')}`);
  const dashboard = supervisor.current.capabilityList().find((c): c is DashboardCapability => c instanceof DashboardCapability);
  dashboardBound = dashboard?.port;
  if (dashboard?.url) out(`minegate: dashboard on ${dashboard.url}`);
  const draw = statusDrawer(supervisor);
  const timer = setInterval(draw, refreshMs);
  const onHangup = (): void => {
    void control.reloads.reload();
  };
  process.on('SIGHUP', onHangup);
  await untilStopped(opts.duration);
  process.off('SIGHUP', onHangup);
  clearInterval(timer);
  draw(true);
  await control.stop();
  await stopAll();
  out('minegate: stopped cleanly');
}

/**
 * The demo's simulated sensors are exact and were set up when the simulator started: record that instant as
 * their calibration date, so the demo does not open with "no calibration date recorded" warnings
 * for every gas and airflow point (issue 14: no false alarm at start-up). A real config records the
 * technician's dates in safety.integrity.calibrations; the overdue check still runs on these.
 */
function calibratedToday(loaded: LoadedConfig): LoadedConfig {
  const now = new Date().toISOString();
  const integrity = loaded.config.safety.integrity;
  const calibrations = { ...Object.fromEntries(loaded.config.points.map((p) => [p.code, now])), ...integrity.calibrations };
  const safety = Object.freeze({ ...loaded.config.safety, integrity: Object.freeze({ ...integrity, calibrations }) });
  return { ...loaded, config: Object.freeze({ ...loaded.config, safety }) };
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the gateway from a board config')
    .addOption(configOption())
    .addOption(dataDirOption('data directory (SQLite store, logs)'))
    .option('--duration <seconds>', 'stop after this many seconds (tests, demos)', Number)
    .option('--refresh-ms <ms>', `status refresh interval (>= ${MIN_REFRESH_MS}); not a terminal: change lines only`, '1000')
    .option('--log-level <level>', 'log level for the JSON log file', 'info')
    .option('--metrics-port <port>', 'serve Prometheus metrics and /healthz on 127.0.0.1:<port> (0: a free port, printed at start)', Number)
    .option('--dashboard-port <port>', 'serve the web dashboard on <port> (over the config\'s dashboard: section; 0: a free port, printed at start)', Number)
    .addHelpText('after', '\nExample:\n  minegate run --config board-configs/examples/demo-substation.yaml --data-dir /var/lib/minegate --metrics-port 9464')
    .action(async (o: RunOptions & { config: string }) => runGateway(o.config, o));

}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the built-in simulated substation and the gateway, in one process (what `npm start` runs)')
    // Not MINEGATE_DATA_DIR: that names the real gateway's data, which the demo must never touch.
    .option('-d, --data-dir <dir>', 'data directory', LOCATIONS.demoDataDir)
    .option('--duration <seconds>', 'stop after this many seconds', Number)
    .option('--refresh-ms <ms>', `status refresh interval (>= ${MIN_REFRESH_MS})`, '1000')
    .option('--log-level <level>', 'log level for the JSON log file', 'info')
    .option('--metrics-port <port>', 'serve Prometheus metrics and /healthz on 127.0.0.1:<port> (0: a free port, printed at start)', Number)
    .option('--dashboard-port <port>', `the web dashboard on 127.0.0.1:<port> (default ${DASHBOARD_DEFAULTS.port}, a free one if taken; 0: a free port; the URL is printed at start)`, Number)
    .addHelpText('after', '\nExample:\n  minegate demo --metrics-port 9464   # then: curl -s 127.0.0.1:9464/metrics; curl -s 127.0.0.1:9464/healthz')
    .action(async (o: RunOptions) => {
      const scenario = `${packageRoot()}/simulator/scenarios/demo.yaml`;
      await runGateway(
        `${boardConfigsDir()}/examples/demo-substation.yaml`,
        // The dashboard is on in the demo: on its default port unless told otherwise.
        { ...o, dashboardPort: o.dashboardPort ?? DASHBOARD_DEFAULTS.port, dashboardFallback: o.dashboardPort === undefined },
        // The simulated mine goes on across a restart on the same data dir, as a real one does
        // (simulator/world-state.ts: otherwise the miners walk in again and raise false 人员未带卡).
        async (dataDir) => {
          const worldFile = join(dataDir, DEMO_WORLD_FILE);
          const resume = readSimWorld(worldFile);
          const sim = await runSimulator(scenario, (line: string) => out(`sim: ${line}`), resume ? { resume } : {});
          // Saved now and then as well, so a demo killed without its stop resumes close to where it was.
          const save = (): void => {
            try {
              writeSimWorld(worldFile, sim.world());
            } catch (err) {
              out(`sim: could not save the world to ${worldFile}: ${(err as Error).message}`);
            }
          };
          const saver = setInterval(save, 5_000);
          saver.unref();
          return async () => {
            clearInterval(saver);
            save();
            await sim.stop();
          };
        },
        // "The platform": embedded MQTT 5 broker and reference receiver (files in <data-dir>/platform/).
        async (loaded, dataDir, logger) => {
          const platform = await startDemoPlatform(loaded, dataDir, logger);
          return { ...platform, pointAt: (l: LoadedConfig) => calibratedToday(platform.pointAt(l)) };
        },
      );
    });
}
