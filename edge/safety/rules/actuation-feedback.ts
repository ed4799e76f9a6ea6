// What the actuator reports back (CLAUSES.actuation, AQ 6201-2019: cut-off executed ≤ 2 s; an
// unconfirmed relay command is a fault): an unconfirmed cut is a danger alarm, an unconfirmed
// energise a warning, and a channel found in the other state than confirmed (a module reset or a
// hand override at the module: 明停暗开) an override alarm that stays until acknowledged once the
// output is confirmed as commanded again. Places no holds: the actuator cannot prove the air.
import { ABNORMALITY, CLAUSES } from '../clauses.js';
import type { ActuationReport } from '../engine-types.js';
import type { PlannedOutput } from '../plan.js';
import type { Cycle, RuleContext } from '../rule-context.js';

export class ActuationFeedback {
  /** Outputs with an override alarm whose channel has been confirmed as commanded since. */
  private readonly overrideCorrected = new Set<string>();

  constructor(private readonly ctx: RuleContext) {}

  report(cycle: Cycle, reports: readonly ActuationReport[]): void {
    for (const r of reports) {
      const planned = this.ctx.plan.outputs.get(r.output);
      if (!planned) continue;
      if (r.overridden) this.reportOverride(cycle, planned, r);
      const key = `actuation:${r.output}`;
      if (r.confirmed) {
        this.ctx.clearAlarm(cycle, key, `${r.output}: command confirmed`);
        if (this.ctx.alarms.list().some((a) => a.key === `override:${r.output}`)) this.overrideCorrected.add(r.output);
        continue;
      }
      this.overrideCorrected.delete(r.output);
      // An unconfirmed cut is dangerous; an unconfirmed energise only costs production.
      const severity = r.energize ? 'warning' : 'danger';
      const existing = this.ctx.alarms.list().find((a) => a.key === key);
      if (existing && existing.severity !== severity) this.ctx.clearAlarm(cycle, key, `${r.output}: command changed`);
      this.ctx.raiseAlarm(cycle, {
        key,
        kind: 'actuation',
        severity,
        output: r.output,
        clause: CLAUSES.actuation,
        message: `${r.output}: ${r.energize ? 'energise' : 'cut'} command not confirmed${r.error ? ` (${r.error})` : ''}`,
      });
    }
  }

  /** An override seen by a person (acknowledged) and corrected since ends with the acknowledgement. */
  acknowledged(cycle: Cycle, operator: string): void {
    for (const output of [...this.overrideCorrected]) {
      this.overrideCorrected.delete(output);
      this.ctx.clearAlarm(cycle, `override:${output}`, `${output}: override acknowledged by ${operator}; output confirmed as commanded`);
    }
  }

  /**
   * A coil found on while commanded off is exactly the tampering the regulator hunts (明停暗开,
   * 监控造假): alarm (danger when power was live against a cut, else warning) and an event with the
   * device, channel and how long it may have been so.
   */
  private reportOverride(cycle: Cycle, output: PlannedOutput, r: ActuationReport): void {
    const found = r.overridden!.found;
    const ago = Math.max(0, Math.round(r.overridden!.lastSeenAgoMs));
    const where = `${output.device} ${output.channel} (${output.id})`;
    const message = `${where} found ${found ? 'ON' : 'OFF'} while commanded ${r.energize ? 'ON' : 'OFF'}; last seen as commanded ${ago} ms earlier; ${r.confirmed ? 'rewritten and confirmed' : 'rewrite not confirmed yet'}`;
    const liveAgainstCut = found && output.kind === 'power';
    this.ctx.event(cycle, { type: 'output-overridden', outputs: [output.id], value: ago, clause: CLAUSES.actuation, message });
    this.overrideCorrected.delete(output.id);
    this.ctx.raiseAlarm(
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
}
