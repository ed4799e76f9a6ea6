// The offline safety interlock engine on a built plan: evaluated once per poll cycle with the
// latest readings and a monotonic time, it returns the desired state of every output and the
// events raised. It keeps all functions of a methane cut-off instrument and a methane-wind-power
// interlock device without the host (煤矿安全规程, AQ 6201-2019 §3.1). Every rule is fail-safe: a
// reading that is missing, stale, faulty or over-range is dangerous, and only positive evidence
// (a good reading) releases a hold. Pure logic: no I/O, no timers; durability goes through an
// optional journal that never blocks.
// This is the core: the cycle, the hold and alarm sets (rule-context.ts), the output decisions and
// persistence. Each rule (rules/) owns its state, evaluation and restore. engine.ts builds the
// plan from a config; the kernel process gets the plan as data and uses this class directly.
import type { Reading } from '../../core/readings.js';
import type { Alarm } from './alarms.js';
import { CLAUSES } from './clauses.js';
import type {
  ActuationReport,
  EvaluateOptions,
  FanSwitchCommand,
  InterlockEngineOptions,
  ManualUnlockCommand,
  OutputDecision,
  ReadingSource,
  RemoteCutCommand,
  RemoteReleaseCommand,
  SafetyEvaluation,
  SafetyStateSource,
} from './engine-types.js';
import { SafetyCommandError } from './errors.js';
import type { SafetyEvent, SafetyJournalLike } from './events.js';
import { failSafeDecisions } from './fail-safe.js';
import { type Hold, type HoldInput, type PersistedHold, type RuleId, toPersistedHold } from './holds.js';
import { IntegrityMonitor } from './integrity.js';
import type { SafetyPlan } from './plan.js';
import { type Cycle, type RestoredHold, RuleContext, type SafetyRule } from './rule-context.js';
import { ActuationFeedback } from './rules/actuation-feedback.js';
import { FanSwitchoverRule } from './rules/fan-switchover.js';
import { FaultLockoutRule } from './rules/fault-lockout.js';
import { FeedCheckRule } from './rules/feed-check.js';
import { LocalFanRule } from './rules/local-fan.js';
import { OverLimitRule } from './rules/over-limit.js';
import { type ActiveRemoteCut, RemoteCutRule } from './rules/remote-cut.js';
import { StartupHold } from './rules/startup-hold.js';
import { type UnconfirmedHold, UnconfirmedHolds } from './unconfirmed-holds.js';

export const SAFETY_ENGINE_DEFAULTS = {
  startupHold: true,
  integrity: true,
  wallClock: (): number => Date.now(),
} as const;

export class InterlockEngine {
  readonly plan: SafetyPlan;
  private readonly ctx: RuleContext;
  private readonly integrity: IntegrityMonitor | undefined;
  private readonly journal: SafetyJournalLike | undefined;
  private readonly startup: StartupHold;
  private readonly overLimit: OverLimitRule;
  private readonly faultLockout: FaultLockoutRule;
  private readonly switchover: FanSwitchoverRule;
  private readonly localFans: LocalFanRule;
  private readonly feeds: FeedCheckRule;
  private readonly remote: RemoteCutRule;
  private readonly actuation: ActuationFeedback;
  private readonly unconfirmed: UnconfirmedHolds;
  /** Which rule module restores a reloaded hold of each rule id. */
  private readonly restorers = new Map<RuleId, SafetyRule>();
  private readonly journaled = new WeakSet<SafetyEvent>();
  private savedHoldVersion = -1;
  private heartbeat = false;
  private evacuating = false;

