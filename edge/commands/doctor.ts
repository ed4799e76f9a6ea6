// `minegate doctor`: what is wrong with this box before the gateway runs on it, and how to fix it.
// Config validity, serial ports (present, ours to open, stable names), data dir (writable, free
// space, operators, database), clock (plausible, not behind the newest stored reading), TCP bus
// endpoints and the upstream broker reachable. Exit 1 when anything FAILs; warnings exit 0.
import { accessSync, constants, existsSync, lstatSync, readFileSync, realpathSync, statfsSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import type { BusConfig } from '../../board-configs/schema.js';
import { ConfigError } from '../../core/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { OPERATORS_FILE, OperatorStore } from '../operators/operator-store.js';
import { hasPackedLayout } from '../store/block-store.js';
import { openDatabase } from '../store/database.js';
import { SafetyEngine } from '../safety/engine.js';
import { SafetyStore } from '../safety/store.js';
import { newestReadingTime } from '../store/reading-reader.js';
import { describeCapacity, readingCapacity } from '../store/reading-retention.js';
import { ClassRetention, describeClassCapacity, gatewayRecordTables, RETENTION_MINIMUM_DAYS, storeRetention, STORE_RETENTION_DEFAULTS, type StoreRetention } from '../store/retention-classes.js';
import { EXIT, out } from './output.js';
import { formatWall } from '../control/durations.js';
import { configOption, dataDirOption, locationSource } from '../locations.js';

export const DOCTOR_DEFAULTS = {
  minFreeGiB: 1,
  connectTimeoutMs: 1_500,
  /** Earliest plausible year: a clock before it lost its time (no RTC battery, no sync). */
  minYear: 2024,
  /** Tolerated amount by which the newest stored reading may lead the clock (poll jitter). */
  clockSlackMs: 60_000,
  dbFile: 'minegate.db',
} as const;

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  area: 'config' | 'serial' | 'data-dir' | 'clock' | 'bus' | 'broker' | 'operators' | 'user' | 'holds';
  status: CheckStatus;
  message: string;
  /** What to do about it (warn/fail). */
  fix?: string;
}

interface DoctorOptions {
  config: string;
  dataDir: string;
  broker?: string;
  minFreeGib: number;
  timeoutMs: number;
  json?: boolean;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this box for everything the gateway needs, and say how to fix what is wrong')
    .addOption(configOption('substation board config (YAML)'))
    .addOption(dataDirOption('gateway data directory'))
    .option('--broker <url>', 'upstream MQTT broker to probe (default: sync.brokerUrl of the config, if any)')
    .option('--min-free-gib <n>', 'warn below this much free disk space', Number, DOCTOR_DEFAULTS.minFreeGiB)
    .option('--timeout-ms <ms>', 'TCP connect timeout per endpoint', Number, DOCTOR_DEFAULTS.connectTimeoutMs)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample (the INSTALL.md wrapper runs it as the service user, no sudo needed):\n  minegate doctor                # installed: /etc/minegate/minegate.yaml and /var/lib/minegate\n  minegate doctor -c /etc/minegate/minegate.yaml -d /var/lib/minegate')
    .action(async (o: DoctorOptions, cmd: Command) => {
      const checks = await runDoctor(o);
      const locations = { config: { path: resolve(o.config), source: locationSource(cmd, 'config') }, dataDir: { path: resolve(o.dataDir), source: locationSource(cmd, 'dataDir') } };
      const failed = checks.filter((c) => c.status === 'fail').length;
      const warned = checks.filter((c) => c.status === 'warn').length;
      if (o.json) {
        out(JSON.stringify({ ok: failed === 0, failed, warnings: warned, locations, checks }));
      } else {
        out(`minegate doctor: config ${locations.config.path} (${locations.config.source}), data dir ${locations.dataDir.path} (${locations.dataDir.source})`);
        for (const c of checks) {
          out(`${c.status.toUpperCase().padEnd(5)} ${c.area.padEnd(10)} ${c.message}`);
          if (c.fix && (c.status === 'fail' || c.status === 'warn')) out(`${' '.repeat(17)}fix: ${c.fix}`);
        }
        out(failed === 0 ? `no problems${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}` : `${failed} problem${failed === 1 ? '' : 's'}${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}: fix the FAIL lines`);
      }
      process.exitCode = failed > 0 ? EXIT.failed : EXIT.ok;
    });
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  checks.push(...userChecks());
  const { buses, brokerUrl, newestConfigCheck, retention } = configChecks(o.config);
  checks.push(...newestConfigCheck);
  checks.push(...serialChecks(buses));
  checks.push(...dataDirChecks(o.dataDir, o.minFreeGib, retention));
  checks.push(...clockChecks(o.dataDir));
  checks.push(...unconfirmedHoldChecks(o.config, o.dataDir));
  checks.push(...(await busEndpointChecks(buses, o.timeoutMs)));
  checks.push(await brokerCheck(o.broker ?? brokerUrl, o.broker ? '--broker' : 'sync.brokerUrl', o.timeoutMs));
  return checks;
}

