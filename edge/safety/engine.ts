// The offline safety interlock engine: evaluated once per poll cycle with the latest readings and a
// monotonic time, it returns the desired state of every output and the events raised. It keeps all
// functions of a methane cut-off instrument and a methane-wind-power interlock device without the
// host (煤矿安全规程, AQ 6201-2019 §3.1). Every rule is fail-safe: a reading that is missing, stale,
// faulty or over-range is dangerous, and only positive evidence (a good reading) releases a hold.
// Pure logic: no I/O, no timers. Durability goes through an optional journal that never blocks.
import { loadPresets, type PresetLibrary } from '../../board-configs/presets/load-presets.js';
import type { Reading } from '../../core/readings.js';
import { type Alarm, type AlarmInput, AlarmSet } from './alarms.js';
import { ABNORMALITY, type AbnormalityCode, CLAUSES } from './clauses.js';
import type { SafetyConfigView } from './config-view.js';
import { SafetyCommandError } from './errors.js';
import type { SafetyEvent, SafetyJournalLike } from './events.js';
import { type Hold, type HoldInput, HoldSet, holdKey, type PersistedHold, type RuleId, toPersistedHold } from './holds.js';
import { IntegrityMonitor } from './integrity.js';
import { failSafeDecisions } from './fail-safe.js';
import type { OutputDecision } from './output-decision.js';
import { may } from './quality-policy.js';
import { buildSafetyPlan, type PlannedFan, type PlannedFanUnit, type PlannedOutput, type PlannedPoint, type SafetyPlan } from './plan.js';

/** Latest reading of a point with staleness already applied (edge/point-table.ts `current`). */
export type ReadingSource = (point: string) => Reading | undefined;

// OutputDecision lives in output-decision.ts (fail-safe.ts needs it without importing the engine).
export type { OutputDecision } from './output-decision.js';

export interface EvaluateOptions {
  /** Toggle the heartbeat output in this evaluation (default true). */
  heartbeat?: boolean;
}

export interface SafetyEvaluation {
  now: number;
  outputs: OutputDecision[];
  /** Events raised since the previous evaluation (commands included), already sent to the journal. */
  events: SafetyEvent[];
  alarms: Alarm[];
  /** Devices that should poll at their alarmPollMs (accelerated patrol of a gas-abnormal area). */
  fastPollDevices: string[];
}

export interface RemoteCutCommand {
  /** Command id, unique while active (the release names it). */
  id: string;
  zones?: string[];
  outputs?: string[];
  /** Who holds the authority (e.g. "dispatch"): only the same authority may release it. */
  authority: string;
  /** The person who ordered it. */
  operator: string;
  reason: string;
  /** It expires on its own after this long (bounded by safety.remoteCut.maxDurationMs). */
  durationMs: number;
}

export interface RemoteReleaseCommand {
  id: string;
  authority: string;
  operator: string;
}

/** Interlock clause g by hand: make one fan of a main/standby pair the running one (daily switchover test, back to a repaired main fan). */
export interface FanSwitchCommand {
  fan: string;
  to: 'main' | 'standby';
  /** Must be in safety.unlockOperators. */
  operator: string;
}

export interface ManualUnlockCommand {
  fan: string;
  /** Operator identity (password software user or key-switch id); must be in safety.unlockOperators. */
  operator: string;
}

/** What the actuator did with one decision. */
export interface ActuationReport {
  output: string;
  energize: boolean;
  confirmed: boolean;
  error?: string;
  /**
   * The channel was found in the other state although it had been confirmed as commanded and the
   * command had not changed: a module reset or a hand override at the module (明停暗开 risk).
   */
  overridden?: { found: boolean; lastSeenAgoMs: number };
}

export interface SafetyEngineOptions {
  config: SafetyConfigView;
  /** Threshold presets (default: the shipped board-configs/presets). */
  presets?: PresetLibrary;
  /** Wall clock for event times (default Date.now); rule timing uses only the monotonic `now`. */
  wallClock?: () => number;
  /** Durable sink for events and the hold snapshot; appended to without waiting. */
  journal?: SafetyJournalLike;
  /** Cut every power output at start until its governing points are freshly read (default true). */
  startupHold?: boolean;
  /**
   * A reload inside a running process (default false): outputs whose governing points all have a
   * good fresh reading in hand stay as they are; every other power output is cut at the first
   * evaluation until its points read good (never kept on through a grace period).
   */
  warmStart?: boolean;
  /** Run the sensor-integrity detectors (default true). */
  integrity?: boolean;
}

export const SAFETY_ENGINE_DEFAULTS = {
  startupHold: true,
  integrity: true,
  wallClock: (): number => Date.now(),
} as const;

/** The persisted state SafetyEngine.restore() reads (SafetyStore implements it). */
export interface SafetyStateSource {
  loadHolds(): PersistedHold[];
  lastCalibrations?(): Map<string, number>;
}

interface Cycle {
  now: number;
  wallNow: number;
  read: (code: string) => Reading | undefined;
}

interface PointState {
  /** Freshly acquired since start, whatever its quality (fault-lockout grace, fault wording). */
  seen: boolean;
  /** A GOOD reading acquired since start: the only thing that releases the start-up hold. */
  provenFresh: boolean;
  faulty: boolean;
  goodSince: number | undefined;
  cutActive: boolean;
  /** Second stage (fanCutoff) active: the local fan is cut too. */
  fanCutActive: boolean;
}

interface FanState {
  stopped: boolean;
  ductLow: boolean;
  locked: boolean;
  /** After a manual unlock the lock re-arms only once its condition has cleared. */
  suppressed: boolean;
  /**
   * Last cycle proved the lock condition gone on good readings (the fan runs, or every gas point
   * reads ≤ lockAbove). Manual unlock needs this proof; an unknown condition is not gone.
   */
  conditionGone: boolean;
  /** Fans (main/standby) whose restart permit is withheld. */
  restartBlocked: Set<FanUnitName>;
  /** Clause g: the fan of a main/standby pair that ventilates (the other is held off). */
  active: FanUnitName;
  /** Fans that stopped on their own while permitted; not switched to until seen running or selected by hand. */
  failed: Set<FanUnitName>;
  /** Monotonic time of the last switchover while the fan switched to has not reported running yet. */
  switchedAt: number | undefined;
}

type FanUnitName = PlannedFanUnit['unit'];
type UnitState = 'running' | 'stopped' | 'unknown';

interface FeedState {
  cutSince: number | undefined;
  energisedSince: number | undefined;
  abnormal: 'live' | 'unverified' | undefined;
  escalated: boolean;
  deadReported: boolean;
}

interface RemoteCut {
  id: string;
  outputs: string[];
  authority: string;
  operator: string;
  reason: string;
  expiresAt: number;
}

const STARTUP_KEY = holdKey('startup', 'restart');

export class SafetyEngine {
  readonly plan: SafetyPlan;
  private readonly holdSet = new HoldSet();
  private readonly alarmSet = new AlarmSet();
  private readonly integrity: IntegrityMonitor | undefined;
  private readonly wall: () => number;
  private readonly journal: SafetyJournalLike | undefined;
  private readonly startupHold: boolean;
  private readonly warmStart: boolean;
  /** Warm start: the start-up hold is placed at the first evaluation, from the readings in hand. */
  private warmHoldPending: boolean;
  private startedAt: number | undefined;
  private seq = 0;
  private pending: SafetyEvent[] = [];
  private savedHoldVersion = -1;
  private heartbeat = false;
  private evacuating = false;
  private readonly pointState = new Map<string, PointState>();
  private readonly fanState = new Map<string, FanState>();
  private readonly feedState = new Map<string, FeedState>();
  private readonly remoteCuts = new Map<string, RemoteCut>();
  private readonly lastEnergize = new Map<string, boolean>();
  /** Outputs with an override alarm whose channel has been confirmed as commanded since. */
  private readonly overrideCorrected = new Set<string>();
  /** Reloaded holds this config does not explain, kept until a safety officer confirms. */
  private readonly unconfirmed: { hold: PersistedHold; why: string }[] = [];
  /** Bumped when the unconfirmed list changes outside the hold set (it is part of the persisted snapshot). */
  private unconfirmedVersion = 0;
  /** The readings of the last evaluation (refusal wording between cycles). */
  private lastRead = new Map<string, Reading | undefined>();
  private readonly pointsByZone = new Map<string, PlannedPoint[]>();

