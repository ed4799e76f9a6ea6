// Active alarms, keyed so each condition raises at most one alarm and clears exactly that one.
// The audible output follows unacknowledged alarms; the visual one follows every active alarm.

export type AlarmKind =
  | 'over-limit'
  | 'under-limit'
  | 'fault'
  | 'fan-stopped'
  | 'duct-airflow-low'
  | 'fan-lock'
  | 'fan-switchover'
  | 'feed-abnormal'
  | 'actuation'
  | 'output-overridden'
  | 'unconfirmed-hold'
  | 'engine-failure'
  | 'integrity';

/** Every kind, for displays and metrics that show each one even at zero (kept in step by the type below). */
export const ALARM_KINDS = [
  'over-limit',
  'under-limit',
  'fault',
  'fan-stopped',
  'duct-airflow-low',
  'fan-lock',
  'fan-switchover',
  'feed-abnormal',
  'actuation',
  'output-overridden',
  'unconfirmed-hold',
  'engine-failure',
  'integrity',
] as const satisfies readonly AlarmKind[];
// Compile-time check the other way: a kind added to AlarmKind but not to the list fails here.
const _everyKindListed: Exclude<AlarmKind, (typeof ALARM_KINDS)[number]> extends never ? true : never = true;
void _everyKindListed;

/** danger: protection is acting or impaired. warning: something needs a person's attention. */
export type AlarmSeverity = 'danger' | 'warning';

export interface AlarmInput {
  key: string;
  kind: AlarmKind;
  severity: AlarmSeverity;
  message: string;
  clause: string;
  point?: string;
  output?: string;
  value?: number | null;
  threshold?: number;
}

export interface Alarm extends AlarmInput {
  since: number;
  sinceWall: number;
}

export class AlarmSet {
  private readonly active = new Map<string, Alarm>();
  private readonly acknowledged = new Set<string>();

  /** Returns the new alarm, or undefined when it was already active. */
  raise(input: AlarmInput, now: number, wallNow: number): Alarm | undefined {
    if (this.active.has(input.key)) return undefined;
    const alarm = { ...input, since: now, sinceWall: wallNow };
    this.active.set(input.key, alarm);
    return alarm;
  }

  /** Returns the cleared alarm, or undefined when it was not active. */
  clear(key: string): Alarm | undefined {
    const alarm = this.active.get(key);
    if (!alarm) return undefined;
    this.active.delete(key);
    // A condition that comes back later must sound again.
    this.acknowledged.delete(key);
    return alarm;
  }

  has(key: string): boolean {
    return this.active.has(key);
  }

  list(): Alarm[] {
    return [...this.active.values()];
  }

  get size(): number {
    return this.active.size;
  }

  /** Silence every alarm active now; a new one sounds again. Returns the keys acknowledged. */
  acknowledge(): string[] {
    const keys = [...this.active.keys()].filter((k) => !this.acknowledged.has(k));
    for (const k of keys) this.acknowledged.add(k);
    return keys;
  }

  /** Audible alarm: some active alarm nobody has acknowledged yet. */
  get unacknowledged(): boolean {
    for (const key of this.active.keys()) if (!this.acknowledged.has(key)) return true;
    return false;
  }

  /** A danger alarm nobody has acknowledged yet: what the siren sounds for. */
  get unacknowledgedDanger(): boolean {
    for (const [key, alarm] of this.active) if (alarm.severity === 'danger' && !this.acknowledged.has(key)) return true;
    return false;
  }
}
