// The hold set: an output is cut while ANY hold on it exists. Each rule places and lifts only its
// own holds (one key per rule and subject), so clearing one condition can never energise power
// that another condition still holds off.

/** Rules that can hold an output off. */
export type RuleId =
  | 'over-limit'
  | 'fault-lockout'
  | 'fan-stopped'
  | 'duct-airflow-low'
  | 'fan-lock'
  | 'fan-restart'
  | 'fan-cutoff'
  | 'fan-standby'
  | 'feed-escalation'
  | 'remote-cut'
  | 'startup';

export const RULE_IDS: readonly RuleId[] = [
  'over-limit',
  'fault-lockout',
  'fan-stopped',
  'duct-airflow-low',
  'fan-lock',
  'fan-restart',
  'fan-cutoff',
  'fan-standby',
  'feed-escalation',
  'remote-cut',
  'startup',
];

export interface HoldInput {
  rule: RuleId;
  /** What the hold is about: a point code, fan id, output id or remote command id. */
  subject: string;
  /** Why, in words an operator understands. */
  reason: string;
  /** The requirement implemented (see clauses.ts / preset source). */
  clause: string;
  point?: string;
  value?: number | null;
  threshold?: number;
  /** Who ordered it (remote cut) — identity is recorded, never inferred. */
  operator?: string;
  authority?: string;
  /** Monotonic expiry (remote cut). */
  expiresAt?: number;
  expiresWall?: number;
}

export interface Hold extends HoldInput {
  key: string;
  output: string;
  /** Monotonic and wall time it was placed. */
  since: number;
  sinceWall: number;
}

export function holdKey(rule: RuleId, subject: string): string {
  return `${rule}:${subject}`;
}

export class HoldSet {
  private readonly byOutput = new Map<string, Map<string, Hold>>();
  private changes = 0;

  /**
   * Hold `outputs` off for one rule and subject. Outputs that already carry this key keep their
   * original hold (and its `since`). Returns the outputs newly held.
   */
  place(outputs: readonly string[], input: HoldInput, now: number, wallNow: number, sinceWall: number = wallNow): string[] {
    const key = holdKey(input.rule, input.subject);
    const added: string[] = [];
    for (const output of outputs) {
      let holds = this.byOutput.get(output);
      if (!holds) {
        holds = new Map();
        this.byOutput.set(output, holds);
      }
      if (holds.has(key)) continue;
      holds.set(key, { ...input, key, output, since: now, sinceWall });
      added.push(output);
    }
    if (added.length > 0) this.changes++;
    return added;
  }

  /** Remove a key from every output (or only from `outputs`). Returns the holds removed. */
  lift(key: string, outputs?: readonly string[]): Hold[] {
    const removed: Hold[] = [];
    const targets = outputs ?? [...this.byOutput.keys()];
    for (const output of targets) {
      const holds = this.byOutput.get(output);
      const hold = holds?.get(key);
      if (!holds || !hold) continue;
      holds.delete(key);
      if (holds.size === 0) this.byOutput.delete(output);
      removed.push(hold);
    }
    if (removed.length > 0) this.changes++;
    return removed;
  }

  /** Power on this output must be cut. */
  isCut(output: string): boolean {
    return (this.byOutput.get(output)?.size ?? 0) > 0;
  }

  on(output: string): Hold[] {
    return [...(this.byOutput.get(output)?.values() ?? [])];
  }

  /** Whether any output carries this key. */
  has(key: string): boolean {
    for (const holds of this.byOutput.values()) if (holds.has(key)) return true;
    return false;
  }

  /** Outputs that carry this key. */
  outputsOf(key: string): string[] {
    const out: string[] = [];
    for (const [output, holds] of this.byOutput) if (holds.has(key)) out.push(output);
    return out;
  }

  all(): Hold[] {
    return [...this.byOutput.values()].flatMap((holds) => [...holds.values()]);
  }

  /** Increases on every change: lets the owner persist only when something changed. */
  get version(): number {
    return this.changes;
  }
}

/** A hold as stored (component 'safety'): wall times only, monotonic time does not survive a restart. */
export interface PersistedHold {
  output: string;
  key: string;
  rule: RuleId;
  subject: string;
  reason: string;
  clause: string;
  point?: string;
  value?: number | null;
  threshold?: number;
  operator?: string;
  authority?: string;
  sinceWall: number;
  expiresWall?: number;
}

export function toPersistedHold(hold: Hold): PersistedHold {
  const { since: _since, expiresAt: _expiresAt, ...rest } = hold;
  return rest;
}
