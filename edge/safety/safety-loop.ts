// The safety path at run time: every poll result goes straight into the interlock engine and its
// decisions straight to the output drivers (high-priority Modbus writes), with no disk or network
// in between. A timer also evaluates on its own, so staleness, hold timers and remote-cut expiry
// act even when no reading arrives at all (every bus dead), and drives the watchdog heartbeat:
// if the event loop stalls, the heartbeat stops and the external watchdog relay trips.
import type Database from 'better-sqlite3';
import { RelayModuleDriver, type OutputDriver } from '../../drivers/relay-module.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import type { Clock } from '../clock.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { PointTable } from '../point-table.js';
import { OutputActuator } from './actuator.js';
import { type ActuationReport, type OutputDecision, SafetyEngine, type SafetyEvaluation } from './engine.js';
import { SafetyJournal, type SafetyEvent } from './events.js';
import { SafetyStore } from './store.js';

export interface SafetyLoopOptions {
  loaded: LoadedConfig;
  db: Database.Database;
  points: PointTable;
  masterFor(busId: string): ModbusMaster;
  setAccelerated(deviceId: string, on: boolean): void;
  clock: Clock;
  logger: Logger;
  /** Evaluation (and heartbeat) period without readings. */
  tickMs?: number;
}

export const safetyLoopDefaults = { tickMs: 250 } as const;

export interface OutputStatus {
  id: string;
  kind: string;
  energize: boolean;
  confirmed: boolean | null;
  holds: string[];
  error?: string;
}

export type SafetyEventListener = (events: readonly SafetyEvent[]) => void;

export class SafetyLoop {
  readonly engine: SafetyEngine;
  readonly store: SafetyStore;
  private readonly journal: SafetyJournal;
  private readonly actuator: OutputActuator;
  private readonly drivers = new Map<string, OutputDriver>();
  private readonly log: Logger;
  private readonly tickMs: number;
  private readonly listeners: SafetyEventListener[] = [];
  private readonly accelerated = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastDecisions: OutputDecision[] = [];
  private readonly lastReports = new Map<string, ActuationReport>();
  private running = false;

  constructor(private readonly opts: SafetyLoopOptions) {
    this.log = opts.logger.child({ module: 'safety' });
    this.tickMs = opts.tickMs ?? safetyLoopDefaults.tickMs;
    if (!Number.isFinite(this.tickMs) || this.tickMs < 10) throw new TypeError(`SafetyLoop: tickMs must be ≥ 10, got ${String(opts.tickMs)}`);
    const { config, devicesById, profiles } = opts.loaded;
    this.store = new SafetyStore(opts.db);
    this.journal = new SafetyJournal(this.store);
    this.engine = new SafetyEngine({ config, journal: this.journal, wallClock: opts.clock.wall });
    for (const deviceId of new Set(config.outputs.map((o) => o.device))) {
      const device = devicesById.get(deviceId)!;
      const profile = profiles.get(device.profile)!;
      const driver = RelayModuleDriver.fromProfile(device.id, profile, opts.masterFor(device.bus), device.unit);
      driver.on('offline', (err) => this.log.error({ device: device.id, err: err.message }, 'output module unreachable: its outputs are not confirmed'));
      driver.on('online', () => this.log.info({ device: device.id }, 'output module reachable again'));
      this.drivers.set(device.id, driver);
    }
    this.actuator = new OutputActuator({ outputs: config.outputs, drivers: this.drivers });
  }

  /** Safety events as they happen (alarms, cuts, releases …): for upstream, evacuation, display. */
  onEvents(listener: SafetyEventListener): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // Holds from before a restart come back first; every power output stays cut until the points
    // that govern it have been freshly read (AQ 6201-2019 fail-safe start).
    this.engine.restore(this.store, this.opts.clock.mono());
    this.cycle(true);
    this.timer = setInterval(() => this.cycle(true), this.tickMs);
  }

  /** Call after every batch of readings: the shortest path from a reply to a cut. */
  onReadings(): void {
    if (this.running) this.cycle(false);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    await this.actuator.idle();
    await this.journal.close();
  }

  outputs(): OutputStatus[] {
    return this.lastDecisions.map((d) => {
      const r = this.lastReports.get(d.output);
      const s: OutputStatus = { id: d.output, kind: d.kind, energize: d.energize, confirmed: r && r.energize === d.energize ? r.confirmed : null, holds: d.holds };
      if (r?.error) s.error = r.error;
      return s;
    });
  }

  private cycle(fromTimer: boolean): void {
    const now = this.opts.clock.mono();
    let evaluation: SafetyEvaluation;
    try {
      evaluation = this.engine.evaluate((code) => this.opts.points.current(code), now);
    } catch (err) {
      // An engine fault must never leave power on: cut everything, sound the alarm.
      this.log.fatal({ err: (err as Error).message }, 'safety engine failed: all power outputs cut');
      this.drive(this.engine.failSafeOutputs());
      return;
    }
    for (const d of this.opts.loaded.config.devices) {
      const fast = evaluation.fastPollDevices.includes(d.id);
      if (fast !== this.accelerated.has(d.id)) {
        if (fast) this.accelerated.add(d.id);
        else this.accelerated.delete(d.id);
        this.opts.setAccelerated(d.id, fast);
      }
    }
    // The watchdog heartbeat toggles with the timer only: toggling it on every poll result would
    // flood the relay bus with coil writes.
    this.lastDecisions = evaluation.outputs;
    this.drive(fromTimer ? evaluation.outputs : evaluation.outputs.filter((d) => d.kind !== 'heartbeat'));
    if (evaluation.events.length > 0) {
      for (const e of evaluation.events) this.logEvent(e);
      for (const l of this.listeners) {
        try {
          l(evaluation.events);
        } catch (err) {
          this.log.error({ err: (err as Error).message }, 'safety event listener failed');
        }
      }
    }
  }

  private drive(decisions: OutputDecision[]): void {
    void this.actuator.apply(decisions).then((reports) => {
      for (const r of reports) this.lastReports.set(r.output, r);
      this.engine.reportActuation(reports, this.opts.clock.mono());
    });
  }

  private logEvent(e: SafetyEvent): void {
    const fields = { event: e.type, rule: e.rule, point: e.point, value: e.value, threshold: e.threshold, clause: e.clause, outputs: e.outputs, operator: e.operator, reason: e.reason };
    const serious = e.type === 'cut' || e.type === 'lockout' || e.type === 'alarm-on' || e.type === 'feed-abnormal' || e.type === 'remote-cut' || e.type === 'evacuation-on';
    if (serious) this.log.warn(fields, `safety: ${e.type}`);
    else this.log.info(fields, `safety: ${e.type}`);
  }
}
