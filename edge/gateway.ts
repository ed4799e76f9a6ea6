// The runtime: config → one master and poller per bus → point table → store.
// The safety path (reading → rules → actuation) runs synchronously on each poll result and never
// waits on disk or network; the store and upstream consume readings through bounded queues.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ModbusDevice } from '../drivers/modbus-device.js';
import type { ModbusMaster } from '../protocols/modbus/master.js';
import { createMaster } from './bus-factory.js';
import type { Capability, CapabilityContext } from './capability.js';
import { type Clock, systemClock } from './clock.js';
import type { LoadedConfig } from './config/load-config.js';
import type { Logger } from './log.js';
import { PointTable } from './point-table.js';
import { takeConfirmation } from './reload-confirmation.js';
import type { StatusSection } from './status-view.js';
import { BusPoller, type DeviceStatus, type PollerOptions } from './poller.js';
import type { Quality, Reading } from './readings.js';
import { SafetyLoop, type OutputStatus } from './safety/safety-loop.js';
import { safetyMigrations } from './safety/store.js';
import { type Migration, openDatabase } from './store/database.js';
import { ReadingWriter, readingMigrations } from './store/reading-store.js';

export interface GatewayOptions {
  /** Folder for the SQLite store and logs. */
  dataDir: string;
  logger: Logger;
  clock?: Clock;
  poller?: Partial<PollerOptions>;
  /** Optional parts (personnel, seals, sync, control socket), started in this order after the core. */
  capabilities?: readonly Capability[];
  /** Config reload in a running process: readings carried over from the previous gateway, no cold-start cut. */
  warmStart?: { readings: readonly Reading[] };
  /** A safety officer's confirmation already taken for this config (a loosening reload). */
  confirmedBy?: { operator: string; reason: string };
}

export interface PointStatus {
  code: string;
  name: string;
  device: string;
  value: number | null;
  unit: string;
  quality: Quality;
  ageMs: number;
}

export interface BusStatus {
  id: string;
  open: boolean;
  stats: ReturnType<ModbusMaster['stats']>;
}

export interface GatewayStatus {
  points: PointStatus[];
  devices: DeviceStatus[];
  buses: BusStatus[];
  store: ReturnType<ReadingWriter['stats']>;
  outputs: OutputStatus[];
  holds: ReturnType<SafetyLoop['engine']['holds']>;
  alarms: ReturnType<SafetyLoop['engine']['alarms']>;
  /** Machine-readable status of each started capability, by name. */
  capabilities: Record<string, unknown>;
}

export type ReadingListener = (readings: readonly Reading[], device: DeviceStatus) => void;

export class Gateway {
  readonly points: PointTable;
  readonly clock: Clock;
  private readonly log: Logger;
  private readonly masters = new Map<string, ModbusMaster>();
  private readonly pollers = new Map<string, BusPoller>();
  private readonly devices = new Map<string, ModbusDevice>();
  private readonly listeners: ReadingListener[] = [];
  private db: Database.Database | undefined;
  private writer: ReadingWriter | undefined;
  private safetyLoop: SafetyLoop | undefined;
  private readonly capabilities: readonly Capability[];
  private readonly running: Capability[] = [];
  private started = false;

  constructor(
    readonly loaded: LoadedConfig,
    private readonly opts: GatewayOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger.child({ module: 'gateway' });
    this.capabilities = opts.capabilities ?? [];
    const names = new Set<string>();
    for (const c of this.capabilities) {
      if (names.has(c.name) || c.name === 'store' || c.name === 'safety') throw new TypeError(`Gateway: capability name "${c.name}" is used twice or reserved`);
      names.add(c.name);
    }
    const { config } = loaded;
    this.points = new PointTable(
      config.points.map((p) => ({ code: p.code, unit: p.unit, freshnessMs: loaded.freshnessMs(p.code) })),
      this.clock,
    );
    for (const d of config.devices) {
      const profile = loaded.profiles.get(d.profile);
      if (!profile) throw new Error(`device ${d.id}: profile ${d.profile} was not loaded`);
      this.devices.set(d.id, new ModbusDevice(d, profile, config.points));
    }
  }