  constructor(opts: SafetyEngineOptions) {
    if (!opts || typeof opts !== 'object' || !opts.config) throw new TypeError(`SafetyEngine: options.config is required, got ${String(opts?.config)}`);
    if (opts.wallClock !== undefined && typeof opts.wallClock !== 'function') throw new TypeError(`SafetyEngine: wallClock must be a function, got ${typeof opts.wallClock}`);
    if (opts.journal !== undefined && (typeof opts.journal.record !== 'function' || typeof opts.journal.saveHolds !== 'function')) {
      throw new TypeError('SafetyEngine: journal must have record(events) and saveHolds(holds)');
    }
    this.plan = buildSafetyPlan(opts.config, opts.presets ?? loadPresets());
    this.wall = opts.wallClock ?? SAFETY_ENGINE_DEFAULTS.wallClock;
    this.journal = opts.journal;
    this.startupHold = opts.startupHold ?? SAFETY_ENGINE_DEFAULTS.startupHold;
    this.warmStart = opts.warmStart ?? false;
    this.warmHoldPending = this.warmStart && this.startupHold;
    if (opts.integrity ?? SAFETY_ENGINE_DEFAULTS.integrity) this.integrity = IntegrityMonitor.fromPlan(this.plan);
    for (const p of this.plan.points.values()) {
      this.pointState.set(p.code, { seen: false, provenFresh: false, faulty: false, goodSince: undefined, cutActive: false, fanCutActive: false });
      for (const z of p.zones) this.pointsByZone.set(z, [...(this.pointsByZone.get(z) ?? []), p]);
    }
    for (const f of this.plan.fans) {
      this.fanState.set(f.id, {
        stopped: false,
        ductLow: false,
        locked: false,
        suppressed: false,
        conditionGone: false,
        restartBlocked: new Set(),
        active: 'main',
        failed: new Set(),
        switchedAt: undefined,
      });
    }
    for (const o of this.plan.outputs.values()) {
      if (o.feedPoint !== undefined) this.feedState.set(o.id, { cutSince: undefined, energisedSince: undefined, abnormal: undefined, escalated: false, deadReported: false });
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Reload the holds persisted before a restart (call once, before the first evaluate). Outputs
   * stay cut by the startup hold until their governing points are freshly read, and reloaded
   * holds (methane cut, fan lock, fault lockout, remote cut …) release only by their own rule.
   */
  restore(source: SafetyStateSource, now: number): void {
    assertTime('restore', now);
    if (this.startedAt !== undefined) throw new Error('SafetyEngine.restore must be called before the first evaluate()');
    if (!source || typeof source.loadHolds !== 'function') throw new TypeError('SafetyEngine.restore: source must have loadHolds()');
    this.begin(now);
    const cycle = this.commandCycle(now);
    const byKey = new Map<string, PersistedHold[]>();
    for (const h of source.loadHolds()) byKey.set(h.key, [...(byKey.get(h.key) ?? []), h]);
    for (const [key, holds] of byKey) this.restoreHold(cycle, key, holds);
    this.reportUnconfirmed(cycle);
    const calibrations = source.lastCalibrations?.();
    if (calibrations && this.integrity) for (const [point, wall] of calibrations) this.integrity.noteCalibration(point, wall);
    this.flushCommandEvents();
  }

  /**
   * Evaluate every rule once. `reading` must apply staleness; `now` is monotonic ms. The heartbeat
   * output toggles unless `opts.heartbeat` is false (the runtime toggles it from its timer only,
   * so the watchdog sees a steady pace).
   */
  evaluate(reading: ReadingSource, now: number, opts: EvaluateOptions = {}): SafetyEvaluation {
    assertTime('evaluate', now);
    if (typeof reading !== 'function') throw new TypeError(`SafetyEngine.evaluate: reading must be a function, got ${typeof reading}`);
    if (this.startedAt === undefined) this.begin(now);
    const memo = new Map<string, Reading | undefined>();
    const cycle: Cycle = {
      now,
      wallNow: this.wall(),
      read: (code) => {
        if (memo.has(code)) return memo.get(code);
        let r: Reading | undefined;
        try {
          r = reading(code);
        } catch {
          // An unreadable point is a missing point: dangerous, handled by fault lockout.
          r = undefined;
        }
        if (r !== undefined && (typeof r !== 'object' || r.point !== code)) r = undefined;
        memo.set(code, r);
        return r;
      },
    };

    this.expireRemoteCuts(cycle);
    if (this.warmHoldPending) this.placeWarmStartupHold(cycle);
    for (const point of this.plan.points.values()) if (point.monitored) this.evaluatePoint(cycle, point);
    for (const fan of this.plan.fans) this.evaluateFan(cycle, fan);
    this.releaseStartup(cycle);
    this.evaluateIntegrity(cycle);
    // Escalation holds change which outputs are cut, which feeds the next feed check: settle.
    for (let i = 0; i <= this.plan.outputs.size && this.verifyFeeds(cycle); i++);
    if (opts.heartbeat ?? true) this.heartbeat = !this.heartbeat;
    const outputs = this.decide(cycle);
    const fastPollDevices = this.fastPollDevices();
    this.lastRead = memo;
    const events = this.pending;
    this.pending = [];
    this.persist(events);
    return { now, outputs, events, alarms: this.alarmSet.list(), fastPollDevices };
  }

  /** What to drive when evaluation itself failed: the fail-safe state per kind (fail-safe.ts). */
  failSafeOutputs(): OutputDecision[] {
    const fanOutputs = new Set(this.plan.fans.flatMap((f) => f.units.flatMap((u) => (u.output === undefined ? [] : [u.output]))));
    return failSafeDecisions(this.plan.outputs.values(), fanOutputs, (id) => this.lastEnergize.get(id), this.heartbeat);
  }

  // ---------------------------------------------------------------- commands

  /** 异地断电: cut zones/outputs on a remote order. Throws SafetyCommandError (nothing changes) when refused. */
  remoteCut(cmd: RemoteCutCommand, now: number): void {
    assertTime('remoteCut', now);
    const cycle = this.commandCycle(now);
    const settings = this.plan.settings.remoteCut;
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.event(cycle, { type: 'remote-refused', rule: 'remote-cut', operator: strOrUndef(cmd?.operator), authority: strOrUndef(cmd?.authority), reason: message, message: `remote cut refused: ${message}` });
      this.flushCommandEvents();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd !== 'object') return refuse('INVALID_COMMAND', 'no command');
    for (const field of ['id', 'authority', 'operator', 'reason'] as const) {
      if (typeof cmd[field] !== 'string' || cmd[field].trim() === '') refuse('INVALID_COMMAND', `${field} must be a non-empty string, got ${JSON.stringify(cmd[field])}`);
    }
    if (!Number.isInteger(cmd.durationMs) || cmd.durationMs <= 0 || cmd.durationMs > settings.maxDurationMs) {
      refuse('INVALID_COMMAND', `durationMs must be a positive integer up to ${settings.maxDurationMs}, got ${String(cmd.durationMs)}`);
    }
    if (settings.authorities.length > 0 && !settings.authorities.includes(cmd.authority)) {
      refuse('UNKNOWN_AUTHORITY', `authority "${cmd.authority}" may not order remote cuts (allowed: ${settings.authorities.join(', ')})`);
    }
    if (this.remoteCuts.has(cmd.id)) refuse('DUPLICATE_COMMAND', `remote cut "${cmd.id}" is already active`);
    const outputs: string[] = [];
    for (const zone of cmd.zones ?? []) {
      const ids = this.plan.zones.get(zone);
      if (!ids) refuse('UNKNOWN_TARGET', `no zone "${zone}"`);
      else outputs.push(...ids);
    }
    for (const id of cmd.outputs ?? []) {
      if (this.plan.outputs.get(id)?.kind !== 'power') refuse('UNKNOWN_TARGET', `no power output "${id}"`);
      outputs.push(id);
    }
    const targets = [...new Set(outputs)];
    if (targets.length === 0) refuse('INVALID_COMMAND', 'a remote cut needs at least one zone or output');

    const wallNow = cycle.wallNow;
    const cut: RemoteCut = { id: cmd.id, outputs: targets, authority: cmd.authority, operator: cmd.operator, reason: cmd.reason, expiresAt: now + cmd.durationMs };
    this.remoteCuts.set(cmd.id, cut);
    this.holdSet.place(
      targets,
      {
        rule: 'remote-cut',
        subject: cmd.id,
        reason: cmd.reason,
        clause: CLAUSES.remoteCut,
        operator: cmd.operator,
        authority: cmd.authority,
        expiresAt: cut.expiresAt,
        expiresWall: wallNow + cmd.durationMs,
      },
      now,
      wallNow,
    );
    this.event(cycle, {
      type: 'remote-cut',
      rule: 'remote-cut',
      key: holdKey('remote-cut', cmd.id),
      outputs: targets,
      operator: cmd.operator,
      authority: cmd.authority,
      reason: cmd.reason,
      clause: CLAUSES.remoteCut,
      message: `remote cut "${cmd.id}" by ${cmd.operator} (${cmd.authority}) for ${Math.round(cmd.durationMs / 1000)} s: ${cmd.reason}`,
    });
    this.flushCommandEvents();
  }

  /** Release a remote cut: only the authority that ordered it may. */
  remoteRelease(cmd: RemoteReleaseCommand, now: number): void {
    assertTime('remoteRelease', now);
    const cycle = this.commandCycle(now);
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.event(cycle, { type: 'remote-refused', rule: 'remote-cut', operator: strOrUndef(cmd?.operator), authority: strOrUndef(cmd?.authority), reason: message, message: `remote release refused: ${message}` });
      this.flushCommandEvents();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd.id !== 'string' || typeof cmd.authority !== 'string' || typeof cmd.operator !== 'string' || cmd.operator.trim() === '') {
      return refuse('INVALID_COMMAND', 'id, authority and operator are required');
    }
    const cut = this.remoteCuts.get(cmd.id);
    if (!cut) return refuse('UNKNOWN_COMMAND', `no active remote cut "${cmd.id}"`);
    if (cut.authority !== cmd.authority) return refuse('WRONG_AUTHORITY', `remote cut "${cmd.id}" was ordered by "${cut.authority}"; "${cmd.authority}" may not release it`);
    this.remoteCuts.delete(cmd.id);
    const lifted = this.holdSet.lift(holdKey('remote-cut', cmd.id));
    this.event(cycle, {
      type: 'remote-release',
      rule: 'remote-cut',
      key: holdKey('remote-cut', cmd.id),
      outputs: lifted.map((h) => h.output),
      operator: cmd.operator,
      authority: cmd.authority,
      clause: CLAUSES.remoteCut,
      message: `remote cut "${cmd.id}" released by ${cmd.operator} (${cmd.authority})`,
    });
    this.flushCommandEvents();
  }

