// The safety path at run time: every poll result goes straight into the interlock engine and its
// decisions straight to the output drivers (high-priority Modbus writes), with no disk or network
// in between. A timer also evaluates on its own, so staleness, hold timers and remote-cut expiry
// act even when no reading arrives at all (every bus dead), and drives the watchdog heartbeat:
// if the event loop stalls, the heartbeat stops and the external watchdog relay trips.
import type Database from 'better-sqlite3';
import type { BoardConfig } from '../../board-configs/boards-schema.js';
import { createFirmataIo, type IoPlugin, JohnnyFiveBoard, ReconnectingBoard } from '../../drivers/johnny-five-board.js';
import type { OutputDriver } from '../../drivers/output-driver.js';
import { RelayModuleDriver } from '../../drivers/relay-module.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import type { Clock } from '../clock.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { PointTable } from '../point-table.js';
import { OutputActuator } from './actuator.js';
import type { Reading } from '../readings.js';
import { type ActuationReport, type FanSwitchCommand, type ManualUnlockCommand, type OutputDecision, type RemoteCutCommand, type RemoteReleaseCommand, SafetyEngine, type SafetyEvaluation } from './engine.js';
import { SafetyCommandError } from './errors.js';
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
  /** The IO plugin of each Firmata board (default: firmata-io on the board's serial port). Tests inject TestIO. */
  boardIo?: (board: BoardConfig) => IoPlugin;
  /**
   * A config reload inside a running process: the point table already holds fresh readings, so
   * outputs are decided from them at once instead of starting cut. Holds still come back from the store.
   */
  warmStart?: boolean;
}

export const safetyLoopDefaults = {
  tickMs: 250,
  boardIo: (board: BoardConfig): IoPlugin =>
    createFirmataIo(board.firmata.path, { baudRate: board.firmata.baudRate, reportVersionTimeoutMs: board.firmata.reportVersionTimeoutMs }),
  /** Bounds of a relay test pulse: long enough for a contactor to pull in, short enough to stay a test. */
  minPulseMs: 50,
  maxPulseMs: 10_000,
} as const;

