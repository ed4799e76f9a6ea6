// Holds reloaded after a restart that this config does not explain (the output is gone, or its
// rule no longer applies): nothing may release them, so they stay on record (and persisted) until a
// safety officer confirms the edited config (CLAUSES.startup: a restart with an edited config is
// gated like a reload). Those on outputs this config lacks are kept in the persisted snapshot too,
// so a second restart does not forget them.
import { CLAUSES } from './clauses.js';
import { SafetyCommandError } from './errors.js';
import type { PersistedHold } from './holds.js';
import type { Cycle, RuleContext } from './rule-context.js';

export interface UnconfirmedHold {
  hold: PersistedHold;
  why: string;
}

export class UnconfirmedHolds {
  private readonly list: UnconfirmedHold[] = [];
  /** Bumped when the list changes outside the hold set (it is part of the persisted snapshot). */
  version = 0;

  constructor(private readonly ctx: RuleContext) {}

  keep(hold: PersistedHold, why: string): void {
    this.list.push({ hold, why });
  }

  /** After restore: say what is kept unconfirmed. */
  report(cycle: Cycle): void {
    if (this.list.length === 0) return;
    const list = this.list.map((u) => `${u.hold.key} on ${u.hold.output} (${u.why})`).join('; ');
    const message = `${this.list.length} hold(s) from before the restart are not explained by this config and are kept: ${list}. A safety officer confirms with: minegate reload --user <safety officer> --reason …`;
    this.ctx.event(cycle, { type: 'holds-unconfirmed', outputs: [...new Set(this.list.map((u) => u.hold.output))], clause: CLAUSES.startup, message });
    this.ctx.raiseAlarm(cycle, { key: 'unconfirmed-holds', kind: 'unconfirmed-hold', severity: 'warning', clause: CLAUSES.startup, message });
  }

  /** The safety officer's confirmation: they are dropped, with who and why on record. Returns how many. */
  confirm(confirmation: { operator: string; reason: string }, now: number): number {
    if (typeof confirmation?.operator !== 'string' || confirmation.operator.trim() === '') throw new SafetyCommandError('INVALID_COMMAND', 'operator identity is required');
    const cycle = this.ctx.commandCycle(now);
    const confirmed = this.list.splice(0);
    if (confirmed.length === 0) return 0;
    const keys = new Set(confirmed.map((u) => u.hold.key));
    const lifted = [...keys].flatMap((k) => this.ctx.holds.lift(k).map((h) => h.output));
    this.version++;
    this.ctx.clearAlarm(cycle, 'unconfirmed-holds', `holds confirmed by ${confirmation.operator}`);
    this.ctx.event(cycle, {
      type: 'holds-confirmed',
      outputs: [...new Set([...lifted, ...confirmed.map((u) => u.hold.output)])],
      operator: confirmation.operator,
      reason: confirmation.reason,
      clause: CLAUSES.startup,
      message: `${confirmed.length} hold(s) the config no longer explains dropped on the confirmation of ${confirmation.operator}: ${[...keys].join(', ')} (${confirmation.reason})`,
    });
    this.ctx.flushCommand();
    return confirmed.length;
  }

  all(): UnconfirmedHold[] {
    return this.list.map((u) => ({ hold: { ...u.hold }, why: u.why }));
  }

  /** Those on outputs that are not power outputs of this config: persisted beside the hold set. */
  absent(): PersistedHold[] {
    return this.list.filter((u) => this.ctx.plan.outputs.get(u.hold.output)?.kind !== 'power').map((u) => u.hold);
  }
}
