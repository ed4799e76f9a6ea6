// The methane-wind-power interlock of each local fan (or main/standby pair): clause d (fan stopped
// or duct airflow low → cut the ventilated area), clause e (fan stopped with T1/T2 above lockAbove
// → fan lock, released below unlockBelow or by an authorised hand on proof) and the restart permit
// (CLAUSES.fanRestart: a stopped fan restarts only with ≤ restartMax at the fan and its switch).
// A pair's switchover (clause g) is fan-switchover.ts, run first for each pair.
import type { Reading } from '../../../core/readings.js';
import { CLAUSES } from '../clauses.js';
import type { ManualUnlockCommand } from '../engine-types.js';
import { SafetyCommandError } from '../errors.js';
import { holdKey } from '../holds.js';
import type { PlannedFan, PlannedPoint } from '../plan.js';
import { may } from '../quality-policy.js';
import { type Cycle, type RestoredHold, type RuleContext, type SafetyRule, strOrUndef } from '../rule-context.js';
import type { FanSwitchoverRule, FanUnitName, UnitState } from './fan-switchover.js';
import type { StartupHold } from './startup-hold.js';

interface LocalFanState {
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
}

export class LocalFanRule implements SafetyRule {
  readonly holdRules = ['fan-stopped', 'duct-airflow-low', 'fan-lock', 'fan-restart'] as const;
  private readonly fans = new Map<string, LocalFanState>();
  /** The last evaluation (refusal wording between cycles reads its readings). */
  private lastCycle: Cycle | undefined;

  constructor(
    private readonly ctx: RuleContext,
    private readonly startup: StartupHold,
    private readonly switchover: FanSwitchoverRule,
  ) {
    for (const f of ctx.plan.fans) this.fans.set(f.id, { stopped: false, ductLow: false, locked: false, suppressed: false, conditionGone: false, restartBlocked: new Set() });
  }

  fanLocked(fanId: string): boolean {
    return this.fans.get(fanId)?.locked ?? false;
  }

  restore(cycle: Cycle, hold: RestoredHold): boolean {
    const { first } = hold;
    // A standby fan's restart permit is held under "<fan>.standby".
    const standbyRestart = first.rule === 'fan-restart' && first.subject.endsWith('.standby') && !this.fans.has(first.subject);
    const fanId = standbyRestart ? first.subject.slice(0, -'.standby'.length) : first.subject;
    const st = this.fans.get(fanId);
    if (!st) return false;
    switch (first.rule) {
      case 'fan-stopped':
        st.stopped = true;
        this.ctx.raiseAlarm(cycle, { key: `fan-stopped:${first.subject}`, kind: 'fan-stopped', severity: 'danger', clause: CLAUSES.interlockD, message: `local fan ${first.subject} stopped (reloaded after restart)` });
        break;
      case 'duct-airflow-low':
        st.ductLow = true;
        this.ctx.raiseAlarm(cycle, { key: `duct-airflow-low:${first.subject}`, kind: 'duct-airflow-low', severity: 'danger', clause: CLAUSES.interlockD, message: `${first.reason} (reloaded after restart)` });
        break;
      case 'fan-restart':
        if (standbyRestart && this.ctx.plan.fans.find((f) => f.id === fanId)?.units.length !== 2) return false;
        st.restartBlocked.add(standbyRestart ? 'standby' : 'main');
        break;
      case 'fan-lock':
        st.locked = true;
        this.ctx.raiseAlarm(cycle, { key: `fan-lock:${first.subject}`, kind: 'fan-lock', severity: 'danger', clause: CLAUSES.interlockE, message: `fan lock of ${first.subject} reloaded after restart: ${first.reason}` });
        break;
    }
    hold.placeBack(hold.outputs);
    return true;
  }

  evaluate(cycle: Cycle): void {
    this.lastCycle = cycle;
    for (const fan of this.ctx.plan.fans) this.evaluateFan(cycle, fan);
  }