  /** Authorised manual unlock of a fan lock (clause e). The restart permit still applies. */
  manualUnlock(cmd: ManualUnlockCommand, now: number): void {
    assertTime('manualUnlock', now);
    const cycle = this.commandCycle(now);
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.event(cycle, { type: 'unlock-refused', rule: 'fan-lock', operator: strOrUndef(cmd?.operator), reason: message, clause: CLAUSES.interlockE, message: `fan unlock refused: ${message}` });
      this.flushCommandEvents();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd.operator !== 'string' || cmd.operator.trim() === '') return refuse('INVALID_COMMAND', 'operator identity is required');
    const fan = this.plan.fans.find((f) => f.id === cmd.fan);
    if (!fan) return refuse('UNKNOWN_TARGET', `no local fan "${String(cmd.fan)}"`);
    if (!this.plan.settings.unlockOperators.includes(cmd.operator)) return refuse('NOT_AUTHORISED', `operator "${cmd.operator}" is not authorised to unlock fans`);
    const st = this.fanState.get(fan.id)!;
    if (!st.locked) return refuse('NOT_LOCKED', `local fan "${fan.id}" is not locked`);
    // Clause e: unlock only on proof the condition is gone (good readings), never on an unknown one.
    if (!st.conditionGone) return refuse('LOCK_CONDITION_ACTIVE', `local fan "${fan.id}" ${this.lockConditionText(fan)}`);
    st.locked = false;
    st.suppressed = true;
    const lifted = this.holdSet.lift(holdKey('fan-lock', fan.id));
    this.clearAlarm(cycle, `fan-lock:${fan.id}`, `fan lock of ${fan.id} unlocked by ${cmd.operator}`);
    this.event(cycle, {
      type: 'unlock',
      rule: 'fan-lock',
      key: holdKey('fan-lock', fan.id),
      outputs: lifted.map((h) => h.output),
      operator: cmd.operator,
      clause: CLAUSES.interlockE,
      message: `fan lock of local fan ${fan.id} released by hand by ${cmd.operator}`,
    });
    this.flushCommandEvents();
  }

  /**
   * Interlock clause g by hand: make `to` the running fan of a main/standby pair (the daily
   * switchover test, or back to a repaired main fan). The other fan is held off; the fan switched
   * to must report running within its start time. Throws SafetyCommandError when refused.
   */
  switchLocalFan(cmd: FanSwitchCommand, now: number): void {
    assertTime('switchLocalFan', now);
    const cycle = this.commandCycle(now);
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.event(cycle, { type: 'fan-switchover-refused', operator: strOrUndef(cmd?.operator), reason: message, clause: CLAUSES.interlockG, message: `fan switchover refused: ${message}` });
      this.flushCommandEvents();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd.operator !== 'string' || cmd.operator.trim() === '') return refuse('INVALID_COMMAND', 'operator identity is required');
    if (cmd.to !== 'main' && cmd.to !== 'standby') return refuse('INVALID_COMMAND', `to must be "main" or "standby", got ${JSON.stringify(cmd.to)}`);
    const fan = this.plan.fans.find((f) => f.id === cmd.fan);
    if (!fan) return refuse('UNKNOWN_TARGET', `no local fan "${String(cmd.fan)}"`);
    if (fan.units.length < 2) return refuse('UNKNOWN_TARGET', `local fan "${fan.id}" has no standby fan`);
    if (!this.plan.settings.unlockOperators.includes(cmd.operator)) return refuse('NOT_AUTHORISED', `operator "${cmd.operator}" is not authorised to switch local fans`);
    const st = this.fanState.get(fan.id)!;
    if (st.active === cmd.to) return refuse('INVALID_COMMAND', `the ${cmd.to} fan of ${fan.id} is already the running one`);
    st.failed.delete(cmd.to);
    this.switchTo(cycle, fan, st, cmd.to, 'switchover by hand', cmd.operator);
    this.applyStandbyHold(cycle, fan, st);
    this.flushCommandEvents();
  }

  /** Silence the audible alarm for every alarm active now (the beacon stays on). */
  acknowledge(operator: string, now: number): void {
    assertTime('acknowledge', now);
    if (typeof operator !== 'string' || operator.trim() === '') throw new SafetyCommandError('INVALID_COMMAND', 'operator identity is required');
    const cycle = this.commandCycle(now);
    const keys = this.alarmSet.acknowledge();
    this.event(cycle, { type: 'acknowledge', operator, message: `${keys.length} alarm(s) acknowledged by ${operator}${keys.length ? `: ${keys.join(', ')}` : ''}` });
    // An override seen by a person and corrected since ends with the acknowledgement.
    for (const output of [...this.overrideCorrected]) {
      this.overrideCorrected.delete(output);
      this.clearAlarm(cycle, `override:${output}`, `${output}: override acknowledged by ${operator}; output confirmed as commanded`);
    }
    this.flushCommandEvents();
  }

  /** Feed back what the actuator achieved: an unconfirmed command is an alarm until confirmed. */
  reportActuation(reports: readonly ActuationReport[], now: number): void {
    assertTime('reportActuation', now);
    const cycle = this.commandCycle(now);
    for (const r of reports) {
      const planned = this.plan.outputs.get(r.output);
      if (!planned) continue;
      if (r.overridden) this.reportOverride(cycle, planned, r);
      const key = `actuation:${r.output}`;
      if (r.confirmed) {
        this.clearAlarm(cycle, key, `${r.output}: command confirmed`);
        if (this.alarmSet.list().some((a) => a.key === `override:${r.output}`)) this.overrideCorrected.add(r.output);
        continue;
      }
      this.overrideCorrected.delete(r.output);
      // An unconfirmed cut is dangerous; an unconfirmed energise only costs production.
      const severity = r.energize ? 'warning' : 'danger';
      const existing = this.alarmSet.list().find((a) => a.key === key);
      if (existing && existing.severity !== severity) this.clearAlarm(cycle, key, `${r.output}: command changed`);
      this.raiseAlarm(cycle, {
        key,
        kind: 'actuation',
        severity,
        output: r.output,
        clause: CLAUSES.actuation,
        message: `${r.output}: ${r.energize ? 'energise' : 'cut'} command not confirmed${r.error ? ` (${r.error})` : ''}`,
      });
    }
    this.flushCommandEvents();
  }

  /**
   * A coil found on while commanded off is exactly the tampering the regulator hunts (明停暗开,
   * 监控造假): alarm (danger when power was live against a cut, else warning) and an event with the
   * device, channel and how long it may have been so. The alarm stays until an operator
   * acknowledges it once the output is confirmed as commanded again.
   */
  private reportOverride(cycle: Cycle, output: PlannedOutput, r: ActuationReport): void {
    const found = r.overridden!.found;
    const ago = Math.max(0, Math.round(r.overridden!.lastSeenAgoMs));
    const where = `${output.device} ${output.channel} (${output.id})`;
    const message = `${where} found ${found ? 'ON' : 'OFF'} while commanded ${r.energize ? 'ON' : 'OFF'}; last seen as commanded ${ago} ms earlier; ${r.confirmed ? 'rewritten and confirmed' : 'rewrite not confirmed yet'}`;
    const liveAgainstCut = found && output.kind === 'power';
    this.event(cycle, { type: 'output-overridden', outputs: [output.id], value: ago, clause: CLAUSES.actuation, message });
    this.overrideCorrected.delete(output.id);
    this.raiseAlarm(
      cycle,
      {
        key: `override:${output.id}`,
        kind: 'output-overridden',
        severity: liveAgainstCut ? 'danger' : 'warning',
        output: output.id,
        // Upstream (YCBJ) needs a point: the output's load-side feed sensor is the one that shows it.
        ...(liveAgainstCut && output.feedPoint !== undefined ? { point: output.feedPoint } : {}),
        value: ago,
        clause: CLAUSES.actuation,
        message,
      },
      output.feedPoint !== undefined && liveAgainstCut ? ABNORMALITY.feedAbnormal : undefined,
    );
  }

  // ---------------------------------------------------------------- views

  holds(): Hold[] {
    return this.holdSet.all();
  }

  alarms(): Alarm[] {
    return this.alarmSet.list();
  }

  /**
   * Holds as they are persisted (startup holds are not: they are re-created at every start), plus
   * unconfirmed holds on outputs this config lacks, so a second restart does not forget them.
   */
  persistedHolds(): PersistedHold[] {
    const held = this.holdSet
      .all()
      .filter((h) => h.rule !== 'startup')
      .map(toPersistedHold);
    const absent = this.unconfirmed.filter((u) => !this.plan.outputs.has(u.hold.output) || this.plan.outputs.get(u.hold.output)!.kind !== 'power').map((u) => u.hold);
    return [...held, ...absent];
  }

  fanLocked(fanId: string): boolean {
    return this.fanState.get(fanId)?.locked ?? false;
  }

  /** Clause g: which fan of a local-fan installation is the running one ('main' without a standby). */
  activeFan(fanId: string): 'main' | 'standby' | undefined {
    return this.fanState.get(fanId)?.active;
  }

  activeRemoteCuts(): { id: string; outputs: string[]; authority: string; operator: string; reason: string; remainingMs: number }[] {
    const now = this.lastNow;
    return [...this.remoteCuts.values()].map((c) => ({ id: c.id, outputs: [...c.outputs], authority: c.authority, operator: c.operator, reason: c.reason, remainingMs: c.expiresAt - now }));
  }

  // ---------------------------------------------------------------- rules

  private lastNow = 0;

  private begin(now: number): void {
    this.startedAt = now;
    this.lastNow = now;
    if (!this.startupHold || this.warmStart) return;
    const power = [...this.plan.outputs.values()].filter((o) => o.kind === 'power').map((o) => o.id);
    this.holdSet.place(power, { rule: 'startup', subject: 'restart', reason: 'gateway started: waiting for a fresh reading of every governing point', clause: CLAUSES.startup }, now, this.wall());
  }

  /** Threshold alarms and cut-off, then fault lockout, for one point. */
  private evaluatePoint(cycle: Cycle, point: PlannedPoint): void {
    const st = this.pointState.get(point.code)!;
    const r = cycle.read(point.code);
    // Fresh since the (re)start: acquired after it on a cold start; on a warm start (reload) the
    // point table's freshness limit already says whether the reading in hand is fresh.
    if (r !== undefined && r.quality !== 'stale' && (this.warmStart || r.monoTime >= this.startedAt!)) {
      st.seen = true;
      if (may('mayRelease', point, r)) st.provenFresh = true;
    }
    if (point.thresholds) this.applyThresholds(cycle, point, r, st);
    this.applyFaultLockout(cycle, point, r, st);
  }

  private applyThresholds(cycle: Cycle, point: PlannedPoint, r: Reading | undefined, st: PointState): void {
    const t = point.thresholds!;
    // quality-policy.ts: calibrating and over-range values may trip; only a good one clears or releases.
    if (!may('mayTrip', point, r)) return;
    const measured = r.value;
    const valid = may('mayRelease', point, r);
    const unit = t.unit ? ` ${t.unit}` : '';
    if (t.alarm !== undefined) {
      const key = `over-limit:${point.code}`;
      if (measured >= t.alarm) {
        this.raiseAlarm(
          cycle,
          { key, kind: 'over-limit', severity: 'danger', point: point.code, value: measured, threshold: t.alarm, clause: t.source, message: `${point.code} ${measured}${unit} ≥ alarm ${t.alarm}${unit}` },
          ABNORMALITY.overLimitAlarm,
        );
      } else if (valid) this.clearAlarm(cycle, key, `${point.code} ${measured}${unit} below alarm ${t.alarm}${unit}`, measured);
    }
    if (t.alarmLow !== undefined && may('notAFault', point, r)) {
      const key = `under-limit:${point.code}`;
      if (measured < t.alarmLow) {
        this.raiseAlarm(cycle, {
          key,
          kind: 'under-limit',
          severity: 'danger',
          point: point.code,
          value: measured,
          threshold: t.alarmLow,
          clause: t.source,
          message: `${point.code} ${measured}${unit} < minimum ${t.alarmLow}${unit}`,
        });
      } else if (valid) this.clearAlarm(cycle, key, `${point.code} ${measured}${unit} back above ${t.alarmLow}${unit}`, measured);
    }
    if (t.cutoff !== undefined) {
      const key = holdKey('over-limit', point.code);
      if (measured >= t.cutoff && !st.cutActive) {
        st.cutActive = true;
        this.placeHold(
          cycle,
          point.cutOutputs,
          { rule: 'over-limit', subject: point.code, point: point.code, value: measured, threshold: t.cutoff, clause: t.source, reason: `${point.code} ${measured}${unit} ≥ cutoff ${t.cutoff}${unit}` },
          'cut',
          ABNORMALITY.cutoffAlarm,
        );
      } else if (st.cutActive && valid && measured < t.restore!) {
        st.cutActive = false;
        this.liftHold(cycle, key, `${point.code} ${measured}${unit} below restore ${t.restore}${unit}`, { point: point.code, value: measured, threshold: t.restore! });
      }
    }
    if (t.fanCutoff !== undefined) this.applyFanCutoff(cycle, point, t, measured, valid, st, unit);
  }

  /** Second stage of a row (series heading T3 ≥ 1.5 %): the local fan of the point's zones is cut too. */
  private applyFanCutoff(cycle: Cycle, point: PlannedPoint, t: NonNullable<PlannedPoint['thresholds']>, measured: number, valid: boolean, st: PointState, unit: string): void {
    const key = holdKey('fan-cutoff', point.code);
    if (measured >= t.fanCutoff! && !st.fanCutActive) {
      st.fanCutActive = true;
      const fans = point.fanCutFans.length > 0 ? `local fan ${point.fanCutFans.join(', ')}` : 'the local fan';
      const reason = `${point.code} ${measured}${unit} ≥ ${t.fanCutoff}${unit}: ${fans} cut too`;
      const hold: HoldInput = { rule: 'fan-cutoff', subject: point.code, point: point.code, value: measured, threshold: t.fanCutoff!, clause: `${t.source}; ${CLAUSES.fanCutoff}`, reason };
      const placed = this.placeHold(cycle, point.fanCutOutputs, hold, 'cut', ABNORMALITY.cutoffAlarm);
      if (placed.length === 0 && point.fanCutOutputs.length === 0) {
        this.event(cycle, { type: 'cut', rule: 'fan-cutoff', key, point: point.code, value: measured, threshold: t.fanCutoff, clause: hold.clause, outputs: [], message: `${reason} (no local fan output ventilates its zones: alarm only)` });
      }
    } else if (st.fanCutActive && valid && measured < t.fanRestore!) {
      st.fanCutActive = false;
      this.liftHold(cycle, key, `${point.code} ${measured}${unit} below ${t.fanRestore}${unit}: local fan power permitted again`, { point: point.code, value: measured, threshold: t.fanRestore! });
    }
  }

  /**
   * Not yet read since start and still within one patrol cycle of it: neither good nor faulty yet.
   * Only while the start-up hold keeps every output the fault would cut off already: a point never
   * read since a reload must not keep a zone energised for the grace period (it cuts at once).
   */
  private awaitingFirstRead(cycle: Cycle, code: string, outputs: readonly string[]): boolean {
    const st = this.pointState.get(code);
    if (st === undefined || st.seen || cycle.now - this.startedAt! >= this.plan.settings.startupGraceMs) return false;
    return outputs.every((o) => this.holdSet.on(o).some((h) => h.key === STARTUP_KEY));
  }

  private applyFaultLockout(cycle: Cycle, point: PlannedPoint, r: Reading | undefined, st: PointState): void {
    const settings = this.plan.settings;
    const key = holdKey('fault-lockout', point.code);
    if (!may('notAFault', point, r)) {
      // Not yet read since start: the startup hold covers it for one patrol cycle.
      if (this.awaitingFirstRead(cycle, point.code, point.faultOutputs)) return;
      st.goodSince = undefined;
      if (st.faulty) return;
      st.faulty = true;
      const fault = describeFault(r, st.seen);
      this.raiseAlarm(
        cycle,
        { key: `fault:${point.code}`, kind: 'fault', severity: 'danger', point: point.code, value: r?.value ?? null, clause: CLAUSES.interlockF, message: `${point.code}: ${fault.text}` },
        fault.abnormality,
      );
      this.placeHold(
        cycle,
        point.faultOutputs,
        { rule: 'fault-lockout', subject: point.code, point: point.code, value: r?.value ?? null, clause: CLAUSES.interlockF, reason: `${point.code}: ${fault.text}` },
        'lockout',
        fault.abnormality,
      );
      return;
    }
    if (!st.faulty) return;
    // Clause f "works normally and is stable": continuous GOOD readings; calibrating ones restart the count.
    if (!may('mayRelease', point, r)) {
      st.goodSince = undefined;
      return;
    }
    st.goodSince ??= cycle.now;
    const holdMs = this.holdSet.has(key) ? settings.faultLockoutHoldMs : 0;
    if (cycle.now - st.goodSince < holdMs) return;
    st.faulty = false;
    st.goodSince = undefined;
    const why = holdMs > 0 ? `${point.code} read normally for ${Math.round(holdMs / 1000)} s` : `${point.code} reads normally again`;
    this.liftHold(cycle, key, why, { point: point.code, value: r.value });
    this.clearAlarm(cycle, `fault:${point.code}`, why, r.value);
  }

  /** 'running' only on a good reading (it releases clause d); a calibrating 0 still shows the fan stopped. */
  private unitState(cycle: Cycle, runPoint: string): UnitState {
    const point = this.plan.points.get(runPoint)!;
    const r = cycle.read(runPoint);
    if (may('mayRelease', point, r) && r.value === 1) return 'running';
    if (may('notAFault', point, r) && r.value === 0) return 'stopped';
    return 'unknown';
  }

  /** Methane-wind-power interlock for one local fan (or main/standby pair): clauses d, e and g, and the restart permit. */
  private evaluateFan(cycle: Cycle, fan: PlannedFan): void {
    const st = this.fanState.get(fan.id)!;
    const states = new Map(fan.units.map((u) => [u.unit, this.unitState(cycle, u.runPoint)] as const));
    if (fan.units.length > 1) this.switchover(cycle, fan, st, states);
    // The heading is ventilated while any of its fans runs; stopped only when every one is seen stopped.
    const all = [...states.values()];
    const state: UnitState = all.includes('running') ? 'running' : all.every((x) => x === 'stopped') ? 'stopped' : 'unknown';
    const fanOutputs = fan.units.flatMap((u) => (u.output === undefined ? [] : [u.output]));
    const which = fan.units.length > 1 ? `local fans ${fan.id} (main and standby)` : `local fan ${fan.id}`;

    // Clause d: fan stopped → cut the ventilated area; auto release when it runs again.
    const stopKey = holdKey('fan-stopped', fan.id);
    if (state === 'stopped' && !st.stopped) {
      st.stopped = true;
      this.raiseAlarm(cycle, { key: `fan-stopped:${fan.id}`, kind: 'fan-stopped', severity: 'danger', point: fan.runPoint, value: 0, clause: CLAUSES.interlockD, message: `${which} stopped` });
      this.placeHold(cycle, fan.ventilatedOutputs, { rule: 'fan-stopped', subject: fan.id, point: fan.runPoint, value: 0, clause: CLAUSES.interlockD, reason: `${which} stopped` }, 'cut');
    } else if (state === 'running' && st.stopped) {
      st.stopped = false;
      this.liftHold(cycle, stopKey, `local fan ${fan.id} running again`, { point: fan.runPoint, value: 1 });
      this.clearAlarm(cycle, `fan-stopped:${fan.id}`, `local fan ${fan.id} running again`, 1);
    }

    // Clause d: duct airflow below its set value.
    if (fan.airflowPoint !== undefined) {
      const airPoint = this.plan.points.get(fan.airflowPoint)!;
      const air = cycle.read(fan.airflowPoint);
      const min = fan.ductAirflowMin!;
      if (may('notAFault', airPoint, air)) {
        const flow = air.value;
        const unit = airPoint.unit ? ` ${airPoint.unit}` : '';
        if (flow < min && !st.ductLow) {
          st.ductLow = true;
          const reason = `duct airflow of local fan ${fan.id} ${flow}${unit} < ${min}${unit}`;
          this.raiseAlarm(cycle, { key: `duct-airflow-low:${fan.id}`, kind: 'duct-airflow-low', severity: 'danger', point: fan.airflowPoint, value: flow, threshold: min, clause: CLAUSES.interlockD, message: reason });
          this.placeHold(cycle, fan.ventilatedOutputs, { rule: 'duct-airflow-low', subject: fan.id, point: fan.airflowPoint, value: flow, threshold: min, clause: CLAUSES.interlockD, reason }, 'cut');
        } else if (flow >= min && st.ductLow && may('mayRelease', airPoint, air)) {
          st.ductLow = false;
          const why = `duct airflow of local fan ${fan.id} back to ${flow}${unit}`;
          this.liftHold(cycle, holdKey('duct-airflow-low', fan.id), why, { point: fan.airflowPoint, value: flow, threshold: min });
          this.clearAlarm(cycle, `duct-airflow-low:${fan.id}`, why, flow);
        }
      }
    }

    // Clause e: fan stopped and T1/T2 above 3.0 % → fan lock (every fan of a pair); auto release below 1.5 %.
    const gas = fan.gasPoints.map((code) => {
      const point = this.plan.points.get(code)!;
      const r = cycle.read(code);
      return { code, r, trips: may('mayTrip', point, r), proves: may('mayUnlock', point, r) };
    });
    const over = gas.filter((g) => g.trips && g.r!.value! > fan.lockAbove);
    // A point not yet read since start is not "unknown" yet: the startup hold covers that window.
    const unknown = gas.filter((g) => !g.trips && !this.awaitingFirstRead(cycle, g.code, fanOutputs));
    // Gone only on proof: the fan runs (good reading), or every gas point reads ≤ lockAbove (good).
    st.conditionGone = state === 'running' || gas.every((g) => g.proves && g.r!.value! <= fan.lockAbove);
    const condition = state === 'stopped' && (over.length > 0 || (fan.lockOnUnknownGas && unknown.length > 0));
    if (!condition) st.suppressed = false;
    const lockKey = holdKey('fan-lock', fan.id);
    if (condition && !st.locked && !st.suppressed) {
      st.locked = true;
      const cause =
        over.length > 0
          ? over.map((g) => `${g.code} ${g.r!.value} %`).join(', ') + ` > ${fan.lockAbove} %`
          : `${unknown.map((g) => g.code).join(', ')} unreadable (treated as above ${fan.lockAbove} %)`;
      const reason = `local fan ${fan.id} stopped and ${cause}: fan locked`;
      const first = over[0] ?? unknown[0]!;
      this.raiseAlarm(cycle, { key: `fan-lock:${fan.id}`, kind: 'fan-lock', severity: 'danger', point: first.code, value: first.r?.value ?? null, threshold: fan.lockAbove, clause: CLAUSES.interlockE, message: reason });
      const placed = this.placeHold(
        cycle,
        fanOutputs,
        { rule: 'fan-lock', subject: fan.id, point: first.code, value: first.r?.value ?? null, threshold: fan.lockAbove, clause: CLAUSES.interlockE, reason },
        'lockout',
      );
      if (placed.length === 0) {
        this.event(cycle, { type: 'lockout', rule: 'fan-lock', key: lockKey, point: first.code, clause: CLAUSES.interlockE, outputs: [], message: `${reason} (no fanOutput configured: the lock is alarm only)` });
      }
    } else if (st.locked && gas.every((g) => g.proves && g.r!.value! < fan.unlockBelow)) {
      st.locked = false;
      const why = `CH4 below ${fan.unlockBelow} % at ${fan.gasPoints.join(', ')}: fan lock of ${fan.id} released`;
      this.liftHold(cycle, lockKey, why, { threshold: fan.unlockBelow });
      this.clearAlarm(cycle, `fan-lock:${fan.id}`, why);
    }

    // Restart permit, per fan: a stopped fan may (re)start only with ≤ 0.5 % at the fan and its switch.
    for (const unit of fan.units) {
      if (unit.output === undefined) continue;
      const subject = restartSubject(fan.id, unit.unit);
      const restartKey = holdKey('fan-restart', subject);
      const name = unit.unit === 'main' ? `local fan ${fan.id}` : `standby local fan of ${fan.id}`;
      const blocked = st.restartBlocked.has(unit.unit);
      const unitState = states.get(unit.unit);
      if (unitState === 'stopped' && !unit.restartPoints.some((code) => this.awaitingFirstRead(cycle, code, [unit.output!]))) {
        // Only good readings ≤ restartMax permit a restart; calibrating or unknown ones never do.
        const bad = unit.restartPoints
          .map((code) => ({ code, point: this.plan.points.get(code)!, r: cycle.read(code) }))
          .filter(({ point, r }) => !(may('mayPermitRestart', point, r) && r.value <= fan.restartMax));
        if (bad.length > 0 && !blocked) {
          st.restartBlocked.add(unit.unit);
          const where = bad.map(({ code, point, r }) => `${code} ${describeProof(point, r)}`).join(', ');
          this.placeHold(
            cycle,
            [unit.output],
            { rule: 'fan-restart', subject, point: bad[0]!.code, value: bad[0]!.r?.value ?? null, threshold: fan.restartMax, clause: CLAUSES.fanRestart, reason: `restart of ${name} not permitted: ${where} (needs ≤ ${fan.restartMax} %)` },
            'cut',
          );
        } else if (bad.length === 0 && blocked) {
          st.restartBlocked.delete(unit.unit);
          this.liftHold(cycle, restartKey, `CH4 ≤ ${fan.restartMax} % at ${name} and its switch: restart permitted`, { threshold: fan.restartMax });
        }
      } else if (unitState === 'running' && blocked) {
        st.restartBlocked.delete(unit.unit);
        this.liftHold(cycle, restartKey, `${name} running`);
      }
    }
  }

  /**
   * Clause g: when the running fan of a main/standby pair stops on its own (its power was permitted),
   * the other one takes over; the fan switched to must report running within its start time.
   */
  private switchover(cycle: Cycle, fan: PlannedFan, st: FanState, states: ReadonlyMap<FanUnitName, UnitState>): void {
    // A fan seen running works: it may be switched to again.
    for (const [unit, state] of states) if (state === 'running') st.failed.delete(unit);
    const active = fan.units.find((u) => u.unit === st.active)!;
    const other = fan.units.find((u) => u.unit !== st.active)!;
    const alarmKey = `fan-switchover:${fan.id}`;

    if (st.switchedAt !== undefined) {
      if (states.get(active.unit) === 'running') {
        st.switchedAt = undefined;
        this.clearAlarm(cycle, alarmKey, `${active.unit} local fan of ${fan.id} running`);
        this.event(cycle, { type: 'fan-switchover', point: active.runPoint, value: 1, outputs: [active.output!], clause: CLAUSES.interlockG, message: `${active.unit} local fan of ${fan.id} running after the switchover` });
      } else if (cycle.now - st.switchedAt >= fan.switchoverStartMs!) {
        st.switchedAt = undefined;
        st.failed.add(active.unit);
        this.raiseAlarm(cycle, {
          key: alarmKey,
          kind: 'fan-switchover',
          severity: 'danger',
          point: active.runPoint,
          value: 0,
          clause: CLAUSES.interlockG,
          message: `switchover of local fan ${fan.id} failed: the ${active.unit} fan did not report running within ${Math.round(fan.switchoverStartMs! / 1000)} s`,
        });
      }
    }

    // Stopped on its own: its power is permitted now and was last cycle. A fan the interlocks cut
    // (lock, restart permit, remote cut, second stage) is not a failed fan and is not replaced.
    const permitted = this.lastEnergize.get(active.output!) === true && !this.holdSet.isCut(active.output!);
    const standbyKey = holdKey('fan-standby', fan.id);
    const otherFree = this.holdSet.on(other.output!).every((h) => h.key === standbyKey);
    if (st.switchedAt === undefined && states.get(active.unit) === 'stopped' && permitted && states.get(other.unit) !== 'running' && !st.failed.has(other.unit) && otherFree) {
      st.failed.add(active.unit);
      this.switchTo(cycle, fan, st, other.unit, `the ${active.unit} fan stopped`);
    }
    this.applyStandbyHold(cycle, fan, st);
  }

  private switchTo(cycle: Cycle, fan: PlannedFan, st: FanState, to: FanUnitName, why: string, operator?: string): void {
    const from = st.active;
    st.active = to;
    st.switchedAt = cycle.now;
    const unit = fan.units.find((u) => u.unit === to)!;
    this.event(cycle, {
      type: 'fan-switchover',
      point: unit.runPoint,
      outputs: [unit.output!],
      operator,
      clause: CLAUSES.interlockG,
      message: `local fan ${fan.id}: ${why}; switching from the ${from} to the ${to} fan${operator ? ` (by ${operator})` : ''}`,
    });
  }

  /** The fan that is not the running one of a pair is held off (its power permitted = started). */
  private applyStandbyHold(cycle: Cycle, fan: PlannedFan, st: FanState): void {
    const key = holdKey('fan-standby', fan.id);
    const active = fan.units.find((u) => u.unit === st.active)!;
    const idle = fan.units.find((u) => u.unit !== st.active)!;
    if (this.holdSet.outputsOf(key).includes(active.output!)) {
      this.liftHold(cycle, key, `${active.unit} local fan of ${fan.id} is the one to ventilate`, {}, [active.output!]);
    }
    this.placeHold(
      cycle,
      [idle.output!],
      { rule: 'fan-standby', subject: fan.id, clause: CLAUSES.interlockG, reason: `${idle.unit} local fan of ${fan.id} kept off while the ${active.unit} fan ventilates` },
      'cut',
    );
  }

  /** Warm start: cut the power outputs a point without a good fresh reading governs (AQ 6201-2019 fail-safe start). */
  private placeWarmStartupHold(cycle: Cycle): void {
    this.warmHoldPending = false;
    for (const point of this.plan.points.values()) {
      const r = cycle.read(point.code);
      if (point.monitored && may('mayRelease', point, r) && r.quality !== 'stale') this.pointState.get(point.code)!.provenFresh = true;
    }
    const power = [...this.plan.outputs.values()].filter((o) => o.kind === 'power');
    const unproven = power.filter((o) => !o.governing.every((code) => this.pointState.get(code)?.provenFresh === true));
    if (unproven.length === 0) return;
    this.placeHold(
      cycle,
      unproven.map((o) => o.id),
      { rule: 'startup', subject: 'restart', reason: 'config reloaded: waiting for a good fresh reading of every governing point', clause: CLAUSES.startup },
      'cut',
    );
  }

  /** Clause e wording for a refused unlock: what is still missing from the proof. */
  private lockConditionText(fan: PlannedFan): string {
    const unproven = fan.gasPoints.filter((code) => {
      const point = this.plan.points.get(code)!;
      return !may('mayUnlock', point, this.lastRead.get(code));
    });
    if (unproven.length > 0) return `is locked and the lock condition is not proven gone: ${unproven.map((c) => `${c} ${describeProof(this.plan.points.get(c)!, this.lastRead.get(c))}`).join(', ')} (a good reading is needed)`;
    return `is stopped with CH4 above ${fan.lockAbove} %: the lock condition still holds`;
  }

  /** Release the startup hold of each output whose governing points have all been read fresh. */
  private releaseStartup(cycle: Cycle): void {
    const held = this.holdSet.outputsOf(STARTUP_KEY);
    if (held.length === 0) return;
    const ready = held.filter((id) => this.plan.outputs.get(id)!.governing.every((code) => this.pointState.get(code)?.provenFresh === true));
    if (ready.length === 0) return;
    this.holdSet.lift(STARTUP_KEY, ready);
    this.event(cycle, {
      type: 'release',
      rule: 'startup',
      key: STARTUP_KEY,
      outputs: ready,
      clause: CLAUSES.startup,
      message: `governing points of ${ready.join(', ')} read good since start`,
    });
  }

  private evaluateIntegrity(cycle: Cycle): void {
    if (!this.integrity) return;
    let result;
    try {
      result = this.integrity.evaluate(cycle.read, cycle.now, cycle.wallNow);
    } catch (err) {
      // The detectors only add alarms; their failure must not stop protection, but must be seen.
      this.raiseAlarm(cycle, { key: 'integrity:monitor-failed', kind: 'integrity', severity: 'warning', clause: CLAUSES.integrity, message: `integrity checks failed: ${(err as Error).message}` });
      return;
    }
    for (const c of result.calibrated) {
      this.event(cycle, { type: 'calibration', point: c.point, clause: CLAUSES.calibration, message: `${c.point} left calibration mode: calibration date recorded` });
    }
    for (const f of result.cleared) this.clearAlarm(cycle, f.key, `${f.kind} on ${f.point} cleared`);
    for (const f of result.raised) {
      this.raiseAlarm(cycle, { key: f.key, kind: 'integrity', severity: 'warning', point: f.point, value: f.value ?? null, clause: f.clause, message: f.message });
    }
  }

  /** 馈电 verification of every output with a feed point. Returns true when escalation holds changed. */
  private verifyFeeds(cycle: Cycle): boolean {
    let changed = false;
    for (const [id, st] of this.feedState) {
      const output = this.plan.outputs.get(id)!;
      const feedPoint = this.plan.points.get(output.feedPoint!)!;
      const pointSt = this.pointState.get(feedPoint.code)!;
      const r = cycle.read(feedPoint.code);
      // Live trips on any measured value; dead is proof of the cut, so it needs a good reading.
      const feed = may('notAFault', feedPoint, r) && r.value === 1 ? 'live' : may('mayRelease', feedPoint, r) && r.value === 0 ? 'dead' : 'unknown';

      if (!this.holdSet.isCut(id)) {
        st.cutSince = undefined;
        if (st.abnormal !== undefined || st.escalated) {
          changed = this.endFeedAbnormality(cycle, output, st, `${id} energised again`) || changed;
        }
        st.energisedSince ??= cycle.now;
        // Dead load side while power is permitted: the switch may be open by hand. Report only.
        if (!st.deadReported && feed === 'dead' && cycle.now - st.energisedSince >= output.feedTimeoutMs) {
          st.deadReported = true;
          this.event(cycle, { type: 'feed-dead', point: feedPoint.code, value: 0, outputs: [id], clause: CLAUSES.feed, message: `${id}: power permitted but load side dead (${feedPoint.code} = 0)` });
        }
        continue;
      }
      st.energisedSince = undefined;
      st.deadReported = false;
      st.cutSince ??= cycle.now;
      if (cycle.now - st.cutSince < output.feedTimeoutMs) continue;
      if (feed === 'dead') {
        // Proof of the cut. After escalation, though, the dead feed may be the upstream cut's doing.
        if (st.abnormal !== undefined && !st.escalated) this.endFeedAbnormality(cycle, output, st, `${feedPoint.code} shows the load side dead`);
        continue;
      }
      // Not yet read since start: give the poller its patrol cycle before calling it unverifiable.
      if (feed === 'unknown' && !pointSt.seen && cycle.now - this.startedAt! < this.plan.settings.startupGraceMs) continue;
      const kind = feed === 'live' ? 'live' : 'unverified';
      if (st.abnormal === undefined || (st.abnormal === 'unverified' && kind === 'live')) {
        st.abnormal = kind;
        const text =
          kind === 'live'
            ? `${id} cut ${Math.round(cycle.now - st.cutSince)} ms ago but ${feedPoint.code} still shows power on the load side`
            : `${id} cut ${Math.round(cycle.now - st.cutSince)} ms ago but ${feedPoint.code} is unreadable: the cut cannot be verified`;
        this.clearAlarm(cycle, `feed:${id}`, 'feed state changed');
        this.raiseAlarm(cycle, { key: `feed:${id}`, kind: 'feed-abnormal', severity: 'danger', point: feedPoint.code, output: id, value: r?.value ?? null, clause: CLAUSES.feed, message: `馈电异常: ${text}` });
        this.event(cycle, {
          type: 'feed-abnormal',
          point: feedPoint.code,
          value: r?.value ?? null,
          outputs: [id],
          clause: CLAUSES.feed,
          abnormality: ABNORMALITY.feedAbnormal,
          message: `馈电异常 (003): ${text}`,
        });
      }
      if (output.feedEscalation !== undefined && !st.escalated && (kind === 'live' || output.escalateWhenUnverified)) {
        st.escalated = true;
        this.placeHold(
          cycle,
          [output.feedEscalation],
          { rule: 'feed-escalation', subject: id, point: feedPoint.code, value: r?.value ?? null, clause: CLAUSES.feed, reason: `cut of ${id} not confirmed by ${feedPoint.code}: cutting upstream ${output.feedEscalation}` },
          'cut',
          ABNORMALITY.feedAbnormal,
        );
        changed = true;
      }
    }
    return changed;
  }

  private endFeedAbnormality(cycle: Cycle, output: PlannedOutput, st: FeedState, why: string): boolean {
    const escalated = st.escalated;
    st.abnormal = undefined;
    st.escalated = false;
    if (escalated) this.liftHold(cycle, holdKey('feed-escalation', output.id), `${why}: upstream ${output.feedEscalation} no longer needed`);
    this.clearAlarm(cycle, `feed:${output.id}`, why);
    this.event(cycle, { type: 'feed-restored', point: output.feedPoint!, outputs: [output.id], clause: CLAUSES.feed, message: `${output.id}: feed abnormality over (${why})` });
    return escalated;
  }

  private expireRemoteCuts(cycle: Cycle): void {
    for (const cut of [...this.remoteCuts.values()]) {
      if (cycle.now < cut.expiresAt) continue;
      this.remoteCuts.delete(cut.id);
      const lifted = this.holdSet.lift(holdKey('remote-cut', cut.id));
      this.event(cycle, {
        type: 'remote-expired',
        rule: 'remote-cut',
        key: holdKey('remote-cut', cut.id),
        outputs: lifted.map((h) => h.output),
        operator: cut.operator,
        authority: cut.authority,
        clause: CLAUSES.remoteCut,
        message: `remote cut "${cut.id}" (${cut.authority}) expired`,
      });
    }
  }

  /** Desired state of every output, plus power-on/off and evacuation events for changes. */
  private decide(cycle: Cycle): OutputDecision[] {
    const triggers = new Set<RuleId>(this.plan.settings.evacuation.triggers);
    const evacuate = this.holdSet.all().some((h) => triggers.has(h.rule));
    if (evacuate !== this.evacuating) {
      this.evacuating = evacuate;
      const causes = [...new Set(this.holdSet.all().filter((h) => triggers.has(h.rule)).map((h) => h.key))];
      this.event(cycle, {
        type: evacuate ? 'evacuation-on' : 'evacuation-off',
        clause: CLAUSES.evacuation,
        message: evacuate ? `evacuation link on: ${causes.join(', ')}` : 'evacuation link off: no cut-off needing evacuation remains',
      });
    }
    const decisions: OutputDecision[] = [];
    for (const o of this.plan.outputs.values()) {
      const holds = o.kind === 'power' ? this.holdSet.on(o.id) : [];
      let energize: boolean;
      switch (o.kind) {
        case 'power':
          energize = holds.length === 0;
          break;
        case 'siren':
          // Sound for danger only: a warning (calibration due, data gap) must not train people
          // to ignore the siren. The beacon shows every active alarm.
          energize = this.alarmSet.unacknowledgedDanger;
          break;
        case 'beacon':
          energize = this.alarmSet.size > 0;
          break;
        case 'heartbeat':
          energize = this.heartbeat;
          break;
        case 'evacuation':
          energize = this.evacuating;
          break;
      }
      if (o.kind === 'power') {
        // A reload takes over outputs that were on; a cold start begins from cut.
        const previous = this.lastEnergize.get(o.id) ?? (this.warmStart || !this.startupHold);
        if (previous !== energize) {
          this.event(cycle, {
            type: energize ? 'power-on' : 'power-off',
            outputs: [o.id],
            ...(holds[0] ? { rule: holds[0].rule, key: holds[0].key, clause: holds[0].clause } : {}),
            message: energize ? `${o.id} power permitted: no hold remains` : `${o.id} power cut: ${holds.map((h) => h.key).join(', ')}`,
          });
        }
        this.lastEnergize.set(o.id, energize);
      }
      decisions.push({ output: o.id, device: o.device, channel: o.channel, kind: o.kind, energize, holds: holds.map((h) => h.key) });
    }
    return decisions;
  }

  /** Devices of points in a gas alarm and of the same-type points sharing their zones. */
  private fastPollDevices(): string[] {
    const devices = new Set<string>();
    for (const alarm of this.alarmSet.list()) {
      if ((alarm.kind !== 'over-limit' && alarm.kind !== 'under-limit') || alarm.point === undefined) continue;
      const point = this.plan.points.get(alarm.point);
      if (!point) continue;
      devices.add(point.device);
      for (const z of point.zones) for (const mate of this.pointsByZone.get(z) ?? []) if (mate.sensorType === point.sensorType) devices.add(mate.device);
    }
    for (const [code, st] of this.pointState) if (st.cutActive) devices.add(this.plan.points.get(code)!.device);
    return [...devices].sort();
  }

  // ---------------------------------------------------------------- restore

  private restoreHold(cycle: Cycle, key: string, persisted: PersistedHold[]): void {
    const first = persisted[0]!;
    const outputs = persisted.map((h) => h.output).filter((o) => this.plan.outputs.get(o)?.kind === 'power');
    const dropped = persisted.map((h) => h.output).filter((o) => !outputs.includes(o));
    const restoreOn = (targets: string[], extra: Partial<HoldInput> = {}) => {
      const input: HoldInput = { rule: first.rule, subject: first.subject, reason: first.reason, clause: first.clause, ...extra };
      if (first.point !== undefined) input.point = first.point;
      if (first.value !== undefined) input.value = first.value;
      if (first.threshold !== undefined) input.threshold = first.threshold;
      if (first.operator !== undefined) input.operator = first.operator;
      if (first.authority !== undefined) input.authority = first.authority;
      this.holdSet.place(targets, input, cycle.now, cycle.wallNow, first.sinceWall);
      this.event(cycle, { type: 'restored', rule: first.rule, key, outputs: targets, point: first.point, clause: first.clause, message: `hold ${key} reloaded after restart: ${first.reason}` });
    };
    // An output the config no longer has cannot be held, but its hold is not forgotten either:
    // kept on record (and persisted) until a safety officer confirms the change.
    for (const h of persisted) if (!outputs.includes(h.output)) this.unconfirmed.push({ hold: h, why: `no power output "${h.output}" in the config any more` });
    if (outputs.length === 0) return;
    const point = first.point !== undefined ? this.plan.points.get(first.point) : undefined;
    // A standby fan's restart permit is held under "<fan>.standby".
    const standbyRestart = first.rule === 'fan-restart' && first.subject.endsWith('.standby') && !this.fanState.has(first.subject);
    const fanId = standbyRestart ? first.subject.slice(0, -'.standby'.length) : first.subject;
    const fanSt = this.fanState.get(fanId);
    switch (first.rule) {
      case 'over-limit':
        if (!point?.thresholds?.cutoff) break;
        this.pointState.get(point.code)!.cutActive = true;
        return restoreOn(outputs);
      case 'fan-cutoff':
        if (point?.thresholds?.fanCutoff === undefined) break;
        this.pointState.get(point.code)!.fanCutActive = true;
        return restoreOn(outputs);
      case 'fan-standby': {
        const fan = this.plan.fans.find((f) => f.id === first.subject);
        const idle = fan?.units.find((u) => u.output !== undefined && outputs.includes(u.output));
        if (!fan || fan.units.length < 2 || !idle) break;
        // The fan held off before the restart stays off: the other one was ventilating.
        this.fanState.get(fan.id)!.active = idle.unit === 'main' ? 'standby' : 'main';
        return restoreOn(outputs);
      }
      case 'fault-lockout':
        if (!point) break;
        this.pointState.get(point.code)!.faulty = true;
        this.raiseAlarm(cycle, { key: `fault:${point.code}`, kind: 'fault', severity: 'danger', point: point.code, clause: CLAUSES.interlockF, message: `${point.code}: fault lockout reloaded after restart` });
        return restoreOn(outputs);
      case 'fan-stopped':
      case 'duct-airflow-low':
      case 'fan-lock':
      case 'fan-restart':
        if (!fanSt) break;
        if (first.rule === 'fan-stopped') {
          fanSt.stopped = true;
          this.raiseAlarm(cycle, { key: `fan-stopped:${first.subject}`, kind: 'fan-stopped', severity: 'danger', clause: CLAUSES.interlockD, message: `local fan ${first.subject} stopped (reloaded after restart)` });
        }
        if (first.rule === 'duct-airflow-low') {
          fanSt.ductLow = true;
          this.raiseAlarm(cycle, { key: `duct-airflow-low:${first.subject}`, kind: 'duct-airflow-low', severity: 'danger', clause: CLAUSES.interlockD, message: `${first.reason} (reloaded after restart)` });
        }
        if (first.rule === 'fan-restart') {
          if (standbyRestart && this.plan.fans.find((f) => f.id === fanId)?.units.length !== 2) break;
          fanSt.restartBlocked.add(standbyRestart ? 'standby' : 'main');
        }
        if (first.rule === 'fan-lock') {
          fanSt.locked = true;
          this.raiseAlarm(cycle, { key: `fan-lock:${first.subject}`, kind: 'fan-lock', severity: 'danger', clause: CLAUSES.interlockE, message: `fan lock of ${first.subject} reloaded after restart: ${first.reason}` });
        }
        return restoreOn(outputs);
      case 'feed-escalation': {
        const st = this.feedState.get(first.subject);
        if (!st || this.plan.outputs.get(first.subject)?.feedEscalation === undefined) break;
        st.abnormal = 'live';
        st.escalated = true;
        this.raiseAlarm(cycle, { key: `feed:${first.subject}`, kind: 'feed-abnormal', severity: 'danger', output: first.subject, clause: CLAUSES.feed, message: `馈电异常 of ${first.subject} reloaded after restart` });
        return restoreOn(outputs);
      }
      case 'remote-cut': {
        const remaining = (first.expiresWall ?? 0) - cycle.wallNow;
        if (remaining <= 0) {
          this.event(cycle, { type: 'remote-expired', rule: 'remote-cut', key, outputs, operator: first.operator, authority: first.authority, clause: CLAUSES.remoteCut, message: `remote cut "${first.subject}" expired while the gateway was down` });
          return;
        }
        this.remoteCuts.set(first.subject, {
          id: first.subject,
          outputs,
          authority: first.authority ?? '',
          operator: first.operator ?? '',
          reason: first.reason,
          expiresAt: cycle.now + remaining,
        });
        return restoreOn(outputs, { expiresAt: cycle.now + remaining, expiresWall: first.expiresWall! });
      }
      case 'startup':
        return;
    }
    // Its rule no longer applies in this config: nothing here may release it, so it stays until a
    // safety officer confirms (a restart with an edited config is gated like a reload).
    restoreOn(outputs, { reason: `${first.reason} (kept from before the restart: the config no longer has this rule)` });
    for (const h of persisted) if (outputs.includes(h.output)) this.unconfirmed.push({ hold: h, why: 'its rule no longer applies in this config' });
  }

  /** After restore: say what is kept unconfirmed, and confirm at once if a confirmation is at hand. */
  private reportUnconfirmed(cycle: Cycle): void {
    if (this.unconfirmed.length === 0) return;
    const list = this.unconfirmed.map((u) => `${u.hold.key} on ${u.hold.output} (${u.why})`).join('; ');
    const message = `${this.unconfirmed.length} hold(s) from before the restart are not explained by this config and are kept: ${list}. A safety officer confirms with: minegate reload --user <safety officer> --reason …`;
    this.event(cycle, { type: 'holds-unconfirmed', outputs: [...new Set(this.unconfirmed.map((u) => u.hold.output))], clause: CLAUSES.startup, message });
    this.raiseAlarm(cycle, { key: 'unconfirmed-holds', kind: 'unconfirmed-hold', severity: 'warning', clause: CLAUSES.startup, message });
  }

  /**
   * A safety officer confirmed the config that no longer explains some reloaded holds (the same
   * confirmation a loosening reload needs): they are dropped, with who and why on record.
   */
  confirmUnconfirmedHolds(confirmation: { operator: string; reason: string }, now: number): number {
    assertTime('confirmUnconfirmedHolds', now);
    if (typeof confirmation?.operator !== 'string' || confirmation.operator.trim() === '') throw new SafetyCommandError('INVALID_COMMAND', 'operator identity is required');
    const cycle = this.commandCycle(now);
    const confirmed = this.unconfirmed.splice(0);
    if (confirmed.length === 0) return 0;
    const keys = new Set(confirmed.map((u) => u.hold.key));
    const lifted = [...keys].flatMap((k) => this.holdSet.lift(k).map((h) => h.output));
    this.unconfirmedVersion++;
    this.clearAlarm(cycle, 'unconfirmed-holds', `holds confirmed by ${confirmation.operator}`);
    this.event(cycle, {
      type: 'holds-confirmed',
      outputs: [...new Set([...lifted, ...confirmed.map((u) => u.hold.output)])],
      operator: confirmation.operator,
      reason: confirmation.reason,
      clause: CLAUSES.startup,
      message: `${confirmed.length} hold(s) the config no longer explains dropped on the confirmation of ${confirmation.operator}: ${[...keys].join(', ')} (${confirmation.reason})`,
    });
    this.flushCommandEvents();
    return confirmed.length;
  }

  /** Holds reloaded at start that this config does not explain (kept until confirmed). */
  unconfirmedHolds(): { hold: PersistedHold; why: string }[] {
    return this.unconfirmed.map((u) => ({ hold: { ...u.hold }, why: u.why }));
  }

  // ---------------------------------------------------------------- helpers

  private commandCycle(now: number): Cycle {
    this.lastNow = Math.max(this.lastNow, now);
    return { now, wallNow: this.wall(), read: () => undefined };
  }

  /** Commands and restore raise events outside a cycle: journal them at once, report them next cycle. */
  private flushCommandEvents(): void {
    this.persist(this.pending.filter((e) => !this.journaled.has(e)));
  }

  private readonly journaled = new WeakSet<SafetyEvent>();

  private persist(events: readonly SafetyEvent[]): void {
    if (!this.journal) return;
    const fresh = events.filter((e) => !this.journaled.has(e));
    for (const e of fresh) this.journaled.add(e);
    try {
      if (fresh.length > 0) this.journal.record(fresh);
      if (this.holdSet.version + this.unconfirmedVersion !== this.savedHoldVersion) {
        this.savedHoldVersion = this.holdSet.version + this.unconfirmedVersion;
        this.journal.saveHolds(this.persistedHolds());
      }
    } catch {
      // The journal must never take down the safety path; its own stats report the failure.
    }
  }

  private event(cycle: Cycle, e: Omit<SafetyEvent, 'seq' | 'wallTime' | 'monoTime'>): void {
    const clean = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Omit<SafetyEvent, 'seq' | 'wallTime' | 'monoTime'>;
    this.pending.push({ seq: ++this.seq, wallTime: cycle.wallNow, monoTime: cycle.now, ...clean });
    this.lastNow = Math.max(this.lastNow, cycle.now);
  }

  private raiseAlarm(cycle: Cycle, input: AlarmInput, abnormality?: AbnormalityCode): void {
    const alarm = this.alarmSet.raise(input, cycle.now, cycle.wallNow);
    if (!alarm) return;
    this.event(cycle, {
      type: 'alarm-on',
      key: input.key,
      alarm: input.kind,
      severity: input.severity,
      point: input.point,
      value: input.value,
      threshold: input.threshold,
      clause: input.clause,
      outputs: input.output === undefined ? undefined : [input.output],
      abnormality,
      message: input.message,
    });
  }

  private clearAlarm(cycle: Cycle, key: string, why: string, value?: number | null): void {
    const alarm = this.alarmSet.clear(key);
    if (!alarm) return;
    this.event(cycle, {
      type: 'alarm-off',
      key,
      alarm: alarm.kind,
      severity: alarm.severity,
      point: alarm.point,
      value,
      threshold: alarm.threshold,
      clause: alarm.clause,
      outputs: alarm.output === undefined ? undefined : [alarm.output],
      message: why,
    });
  }

  private placeHold(cycle: Cycle, outputs: readonly string[], input: HoldInput, type: 'cut' | 'lockout', abnormality?: AbnormalityCode): string[] {
    const added = this.holdSet.place(outputs, input, cycle.now, cycle.wallNow);
    if (added.length > 0) {
      this.event(cycle, {
        type,
        rule: input.rule,
        key: holdKey(input.rule, input.subject),
        point: input.point,
        value: input.value,
        threshold: input.threshold,
        clause: input.clause,
        outputs: added,
        abnormality,
        message: input.reason,
      });
    }
    return added;
  }

  private liftHold(cycle: Cycle, key: string, why: string, extra: { point?: string; value?: number | null; threshold?: number } = {}, outputs?: readonly string[]): Hold[] {
    const removed = this.holdSet.lift(key, outputs);
    if (removed.length > 0) {
      const stillCut = removed.filter((h) => this.holdSet.isCut(h.output)).map((h) => h.output);
      this.event(cycle, {
        type: 'release',
        rule: removed[0]!.rule,
        key,
        point: extra.point ?? removed[0]!.point,
        value: extra.value,
        threshold: extra.threshold,
        clause: removed[0]!.clause,
        outputs: removed.map((h) => h.output),
        message: stillCut.length > 0 ? `${why} (still held by other rules: ${stillCut.join(', ')})` : why,
      });
    }
    return removed;
  }
}