// ---------------------------------------------------------------- who we are

function userChecks(): DoctorCheck[] {
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    return [{ area: 'user', status: 'warn', message: 'running as root: file and serial permission checks pass for root but not for the service', fix: 'run as the service user: runuser -u minegate -- node /opt/minegate/dist/edge/cli.js doctor ... (the INSTALL.md wrapper `minegate` does this)' }];
  }
  return [];
}

// ---------------------------------------------------------------- config

function configChecks(file: string): { buses: BusConfig[]; brokerUrl: string | undefined; newestConfigCheck: DoctorCheck[]; retention: StoreRetention } {
  const brokerUrl = rawBrokerUrl(file);
  try {
    const loaded = loadConfig(file);
    const { config } = loaded;
    return {
      buses: config.buses,
      brokerUrl: config.sync?.brokerUrl ?? brokerUrl,
      retention: storeRetention(config.store.retention),
      newestConfigCheck: [{ area: 'config', status: 'ok', message: `valid: ${config.buses.length} buses, ${config.devices.length} devices, ${config.points.length} points (${config.substation.code} ${config.substation.name})` }],
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const shown = err.issues.slice(0, 3).map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`).join('; ');
    const more = err.issues.length > 3 ? ` (+${err.issues.length - 3} more)` : '';
    // Keep checking what can be read, so one bad key does not hide an unplugged adapter.
    return {
      buses: rawBuses(file),
      brokerUrl,
      retention: STORE_RETENTION_DEFAULTS,
      newestConfigCheck: [{ area: 'config', status: 'fail', message: `invalid: ${shown}${more}`, fix: `minegate config check ${file} lists every problem with its line` }],
    };
  }
}

/** The YAML as plain data, or undefined when it does not even parse. */
function rawData(file: string): Record<string, unknown> | undefined {
  try {
    const data = parseDocument(readFileSync(file, 'utf8')).toJS() as unknown;
    return data && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Buses that look complete enough to check, from a config that failed validation. */
function rawBuses(file: string): BusConfig[] {
  const buses = rawData(file)?.buses;
  if (!Array.isArray(buses)) return [];
  return buses.filter((b): b is BusConfig => {
    if (!b || typeof b !== 'object' || typeof b.id !== 'string') return false;
    if (b.type === 'rtu-serial') return typeof b.path === 'string';
    return (b.type === 'tcp' || b.type === 'rtu-over-tcp') && typeof b.host === 'string' && Number.isInteger(b.port ?? 502);
  }).map((b) => ({ port: 502, ...b }) as BusConfig);
}

/** The upstream section is optional: `sync.brokerUrl` when the config has one (read raw when the config is invalid). */
function rawBrokerUrl(file: string): string | undefined {
  const sync = rawData(file)?.sync as { brokerUrl?: unknown } | undefined;
  return typeof sync?.brokerUrl === 'string' ? sync.brokerUrl : undefined;
}

// ---------------------------------------------------------------- serial ports

function serialChecks(buses: readonly BusConfig[]): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  for (const bus of buses) {
    if (bus.type !== 'rtu-serial') continue;
    const path = bus.path;
    const name = `${bus.id}: ${path}`;
    if (!existsSync(path)) {
      checks.push({ area: 'serial', status: 'fail', message: `${name} does not exist`, fix: 'plug in the RS-485 adapter; list stable names with: ls -l /dev/serial/by-id/ and put that path in the config' });
      continue;
    }
    const target = realpathSync(path);
    const st = statSync(target);
    if (!st.isCharacterDevice()) {
      checks.push({ area: 'serial', status: 'fail', message: `${name} is not a serial device (${target})`, fix: 'point the bus path at the adapter, e.g. /dev/serial/by-id/usb-...' });
      continue;
    }
    try {
      accessSync(target, constants.R_OK | constants.W_OK);
      checks.push({ area: 'serial', status: 'ok', message: `${name} → ${target}: readable and writable` });
    } catch {
      checks.push({ area: 'serial', status: 'fail', message: `${name} → ${target}: not readable and writable by this user (device group gid ${st.gid})`, fix: 'add the service user to the device group: usermod -aG dialout minegate (then restart the service)' });
    }
    if (!isStableName(path)) {
      checks.push({ area: 'serial', status: 'warn', message: `${name} is not a /dev/serial/by-id/ path: USB adapters re-enumerate (ttyUSB0 → ttyUSB1) after a replug`, fix: 'use the matching name from ls -l /dev/serial/by-id/, or a udev rule name (deploy/udev/99-minegate-serial.rules)' });
    }
  }
  return checks;
}

/** /dev/serial/by-id/..., or a udev-made symlink under /dev that is not itself a kernel tty name. */
function isStableName(path: string): boolean {
  if (path.startsWith('/dev/serial/by-id/')) return true;
  try {
    return path.startsWith('/dev/') && !/^\/dev\/tty/.test(path) && lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- data dir

function nearestExisting(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

function dataDirChecks(dataDir: string, minFreeGiB: number, retention: StoreRetention): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const dir = resolve(dataDir);
  if (existsSync(dir)) {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
      checks.push({ area: 'data-dir', status: 'ok', message: `${dir} is writable` });
    } catch {
      checks.push({ area: 'data-dir', status: 'fail', message: `${dir} is not writable by this user`, fix: `chown -R minegate:minegate ${dir} (systemd's StateDirectory= does this for /var/lib/minegate)` });
    }
  } else {
    const parent = nearestExisting(dir);
    let creatable = true;
    try {
      accessSync(parent, constants.W_OK | constants.X_OK);
    } catch {
      creatable = false;
    }
    checks.push(creatable
      ? { area: 'data-dir', status: 'warn', message: `${dir} does not exist yet (the gateway creates it at start)`, fix: `create it now to be sure of owner and mode: install -d -m 0750 ${dir}` }
      : { area: 'data-dir', status: 'fail', message: `${dir} does not exist and ${parent} is not writable`, fix: `install -d -o minegate -g minegate -m 0750 ${dir}` });
  }
  try {
    const fs = statfsSync(nearestExisting(dir));
    const free = fs.bavail * fs.bsize;
    const gib = free / 2 ** 30;
    checks.push(gib < minFreeGiB
      ? { area: 'data-dir', status: 'warn', message: `only ${gib.toFixed(2)} GiB free for the store (below ${minFreeGiB} GiB)`, fix: 'free space or move the data dir to a larger disk; readings are kept at least 7 days' }
      : { area: 'data-dir', status: 'ok', message: `${gib.toFixed(1)} GiB free` });
  } catch (err) {
    checks.push({ area: 'data-dir', status: 'warn', message: `cannot read free space: ${(err as Error).message}` });
  }
  checks.push(...operatorChecks(dir), ...databaseChecks(dir, retention));
  return checks;
}

function operatorChecks(dir: string): DoctorCheck[] {
  if (!existsSync(join(dir, OPERATORS_FILE))) {
    return [{ area: 'operators', status: 'warn', message: 'no operator accounts yet: board changes, writes and unlocks are impossible', fix: `minegate user add <name> --role safety-officer -d ${dir}` }];
  }
  try {
    const list = new OperatorStore(dir).list();
    const officers = list.filter((u) => u.role === 'safety-officer').length;
    return [{ area: 'operators', status: 'ok', message: `${list.length} accounts, ${officers} safety officer${officers === 1 ? '' : 's'}` }];
  } catch (err) {
    return [{ area: 'operators', status: 'fail', message: (err as Error).message, fix: `chmod 600 ${join(dir, OPERATORS_FILE)}, or restore it from backup` }];
  }
}

function databaseChecks(dir: string, retention: StoreRetention): DoctorCheck[] {
  const file = join(dir, DOCTOR_DEFAULTS.dbFile);
  if (!existsSync(file)) return [];
  try {
    // Read-only, no migrations: the check never changes the file.
    const db = openDatabase(file, {}, { readonly: true });
    try {
      return [{ area: 'data-dir', status: 'ok', message: `${file} passes quick_check` }, ...capacityChecks(db, retention)];
    } finally {
      db.close();
    }
  } catch (err) {
    return [{ area: 'data-dir', status: 'fail', message: (err as Error).message, fix: 'stop the gateway, move the file aside (keep it for analysis) and restore the latest backup' }];
  }
}

// ---------------------------------------------------------------- holds

/** Holds in the store that this config no longer explains: the gateway keeps them until a safety officer confirms. */
function unconfirmedHoldChecks(configFile: string, dataDir: string): DoctorCheck[] {
  const file = join(resolve(dataDir), DOCTOR_DEFAULTS.dbFile);
  if (!existsSync(file)) return [];
  let loaded;
  try {
    loaded = loadConfig(configFile);
  } catch {
    return []; // reported by the config check
  }
  try {
    const db = openDatabase(file, {}, { readonly: true });
    try {
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'safety_holds'").get() === undefined) return [];
      // The same restore the gateway does at start, on a throw-away engine: what would be kept.
      const engine = new SafetyEngine({ config: loaded.config });
      engine.restore(new SafetyStore(db), 0);
      const kept = engine.unconfirmedHolds();
      if (kept.length === 0) return [{ area: 'holds', status: 'ok', message: 'every hold in the store is explained by this config' }];
      return [
        {
          area: 'holds',
          status: 'warn',
          message: `${kept.length} hold(s) in the store are not explained by this config and are kept cut until confirmed: ${kept.map((k) => `${k.hold.key} on ${k.hold.output} (${k.why})`).join('; ')}`,
          fix: `a safety officer confirms this exact file: minegate reload --user <safety officer> --reason "…" -d ${dataDir}`,
        },
      ];
    } finally {
      db.close();
    }
  } catch (err) {
    return [{ area: 'holds', status: 'warn', message: `cannot read the stored holds: ${(err as Error).message}` }];
  }
}

/** Days each class of stored data can still take at the current rate (issue: never run out before the caps say). */
function capacityChecks(db: ReturnType<typeof openDatabase>, retention: StoreRetention): DoctorCheck[] {
  if (!hasPackedLayout(db)) return [];
  const now = Date.now();
  const c = readingCapacity(db, { nowMs: now, capBytes: retention.readings.maxBytes });
  const checks: DoctorCheck[] = [];
  const message = describeCapacity(c);
  const minDays = RETENTION_MINIMUM_DAYS.readings;
  if (c.daysCapacity !== null && c.daysCapacity < minDays) {
    checks.push({ area: 'data-dir', status: 'fail', message, fix: `the byte cap holds less than the legal ${minDays} days at this rate: raise store.retention.readings.maxMB, or poll fewer points` });
  } else if (c.daysDiskLeft !== null && c.daysDiskLeft < retention.readings.days) {
    checks.push({ area: 'data-dir', status: 'warn', message, fix: `free disk space lasts less than the ${retention.readings.days}-day retention at this rate: free space or use a larger disk` });
  } else checks.push({ area: 'data-dir', status: 'ok', message });
  for (const k of new ClassRetention(db, retention, gatewayRecordTables).capacity(now)) {
    const line = describeClassCapacity(k);
    if (k.daysCapacity !== null && k.daysCapacity < k.minimumDays) {
      checks.push({ area: 'data-dir', status: 'fail', message: line, fix: `the byte cap holds less than the legal ${k.minimumDays} days of ${k.name} at this rate: raise store.retention.${k.name}.maxMB` });
    } else if (k.daysDiskLeft !== null && k.daysDiskLeft < k.minimumDays) {
      checks.push({ area: 'data-dir', status: 'warn', message: line, fix: `free disk space lasts less than the legal ${k.minimumDays} days of ${k.name} at this rate: free space or use a larger disk` });
    } else checks.push({ area: 'data-dir', status: 'ok', message: line });
  }
  return checks;
}

// ---------------------------------------------------------------- clock

function newestReading(dataDir: string): number | null {
  const file = join(resolve(dataDir), DOCTOR_DEFAULTS.dbFile);
  if (!existsSync(file)) return null;
  try {
    const db = openDatabase(file, {}, { readonly: true });
    try {
      if (hasPackedLayout(db)) return newestReadingTime(db);
      // A store of the row layout not yet started by this version.
      const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings'").get() !== undefined;
      if (!hasTable) return null;
      return (db.prepare('SELECT max(wall_time) FROM readings').pluck().get() as number | null) ?? null;
    } finally {
      db.close();
    }
  } catch {
    return null; // reported by the database check
  }
}

// Mine time with its zone, as every time shown (issue 14): a UTC ISO clock reads 8 h off at the mine.
function clockChecks(dataDir: string): DoctorCheck[] {
  const now = Date.now();
  const year = new Date(now).getUTCFullYear();
  if (year < DOCTOR_DEFAULTS.minYear) {
    return [{ area: 'clock', status: 'fail', message: `system clock says ${formatWall(now)}: it lost its time`, fix: 'set the time (timedatectl set-time, or enable NTP / the platform time sync) and check the RTC battery' }];
  }
  const newest = newestReading(dataDir);
  if (newest !== null && newest > now + DOCTOR_DEFAULTS.clockSlackMs) {
    return [{
      area: 'clock',
      status: 'fail',
      message: `system clock ${formatWall(now)} is behind the newest stored reading ${formatWall(newest)}: time went backwards`,
      fix: 'correct the clock before starting the gateway, or new readings will sort before old ones upstream',
    }];
  }
  return [{ area: 'clock', status: 'ok', message: `${formatWall(now)}${newest !== null ? `, newest stored reading ${formatWall(newest)}` : ''}` }];
}

// ---------------------------------------------------------------- network

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolveProbe) => {
    const socket = net.connect({ host, port });
    const finish = (problem: string | null): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolveProbe(problem);
    };
    const timer = setTimeout(() => finish(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => finish(null));
    socket.once('error', (err) => finish(err.message));
  });
}

