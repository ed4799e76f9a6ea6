// Opening one device of the config over its bus for `board` and `write`: the config, the profile
// and an open master, closed together; plus the option parsing both commands share.
import type { Command } from 'commander';
import type { BusConfig, DeviceConfig } from '../../board-configs/schema.js';
import type { Profile } from '../../board-configs/profile-schema.js';
import { BoardParamError, type WriteParamOptions } from '../../drivers/board-params.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import { createMaster } from '../bus-factory.js';
import { type LoadedConfig, loadConfig } from '../config/load-config.js';
import { configOption, dataDirOption } from '../locations.js';
import { PASSWORD_ENV } from '../operators/cli-credentials.js';

export const AUTH_HELP = `
Changes need a technician: --user <name> (password from ${PASSWORD_ENV} or a prompt) and
--reason "<why>"; both are recorded in the audit log (<data-dir>/minegate.db) with the values before
and after. Stop the gateway first when it owns a serial bus (the port is opened exclusively).`;

export interface ConnectOptions {
  config: string;
  timeoutMs?: number;
}

export interface ChangeOptions extends ConnectOptions {
  user?: string;
  reason?: string;
  dataDir: string;
  updateConfig?: boolean;
  json?: boolean;
}

/** The options of a command that changes a board (ChangeOptions), in the order its help lists them. */
export function changeOptions(cmd: Command, updateConfigHelp: string): Command {
  return cmd
    .addOption(configOption('substation board config (YAML)'))
    .option('-u, --user <name>', 'technician doing this')
    .option('--reason <text>', 'why (required; recorded)')
    .addOption(dataDirOption('gateway data directory (operators, audit log)'))
    .option('--update-config', updateConfigHelp)
    .option('--timeout-ms <ms>', 'per-request timeout', Number)
    .option('--json', 'print JSON');
}

/** A device of the config with an open master on its bus. */
export interface DeviceLink {
  loaded: LoadedConfig;
  device: DeviceConfig;
  deviceIndex: number;
  bus: BusConfig;
  profile: Profile;
  master: ModbusMaster;
  /** Masters opened for a baud change, closed with the rest. */
  extra: ModbusMaster[];
  close(): Promise<void>;
}

export async function openDevice(o: ConnectOptions, deviceId: string): Promise<DeviceLink> {
  const loaded = loadConfig(o.config);
  const deviceIndex = loaded.config.devices.findIndex((d) => d.id === deviceId);
  if (deviceIndex < 0) {
    throw new Error(`no device "${deviceId}" in ${o.config} (devices: ${loaded.config.devices.map((d) => d.id).join(', ')})`);
  }
  const device = loaded.config.devices[deviceIndex]!;
  const bus = loaded.busesById.get(device.bus)!;
  const profile = loaded.profiles.get(device.profile)!;
  const master = createMaster(bus);
  const link: DeviceLink = {
    loaded,
    device,
    deviceIndex,
    bus,
    profile,
    master,
    extra: [],
    async close() {
      await Promise.all([master, ...link.extra].map((m) => m.close()));
    },
  };
  try {
    await master.open();
  } catch (err) {
    await master.close();
    throw new Error(`cannot open bus ${bus.id}: ${(err as Error).message}`);
  }
  return link;
}

export function timeoutOption(o: ConnectOptions): { timeoutMs?: number } {
  if (o.timeoutMs === undefined) return {};
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw new TypeError(`--timeout-ms must be a positive number, got ${String(o.timeoutMs)}`);
  return { timeoutMs: o.timeoutMs };
}

/** On a serial bus a baud change is read back through a fresh master at the new speed. */
export function followBaud(link: DeviceLink): WriteParamOptions {
  if (link.bus.type !== 'rtu-serial') return {};
  const bus = link.bus;
  return {
    portAtBaud: async (baudRate: number) => {
      await link.master.close();
      const next = createMaster({ ...bus, baudRate });
      link.extra.push(next);
      await next.open();
      return next;
    },
  };
}

export function parseNumber(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new BoardParamError('not-a-number', what, `${what} needs a number, got "${text}"`);
  return n;
}
