// A scenario bus and its devices as the simulator holds them, and serving that bus as real Modbus:
// the listener or PTY pair comes and goes with bus-down events on the same port or path.
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { SimulatorError } from './errors.js';
import { ModbusSlaveServer, type ServerEndpoint } from './modbus-server.js';
import { PtyPair, PtyPairError } from './pty-pair.js';
import type { RelayWatchdog } from './relay-watchdog.js';
import type { ScenarioBus, ScenarioDevice } from './scenario.js';
import { VirtualEnergyMeter } from './seals/energy-meter.js';
import { VirtualSealCamera } from './seals/seal-camera.js';
import { type BusEndpointInfo, SIMULATOR_DEFAULTS } from './sim-options.js';
import type { Signal } from './signals.js';
import { ProfileDevice } from './virtual-device.js';

export interface SimDevice {
  busId: string;
  config: ScenarioDevice;
  device: ProfileDevice;
  /** The module's hardware watchdog, when the scenario gives it one. */
  watchdog?: RelayWatchdog;
  /** Channels driven by a signal program, with the noise seed of each. */
  programs: Map<string, { signal: Signal; seed: number }>;
  /** Channels an event has forced; their program is suspended until the event ends. */
  forced: Set<string>;
  /** Follower frozen at its current value (welded contactor). */
  stuck: boolean;
  followTimer?: NodeJS.Timeout;
}

export interface SimBus {
  config: ScenarioBus;
  devices: SimDevice[];
  server?: ModbusSlaveServer;
  pty?: PtyPair;
  info?: BusEndpointInfo;
  down: boolean;
  /** Bus up/down transitions run one after another. */
  transition: Promise<void>;
}

/** Serves a bus as real Modbus (TCP, RTU over TCP, or RTU on a PTY pair) with the devices on it. */
export async function serveBus(bus: SimBus, log: (line: string) => void): Promise<void> {
  const listen = bus.config.listen;
  // One device per unit id: after a re-addressing clash the board that was configured there keeps it.
  const byUnit = new Map<number, ProfileDevice>();
  for (const d of bus.devices) if (d.device.unit === d.config.unit) byUnit.set(d.device.unit, d.device);
  for (const d of bus.devices) if (!byUnit.has(d.device.unit)) byUnit.set(d.device.unit, d.device);
  const devices = [...byUnit.values()];
  let endpoint: ServerEndpoint;
  let info: BusEndpointInfo;
  if (listen.type === 'rtu-pty') {
    bus.pty ??= await createPty(listen.link, bus.config.id);
    const servedPath = bus.pty.masterPath === listen.link ? bus.pty.slavePath : bus.pty.masterPath;
    const baudRate = bus.config.baudRate ?? SIMULATOR_DEFAULTS.baudRate;
    endpoint = { type: 'rtu-serial', path: servedPath, baudRate, parity: listen.parity, dataBits: listen.dataBits, stopBits: listen.stopBits };
    info = { id: bus.config.id, type: 'rtu-pty', link: listen.link, servedPath, baudRate };
  } else {
    // After a bus-down the listener comes back on the port it had, even if the scenario said 0.
    const port = bus.info?.port ?? listen.port;
    if (listen.type === 'tcp') {
      endpoint = { type: 'tcp', host: listen.host, port };
      info = { id: bus.config.id, type: 'tcp', host: listen.host, port };
    } else {
      const baudRate = bus.config.baudRate ?? SIMULATOR_DEFAULTS.baudRate;
      endpoint = { type: 'rtu-over-tcp', host: listen.host, port, baudRate };
      info = { id: bus.config.id, type: 'rtu-over-tcp', host: listen.host, port, baudRate };
    }
  }
  const server = new ModbusSlaveServer(endpoint, devices);
  server.on('close', (err?: Error) => {
    if (bus.server === server) log(`${bus.config.id}: serial port closed${err ? ` (${err.message})` : ''}`);
  });
  let started: { port?: number };
  try {
    started = await server.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = info.type === 'rtu-pty' ? info.servedPath : `${info.host}:${info.port}`;
    throw new SimulatorError('listen-failed', `${bus.config.id}: cannot serve ${info.type} on ${where}: ${e.code ?? ''} ${e.message}`.replace(/ {2}/g, ' '), { busId: bus.config.id, cause: e });
  }
  if (started.port !== undefined) info.port = started.port;
  bus.server = server;
  bus.info = info;
  bus.down = false;
  const units = bus.devices.map((d) => `${d.device.unit} ${d.config.profile}`).join(', ');
  log(`${bus.config.id}: ${describeEndpoint(info)} — units ${units}`);
}

/** Takes a bus away: listener closed, PTY removed (recreated on the same path when it comes back). */
export async function stopServing(bus: SimBus): Promise<void> {
  const server = bus.server;
  bus.server = undefined;
  bus.down = true;
  if (server) await server.stop();
  if (bus.pty) {
    await bus.pty.kill();
  }
}

/** Seal cameras and energy meters are the behavioural models (counters that wrap, energy that integrates). */
export function createDevice(config: ScenarioDevice, bus: ScenarioBus, profilesDir: string | undefined): ProfileDevice {
  const dir = profilesDir ? { profilesDir } : {};
  if (config.profile === 'seal-camera') return new VirtualSealCamera({ unit: config.unit, ...dir });
  if (config.profile === 'energy-meter') return new VirtualEnergyMeter({ unit: config.unit, ...dir });
  return new ProfileDevice(config.profile, {
    unit: config.unit,
    ...(isRtu(bus) ? { baudRate: bus.baudRate ?? SIMULATOR_DEFAULTS.baudRate } : {}),
    params: config.params,
    ...dir,
  });
}

function isRtu(bus: ScenarioBus): boolean {
  return bus.listen.type !== 'tcp';
}

function describeEndpoint(info: BusEndpointInfo): string {
  switch (info.type) {
    case 'tcp':
      return `Modbus TCP on ${info.host}:${info.port}`;
    case 'rtu-over-tcp':
      return `Modbus RTU over TCP on ${info.host}:${info.port} (${info.baudRate} baud line time)`;
    case 'rtu-pty':
      return `Modbus RTU on PTY ${info.link} (simulator end ${info.servedPath}, ${info.baudRate} baud line time)`;
  }
}

async function createPty(link: string, busId: string): Promise<PtyPair> {
  // The gateway's side is `link` itself (names[0]); the simulator serves the sibling "<link>.sim".
  await mkdir(dirname(link), { recursive: true });
  try {
    return await PtyPair.create({ dir: dirname(link), names: [basename(link), `${basename(link)}.sim`] });
  } catch (err) {
    if (err instanceof PtyPairError && err.code === 'socat-missing') {
      throw new SimulatorError(
        'socat-missing',
        `${busId}: an rtu-pty bus needs socat to create the serial PTY pair ${link}; install it (apt-get install socat) or use rtu-over-tcp. (${err.message})`,
        { busId, cause: err },
      );
    }
    throw err;
  }
}
