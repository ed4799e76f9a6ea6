// The runtime: the safety kernel (its own process: buses, pollers, interlocks, outputs) and around
// it the point table mirror, the store, and the capabilities. The safety path (reading → rules →
// actuation) runs in the kernel's process and never waits on disk, network, logging or anything in
// this process; the store and upstream consume copies of the readings through bounded queues.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { ModbusPort } from '../drivers/modbus-device.js';
import type { ModbusMasterStats } from '../protocols/modbus/master.js';
import type { Capability, CapabilityContext } from './capability.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { LoadedConfig } from './config/load-config.js';
import { type Logger, logStats } from './log.js';
import { PointTable } from './point-table.js';
import { takeConfirmation } from './reload-confirmation.js';
import type { StatusSection } from './status-view.js';
import type { DeviceStatus, PollerOptions } from './poller.js';
import type { Quality, Reading } from '../core/readings.js';
import { KernelHost, type KernelMode } from './kernel/kernel-host.js';
import type { KernelReloadResult, KernelState } from './kernel/protocol.js';
import { remotePort } from './kernel/remote-port.js';
import type { SafetyClient } from './kernel/safety-client.js';
import type { OutputStatus } from './safety/safety-loop.js';
import { safetyMigrations } from './safety/store.js';
import { type Migration, openDatabase } from './store/database.js';
import { ReadingWriter, readingMigrations } from './store/reading-store.js';
import { storeRetention } from './store/retention-classes.js';
import type { GatewayStatus, ReadingListener } from './gateway-status.js';

// The status types live in gateway-status.ts (so capabilities and views need not import the class).
export type { BusStatus, GatewayStatus, PointStatus, ReadingListener } from './gateway-status.js';

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
  /**
   * Where the safety kernel runs: its own process (the default: nothing in this process can stall
   * it), or this thread (tests that reach into the engine, or inject a clock).
   */
  kernel?: KernelMode;
  /** The kernel process ended unasked: protection is gone. Default: throw, so the process exits non-zero. */
  onKernelLost?: (why: string) => void;
}

