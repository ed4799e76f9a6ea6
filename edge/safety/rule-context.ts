// What every safety rule works through: the cycle (time and memoised readings), the hold set and
// the alarm set, and the event trail. A rule owns its own state and decides; placing a hold,
// raising an alarm or writing an event goes through here, so every change is on record with the
// same wording and sequence numbers whichever rule made it.
import type { Reading } from '../../core/readings.js';
import { type AlarmInput, AlarmSet } from './alarms.js';
import type { AbnormalityCode } from './clauses.js';
import type { SafetyEvent } from './events.js';
import { type Hold, type HoldInput, HoldSet, holdKey, type PersistedHold, type RuleId } from './holds.js';
import type { SafetyPlan } from './plan.js';

/** One evaluation (or one command, whose `read` knows nothing): monotonic and wall time, readings. */
export interface Cycle {
  now: number;
  wallNow: number;
  read: (code: string) => Reading | undefined;
}

/** One hold reloaded from the store, grouped by key, with the power outputs this config still has. */
export interface RestoredHold {
  key: string;
  /** The first stored row of the key: rule, subject, reason, point … are the same on every row. */
  first: PersistedHold;
  /** Its outputs that are power outputs of this config. */
  outputs: string[];
  /** Put the hold back on `targets` (with an event), optionally overriding some fields. */
  placeBack(targets: string[], extra?: Partial<HoldInput>): void;
}

/**
 * A rule module. Its persisted state is its holds (the core persists the hold set whenever it
 * changes); `restore` rebuilds the rule's own state from one reloaded hold of a rule it owns and
 * puts the hold back, or returns false when this config no longer has that rule for it (the core
 * then keeps the hold unconfirmed until a safety officer confirms).
 */
export interface SafetyRule {
  /** The hold rules this module places, and so restores. */
  readonly holdRules: readonly RuleId[];
  restore(cycle: Cycle, hold: RestoredHold): boolean;
}

export type NewEvent = Omit<SafetyEvent, 'seq' | 'wallTime' | 'monoTime'>;

export class RuleContext {
  readonly holds = new HoldSet();
  readonly alarms = new AlarmSet();
  /** Monotonic time of the first evaluate (or restore); undefined before. */
  startedAt: number | undefined;
  /** Latest monotonic time seen (remaining time of remote cuts between cycles). */
  lastNow = 0;
  /** Power permitted per output at the last decision (switchover: "stopped while permitted"). */
  readonly lastEnergize = new Map<string, boolean>();
  /** A command or restore changed state outside a cycle: journal its events now (set by the engine). */
  flushCommand: () => void = () => {};
  private seq = 0;
  private pending: SafetyEvent[] = [];

  constructor(
    readonly plan: SafetyPlan,
    readonly wall: () => number,
  ) {}

  commandCycle(now: number): Cycle {
    this.lastNow = Math.max(this.lastNow, now);
    return { now, wallNow: this.wall(), read: () => undefined };
  }

  /** Events raised so far (kept until taken). */
  get pendingEvents(): readonly SafetyEvent[] {
    return this.pending;
  }

  takeEvents(): SafetyEvent[] {
    const events = this.pending;
    this.pending = [];
    return events;
  }

  event(cycle: Cycle, e: NewEvent): void {
    const clean = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as NewEvent;
    this.pending.push({ seq: ++this.seq, wallTime: cycle.wallNow, monoTime: cycle.now, ...clean });
    this.lastNow = Math.max(this.lastNow, cycle.now);
  }

  raiseAlarm(cycle: Cycle, input: AlarmInput, abnormality?: AbnormalityCode): void {
    const alarm = this.alarms.raise(input, cycle.now, cycle.wallNow);
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

  clearAlarm(cycle: Cycle, key: string, why: string, value?: number | null): void {
    const alarm = this.alarms.clear(key);
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

  placeHold(cycle: Cycle, outputs: readonly string[], input: HoldInput, type: 'cut' | 'lockout', abnormality?: AbnormalityCode): string[] {
    const added = this.holds.place(outputs, input, cycle.now, cycle.wallNow);
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

  liftHold(cycle: Cycle, key: string, why: string, extra: { point?: string; value?: number | null; threshold?: number } = {}, outputs?: readonly string[]): Hold[] {
    const removed = this.holds.lift(key, outputs);
    if (removed.length > 0) {
      const stillCut = removed.filter((h) => this.holds.isCut(h.output)).map((h) => h.output);
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

  /**
   * Lift every hold of `rule`/`subject` and record it as its own event (a fan unlock, a remote
   * release or expiry, not a rule's 'release'): the event names every output the hold was on.
   */
  liftHoldAs(cycle: Cycle, rule: RuleId, subject: string, e: Omit<NewEvent, 'rule' | 'key' | 'outputs'>): void {
    const key = holdKey(rule, subject);
    const lifted = this.holds.lift(key);
    const { type, ...rest } = e;
    this.event(cycle, { type, rule, key, outputs: lifted.map((h) => h.output), ...rest });
  }
}

/** Commands refuse a missing or empty identity field without echoing a non-string. */
export function strOrUndef(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