  /** Subscribe to every batch of readings (one device poll), on the polling path: keep it cheap. */
  onReadings(listener: ReadingListener): void {
    this.listeners.push(listener);
  }

  /** The interlock engine and its outputs (exists once started). */
  get safety(): SafetyLoop {
    if (!this.safetyLoop) throw new Error('gateway not started');
    return this.safetyLoop;
  }

  get database(): Database.Database {
    if (!this.db) throw new Error('gateway not started');
    return this.db;
  }

  master(busId: string): ModbusMaster {
    const m = this.masters.get(busId);
    if (!m) throw new RangeError(`unknown bus ${busId}`);
    return m;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { config } = this.loaded;
    const components: Record<string, Migration[]> = { store: readingMigrations, safety: safetyMigrations };
    for (const c of this.capabilities) if (c.migrations) components[c.name] = [...c.migrations];
    this.db = openDatabase(join(this.opts.dataDir, 'minegate.db'), components);
    this.writer = new ReadingWriter(this.db, { logger: this.log.child({ module: 'store' }) });
    for (const bus of config.buses) this.masters.set(bus.id, createMaster(bus));
    // Only readings of points that still exist with the same source carry over a reload.
    for (const r of this.opts.warmStart?.readings ?? []) {
      const p = this.loaded.pointsByCode.get(r.point);
      if (p && p.unit === r.unit) this.points.update(r);
    }
    // Interlocks first: holds from before a restart are back, and every power output is cut,
    // before the first reading can arrive.
    this.safetyLoop = new SafetyLoop({
      loaded: this.loaded,
      db: this.db,
      points: this.points,
      masterFor: (busId) => this.master(busId),
      setAccelerated: (deviceId, on) => this.setAccelerated(deviceId, on),
      clock: this.clock,
      logger: this.opts.logger,
      warmStart: this.opts.warmStart !== undefined,
      writeAheadPath: join(this.opts.dataDir, 'safety-write-ahead.jsonl'),
      // Holds from the store that this config does not explain stay until a safety officer
      // confirms this exact file (`minegate reload --user …`), as a loosening reload does.
      confirmation: () => this.opts.confirmedBy ?? this.takeFileConfirmation(),
    });
    this.safetyLoop.start();
    for (const bus of config.buses) {
      const master = this.masters.get(bus.id)!;
      const busLog = this.log.child({ bus: bus.id });
      master.on('close', (err?: Error) => busLog.warn({ err: err?.message }, 'bus link closed; reopening in the background'));
      master.on('discard', (d: { bytes: number; reason: string }) => busLog.debug(d, 'discarded bytes on the line'));
      const devices = config.devices.filter((d) => d.bus === bus.id).map((d) => this.devices.get(d.id)!);
      const poller = new BusPoller(bus.id, master, devices, this.clock, {
        onReadings: (readings, device) => this.dispatch(readings, device),
        onDeviceState: (device, reason) =>
          (device.state === 'offline' ? busLog.warn.bind(busLog) : busLog.info.bind(busLog))({ device: device.id, unit: device.unit, state: device.state }, reason),
      }, { probeMs: bus.offlineProbeMs, ...this.opts.poller });
      master.on('open', () => {
        busLog.info('bus link open');
        poller.probeOfflineNow();
      });
      this.pollers.set(bus.id, poller);
      // A bus that is down at start is not fatal: the master keeps reopening, devices show comm-fault.
      await master.open().catch((err: Error) => busLog.warn({ err: err.message }, 'bus link not available yet; retrying in the background'));
      poller.start();
    }
    for (const c of this.capabilities) {
      try {
        await c.start(this.contextFor(c));
      } catch (err) {
        // Half a gateway is worse than none: stop what started, and say which part failed.
        this.log.error({ capability: c.name, err: (err as Error).message }, 'capability failed to start; stopping the gateway');
        await this.stop();
        throw new Error(`${c.name}: ${(err as Error).message}`, { cause: err });
      }
      this.running.push(c);
    }
    this.log.info({ buses: config.buses.length, devices: config.devices.length, points: config.points.length, capabilities: this.running.map((c) => c.name) }, 'gateway started');
  }

