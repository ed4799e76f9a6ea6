// The active seal alarms, one per rule and subject, and the events that mark their life: every
// alarm has a start (alarm-on), its updates, and an end (alarm-off) with the reason it ended.
import type { SealAlarm, SealRuleId } from './events.js';
import { SEAL_RULES } from './events.js';
import type { EventInit, SealEventLog } from './event-log.js';
import type { SealRuntime } from './seal-runtime.js';

export type AlarmInit = Omit<SealAlarm, 'id' | 'key' | 'rule' | 'sinceWall' | 'lastWall'>;
export type AlarmPatch = Partial<Pick<SealAlarm, 'count' | 'value' | 'message' | 'cameraId' | 'position'>>;

export class AlarmBook {
  private readonly active = new Map<string, SealAlarm>();
  /** Called right after an alarm is raised (the alarm image fetch). */
  onRaised: ((alarm: SealAlarm, now: number) => void) | null = null;

  constructor(
    private readonly rt: SealRuntime,
    private readonly events: SealEventLog,
  ) {}

  get(key: string): SealAlarm | undefined {
    return this.active.get(key);
  }

  has(key: string): boolean {
    return this.active.has(key);
  }

  values(): IterableIterator<SealAlarm> {
    return this.active.values();
  }

  /** Copies, so a caller cannot change a live alarm. */
  list(): SealAlarm[] {
    return [...this.active.values()].map((a) => ({ ...a }));
  }

  /** An alarm carried over from the store, as it was. */
  restore(alarm: SealAlarm): void {
    this.active.set(alarm.key, { ...alarm });
  }

  raise(rule: SealRuleId, subject: string, init: AlarmInit, now: number): SealAlarm {
    const key = `${rule}:${subject}`;
    const alarm: SealAlarm = { ...init, id: `${key}@${now}`, key, rule, sinceWall: now, lastWall: now };
    this.active.set(key, alarm);
    this.rt.dirty = true;
    this.events.emit({ type: 'alarm-on', ...alarmFields(alarm), message: alarm.message }, now);
    this.onRaised?.(alarm, now);
    return alarm;
  }

  update(alarm: SealAlarm, patch: AlarmPatch, now: number): void {
    Object.assign(alarm, patch);
    this.rt.dirty = true;
    this.events.emit({ type: 'alarm-update', ...alarmFields(alarm), message: alarm.message }, now);
  }

  clear(alarm: SealAlarm, why: string, now: number): void {
    this.active.delete(alarm.key);
    this.rt.dirty = true;
    this.events.emit({ type: 'alarm-off', ...alarmFields(alarm), message: `${SEAL_RULES[alarm.rule]} ended: ${why}` }, now);
  }
}

/** The fields of an alarm that its events carry. */
export function alarmFields(a: SealAlarm): Omit<EventInit, 'type' | 'message'> {
  const f: Omit<EventInit, 'type' | 'message'> = { rule: a.rule, alarmId: a.id, position: a.position };
  if (a.shaftMouth !== undefined) f.shaftMouth = a.shaftMouth;
  if (a.cameraId !== undefined) f.cameraId = a.cameraId;
  if (a.load !== undefined) f.load = a.load;
  if (a.count !== undefined) f.count = a.count;
  if (a.value !== undefined) f.value = a.value;
  if (a.imageRef !== undefined) f.imageRef = a.imageRef;
  return f;
}
