// Main/standby local fans (CLAUSES.interlockG): when the running fan of a pair stops on its own
// (its power was permitted), the other takes over, and must report running within its start time;
// a technician may switch by hand (daily switchover test, back to a repaired main fan). The fan
// that is not the running one is held off ('fan-standby'), so "power permitted" means "started".
import { CLAUSES } from '../clauses.js';
import type { FanSwitchCommand } from '../engine-types.js';
import { SafetyCommandError } from '../errors.js';
import { holdKey } from '../holds.js';
import type { PlannedFan, PlannedFanUnit } from '../plan.js';
import { type Cycle, type RestoredHold, type RuleContext, type SafetyRule, strOrUndef } from '../rule-context.js';

export type FanUnitName = PlannedFanUnit['unit'];
export type UnitState = 'running' | 'stopped' | 'unknown';

interface SwitchoverState {
  /** The fan of the pair that ventilates (the other is held off). */
  active: FanUnitName;
  /** Fans that stopped on their own while permitted; not switched to until seen running or selected by hand. */
  failed: Set<FanUnitName>;
  /** Monotonic time of the last switchover while the fan switched to has not reported running yet. */
  switchedAt: number | undefined;
}

export class FanSwitchoverRule implements SafetyRule {
  readonly holdRules = ['fan-standby'] as const;
  private readonly fans = new Map<string, SwitchoverState>();

  constructor(private readonly ctx: RuleContext) {
    for (const f of ctx.plan.fans) this.fans.set(f.id, { active: 'main', failed: new Set(), switchedAt: undefined });
  }

  /** Which fan of a local-fan installation is the running one ('main' without a standby). */
  activeFan(fanId: string): FanUnitName | undefined {
    return this.fans.get(fanId)?.active;
  }

  restore(_cycle: Cycle, hold: RestoredHold): boolean {
    const fan = this.ctx.plan.fans.find((f) => f.id === hold.first.subject);
    const idle = fan?.units.find((u) => u.output !== undefined && hold.outputs.includes(u.output));
    if (!fan || fan.units.length < 2 || !idle) return false;
    // The fan held off before the restart stays off: the other one was ventilating.
    this.fans.get(fan.id)!.active = idle.unit === 'main' ? 'standby' : 'main';
    hold.placeBack(hold.outputs);
    return true;
  }