  constructor(opts: InterlockEngineOptions) {
    if (!opts || typeof opts !== 'object' || !opts.plan) throw new TypeError(`SafetyEngine: options.plan is required, got ${String(opts?.plan)}`);
    checkEngineOptions(opts);
    this.plan = opts.plan;
    this.journal = opts.journal;
    const ctx = (this.ctx = new RuleContext(this.plan, opts.wallClock ?? SAFETY_ENGINE_DEFAULTS.wallClock));
    ctx.flushCommand = () => this.flushCommandEvents();
    if (opts.integrity ?? SAFETY_ENGINE_DEFAULTS.integrity) this.integrity = IntegrityMonitor.fromPlan(this.plan);
    this.startup = new StartupHold(ctx, opts.startupHold ?? SAFETY_ENGINE_DEFAULTS.startupHold, opts.warmStart ?? false);
    this.overLimit = new OverLimitRule(ctx);
    this.faultLockout = new FaultLockoutRule(ctx, this.startup);
    this.switchover = new FanSwitchoverRule(ctx);
    this.localFans = new LocalFanRule(ctx, this.startup, this.switchover);
    this.feeds = new FeedCheckRule(ctx, this.startup);
    this.remote = new RemoteCutRule(ctx);
    this.actuation = new ActuationFeedback(ctx);
    this.unconfirmed = new UnconfirmedHolds(ctx);
    for (const rule of [this.startup, this.overLimit, this.faultLockout, this.switchover, this.localFans, this.feeds, this.remote]) {
      for (const id of rule.holdRules) this.restorers.set(id, rule);
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
    if (this.ctx.startedAt !== undefined) throw new Error('SafetyEngine.restore must be called before the first evaluate()');
    if (!source || typeof source.loadHolds !== 'function') throw new TypeError('SafetyEngine.restore: source must have loadHolds()');
    this.startup.begin(now);
    const cycle = this.ctx.commandCycle(now);
    const byKey = new Map<string, PersistedHold[]>();
    for (const h of source.loadHolds()) byKey.set(h.key, [...(byKey.get(h.key) ?? []), h]);
    for (const [key, holds] of byKey) this.restoreHold(cycle, key, holds);
    this.unconfirmed.report(cycle);
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
    if (this.ctx.startedAt === undefined) this.startup.begin(now);
    const memo = new Map<string, Reading | undefined>();
    const cycle: Cycle = {
      now,
      wallNow: this.ctx.wall(),
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

    this.remote.evaluate(cycle);
    this.startup.placeWarmHold(cycle);
    for (const point of this.plan.points.values()) {
      if (!point.monitored) continue;
      const r = cycle.read(point.code);
      this.startup.note(point, r);
      this.overLimit.evaluatePoint(cycle, point, r);
      this.faultLockout.evaluatePoint(cycle, point, r);
    }
    this.localFans.evaluate(cycle);
    this.startup.release(cycle);
    this.evaluateIntegrity(cycle);
    this.feeds.evaluate(cycle);
    if (opts.heartbeat ?? true) this.heartbeat = !this.heartbeat;
    const outputs = this.decide(cycle);
    const fastPollDevices = this.overLimit.fastPollDevices();
    const events = this.ctx.takeEvents();
    this.persist(events);
    return { now, outputs, events, alarms: this.ctx.alarms.list(), fastPollDevices };
  }

  /** What to drive when evaluation itself failed: the fail-safe state per kind (fail-safe.ts). */
  failSafeOutputs(): OutputDecision[] {
    const fanOutputs = new Set(this.plan.fans.flatMap((f) => f.units.flatMap((u) => (u.output === undefined ? [] : [u.output]))));
    return failSafeDecisions(this.plan.outputs.values(), fanOutputs, (id) => this.ctx.lastEnergize.get(id), this.heartbeat);
  }

  // ---------------------------------------------------------------- commands

  /** 异地断电: cut zones/outputs on a remote order. Throws SafetyCommandError (nothing changes) when refused. */
  remoteCut(cmd: RemoteCutCommand, now: number): void {
    assertTime('remoteCut', now);
    this.remote.cut(cmd, now);
  }

  /** Release a remote cut: only the authority that ordered it may. */
  remoteRelease(cmd: RemoteReleaseCommand, now: number): void {
    assertTime('remoteRelease', now);
    this.remote.release(cmd, now);
  }

  /** Authorised manual unlock of a fan lock (clause e). The restart permit still applies. */
  manualUnlock(cmd: ManualUnlockCommand, now: number): void {
    assertTime('manualUnlock', now);
    this.localFans.manualUnlock(cmd, now);
  }

  /**
   * Interlock clause g by hand: make `to` the running fan of a main/standby pair (the daily
   * switchover test, or back to a repaired main fan). Throws SafetyCommandError when refused.
   */
  switchLocalFan(cmd: FanSwitchCommand, now: number): void {
    assertTime('switchLocalFan', now);
    this.switchover.switchLocalFan(cmd, now);
  }

  /** Silence the audible alarm for every alarm active now (the beacon stays on). */
  acknowledge(operator: string, now: number): void {
    assertTime('acknowledge', now);
    if (typeof operator !== 'string' || operator.trim() === '') throw new SafetyCommandError('INVALID_COMMAND', 'operator identity is required');
    const cycle = this.ctx.commandCycle(now);
    const keys = this.ctx.alarms.acknowledge();
    this.ctx.event(cycle, { type: 'acknowledge', operator, message: `${keys.length} alarm(s) acknowledged by ${operator}${keys.length ? `: ${keys.join(', ')}` : ''}` });
    this.actuation.acknowledged(cycle, operator);
    this.flushCommandEvents();
  }

  /** Feed back what the actuator achieved: an unconfirmed command is an alarm until confirmed. */
  reportActuation(reports: readonly ActuationReport[], now: number): void {
    assertTime('reportActuation', now);
    this.actuation.report(this.ctx.commandCycle(now), reports);
    this.flushCommandEvents();
  }

  /**
   * A safety officer confirmed the config that no longer explains some reloaded holds (the same
   * confirmation a loosening reload needs): they are dropped, with who and why on record.
   */
  confirmUnconfirmedHolds(confirmation: { operator: string; reason: string }, now: number): number {
    assertTime('confirmUnconfirmedHolds', now);
    return this.unconfirmed.confirm(confirmation, now);
  }

  // ---------------------------------------------------------------- views

  holds(): Hold[] {
    return this.ctx.holds.all();
  }

  alarms(): Alarm[] {
    return this.ctx.alarms.list();
  }

  /** Holds reloaded at start that this config does not explain (kept until confirmed). */
  unconfirmedHolds(): UnconfirmedHold[] {
    return this.unconfirmed.all();
  }

  /**
   * Holds as they are persisted (startup holds are not: they are re-created at every start), plus
   * unconfirmed holds on outputs this config lacks, so a second restart does not forget them.
   */
  persistedHolds(): PersistedHold[] {
    const held = this.ctx.holds
      .all()
      .filter((h) => h.rule !== 'startup')
      .map(toPersistedHold);
    return [...held, ...this.unconfirmed.absent()];
  }

  fanLocked(fanId: string): boolean {
    return this.localFans.fanLocked(fanId);
  }

  /** Clause g: which fan of a local-fan installation is the running one ('main' without a standby). */
  activeFan(fanId: string): 'main' | 'standby' | undefined {
    return this.switchover.activeFan(fanId);
  }

  activeRemoteCuts(): ActiveRemoteCut[] {
    return this.remote.active();
  }

  // ---------------------------------------------------------------- cycle parts

  private evaluateIntegrity(cycle: Cycle): void {
    if (!this.integrity) return;
    let result;
    try {
      result = this.integrity.evaluate(cycle.read, cycle.now, cycle.wallNow);
    } catch (err) {
      // The detectors only add alarms; their failure must not stop protection, but must be seen.
      this.ctx.raiseAlarm(cycle, { key: 'integrity:monitor-failed', kind: 'integrity', severity: 'warning', clause: CLAUSES.integrity, message: `integrity checks failed: ${(err as Error).message}` });
      return;
    }
    for (const c of result.calibrated) {
      this.ctx.event(cycle, { type: 'calibration', point: c.point, clause: CLAUSES.calibration, message: `${c.point} left calibration mode: calibration date recorded` });
    }
    for (const f of result.cleared) this.ctx.clearAlarm(cycle, f.key, `${f.kind} on ${f.point} cleared`);
    for (const f of result.raised) {
      this.ctx.raiseAlarm(cycle, { key: f.key, kind: 'integrity', severity: 'warning', point: f.point, value: f.value ?? null, clause: f.clause, message: f.message });
    }
  }

  /** Desired state of every output, plus power-on/off and evacuation (AQ 1029-2019 §4.6 撤人) events for changes. */
  private decide(cycle: Cycle): OutputDecision[] {
    const { holds, alarms } = this.ctx;
    const triggers = new Set<RuleId>(this.plan.settings.evacuation.triggers);
    const evacuate = holds.all().some((h) => triggers.has(h.rule));
    if (evacuate !== this.evacuating) {
      this.evacuating = evacuate;
      const causes = [...new Set(holds.all().filter((h) => triggers.has(h.rule)).map((h) => h.key))];
      this.ctx.event(cycle, {
        type: evacuate ? 'evacuation-on' : 'evacuation-off',
        clause: CLAUSES.evacuation,
        message: evacuate ? `evacuation link on: ${causes.join(', ')}` : 'evacuation link off: no cut-off needing evacuation remains',
      });
    }
    const decisions: OutputDecision[] = [];
    for (const o of this.plan.outputs.values()) {
      const on = o.kind === 'power' ? holds.on(o.id) : [];
      let energize: boolean;
      switch (o.kind) {
        case 'power':
          energize = on.length === 0;
          break;
        case 'siren':
          // Sound for danger only: a warning (calibration due, data gap) must not train people
          // to ignore the siren. The beacon shows every active alarm.
          energize = alarms.unacknowledgedDanger;
          break;
        case 'beacon':
          energize = alarms.size > 0;
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
        const previous = this.ctx.lastEnergize.get(o.id) ?? !this.startup.startsCut;
        if (previous !== energize) {
          this.ctx.event(cycle, {
            type: energize ? 'power-on' : 'power-off',
            outputs: [o.id],
            ...(on[0] ? { rule: on[0].rule, key: on[0].key, clause: on[0].clause } : {}),
            message: energize ? `${o.id} power permitted: no hold remains` : `${o.id} power cut: ${on.map((h) => h.key).join(', ')}`,
          });
        }
        this.ctx.lastEnergize.set(o.id, energize);
      }
      decisions.push({ output: o.id, device: o.device, channel: o.channel, kind: o.kind, energize, holds: on.map((h) => h.key) });
    }
    return decisions;
  }

  // ---------------------------------------------------------------- restore and persistence

  /** One reloaded hold goes to the rule that owns it; one no rule of this config explains is kept unconfirmed. */
  private restoreHold(cycle: Cycle, key: string, persisted: PersistedHold[]): void {
    const first = persisted[0]!;
    const outputs = persisted.map((h) => h.output).filter((o) => this.plan.outputs.get(o)?.kind === 'power');
    const placeBack = (targets: string[], extra: Partial<HoldInput> = {}): void => {
      const input: HoldInput = { rule: first.rule, subject: first.subject, reason: first.reason, clause: first.clause, ...extra };
      if (first.point !== undefined) input.point = first.point;
      if (first.value !== undefined) input.value = first.value;
      if (first.threshold !== undefined) input.threshold = first.threshold;
      if (first.operator !== undefined) input.operator = first.operator;
      if (first.authority !== undefined) input.authority = first.authority;
      this.ctx.holds.place(targets, input, cycle.now, cycle.wallNow, first.sinceWall);
      this.ctx.event(cycle, { type: 'restored', rule: first.rule, key, outputs: targets, point: first.point, clause: first.clause, message: `hold ${key} reloaded after restart: ${first.reason}` });
    };
    // An output the config no longer has cannot be held, but its hold is not forgotten either:
    // kept on record (and persisted) until a safety officer confirms the change.
    for (const h of persisted) if (!outputs.includes(h.output)) this.unconfirmed.keep(h, `no power output "${h.output}" in the config any more`);
    if (outputs.length === 0) return;
    const hold: RestoredHold = { key, first, outputs, placeBack };
    if (this.restorers.get(first.rule)?.restore(cycle, hold)) return;
    // Its rule no longer applies in this config: nothing here may release it, so it stays until a
    // safety officer confirms (a restart with an edited config is gated like a reload).
    placeBack(outputs, { reason: `${first.reason} (kept from before the restart: the config no longer has this rule)` });
    for (const h of persisted) if (outputs.includes(h.output)) this.unconfirmed.keep(h, 'its rule no longer applies in this config');
  }

  /** Commands and restore raise events outside a cycle: journal them at once, report them next cycle. */
  private flushCommandEvents(): void {
    this.persist(this.ctx.pendingEvents.filter((e) => !this.journaled.has(e)));
  }

  private persist(events: readonly SafetyEvent[]): void {
    if (!this.journal) return;
    const fresh = events.filter((e) => !this.journaled.has(e));
    for (const e of fresh) this.journaled.add(e);
    try {
      if (fresh.length > 0) this.journal.record(fresh);
      const version = this.ctx.holds.version + this.unconfirmed.version;
      if (version !== this.savedHoldVersion) {
        this.savedHoldVersion = version;
        this.journal.saveHolds(this.persistedHolds());
      }
    } catch {
      // The journal must never take down the safety path; its own stats report the failure.
    }
  }
}

/** The options both constructors check before any work (engine.ts checks them before building the plan). */
export function checkEngineOptions(opts: Pick<InterlockEngineOptions, 'wallClock' | 'journal'>): void {
  if (opts.wallClock !== undefined && typeof opts.wallClock !== 'function') throw new TypeError(`SafetyEngine: wallClock must be a function, got ${typeof opts.wallClock}`);
  if (opts.journal !== undefined && (typeof opts.journal.record !== 'function' || typeof opts.journal.saveHolds !== 'function')) {
    throw new TypeError('SafetyEngine: journal must have record(events) and saveHolds(holds)');
  }
}

function assertTime(what: string, now: number): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError(`SafetyEngine.${what}: now must be a finite monotonic time in ms, got ${String(now)}`);
}