/** A reading as an operator reads it in a refusal: its value, or why it proves nothing. */
function describeProof(point: PlannedPoint, r: Reading | undefined): string {
  if (r === undefined || r.value === null || !Number.isFinite(r.value)) return 'unreadable';
  const value = `${r.value}${point.unit ? ` ${point.unit}` : ''}`;
  return r.quality === 'good' ? value : `${value} (${r.quality}: proves nothing)`;
}

function describeFault(r: Reading | undefined, seen: boolean): { text: string; abnormality: AbnormalityCode } {
  if (r === undefined) return { text: seen ? 'no reading' : 'never read since start', abnormality: ABNORMALITY.stationCommLoss };
  switch (r.quality) {
    case 'comm-fault':
      return { text: 'device not answering (comm fault)', abnormality: ABNORMALITY.stationCommLoss };
    case 'sensor-fault':
      return { text: 'sensor fault or broken wire', abnormality: ABNORMALITY.sensorBrokenWire };
    case 'over-range':
      return { text: `over range (${r.value ?? 'no value'})`, abnormality: ABNORMALITY.overRange };
    case 'stale':
      return { text: seen ? 'no fresh reading (stale)' : 'never read since start', abnormality: ABNORMALITY.stationCommLoss };
    default:
      if (r.value === null || !Number.isFinite(r.value)) return { text: 'no value', abnormality: ABNORMALITY.sensorBrokenWire };
      return { text: `invalid switch value ${r.value} (expected 0 or 1)`, abnormality: ABNORMALITY.sensorBrokenWire };
  }
}

/** Hold subject of a fan's restart permit: the fan id for the main fan (as before pairs existed), "<id>.standby" for its standby. */
function restartSubject(fanId: string, unit: FanUnitName): string {
  return unit === 'main' ? fanId : `${fanId}.standby`;
}

function assertTime(what: string, now: number): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError(`SafetyEngine.${what}: now must be a finite monotonic time in ms, got ${String(now)}`);
}

function strOrUndef(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
