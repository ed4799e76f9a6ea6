// Gas thresholds of one point (甲烷断电仪 function, the rows of 煤矿安全规程 / AQ 1029 as resolved
// into the plan): the alarm and under-limit alarms, the cut-off of the point's zones with its
// restore level, and the row's second stage that cuts the local fan too (CLAUSES.fanCutoff). Any
// measured value may trip; only a good one clears or releases (quality-policy.ts). It also says
// which devices patrol fast: those of points in a gas alarm and their same-type zone mates.
import type { Reading } from '../../../core/readings.js';
import { ABNORMALITY, CLAUSES } from '../clauses.js';
import { type HoldInput, holdKey } from '../holds.js';
import type { PlannedPoint } from '../plan.js';
import { may } from '../quality-policy.js';
import type { Cycle, RestoredHold, RuleContext, SafetyRule } from '../rule-context.js';

type Thresholds = NonNullable<PlannedPoint['thresholds']>;

interface OverLimitState {
  cutActive: boolean;
  /** Second stage (fanCutoff) active: the local fan is cut too. */
  fanCutActive: boolean;
}

export class OverLimitRule implements SafetyRule {
  readonly holdRules = ['over-limit', 'fan-cutoff'] as const;
  private readonly points = new Map<string, OverLimitState>();
  private readonly pointsByZone = new Map<string, PlannedPoint[]>();

  constructor(private readonly ctx: RuleContext) {
    for (const p of ctx.plan.points.values()) {
      this.points.set(p.code, { cutActive: false, fanCutActive: false });
      for (const z of p.zones) this.pointsByZone.set(z, [...(this.pointsByZone.get(z) ?? []), p]);
    }
  }

  restore(_cycle: Cycle, hold: RestoredHold): boolean {
    const point = hold.first.point !== undefined ? this.ctx.plan.points.get(hold.first.point) : undefined;
    if (hold.first.rule === 'over-limit') {
      if (!point?.thresholds?.cutoff) return false;
      this.points.get(point.code)!.cutActive = true;
    } else {
      if (point?.thresholds?.fanCutoff === undefined) return false;
      this.points.get(point.code)!.fanCutActive = true;
    }
    hold.placeBack(hold.outputs);
    return true;
  }

  evaluatePoint(cycle: Cycle, point: PlannedPoint, r: Reading | undefined): void {
    const t = point.thresholds;
    // quality-policy.ts: calibrating and over-range values may trip; only a good one clears or releases.
    if (!t || !may('mayTrip', point, r)) return;
    const st = this.points.get(point.code)!;
    const measured = r.value;
    const valid = may('mayRelease', point, r);
    const unit = t.unit ? ` ${t.unit}` : '';
    if (t.alarm !== undefined) {
      const key = `over-limit:${point.code}`;
      if (measured >= t.alarm) {
        this.ctx.raiseAlarm(
          cycle,
          { key, kind: 'over-limit', severity: 'danger', point: point.code, value: measured, threshold: t.alarm, clause: t.source, message: `${point.code} ${measured}${unit} ≥ alarm ${t.alarm}${unit}` },
          ABNORMALITY.overLimitAlarm,
        );
      } else if (valid) this.ctx.clearAlarm(cycle, key, `${point.code} ${measured}${unit} below alarm ${t.alarm}${unit}`, measured);
    }
    if (t.alarmLow !== undefined && may('notAFault', point, r)) {
      const key = `under-limit:${point.code}`;
      if (measured < t.alarmLow) {
        this.ctx.raiseAlarm(cycle, {
          key,
          kind: 'under-limit',
          severity: 'danger',
          point: point.code,
          value: measured,
          threshold: t.alarmLow,
          clause: t.source,
          message: `${point.code} ${measured}${unit} < minimum ${t.alarmLow}${unit}`,
        });
      } else if (valid) this.ctx.clearAlarm(cycle, key, `${point.code} ${measured}${unit} back above ${t.alarmLow}${unit}`, measured);
    }
    if (t.cutoff !== undefined) {
      const key = holdKey('over-limit', point.code);
      if (measured >= t.cutoff && !st.cutActive) {
        st.cutActive = true;
        this.ctx.placeHold(
          cycle,
          point.cutOutputs,
          { rule: 'over-limit', subject: point.code, point: point.code, value: measured, threshold: t.cutoff, clause: t.source, reason: `${point.code} ${measured}${unit} ≥ cutoff ${t.cutoff}${unit}` },
          'cut',
          ABNORMALITY.cutoffAlarm,
        );
      } else if (st.cutActive && valid && measured < t.restore!) {
        st.cutActive = false;
        this.ctx.liftHold(cycle, key, `${point.code} ${measured}${unit} below restore ${t.restore}${unit}`, { point: point.code, value: measured, threshold: t.restore! });
      }
    }
    if (t.fanCutoff !== undefined) this.applyFanCutoff(cycle, point, t, measured, valid, st, unit);
  }

  /** Second stage of a row (series heading T3 ≥ 1.5 %): the local fan of the point's zones is cut too. */
  private applyFanCutoff(cycle: Cycle, point: PlannedPoint, t: Thresholds, measured: number, valid: boolean, st: OverLimitState, unit: string): void {
    const key = holdKey('fan-cutoff', point.code);
    if (measured >= t.fanCutoff! && !st.fanCutActive) {
      st.fanCutActive = true;
      const fans = point.fanCutFans.length > 0 ? `local fan ${point.fanCutFans.join(', ')}` : 'the local fan';
      const reason = `${point.code} ${measured}${unit} ≥ ${t.fanCutoff}${unit}: ${fans} cut too`;
      const hold: HoldInput = { rule: 'fan-cutoff', subject: point.code, point: point.code, value: measured, threshold: t.fanCutoff!, clause: `${t.source}; ${CLAUSES.fanCutoff}`, reason };
      const placed = this.ctx.placeHold(cycle, point.fanCutOutputs, hold, 'cut', ABNORMALITY.cutoffAlarm);
      if (placed.length === 0 && point.fanCutOutputs.length === 0) {
        this.ctx.event(cycle, { type: 'cut', rule: 'fan-cutoff', key, point: point.code, value: measured, threshold: t.fanCutoff, clause: hold.clause, outputs: [], message: `${reason} (no local fan output ventilates its zones: alarm only)` });
      }
    } else if (st.fanCutActive && valid && measured < t.fanRestore!) {
      st.fanCutActive = false;
      this.ctx.liftHold(cycle, key, `${point.code} ${measured}${unit} below ${t.fanRestore}${unit}: local fan power permitted again`, { point: point.code, value: measured, threshold: t.fanRestore! });
    }
  }

  /** Devices of points in a gas alarm and of the same-type points sharing their zones (accelerated patrol). */
  fastPollDevices(): string[] {
    const devices = new Set<string>();
    for (const alarm of this.ctx.alarms.list()) {
      if ((alarm.kind !== 'over-limit' && alarm.kind !== 'under-limit') || alarm.point === undefined) continue;
      const point = this.ctx.plan.points.get(alarm.point);
      if (!point) continue;
      devices.add(point.device);
      for (const z of point.zones) for (const mate of this.pointsByZone.get(z) ?? []) if (mate.sensorType === point.sensorType) devices.add(mate.device);
    }
    for (const [code, st] of this.points) if (st.cutActive) devices.add(this.ctx.plan.points.get(code)!.device);
    return [...devices].sort();
  }
}
