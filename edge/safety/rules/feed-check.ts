// 馈电 verification (CLAUSES.feed, AQ 1029-2019 §7.12): an output with a feed sensor on its load
// side must show the load dead within feedTimeoutMs of its cut. Live (or unreadable) after that is
// 馈电异常 (MT/T 1201 abnormality 003): alarmed, and escalated by cutting the upstream output when
// the config names one. Dead is proof of the cut, so it needs a good reading; live trips on any value.
import { ABNORMALITY, CLAUSES } from '../clauses.js';
import { holdKey } from '../holds.js';
import type { PlannedOutput } from '../plan.js';
import { may } from '../quality-policy.js';
import type { Cycle, RestoredHold, RuleContext, SafetyRule } from '../rule-context.js';
import type { StartupHold } from './startup-hold.js';

interface FeedState {
  cutSince: number | undefined;
  energisedSince: number | undefined;
  abnormal: 'live' | 'unverified' | undefined;
  escalated: boolean;
  deadReported: boolean;
}

export class FeedCheckRule implements SafetyRule {
  readonly holdRules = ['feed-escalation'] as const;
  private readonly outputs = new Map<string, FeedState>();

  constructor(
    private readonly ctx: RuleContext,
    private readonly startup: StartupHold,
  ) {
    for (const o of ctx.plan.outputs.values()) {
      if (o.feedPoint !== undefined) this.outputs.set(o.id, { cutSince: undefined, energisedSince: undefined, abnormal: undefined, escalated: false, deadReported: false });
    }
  }

  restore(cycle: Cycle, hold: RestoredHold): boolean {
    const { subject } = hold.first;
    const st = this.outputs.get(subject);
    if (!st || this.ctx.plan.outputs.get(subject)?.feedEscalation === undefined) return false;
    st.abnormal = 'live';
    st.escalated = true;
    this.ctx.raiseAlarm(cycle, { key: `feed:${subject}`, kind: 'feed-abnormal', severity: 'danger', output: subject, clause: CLAUSES.feed, message: `馈电异常 of ${subject} reloaded after restart` });
    hold.placeBack(hold.outputs);
    return true;
  }

  /**
   * Escalation holds change which outputs are cut, which feeds the next feed check: run until
   * nothing changes (bounded by the number of outputs).
   */
  evaluate(cycle: Cycle): void {
    for (let i = 0; i <= this.ctx.plan.outputs.size && this.verify(cycle); i++);
  }

  /** One pass over every output with a feed point. Returns true when escalation holds changed. */
  private verify(cycle: Cycle): boolean {
    let changed = false;
    for (const [id, st] of this.outputs) {
      const output = this.ctx.plan.outputs.get(id)!;
      const feedPoint = this.ctx.plan.points.get(output.feedPoint!)!;
      const r = cycle.read(feedPoint.code);
      // Live trips on any measured value; dead is proof of the cut, so it needs a good reading.
      const feed = may('notAFault', feedPoint, r) && r.value === 1 ? 'live' : may('mayRelease', feedPoint, r) && r.value === 0 ? 'dead' : 'unknown';

      if (!this.ctx.holds.isCut(id)) {
        st.cutSince = undefined;
        if (st.abnormal !== undefined || st.escalated) {
          changed = this.endAbnormality(cycle, output, st, `${id} energised again`) || changed;
        }
        st.energisedSince ??= cycle.now;
        // Dead load side while power is permitted: the switch may be open by hand. Report only.
        if (!st.deadReported && feed === 'dead' && cycle.now - st.energisedSince >= output.feedTimeoutMs) {
          st.deadReported = true;
          this.ctx.event(cycle, { type: 'feed-dead', point: feedPoint.code, value: 0, outputs: [id], clause: CLAUSES.feed, message: `${id}: power permitted but load side dead (${feedPoint.code} = 0)` });
        }
        continue;
      }
      st.energisedSince = undefined;
      st.deadReported = false;
      st.cutSince ??= cycle.now;
      if (cycle.now - st.cutSince < output.feedTimeoutMs) continue;
      if (feed === 'dead') {
        // Proof of the cut. After escalation, though, the dead feed may be the upstream cut's doing.
        if (st.abnormal !== undefined && !st.escalated) this.endAbnormality(cycle, output, st, `${feedPoint.code} shows the load side dead`);
        continue;
      }
      // Not yet read since start: give the poller its patrol cycle before calling it unverifiable.
      if (feed === 'unknown' && !this.startup.seen(feedPoint.code) && cycle.now - this.ctx.startedAt! < this.ctx.plan.settings.startupGraceMs) continue;
      const kind = feed === 'live' ? 'live' : 'unverified';
      if (st.abnormal === undefined || (st.abnormal === 'unverified' && kind === 'live')) {
        st.abnormal = kind;
        const text =
          kind === 'live'
            ? `${id} cut ${Math.round(cycle.now - st.cutSince)} ms ago but ${feedPoint.code} still shows power on the load side`
            : `${id} cut ${Math.round(cycle.now - st.cutSince)} ms ago but ${feedPoint.code} is unreadable: the cut cannot be verified`;
        this.ctx.clearAlarm(cycle, `feed:${id}`, 'feed state changed');
        this.ctx.raiseAlarm(cycle, { key: `feed:${id}`, kind: 'feed-abnormal', severity: 'danger', point: feedPoint.code, output: id, value: r?.value ?? null, clause: CLAUSES.feed, message: `馈电异常: ${text}` });
        this.ctx.event(cycle, {
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
        this.ctx.placeHold(
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

  private endAbnormality(cycle: Cycle, output: PlannedOutput, st: FeedState, why: string): boolean {
    const escalated = st.escalated;
    st.abnormal = undefined;
    st.escalated = false;
    if (escalated) this.ctx.liftHold(cycle, holdKey('feed-escalation', output.id), `${why}: upstream ${output.feedEscalation} no longer needed`);
    this.ctx.clearAlarm(cycle, `feed:${output.id}`, why);
    this.ctx.event(cycle, { type: 'feed-restored', point: output.feedPoint!, outputs: [output.id], clause: CLAUSES.feed, message: `${output.id}: feed abnormality over (${why})` });
    return escalated;
  }
}
