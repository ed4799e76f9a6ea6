// Fault lockout (故障闭锁, CLAUSES.interlockF): a point that is missing, stale, faulty or over range
// holds its fault outputs off (never a local fan's), and releases only after it has read GOOD for
// faultLockoutHoldMs in a row ("works normally and is stable"). A point not yet read since start
// gets one patrol cycle while the start-up hold covers its outputs.
import type { Reading } from '../../../core/readings.js';
import { ABNORMALITY, type AbnormalityCode, CLAUSES } from '../clauses.js';
import { holdKey } from '../holds.js';
import type { PlannedPoint } from '../plan.js';
import { may } from '../quality-policy.js';
import type { Cycle, RestoredHold, RuleContext, SafetyRule } from '../rule-context.js';
import type { StartupHold } from './startup-hold.js';

interface FaultState {
  faulty: boolean;
  /** Start of the current run of good readings of a faulty point. */
  goodSince: number | undefined;
}

export class FaultLockoutRule implements SafetyRule {
  readonly holdRules = ['fault-lockout'] as const;
  private readonly points = new Map<string, FaultState>();

  constructor(
    private readonly ctx: RuleContext,
    private readonly startup: StartupHold,
  ) {
    for (const p of ctx.plan.points.values()) this.points.set(p.code, { faulty: false, goodSince: undefined });
  }

  restore(cycle: Cycle, hold: RestoredHold): boolean {
    const point = hold.first.point !== undefined ? this.ctx.plan.points.get(hold.first.point) : undefined;
    if (!point) return false;
    this.points.get(point.code)!.faulty = true;
    this.ctx.raiseAlarm(cycle, { key: `fault:${point.code}`, kind: 'fault', severity: 'danger', point: point.code, clause: CLAUSES.interlockF, message: `${point.code}: fault lockout reloaded after restart` });
    hold.placeBack(hold.outputs);
    return true;
  }

  evaluatePoint(cycle: Cycle, point: PlannedPoint, r: Reading | undefined): void {
    const st = this.points.get(point.code)!;
    const key = holdKey('fault-lockout', point.code);
    if (!may('notAFault', point, r)) {
      // Not yet read since start: the startup hold covers it for one patrol cycle.
      if (this.startup.awaitingFirstRead(cycle, point.code, point.faultOutputs)) return;
      st.goodSince = undefined;
      if (st.faulty) return;
      st.faulty = true;
      const fault = describeFault(r, this.startup.seen(point.code));
      this.ctx.raiseAlarm(
        cycle,
        { key: `fault:${point.code}`, kind: 'fault', severity: 'danger', point: point.code, value: r?.value ?? null, clause: CLAUSES.interlockF, message: `${point.code}: ${fault.text}` },
        fault.abnormality,
      );
      this.ctx.placeHold(
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
    const holdMs = this.ctx.holds.has(key) ? this.ctx.plan.settings.faultLockoutHoldMs : 0;
    if (cycle.now - st.goodSince < holdMs) return;
    st.faulty = false;
    st.goodSince = undefined;
    const why = holdMs > 0 ? `${point.code} read normally for ${Math.round(holdMs / 1000)} s` : `${point.code} reads normally again`;
    this.ctx.liftHold(cycle, key, why, { point: point.code, value: r.value });
    this.ctx.clearAlarm(cycle, `fault:${point.code}`, why, r.value);
  }
}

/** Why a reading is a fault, in an operator's words, with its MT/T 1201 abnormality code. */
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