  /** One cycle of a main/standby pair, from the unit states the local-fan rule read. */
  evaluate(cycle: Cycle, fan: PlannedFan, states: ReadonlyMap<FanUnitName, UnitState>): void {
    const st = this.fans.get(fan.id)!;
    // A fan seen running works: it may be switched to again.
    for (const [unit, state] of states) if (state === 'running') st.failed.delete(unit);
    const active = fan.units.find((u) => u.unit === st.active)!;
    const other = fan.units.find((u) => u.unit !== st.active)!;
    const alarmKey = `fan-switchover:${fan.id}`;

    if (st.switchedAt !== undefined) {
      if (states.get(active.unit) === 'running') {
        st.switchedAt = undefined;
        this.ctx.clearAlarm(cycle, alarmKey, `${active.unit} local fan of ${fan.id} running`);
        this.ctx.event(cycle, { type: 'fan-switchover', point: active.runPoint, value: 1, outputs: [active.output!], clause: CLAUSES.interlockG, message: `${active.unit} local fan of ${fan.id} running after the switchover` });
      } else if (cycle.now - st.switchedAt >= fan.switchoverStartMs!) {
        st.switchedAt = undefined;
        st.failed.add(active.unit);
        this.ctx.raiseAlarm(cycle, {
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
    const holds = this.ctx.holds;
    const permitted = this.ctx.lastEnergize.get(active.output!) === true && !holds.isCut(active.output!);
    const standbyKey = holdKey('fan-standby', fan.id);
    const otherFree = holds.on(other.output!).every((h) => h.key === standbyKey);
    if (st.switchedAt === undefined && states.get(active.unit) === 'stopped' && permitted && states.get(other.unit) !== 'running' && !st.failed.has(other.unit) && otherFree) {
      st.failed.add(active.unit);
      this.switchTo(cycle, fan, st, other.unit, `the ${active.unit} fan stopped`);
    }
    this.applyStandbyHold(cycle, fan, st);
  }

  /**
   * Clause g by hand: make `to` the running fan of a main/standby pair. The other fan is held off;
   * the fan switched to must report running within its start time. Throws SafetyCommandError when refused.
   */
  switchLocalFan(cmd: FanSwitchCommand, now: number): void {
    const cycle = this.ctx.commandCycle(now);
    const refuse = (code: SafetyCommandError['code'], message: string): never => {
      this.ctx.event(cycle, { type: 'fan-switchover-refused', operator: strOrUndef(cmd?.operator), reason: message, clause: CLAUSES.interlockG, message: `fan switchover refused: ${message}` });
      this.ctx.flushCommand();
      throw new SafetyCommandError(code, message);
    };
    if (!cmd || typeof cmd.operator !== 'string' || cmd.operator.trim() === '') return refuse('INVALID_COMMAND', 'operator identity is required');
    if (cmd.to !== 'main' && cmd.to !== 'standby') return refuse('INVALID_COMMAND', `to must be "main" or "standby", got ${JSON.stringify(cmd.to)}`);
    const fan = this.ctx.plan.fans.find((f) => f.id === cmd.fan);
    if (!fan) return refuse('UNKNOWN_TARGET', `no local fan "${String(cmd.fan)}"`);
    if (fan.units.length < 2) return refuse('UNKNOWN_TARGET', `local fan "${fan.id}" has no standby fan`);
    if (!this.ctx.plan.settings.unlockOperators.includes(cmd.operator)) return refuse('NOT_AUTHORISED', `operator "${cmd.operator}" is not authorised to switch local fans`);
    const st = this.fans.get(fan.id)!;
    if (st.active === cmd.to) return refuse('INVALID_COMMAND', `the ${cmd.to} fan of ${fan.id} is already the running one`);
    st.failed.delete(cmd.to);
    this.switchTo(cycle, fan, st, cmd.to, 'switchover by hand', cmd.operator);
    this.applyStandbyHold(cycle, fan, st);
    this.ctx.flushCommand();
  }

  private switchTo(cycle: Cycle, fan: PlannedFan, st: SwitchoverState, to: FanUnitName, why: string, operator?: string): void {
    const from = st.active;
    st.active = to;
    st.switchedAt = cycle.now;
    const unit = fan.units.find((u) => u.unit === to)!;
    this.ctx.event(cycle, {
      type: 'fan-switchover',
      point: unit.runPoint,
      outputs: [unit.output!],
      operator,
      clause: CLAUSES.interlockG,
      message: `local fan ${fan.id}: ${why}; switching from the ${from} to the ${to} fan${operator ? ` (by ${operator})` : ''}`,
    });
  }

  /** The fan that is not the running one of a pair is held off (its power permitted = started). */
  private applyStandbyHold(cycle: Cycle, fan: PlannedFan, st: SwitchoverState): void {
    const key = holdKey('fan-standby', fan.id);
    const active = fan.units.find((u) => u.unit === st.active)!;
    const idle = fan.units.find((u) => u.unit !== st.active)!;
    if (this.ctx.holds.outputsOf(key).includes(active.output!)) {
      this.ctx.liftHold(cycle, key, `${active.unit} local fan of ${fan.id} is the one to ventilate`, {}, [active.output!]);
    }
    this.ctx.placeHold(
      cycle,
      [idle.output!],
      { rule: 'fan-standby', subject: fan.id, clause: CLAUSES.interlockG, reason: `${idle.unit} local fan of ${fan.id} kept off while the ${active.unit} fan ventilates` },
      'cut',
    );
  }
}