/** What a relay test did: the output driven away from the engine's decision and handed back. */
export interface TestPulseResult {
  output: string;
  kind: string;
  /** The engine's decision when the test began. */
  engineState: boolean;
  /** The state driven during the pulse. */
  pulsedTo: boolean;
  pulseMs: number;
  /** Actuation report of the pulse and of the hand-back. */
  pulse: ActuationReport;
  handBack: ActuationReport;
}

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
  private readonly boards: ReconnectingBoard[] = [];
  private readonly log: Logger;
  private readonly tickMs: number;
  private readonly listeners: SafetyEventListener[] = [];
  private readonly accelerated = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastDecisions: OutputDecision[] = [];
  private readonly lastReports = new Map<string, ActuationReport>();
  /** Siren/beacon/evacuation outputs other parts asked for (evacuation 撤人), by output: the sources asking. */
  private readonly signalRequests = new Map<string, Set<string>>();
  private running = false;
  /** Relay tests in progress: output → state driven instead of the engine's decision. */
  private readonly overrides = new Map<string, boolean>();
  private readonly pulses = new Map<string, { wake: () => void; done: Promise<unknown> }>();
  /** Points a technician marked as being calibrated (software flag, as MT/T 1201 status 4). */
  private readonly calibrating = new Set<string>();

  constructor(private readonly opts: SafetyLoopOptions) {
    this.log = opts.logger.child({ module: 'safety' });
    this.tickMs = opts.tickMs ?? safetyLoopDefaults.tickMs;
    if (!Number.isFinite(this.tickMs) || this.tickMs < 10) throw new TypeError(`SafetyLoop: tickMs must be ≥ 10, got ${String(opts.tickMs)}`);
    const { config, devicesById, profiles } = opts.loaded;
    this.store = new SafetyStore(opts.db);
    this.journal = new SafetyJournal(this.store);
    this.engine = new SafetyEngine({ config, journal: this.journal, wallClock: opts.clock.wall, startupHold: !opts.warmStart });
    for (const board of config.boards ?? []) this.drivers.set(board.id, this.openBoard(board));
    for (const deviceId of new Set(config.outputs.map((o) => o.device))) {
      if (this.drivers.has(deviceId)) continue;
      const device = devicesById.get(deviceId);
      if (!device) throw new TypeError(`SafetyLoop: output device "${deviceId}" is neither a device nor a board of the config`);
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

  /**
   * Another part of the gateway (evacuation) wants a warning output on or off. Warning outputs are
   * on while the interlocks OR any requester want them; power outputs belong to the interlocks alone.
   */
  requestSignal(source: string, outputId: string, on: boolean): void {
    const output = this.opts.loaded.config.outputs.find((o) => o.id === outputId);
    if (!output) throw new RangeError(`SafetyLoop.requestSignal: no output "${outputId}"`);
    if (output.kind === 'power' || output.kind === 'heartbeat') throw new TypeError(`SafetyLoop.requestSignal: output "${outputId}" is a ${output.kind} output; only warning outputs can be requested`);
    const sources = this.signalRequests.get(outputId) ?? new Set<string>();
    const had = sources.has(source);
    if (on) sources.add(source);
    else sources.delete(source);
    this.signalRequests.set(outputId, sources);
    if (had !== on && this.running) this.cycle(false);
  }

  async stop(): Promise<void> {
    if (!this.running) {
      for (const b of this.boards) b.close();
      return;
    }
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    // A relay test in progress ends now and hands its output back before the loop stops.
    for (const p of this.pulses.values()) p.wake();
    await Promise.allSettled([...this.pulses.values()].map((p) => p.done));
    await this.actuator.idle();
    for (const b of this.boards) b.close();
    await this.journal.close();
  }

  /** Silence the audible alarm (board button, CLI): applied, then evaluated and driven at once. Throws SafetyCommandError. */
  acknowledge(operator: string): void {
    this.command(() => this.engine.acknowledge(operator, this.opts.clock.mono()));
  }

  /** Manual unlock of a fan lock (board key switch, CLI): applied, then evaluated and driven at once. Throws SafetyCommandError. */
  manualUnlock(cmd: ManualUnlockCommand): void {
    this.command(() => this.engine.manualUnlock(cmd, this.opts.clock.mono()));
  }

  /** 异地断电 (remote cut): applied, then evaluated and driven at once. Throws SafetyCommandError. */
  remoteCut(cmd: RemoteCutCommand): void {
    this.command(() => this.engine.remoteCut(cmd, this.opts.clock.mono()));
  }

  /** Release a remote cut (same authority only): applied, then evaluated and driven at once. Throws SafetyCommandError. */
  remoteRelease(cmd: RemoteReleaseCommand): void {
    this.command(() => this.engine.remoteRelease(cmd, this.opts.clock.mono()));
  }

  /** Clause g by hand: make the main or standby fan of a pair the running one. Throws SafetyCommandError. */
  switchLocalFan(cmd: FanSwitchCommand): void {
    this.command(() => this.engine.switchLocalFan(cmd, this.opts.clock.mono()));
  }

  outputs(): OutputStatus[] {
    return this.lastDecisions.map((d) => {
      const r = this.lastReports.get(d.output);
      const s: OutputStatus = { id: d.output, kind: d.kind, energize: d.energize, confirmed: r && r.energize === d.energize ? r.confirmed : null, holds: d.holds };
      if (r?.error) s.error = r.error;
      return s;
    });
  }

  /**
   * Mark a point as being calibrated (or not): its good readings reach the engine flagged
   * 'calibrating', so they still drive protection, and the integrity monitor records the
   * calibration date when the flag goes (the 'calibration' event, reloaded after a restart).
   */
  setCalibrating(point: string, on: boolean): void {
    if (!this.opts.loaded.pointsByCode.has(point)) throw new SafetyCommandError('UNKNOWN_TARGET', `no point "${point}"`);
    if (on) this.calibrating.add(point);
    else this.calibrating.delete(point);
  }

  calibratingPoints(): string[] {
    return [...this.calibrating].sort();
  }

  /** Marked calibrating by a technician (`minegate calibrate <point> start`). O(1) for the polling path. */
  isCalibrating(point: string): boolean {
    return this.calibrating.has(point);
  }

  /**
   * Relay test: drive one output opposite to the engine's decision for `pulseMs`, then hand it
   * back. The engine stays in charge: a power output is only ever pulsed towards cut (one held cut
   * is refused, never energised; a hold appearing during the pulse wins at once), and the watchdog
   * heartbeat is refused. Throws SafetyCommandError when refused.
   */
  async testPulse(outputId: string, pulseMs: number): Promise<TestPulseResult> {
    const { minPulseMs, maxPulseMs } = safetyLoopDefaults;
    if (!this.running) throw new SafetyCommandError('INVALID_COMMAND', 'the safety loop is not running');
    if (!Number.isInteger(pulseMs) || pulseMs < minPulseMs || pulseMs > maxPulseMs) {
      throw new SafetyCommandError('INVALID_COMMAND', `pulse length must be an integer ${minPulseMs}..${maxPulseMs} ms, got ${String(pulseMs)}`);
    }
    const decision = this.lastDecisions.find((d) => d.output === outputId);
    if (!decision) throw new SafetyCommandError('UNKNOWN_TARGET', `no output "${outputId}"`);
    if (decision.kind === 'heartbeat') throw new SafetyCommandError('INVALID_COMMAND', `${outputId} is the watchdog heartbeat: holding it trips the external watchdog, so it is not pulsed by hand`);
    if (this.overrides.has(outputId)) throw new SafetyCommandError('DUPLICATE_COMMAND', `a relay test of ${outputId} is already running`);
    const pulsedTo = !decision.energize;
    if (decision.kind === 'power' && pulsedTo) {
      throw new SafetyCommandError('INVALID_COMMAND', `${outputId} is held cut by ${decision.holds.join(', ')}: a relay test never energises a held output`);
    }
    if (decision.kind !== 'power' && decision.energize) {
      throw new SafetyCommandError('INVALID_COMMAND', `${outputId} (${decision.kind}) is on for an active alarm or evacuation: a relay test never silences it`);
    }
    let wake = (): void => {};
    const run = async (): Promise<TestPulseResult> => {
      this.overrides.set(outputId, pulsedTo);
      let pulse: ActuationReport | undefined;
      try {
        pulse = await this.driveNow(outputId);
        if (this.running) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pulseMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        this.overrides.delete(outputId);
      }
      const handBack = await this.driveNow(outputId);
      return { output: outputId, kind: decision.kind, engineState: decision.energize, pulsedTo, pulseMs, pulse, handBack };
    };
    const done = run();
    this.pulses.set(outputId, { wake: () => wake(), done });
    try {
      return await done;
    } finally {
      this.pulses.delete(outputId);
    }
  }

  /** Drive the latest decisions (with relay-test overrides) now; the report for one output. */
  private async driveNow(outputId: string): Promise<ActuationReport> {
    const reports = await this.drive(this.lastDecisions.filter((d) => d.kind !== 'heartbeat'));
    return reports.find((r) => r.output === outputId) ?? { output: outputId, energize: false, confirmed: false, error: 'no report from the actuator' };
  }

  private readingFor(code: string): Reading {
    const r = this.opts.points.current(code);
    return r.quality === 'good' && this.calibrating.has(code) ? { ...r, quality: 'calibrating' } : r;
  }

  /** The engine journals the command (refusals too); the new state is driven without waiting for a tick. */
  private command(apply: () => void): void {
    if (!this.running) throw new SafetyCommandError('INVALID_COMMAND', 'the safety loop is not running');
    apply();
    this.cycle(false);
  }

  /** A Firmata board as an output driver; its acknowledge button and unlock keys become engine commands. */
  private openBoard(config: BoardConfig): OutputDriver {
    const log = this.log.child({ board: config.id });
    // A fresh IO (serial port) and johnny-five board on every (re)open: an unplugged panel comes
    // back by itself once it is plugged in again. Until then its outputs report unconfirmed.
    const board = new ReconnectingBoard({
      id: config.id,
      open: () =>
        new JohnnyFiveBoard({
          id: config.id,
          io: (this.opts.boardIo ?? safetyLoopDefaults.boardIo)(config),
          outputs: config.outputs,
          ...(config.acknowledgeButton ? { acknowledgeButton: config.acknowledgeButton } : {}),
          unlockKeys: config.unlockKeys,
          readyTimeoutMs: config.readyTimeoutMs,
        }),
    });
    this.boards.push(board);
    board.on('offline', (err) => log.error({ err: err.message }, 'board unreachable: its outputs are not confirmed; reopening'));
    // Drive its outputs as soon as it can take them instead of waiting for the next tick.
    board.on('online', () => {
      log.info('board ready');
      if (this.running) this.cycle(false);
    });
    const operator = config.acknowledgeButton?.operator ?? `${config.id}.acknowledge`;
    board.on('acknowledge', () => this.fromBoard(log, 'acknowledge button', () => this.acknowledge(operator)));
    board.on('unlock', (cmd) => this.fromBoard(log, `unlock key of fan ${cmd.fan}`, () => this.manualUnlock(cmd)));
    return board;
  }

  private fromBoard(log: Logger, what: string, apply: () => void): void {
    try {
      apply();
      log.info(`${what}: accepted`);
    } catch (err) {
      // The engine has journalled the refusal with its reason; the operator sees it in the events.
      const code = err instanceof SafetyCommandError ? err.code : undefined;
      log.warn({ code, err: (err as Error).message }, `${what}: refused`);
    }
  }

  private cycle(fromTimer: boolean): void {
    const now = this.opts.clock.mono();
    let evaluation: SafetyEvaluation;
    try {
      // Only the timer advances the heartbeat: its toggles must come at a steady pace whatever the
      // readings do, and stop when the timer stops (a stalled loop).
      evaluation = this.engine.evaluate((code) => this.readingFor(code), now, { heartbeat: fromTimer });
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
    const decisions = evaluation.outputs.map((d) =>
      !d.energize && d.kind !== 'power' && d.kind !== 'heartbeat' && (this.signalRequests.get(d.output)?.size ?? 0) > 0 ? { ...d, energize: true } : d,
    );
    this.lastDecisions = decisions;
    this.drive(fromTimer ? decisions : decisions.filter((d) => d.kind !== 'heartbeat'));
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

  private drive(decisions: OutputDecision[]): Promise<ActuationReport[]> {
    const driven = this.overrides.size === 0 ? decisions : decisions.map((d) => this.withOverride(d));
    return this.actuator.apply(driven).then((reports) => {
      for (const r of reports) this.lastReports.set(r.output, r);
      this.engine.reportActuation(reports, this.opts.clock.mono());
      return reports;
    });
  }

  /** A relay test's state instead of the decision, except that power the engine cuts stays cut. */
  private withOverride(d: OutputDecision): OutputDecision {
    const forced = this.overrides.get(d.output);
    if (forced === undefined || (d.kind === 'power' && forced && !d.energize)) return d;
    return { ...d, energize: forced };
  }

  private logEvent(e: SafetyEvent): void {
    const fields = { event: e.type, rule: e.rule, point: e.point, value: e.value, threshold: e.threshold, clause: e.clause, outputs: e.outputs, operator: e.operator, reason: e.reason };
    const serious = e.type === 'cut' || e.type === 'lockout' || e.type === 'alarm-on' || e.type === 'feed-abnormal' || e.type === 'remote-cut' || e.type === 'evacuation-on';
    if (serious) this.log.warn(fields, `safety: ${e.type}`);
    else this.log.info(fields, `safety: ${e.type}`);
  }
}