  private takeFileConfirmation(): { operator: string; reason: string } | undefined {
    try {
      const c = takeConfirmation(this.opts.dataDir, readFileSync(this.loaded.file, 'utf8'));
      return c ? { operator: c.operator, reason: c.reason } : undefined;
    } catch {
      // A config parsed from text (tests, demo) has no file to confirm: nothing is confirmed.
      return undefined;
    }
  }

  /** The capabilities running now, in start order. */
  capabilityList(): readonly Capability[] {
    return this.running;
  }

  /** Status sections of the running capabilities (personnel, seals, sync …). */
  capabilitySections(): StatusSection[] {
    return this.running.flatMap((c) => c.status?.() ?? []);
  }

  private contextFor(c: Capability): CapabilityContext {
    return {
      loaded: this.loaded,
      dataDir: this.opts.dataDir,
      db: this.database,
      clock: this.clock,
      logger: this.opts.logger.child({ module: c.name }),
      points: this.points,
      master: (busId) => this.master(busId),
      safety: this.safety,
      onReadings: (listener) => this.onReadings(listener),
      status: () => this.status(),
      capability: <T extends Capability>(name: string) => this.running.find((x) => x.name === name) as T | undefined,
    };
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // Capabilities stop first (newest first), while the core they feed on is still up.
    for (const c of [...this.running].reverse()) {
      try {
        await c.stop();
      } catch (err) {
        this.log.error({ capability: c.name, err: (err as Error).message }, 'capability failed to stop cleanly');
      }
    }
    this.running.length = 0;
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
    await this.safetyLoop?.stop();
    await Promise.all([...this.masters.values()].map((m) => m.close()));
    this.writer?.close();
    this.db?.close();
    this.log.info('gateway stopped');
  }

  /** Poll at the alarm interval while a device has a point in alarm. */
  setAccelerated(deviceId: string, on: boolean): void {
    const bus = this.loaded.devicesById.get(deviceId)?.bus;
    if (bus) this.pollers.get(bus)?.setAccelerated(deviceId, on);
  }

  status(): GatewayStatus {
    const { config } = this.loaded;
    return {
      points: config.points.map((p) => {
        const r = this.points.current(p.code);
        return { code: p.code, name: p.name ?? p.location, device: p.device, value: r.value, unit: p.unit, quality: r.quality, ageMs: this.points.ageMs(p.code) };
      }),
      devices: [...this.pollers.values()].flatMap((p) => p.statuses()),
      buses: [...this.masters.entries()].map(([id, m]) => ({ id, open: m.isOpen, stats: m.stats() })),
      store: this.writer?.stats() ?? { written: 0, dropped: 0, queued: 0, failures: 0 },
      outputs: this.safetyLoop?.outputs() ?? [],
      holds: this.safetyLoop?.engine.holds() ?? [],
      alarms: this.safetyLoop?.engine.alarms() ?? [],
      capabilities: Object.fromEntries(this.running.filter((c) => c.statusJson).map((c) => [c.name, c.statusJson!()])),
    };
  }

  private dispatch(readings: Reading[], device: DeviceStatus): void {
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      // A point a technician marked calibrating is flagged so in data (MT/T 1201 status 4); its
      // value still drives alarms and cut-offs (AQ 1029-2019: that is how the interlock is tested).
      if (r.quality === 'good' && this.safetyLoop?.isCalibrating(r.point)) readings[i] = { ...r, quality: 'calibrating' };
      this.points.update(readings[i]!);
    }
    // Safety first: rules and actuation before anything else sees the readings.
    this.safetyLoop?.onReadings();
    for (const r of readings) this.writer?.enqueue(r);
    for (const l of this.listeners) {
      try {
        l(readings, device);
      } catch (err) {
        // A consumer bug must never stop polling.
        this.log.error({ err: (err as Error).message, device: device.id }, 'reading listener failed');
      }
    }
  }
}