  /** Authorised manual unlock of a fan lock (clause e). The restart permit still applies. */
  manualUnlock(cmd: ManualUnlockCommand, now: number): void {
    const cycle = this.ctx.commandCycle(now);
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.ctx.event(cycle, { type: 'unlock-refused', rule: 'fan-lock', operator: strOrUndef(cmd?.operator), reason: message, clause: CLAUSES.interlockE, message: `fan unlock refused: ${message}` });
      this.ctx.flushCommand();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd.operator !== 'string' || cmd.operator.trim() === '') return refuse('INVALID_COMMAND', 'operator identity is required');
    const fan = this.ctx.plan.fans.find((f) => f.id === cmd.fan);
    if (!fan) return refuse('UNKNOWN_TARGET', `no local fan "${String(cmd.fan)}"`);
    if (!this.ctx.plan.settings.unlockOperators.includes(cmd.operator)) return refuse('NOT_AUTHORISED', `operator "${cmd.operator}" is not authorised to unlock fans`);
    const st = this.fans.get(fan.id)!;
    if (!st.locked) return refuse('NOT_LOCKED', `local fan "${fan.id}" is not locked`);
    // Clause e: unlock only on proof the condition is gone (good readings), never on an unknown one.
    if (!st.conditionGone) return refuse('LOCK_CONDITION_ACTIVE', `local fan "${fan.id}" ${this.lockConditionText(fan)}`);
    st.locked = false;
    st.suppressed = true;
    this.ctx.clearAlarm(cycle, `fan-lock:${fan.id}`, `fan lock of ${fan.id} unlocked by ${cmd.operator}`);
    this.ctx.liftHoldAs(cycle, 'fan-lock', fan.id, {
      type: 'unlock',
      operator: cmd.operator,
      clause: CLAUSES.interlockE,
      message: `fan lock of local fan ${fan.id} released by hand by ${cmd.operator}`,
    });
    this.ctx.flushCommand();
  }

  /** 'running' only on a good reading (it releases clause d); a calibrating 0 still shows the fan stopped. */
  private unitState(cycle: Cycle, runPoint: string): UnitState {
    const point = this.ctx.plan.points.get(runPoint)!;
    const r = cycle.read(runPoint);
    if (may('mayRelease', point, r) && r.value === 1) return 'running';
    if (may('notAFault', point, r) && r.value === 0) return 'stopped';
    return 'unknown';
  }

  private evaluateFan(cycle: Cycle, fan: PlannedFan): void {
    const st = this.fans.get(fan.id)!;
    const states = new Map(fan.units.map((u) => [u.unit, this.unitState(cycle, u.runPoint)] as const));
    if (fan.units.length > 1) this.switchover.evaluate(cycle, fan, states);
    // The heading is ventilated while any of its fans runs; stopped only when every one is seen stopped.
    const all = [...states.values()];
    const state: UnitState = all.includes('running') ? 'running' : all.every((x) => x === 'stopped') ? 'stopped' : 'unknown';
    this.fanStopped(cycle, fan, st, state);
    this.ductAirflow(cycle, fan, st);
    this.fanLock(cycle, fan, st, state);
    this.restartPermit(cycle, fan, st, states);
  }

  /** Clause d: fan stopped → cut the ventilated area; auto release when it runs again. */
  private fanStopped(cycle: Cycle, fan: PlannedFan, st: LocalFanState, state: UnitState): void {
    const which = fan.units.length > 1 ? `local fans ${fan.id} (main and standby)` : `local fan ${fan.id}`;
    if (state === 'stopped' && !st.stopped) {
      st.stopped = true;
      this.ctx.raiseAlarm(cycle, { key: `fan-stopped:${fan.id}`, kind: 'fan-stopped', severity: 'danger', point: fan.runPoint, value: 0, clause: CLAUSES.interlockD, message: `${which} stopped` });
      this.ctx.placeHold(cycle, fan.ventilatedOutputs, { rule: 'fan-stopped', subject: fan.id, point: fan.runPoint, value: 0, clause: CLAUSES.interlockD, reason: `${which} stopped` }, 'cut');
    } else if (state === 'running' && st.stopped) {
      st.stopped = false;
      this.ctx.liftHold(cycle, holdKey('fan-stopped', fan.id), `local fan ${fan.id} running again`, { point: fan.runPoint, value: 1 });
      this.ctx.clearAlarm(cycle, `fan-stopped:${fan.id}`, `local fan ${fan.id} running again`, 1);
    }
  }

  /** Clause d: duct airflow below its set value. */
  private ductAirflow(cycle: Cycle, fan: PlannedFan, st: LocalFanState): void {
    if (fan.airflowPoint === undefined) return;
    const airPoint = this.ctx.plan.points.get(fan.airflowPoint)!;
    const air = cycle.read(fan.airflowPoint);
    const min = fan.ductAirflowMin!;
    if (!may('notAFault', airPoint, air)) return;
    const flow = air.value;
    const unit = airPoint.unit ? ` ${airPoint.unit}` : '';
    if (flow < min && !st.ductLow) {
      st.ductLow = true;
      const reason = `duct airflow of local fan ${fan.id} ${flow}${unit} < ${min}${unit}`;
      this.ctx.raiseAlarm(cycle, { key: `duct-airflow-low:${fan.id}`, kind: 'duct-airflow-low', severity: 'danger', point: fan.airflowPoint, value: flow, threshold: min, clause: CLAUSES.interlockD, message: reason });
      this.ctx.placeHold(cycle, fan.ventilatedOutputs, { rule: 'duct-airflow-low', subject: fan.id, point: fan.airflowPoint, value: flow, threshold: min, clause: CLAUSES.interlockD, reason }, 'cut');
    } else if (flow >= min && st.ductLow && may('mayRelease', airPoint, air)) {
      st.ductLow = false;
      const why = `duct airflow of local fan ${fan.id} back to ${flow}${unit}`;
      this.ctx.liftHold(cycle, holdKey('duct-airflow-low', fan.id), why, { point: fan.airflowPoint, value: flow, threshold: min });
      this.ctx.clearAlarm(cycle, `duct-airflow-low:${fan.id}`, why, flow);
    }
  }

  /** Clause e: fan stopped and T1/T2 above 3.0 % → fan lock (every fan of a pair); auto release below 1.5 %. */
  private fanLock(cycle: Cycle, fan: PlannedFan, st: LocalFanState, state: UnitState): void {
    const fanOutputs = fan.units.flatMap((u) => (u.output === undefined ? [] : [u.output]));
    const gas = fan.gasPoints.map((code) => {
      const point = this.ctx.plan.points.get(code)!;
      const r = cycle.read(code);
      return { code, r, trips: may('mayTrip', point, r), proves: may('mayUnlock', point, r) };
    });
    const over = gas.filter((g) => g.trips && g.r!.value! > fan.lockAbove);
    // A point not yet read since start is not "unknown" yet: the startup hold covers that window.
    const unknown = gas.filter((g) => !g.trips && !this.startup.awaitingFirstRead(cycle, g.code, fanOutputs));
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
      this.ctx.raiseAlarm(cycle, { key: `fan-lock:${fan.id}`, kind: 'fan-lock', severity: 'danger', point: first.code, value: first.r?.value ?? null, threshold: fan.lockAbove, clause: CLAUSES.interlockE, message: reason });
      const placed = this.ctx.placeHold(
        cycle,
        fanOutputs,
        { rule: 'fan-lock', subject: fan.id, point: first.code, value: first.r?.value ?? null, threshold: fan.lockAbove, clause: CLAUSES.interlockE, reason },
        'lockout',
      );
      if (placed.length === 0) {
        this.ctx.event(cycle, { type: 'lockout', rule: 'fan-lock', key: lockKey, point: first.code, clause: CLAUSES.interlockE, outputs: [], message: `${reason} (no fanOutput configured: the lock is alarm only)` });
      }
    } else if (st.locked && gas.every((g) => g.proves && g.r!.value! < fan.unlockBelow)) {
      st.locked = false;
      const why = `CH4 below ${fan.unlockBelow} % at ${fan.gasPoints.join(', ')}: fan lock of ${fan.id} released`;
      this.ctx.liftHold(cycle, lockKey, why, { threshold: fan.unlockBelow });
      this.ctx.clearAlarm(cycle, `fan-lock:${fan.id}`, why);
    }
  }

  /** Restart permit, per fan: a stopped fan may (re)start only with ≤ 0.5 % at the fan and its switch. */
  private restartPermit(cycle: Cycle, fan: PlannedFan, st: LocalFanState, states: ReadonlyMap<FanUnitName, UnitState>): void {
    for (const unit of fan.units) {
      if (unit.output === undefined) continue;
      const subject = unit.unit === 'main' ? fan.id : `${fan.id}.standby`;
      const restartKey = holdKey('fan-restart', subject);
      const name = unit.unit === 'main' ? `local fan ${fan.id}` : `standby local fan of ${fan.id}`;
      const blocked = st.restartBlocked.has(unit.unit);
      const unitState = states.get(unit.unit);
      if (unitState === 'stopped' && !unit.restartPoints.some((code) => this.startup.awaitingFirstRead(cycle, code, [unit.output!]))) {
        // Only good readings ≤ restartMax permit a restart; calibrating or unknown ones never do.
        const bad = unit.restartPoints
          .map((code) => ({ code, point: this.ctx.plan.points.get(code)!, r: cycle.read(code) }))
          .filter(({ point, r }) => !(may('mayPermitRestart', point, r) && r.value <= fan.restartMax));
        if (bad.length > 0 && !blocked) {
          st.restartBlocked.add(unit.unit);
          const where = bad.map(({ code, point, r }) => `${code} ${describeProof(point, r)}`).join(', ');
          this.ctx.placeHold(
            cycle,
            [unit.output],
            { rule: 'fan-restart', subject, point: bad[0]!.code, value: bad[0]!.r?.value ?? null, threshold: fan.restartMax, clause: CLAUSES.fanRestart, reason: `restart of ${name} not permitted: ${where} (needs ≤ ${fan.restartMax} %)` },
            'cut',
          );
        } else if (bad.length === 0 && blocked) {
          st.restartBlocked.delete(unit.unit);
          this.ctx.liftHold(cycle, restartKey, `CH4 ≤ ${fan.restartMax} % at ${name} and its switch: restart permitted`, { threshold: fan.restartMax });
        }
      } else if (unitState === 'running' && blocked) {
        st.restartBlocked.delete(unit.unit);
        this.ctx.liftHold(cycle, restartKey, `${name} running`);
      }
    }
  }

  /** Clause e wording for a refused unlock: what is still missing from the proof. */
  private lockConditionText(fan: PlannedFan): string {
    const read = (code: string) => this.lastCycle?.read(code);
    const unproven = fan.gasPoints.filter((code) => !may('mayUnlock', this.ctx.plan.points.get(code)!, read(code)));
    if (unproven.length > 0) return `is locked and the lock condition is not proven gone: ${unproven.map((c) => `${c} ${describeProof(this.ctx.plan.points.get(c)!, read(c))}`).join(', ')} (a good reading is needed)`;
    return `is stopped with CH4 above ${fan.lockAbove} %: the lock condition still holds`;
  }
}

/** A reading as an operator reads it in a refusal: its value, or why it proves nothing. */
function describeProof(point: PlannedPoint, r: Reading | undefined): string {
  if (r === undefined || r.value === null || !Number.isFinite(r.value)) return 'unreadable';
  const value = `${r.value}${point.unit ? ` ${point.unit}` : ''}`;
  return r.quality === 'good' ? value : `${value} (${r.quality}: proves nothing)`;
}
