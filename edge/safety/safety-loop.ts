// The safety path at run time: every poll result goes straight into the interlock engine and its
// decisions straight to the output drivers (high-priority Modbus writes), with no disk or network
// in between. A timer also evaluates on its own, so staleness, hold timers and remote-cut expiry
// act even when no reading arrives at all (every bus dead), and drives the watchdog heartbeat:
// if the event loop stalls, the heartbeat stops and the external watchdog relay trips.
import type { BoardConfig } from '../../board-configs/boards-schema.js';
import type { IoPlugin } from '../../drivers/johnny-five-board.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import type { Clock } from '../../core/clock.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { PointTable } from '../point-table.js';
import { OutputActuator } from './actuator.js';
import { OutputDriverSet, OUTPUT_DRIVER_DEFAULTS } from './output-drivers.js';
import { RelayTestPulses, relayTestPulseBounds, type TestPulseResult } from './relay-test-pulse.js';

export type { TestPulseResult } from './relay-test-pulse.js';
import type { Reading } from '../../core/readings.js';
import type { ActuationReport, FanSwitchCommand, ManualUnlockCommand, OutputDecision, RemoteCutCommand, RemoteReleaseCommand, SafetyStateSource } from './engine-types.js';
import { InterlockEngine } from './interlock-engine.js';
import type { SafetyPlan } from './plan.js';
import { SafetyCommandError } from './errors.js';
import type { SafetyEvent, SafetyJournalLike } from './events.js';
import { FailSafeLatch, type FailSafeState, quietly } from './fail-safe.js';
import { type RecordJournal, type SettlingJournal, WriteAheadJournal } from './write-ahead-journal.js';

export interface SafetyLoopOptions {
  loaded: LoadedConfig;
  /** The safety plan of `loaded`, built in the gateway process (the kernel loads no presets). */
  plan: SafetyPlan;
  /**
   * Where records go after the write-ahead file: the kernel's channel to the SQLite journal in the
   * gateway process. The loop never touches the database itself.
   */
  journal: RecordJournal;
  /** Holds and calibration dates from before the restart (read from the store by the gateway process). */
  restoreFrom: SafetyStateSource;
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
   * Reload swap: the running loop whose output devices (same definition), journal file and last
   * write this loop takes over. Call `takeOver.handOver()` and then `start()` in the same turn.
   */
  takeOver?: SafetyLoop;
  /**
   * A config reload inside a running process: the point table already holds fresh readings, so
   * outputs are decided from them at once instead of starting cut. Holds still come back from the store.
   */
  warmStart?: boolean;
  /**
   * The append-only file the cycle writes its records to before it drives an output
   * (write-ahead-journal.ts). Without it records reach only the SQLite journal, a turn later.
   */
  writeAheadPath?: string;
  /**
   * A safety officer's confirmation for holds reloaded from the store that this config no longer
   * explains (the same confirmation a loosening reload needs); asked only when there are such holds.
   */
  confirmation?: () => { operator: string; reason: string } | undefined;
  /** At start, an output device that has not had its first chance (bus opened, board answered) raises no actuation alarm for this long. */
  actuationStartGraceMs?: number;
}

export const SAFETY_LOOP_DEFAULTS = {
  tickMs: 250,
  actuationStartGraceMs: 5_000,
  boardIo: OUTPUT_DRIVER_DEFAULTS.boardIo,
  minPulseMs: relayTestPulseBounds.minPulseMs,
  maxPulseMs: relayTestPulseBounds.maxPulseMs,
} as const;

export interface OutputStatus {
  id: string;
  kind: string;
  energize: boolean;
  confirmed: boolean | null;
  holds: string[];
  error?: string;
}

export type SafetyEventListener = (events: readonly SafetyEvent[]) => void;

export type { RecordJournal } from './write-ahead-journal.js';

/** How the loop keeps its cadence (for /healthz, status and the kernel stall figure). */
export interface CycleStats {
  cycles: number;
  lastCycleMono: number;
  /** Longest single cycle (rules + issuing the writes), ms. */
  maxCycleMs: number;
  /** Longest time between two timer cycles, ms (tickMs when nothing delays the loop; reloads included). */
  maxTickGapMs: number;
  lastTickMono: number;
}