async function busEndpointChecks(buses: readonly BusConfig[], timeoutMs: number): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const bus of buses) {
    if (bus.type === 'rtu-serial') continue;
    const problem = await tcpReachable(bus.host, bus.port, timeoutMs);
    checks.push(problem === null
      ? { area: 'bus', status: 'ok', message: `${bus.id}: ${bus.type} ${bus.host}:${bus.port} accepts connections` }
      : { area: 'bus', status: 'fail', message: `${bus.id}: ${bus.type} ${bus.host}:${bus.port} unreachable: ${problem}`, fix: 'check the converter/device power and cable, its IP settings, and that nothing else holds its only connection' });
  }
  return checks;
}

async function brokerCheck(url: string | undefined, source: string, timeoutMs: number): Promise<DoctorCheck> {
  if (url === undefined) return { area: 'broker', status: 'skip', message: 'no sync section in the config (upstream not configured here)' };
  const m = /^(mqtts?|tcp|ssl):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(url);
  if (!m) return { area: 'broker', status: 'fail', message: `${source} ${JSON.stringify(url)} is not mqtt://host:port or mqtts://host:port`, fix: 'write the broker address as mqtts://host:8883' };
  const tls = m[1] === 'mqtts' || m[1] === 'ssl';
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : tls ? 8883 : 1883;
  const problem = await tcpReachable(host, port, timeoutMs);
  return problem === null
    ? { area: 'broker', status: 'ok', message: `${host}:${port} accepts connections (${source}; TCP only, login not tried)` }
    : { area: 'broker', status: 'fail', message: `${host}:${port} unreachable (${source}): ${problem}`, fix: 'check the uplink (trunk cable, switch, firewall) and the broker address; the gateway buffers meanwhile' };
}