export class Gateway {
  readonly points: PointTable;
  readonly clock: Clock;
  private readonly log: Logger;
  private readonly listeners: ReadingListener[] = [];
  private db: Database.Database | undefined;
  private writer: ReadingWriter | undefined;
  private kernel: KernelHost | undefined;
  private kernelAlive = false;
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
    if (opts.clock && (opts.kernel ?? 'process') === 'process') throw new TypeError('Gateway: an injected clock needs kernel: "inline" (the kernel process keeps the system clock)');
    const { config } = loaded;
    this.points = new PointTable(
      config.points.map((p) => ({ code: p.code, unit: p.unit, freshnessMs: loaded.freshnessMs(p.code) })),
      this.clock,
    );
  }

  /** Subscribe to every batch of readings (one device poll), after the kernel has acted on it: keep it cheap. */
  onReadings(listener: ReadingListener): void {
    this.listeners.push(listener);
  }

  /** The interlocks as this thread sees them: a mirror of the kernel's state, and its commands (exists once started). */
  get safety(): SafetyClient {
    if (!this.kernel) throw new Error('gateway not started');
    return this.kernel.client;
  }

  /** Inline kernel only (tests): the kernel itself, engine and loop included. */
  get inlineKernel(): KernelHost['inlineKernel'] {
    return this.kernel?.inlineKernel;
  }

  get database(): Database.Database {
    if (!this.db) throw new Error('gateway not started');
    return this.db;
  }

  /** A field bus, through the kernel that owns it (normal priority, behind actuation). */
  master(busId: string): ModbusPort {
    if (!this.loaded.busesById.has(busId)) throw new RangeError(`unknown bus ${busId}`);
    const kernel = this.kernel;
    if (!kernel) throw new Error('gateway not started');
    return remotePort(busId, (op, args) => kernel.call(op, args));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const components: Record<string, Migration[]> = { store: readingMigrations, safety: safetyMigrations };
    for (const c of this.capabilities) if (c.migrations) components[c.name] = [...c.migrations];
    this.db = openDatabase(join(this.opts.dataDir, 'minegate.db'), components);
    this.writer = new ReadingWriter(this.db, { logger: this.log.child({ module: 'store' }), retention: storeRetention(this.loaded.config.store?.retention) });
    // Only readings of points that still exist with the same source carry over a reload.
    for (const r of this.opts.warmStart?.readings ?? []) {
      const p = this.loaded.pointsByCode.get(r.point);
      if (p && p.unit === r.unit) this.points.update(r);
    }
    // Interlocks first: holds from before a restart are back, and every power output is cut,
    // before the first reading can arrive. The kernel opens the buses and polls them.
    const confirmation = this.opts.confirmedBy ?? this.takeFileConfirmation();
    this.kernel = new KernelHost({
      loaded: this.loaded,
      db: this.db,
      logger: this.opts.logger,
      mode: this.opts.kernel ?? 'process',
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      writeAheadPath: join(this.opts.dataDir, 'safety-write-ahead.jsonl'),
      ...(this.opts.warmStart ? { warmStart: { readings: [...this.opts.warmStart.readings] } } : {}),
      // Holds from the store that this config does not explain stay until a safety officer
      // confirms this exact file (`minegate reload --user …`), as a loosening reload does.
      ...(confirmation ? { confirmation } : {}),
      ...(this.opts.poller ? { poller: this.opts.poller } : {}),
      onReadings: (readings, device) => this.dispatch(readings, device),
      onKernelLost: (why) => this.kernelLost(why),
    });
    try {
      await this.kernel.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.kernelAlive = true;
    try {
      await this.startCapabilities();
    } catch (err) {
      // Half a gateway is worse than none.
      await this.stop();
      throw err;
    }
    const { config } = this.loaded;
    this.log.info({ buses: config.buses.length, devices: config.devices.length, points: config.points.length, capabilities: this.running.map((c) => c.name), kernel: this.opts.kernel ?? 'process' }, 'gateway started');
  }

  /**
   * Reload as a swap (gateway-supervisor.ts): this gateway, built for the new config and not
   * started, takes over the running one's safety kernel, database and reading writer. The kernel
   * swaps its config in one turn (protection never pauses; no store check, no reopened port); the
   * capabilities restart on the new config. When the kernel refuses, `old` runs on as it was.
   */
  async takeOver(old: Gateway): Promise<KernelReloadResult> {
    if (this.started || !old.started || !old.kernel) throw new Error('Gateway.takeOver: needs a running gateway and one not started');
    const kernel = old.kernel;
    // Kernel first: if it refuses, nothing else was touched. The old capabilities run on for the
    // moment between the swap and their stop (their commands reach the same kernel).
    const result = await kernel.swap(this.loaded, this.opts.confirmedBy ?? this.takeFileConfirmation(), {
      onReadings: (readings, device) => this.dispatch(readings, device),
      onKernelLost: (why) => this.kernelLost(why),
    });
    // In the same turn as the reply: readings arriving from now on are dispatched here, into the same store.
    this.started = true;
    this.kernel = kernel;
    this.kernelAlive = old.kernelAlive;
    this.db = old.db;
    this.writer = old.writer;
    this.writer?.setRetention(storeRetention(this.loaded.config.store?.retention));
    for (const r of old.points.latestReadings()) if (this.loaded.pointsByCode.get(r.point)?.unit === r.unit && old.loaded.pointsByCode.get(r.point)?.unit === r.unit) this.points.update(r);
    await old.stopCapabilities();
    // The old object is an empty shell now: stopping it must not touch what moved here.
    old.started = false;
    old.kernel = undefined;
    old.db = undefined;
    old.writer = undefined;
    await this.startCapabilities();
    this.log.info({ ...result, capabilities: this.running.map((c) => c.name) }, 'config swapped in');
    return result;
  }

  private async startCapabilities(): Promise<void> {
    for (const c of this.capabilities) {
      try {
        await c.start(this.contextFor(c));
      } catch (err) {
        // Say which part failed; what started of the others stops again.
        this.log.error({ capability: c.name, err: (err as Error).message }, 'capability failed to start');
        await this.stopCapabilities();
        throw new Error(`${c.name}: ${(err as Error).message}`, { cause: err });
      }
      this.running.push(c);
    }
  }

  private async stopCapabilities(): Promise<void> {
    for (const c of [...this.running].reverse()) {
      try {
        await c.stop();
      } catch (err) {
        this.log.error({ capability: c.name, err: (err as Error).message }, 'capability failed to stop cleanly');
      }
    }
    this.running.length = 0;
  }

  private kernelLost(why: string): void {
    this.kernelAlive = false;
    if (this.opts.onKernelLost) return this.opts.onKernelLost(why);
    // No protection in this process any more: end it, so systemd restarts it (the watchdog relay
    // has dropped the coils once the heartbeat stopped).
    setImmediate(() => {
      throw new Error(`safety kernel lost: ${why}`);
    });
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

  /** Started and not stopped (nor handed over to a reload's gateway). */
  get isStarted(): boolean {
    return this.started;
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
    await this.stopCapabilities();
    this.kernelAlive = false;
    await this.kernel?.stop();
    this.writer?.close();
    this.db?.close();
    this.log.info('gateway stopped');
  }

  /** A fault elsewhere in the process: outputs to the fail-safe state (process-guard.ts). */
  failSafe(reason: string): Promise<void> {
    return this.kernel ? this.kernel.client.processFault(reason) : Promise.resolve();
  }

  /** Wait at most timeoutMs until the safety records received from the kernel are in the store (process-guard.ts). */
  settleRecords(timeoutMs: number): Promise<boolean> {
    return this.kernel ? this.kernel.settle(timeoutMs) : Promise.resolve(true);
  }

  status(): GatewayStatus {
    const { config } = this.loaded;
    const k = this.kernel ? this.kernel.state() : undefined;
    return {
      points: config.points.map((p) => {
        const r = this.points.current(p.code);
        return { code: p.code, name: p.name ?? p.location, device: p.device, value: r.value, unit: p.unit, quality: r.quality, ageMs: this.points.ageMs(p.code) };
      }),
      devices: k?.devices ?? [],
      buses: k?.buses ?? [],
      store: this.writer?.stats() ?? { written: 0, dropped: 0, queued: 0, failures: 0 },
      outputs: k?.outputs ?? [],
      holds: k?.holds ?? [],
      alarms: k?.alarms ?? [],
      kernel: {
        alive: this.kernelAlive,
        pid: this.kernel?.pid ?? null,
        cycles: k?.cycle.cycles ?? 0,
        lastCycleAgeMs: k ? Math.max(0, this.clock.mono() - k.cycle.lastCycleMono) : Number.POSITIVE_INFINITY,
        maxCycleMs: k?.cycle.maxCycleMs ?? 0,
        maxTickGapMs: k?.cycle.maxTickGapMs ?? 0,
        maxStallMs: k?.maxStallMs ?? 0,
        dropped: k?.dropped ?? { readings: 0, logs: 0, states: 0 },
      },
      log: (({ dropped, failures, lastError }) => ({ dropped, failures, lastError }))(logStats(this.opts.logger) ?? { dropped: 0, failures: 0, lastError: null }),
      capabilities: Object.fromEntries(this.running.filter((c) => c.statusJson).map((c) => [c.name, c.statusJson!()])),
    };
  }

  /** A copy of a batch the kernel has already acted on: into the mirror, the store and the listeners. */
  private dispatch(readings: Reading[], device: DeviceStatus): void {
    for (const r of readings) this.points.update(r);
    for (const r of readings) this.writer?.enqueue(r);
    for (const l of this.listeners) {
      try {
        l(readings, device);
      } catch (err) {
        // A consumer bug must never stop the copies.
        this.log.error({ err: (err as Error).message, device: device.id }, 'reading listener failed');
      }
    }
  }
}