export class SafetyLoop {
  readonly engine: InterlockEngine;
  private readonly journal: RecordJournal;
  private readonly reportedRuns = new WeakSet<ActuationReport[]>();
  /** Shared with the loop that takes over on a reload: the cadence is the kernel's, not one loop's. */
  private readonly cycleCounters: CycleStats;
  private readonly writeAhead: WriteAheadJournal | undefined;
  /** Holds the outputs in the fail-safe state while the cycle fails. */
  private readonly latch: FailSafeLatch;
  /** Output devices still waiting for their first chance at start (no actuation alarm for them yet). */
  private readonly firstChancePending: Set<string>;
  private startedAtMono = 0;
  private readonly actuator: OutputActuator;
  private readonly outputDrivers: OutputDriverSet;
  /** Stopped by a reload swap: its devices belong to the next loop now. */
  private handedOver = false;
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
  /** Relay tests in progress (they override the engine's decision for one output). */
  private readonly pulses: RelayTestPulses;
  /** Points a technician marked as being calibrated (software flag, as MT/T 1201 status 4). */
  private readonly calibrating = new Set<string>();

  constructor(private readonly opts: SafetyLoopOptions) {
    this.log = opts.logger.child({ module: 'safety' });
    this.tickMs = opts.tickMs ?? SAFETY_LOOP_DEFAULTS.tickMs;
    if (!Number.isFinite(this.tickMs) || this.tickMs < 10) throw new TypeError(`SafetyLoop: tickMs must be ≥ 10, got ${String(opts.tickMs)}`);
    const { config, devicesById, profiles } = opts.loaded;
    this.journal = opts.journal;
    this.cycleCounters = opts.takeOver?.cycleCounters ?? { cycles: 0, lastCycleMono: 0, maxCycleMs: 0, maxTickGapMs: 0, lastTickMono: 0 };
    let journal: SafetyJournalLike = this.journal;
    if (opts.writeAheadPath !== undefined) {
      // What a killed predecessor wrote ahead was imported into the store before the kernel
      // started (kernel-host.ts); the file starts empty once the store has it.
      this.writeAhead = new WriteAheadJournal(opts.writeAheadPath, this.journal);
      this.writeAhead.compact(true);
      journal = this.writeAhead;
    }
    this.engine = new InterlockEngine({ plan: opts.plan, journal, wallClock: opts.clock.wall, warmStart: opts.warmStart === true });
    this.outputDrivers = new OutputDriverSet({
      loaded: opts.loaded,
      masterFor: opts.masterFor,
      ...(opts.boardIo ? { boardIo: opts.boardIo } : {}),
      log: this.log,
      events: {
        boardReady: () => {
          if (this.running) this.cycle(false);
        },
        acknowledge: (operator, log, what) => this.fromBoard(log, what, () => this.acknowledge(operator)),
        unlock: (cmd, log, what) => this.fromBoard(log, what, () => this.manualUnlock(cmd)),
      },
      ...(opts.takeOver ? { takeOver: opts.takeOver.outputDrivers } : {}),
    });
    this.firstChancePending = this.outputDrivers.firstChancePending;
    // The running loop's last writes land before this one's first (no stale write after a swap).
    this.actuator = new OutputActuator({ outputs: config.outputs, drivers: this.outputDrivers.drivers, ...(opts.takeOver ? { after: opts.takeOver.actuator.idle() } : {}) });
    this.pulses = new RelayTestPulses({ decisions: () => this.lastDecisions, drive: (d) => this.drive(d), running: () => this.running });
    this.latch = new FailSafeLatch({
      loaded: opts.loaded,
      clock: opts.clock,
      log: this.log,
      journal: this.journal,
      writeAhead: this.writeAhead,
      lastDecisions: () => this.lastDecisions,
      setLastDecisions: (d) => {
        this.lastDecisions = d;
      },
      drive: (d) => void this.drive(d, false),
      deliver: (events) => this.deliver(events),
    });
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
    this.startedAtMono = this.opts.clock.mono();
    try {
      this.engine.restore(this.opts.restoreFrom, this.startedAtMono);
      if (this.engine.unconfirmedHolds().length > 0) {
        const confirmation = this.opts.confirmation?.();
        if (confirmation) this.engine.confirmUnconfirmedHolds(confirmation, this.opts.clock.mono());
      }
    } catch (err) {
      // A store that cannot be read back proves nothing: start in the fail-safe state.
      this.latch.enter(err, 'restoring the holds failed');
    }
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
      if (!this.handedOver) this.outputDrivers.close();
      return;
    }
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    // A relay test in progress ends now and hands its output back before the loop stops.
    await this.pulses.endAll();
    await this.actuator.idle();
    this.outputDrivers.close();
    await this.journal.close();
    this.writeAhead?.close();
  }

  /**
   * Reload swap (edge/kernel/safety-kernel.ts): the loop built for the new config with
   * `takeOver: this` exists; this one stops now, in the same turn as that one starts, so no tick is
   * missed. Devices it handed over stay open, the journal (shared) too; queued writes are dropped
   * (the next loop decides afresh), the one on the wire finishes before the next loop's first.
   */
  handOver(): void {
    if (!this.running) throw new Error('SafetyLoop.handOver: the loop is not running');
    this.running = false;
    this.handedOver = true;
    if (this.timer) clearInterval(this.timer);
    this.actuator.dropQueued();
    this.outputDrivers.release();
    // Only the file descriptor: records not yet stored stay in the file for the next loop's writer.
    this.writeAhead?.close();
  }

  /** A relay test is running: a reload waits until it ends (it owns one output meanwhile). */
  relayTestRunning(): boolean {
    return this.pulses.busy();
  }

  cycleStats(): CycleStats {
    return { ...this.cycleCounters };
  }

  /**
   * A fault elsewhere in the process (process-guard.ts): drive the fail-safe state now and resolve
   * once the writes are issued and answered (or failed), so the caller may exit.
   */
  async processFault(reason: string): Promise<void> {
    this.latch.enter(new Error(reason), 'process fault');
    await this.actuator.idle();
  }

  /** Why and since when the outputs are in the fail-safe state; undefined while the cycle works. */
  failSafeState(): FailSafeState | undefined {
    return this.latch.snapshot();
  }

  /** Write-ahead file counters (appends, failures), for status and metrics. */
  writeAheadStats(): ReturnType<WriteAheadJournal['stats']> | undefined {
    return this.writeAhead?.stats();
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
   * back (relay-test-pulse.ts). Throws SafetyCommandError when refused.
   */
  async testPulse(outputId: string, pulseMs: number): Promise<TestPulseResult> {
    if (!this.running) throw new SafetyCommandError('INVALID_COMMAND', 'the safety loop is not running');
    return this.pulses.run(outputId, pulseMs);
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

  /**
   * One interlock cycle. It never throws: a poll result must not count a healthy device as failed
   * because of a fault here, and nothing may end the process. A failure of the rules or of the
   * decision path drives the fail-safe state (fail-safe.ts) and latches it; side work (poll
   * acceleration, logging, listeners) is guarded on its own and never costs protection.
   */
  private cycle(fromTimer: boolean): void {
    const began = this.opts.clock.mono();
    try {
      this.runCycle(fromTimer);
    } catch (err) {
      this.latch.enter(err, 'interlock cycle failed');
    }
    const c = this.cycleCounters;
    c.cycles++;
    c.lastCycleMono = this.opts.clock.mono();
    if (c.lastCycleMono - began > c.maxCycleMs) c.maxCycleMs = c.lastCycleMono - began;
    if (fromTimer) {
      if (c.lastTickMono > 0 && began - c.lastTickMono > c.maxTickGapMs) c.maxTickGapMs = began - c.lastTickMono;
      c.lastTickMono = began;
    }
    if (fromTimer) this.writeAhead?.compact();
  }

  private runCycle(fromTimer: boolean): void {
    const now = this.opts.clock.mono();
    // Only the timer advances the heartbeat: its toggles must come at a steady pace whatever the
    // readings do, and stop when the timer stops (a stalled loop).
    const evaluation = this.engine.evaluate((code) => this.readingFor(code), now, { heartbeat: fromTimer });
    if (this.latch.latched && !this.latch.leave()) {
      this.drive(this.latch.decisions(), false);
      this.deliver(evaluation.events);
      return;
    }
    // The watchdog heartbeat toggles with the timer only: toggling it on every poll result would
    // flood the relay bus with coil writes.
    const decisions = evaluation.outputs.map((d) =>
      !d.energize && d.kind !== 'power' && d.kind !== 'heartbeat' && (this.signalRequests.get(d.output)?.size ?? 0) > 0 ? { ...d, energize: true } : d,
    );
    this.lastDecisions = decisions;
    this.drive(fromTimer ? decisions : decisions.filter((d) => d.kind !== 'heartbeat'), true);
    this.accelerate(evaluation.fastPollDevices);
    this.deliver(evaluation.events);
  }

  /** Accelerated patrol of gas-abnormal areas: a failure here slows polling, never protection. */
  private accelerate(fastPollDevices: readonly string[]): void {
    for (const d of this.opts.loaded.config.devices) {
      const fast = fastPollDevices.includes(d.id);
      if (fast === this.accelerated.has(d.id)) continue;
      try {
        this.opts.setAccelerated(d.id, fast);
        if (fast) this.accelerated.add(d.id);
        else this.accelerated.delete(d.id);
      } catch (err) {
        quietly(() => this.log.error({ device: d.id, err: (err as Error).message }, 'accelerated polling could not be switched'));
      }
    }
  }

  /** Log and hand events to listeners; neither may disturb the cycle. */
  private deliver(events: readonly SafetyEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) quietly(() => this.logEvent(e));
    for (const l of this.listeners) {
      try {
        l(events);
      } catch (err) {
        quietly(() => this.log.error({ err: (err as Error).message }, 'safety event listener failed'));
      }
    }
  }

  /**
   * Drive decisions; `report` feeds the results back to the engine (not in the fail-safe state,
   * where the engine is what failed). The promise never rejects.
   */
  private drive(decisions: OutputDecision[], report = true): Promise<ActuationReport[]> {
    const driven = this.pulses.apply(decisions);
    return this.actuator.apply(driven).then(
      (reports) => {
        for (const r of reports) this.lastReports.set(r.output, r);
        // Several drive() calls coalesced into one run share its reports: the engine hears them
        // once, or one override at the module would become one event per waiting caller.
        if (!report || this.latch.latched || this.reportedRuns.has(reports)) return reports;
        this.reportedRuns.add(reports);
        try {
          this.engine.reportActuation(this.pastFirstChance(reports), this.opts.clock.mono());
        } catch (err) {
          this.latch.enter(err, 'actuation feedback failed');
        }
        return reports;
      },
      (err: unknown) => {
        this.latch.enter(err, 'actuation failed');
        return [];
      },
    );
  }

  /**
   * Start-up must not cry wolf: an output device whose bus has not opened yet (or board not
   * answered yet) raises no actuation alarm until it had its first chance or the grace is over.
   * The outputs stay cut meanwhile (start-up hold), and status shows them unconfirmed.
   */
  private pastFirstChance(reports: ActuationReport[]): ActuationReport[] {
    if (this.firstChancePending.size === 0) return reports;
    const grace = this.opts.actuationStartGraceMs ?? SAFETY_LOOP_DEFAULTS.actuationStartGraceMs;
    if (this.opts.clock.mono() - this.startedAtMono >= grace) {
      this.firstChancePending.clear();
      return reports;
    }
    const device = new Map(this.opts.loaded.config.outputs.map((o) => [o.id, o.device]));
    for (const r of reports) if (r.confirmed) this.firstChancePending.delete(device.get(r.output) ?? '');
    return reports.filter((r) => r.confirmed || !this.firstChancePending.has(device.get(r.output) ?? ''));
  }

  private logEvent(e: SafetyEvent): void {
    const fields = { event: e.type, rule: e.rule, point: e.point, value: e.value, threshold: e.threshold, clause: e.clause, outputs: e.outputs, operator: e.operator, reason: e.reason };
    const serious = e.type === 'cut' || e.type === 'lockout' || e.type === 'alarm-on' || e.type === 'feed-abnormal' || e.type === 'remote-cut' || e.type === 'evacuation-on';
    if (serious) this.log.warn(fields, `safety: ${e.type}`);
    else this.log.info(fields, `safety: ${e.type}`);
  }
}
