// What every part of the personnel engine shares: the plan, the clock, the runtime callbacks, the
// open-alarm set and the journal. Raising an event, starting or ending an alarm goes through here
// so the event sequence numbers stay in one order and every change is marked for the journal.
import type { PersonnelAlarmSettings } from '../../board-configs/personnel-schema.js';
import type { Clock } from '../../core/clock.js';
import { type PersonnelAlarm, PersonnelAlarmSet, severityOf } from './alarms.js';
import type { PersonnelEvent } from './events.js';
import type { PersonnelJournal } from './journal.js';
import type { PersonnelPlan } from './plan.js';
import type { PersonnelActions } from './views.js';

export type EventInput = Omit<PersonnelEvent, 'seq' | 'wallTime' | 'monoTime'>;
export type AlarmInput = Omit<PersonnelAlarm, 'severity' | 'endWall'>;

export class PersonnelContext {
  readonly settings: PersonnelAlarmSettings;
  readonly alarms = new PersonnelAlarmSet();
  readonly counters = { sightings: 0, unknown: 0, stale: 0, actionErrors: 0, lastActionError: null as string | null };
  private seq = 0;

  constructor(
    readonly plan: PersonnelPlan,
    readonly clock: Clock,
    readonly actions: PersonnelActions,
    readonly journal: PersonnelJournal | undefined,
  ) {
    this.settings = plan.config.alarms;
  }

  raise(input: EventInput, mono = this.clock.mono(), wall = this.clock.wall()): void {
    const event = { seq: ++this.seq, wallTime: wall, monoTime: mono, ...input } as PersonnelEvent;
    for (const k of Object.keys(event) as (keyof PersonnelEvent)[]) if (event[k] === undefined) delete event[k];
    this.journal?.record(event);
    this.act(() => this.actions.emit(event));
  }

  /** Runtime callbacks must not break the engine: a throwing one is counted and reported in stats(). */
  act(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.counters.actionErrors++;
      this.counters.lastActionError = err instanceof Error ? err.message : String(err);
    }
  }

  /** Opens the alarm (one per key: an open one is left as it is) and raises its alarm-start. */
  startAlarm(input: AlarmInput, mono: number): void {
    if (this.alarms.has(input.key)) return;
    const alarm: PersonnelAlarm = { ...input, severity: severityOf(input.kind), endWall: null };
    for (const k of Object.keys(alarm) as (keyof PersonnelAlarm)[]) if (alarm[k] === undefined) delete alarm[k];
    this.alarms.start(alarm);
    this.raise({ type: 'alarm-start', alarm: copyAlarm(alarm), ...alarmSubject(alarm), message: alarm.message }, mono, alarm.startWall);
    this.journal?.alarmsChanged();
  }

  /** Ends the alarm when it is open, with its alarm-end; nothing when it is not. */
  endAlarm(key: string, wall: number, mono: number, reason: string): void {
    const alarm = this.alarms.end(key, wall, reason);
    if (!alarm) return;
    this.raise({ type: 'alarm-end', alarm: copyAlarm(alarm), ...alarmSubject(alarm), reason, message: `${alarm.kind} over: ${reason}` }, mono, wall);
    this.journal?.alarmsChanged();
  }

  /**
   * An open counting alarm (over-manning, multiple cards) changed its figures: written with the
   * next flush, no new event.
   */
  alarmUpdated(): void {
    this.journal?.alarmsChanged();
  }

  wallAt(mono: number): number {
    return this.clock.wall() + (mono - this.clock.mono());
  }

  stationName(reader: number | null): string {
    if (reader === null) return 'an unknown station';
    return this.plan.stations.get(reader)?.name ?? `reader ${reader}`;
  }
}

export function alarmSubject(a: PersonnelAlarm): Pick<PersonnelEvent, 'tag' | 'card' | 'name' | 'area' | 'reader'> {
  const out: Pick<PersonnelEvent, 'tag' | 'card' | 'name' | 'area' | 'reader'> = {};
  if (a.tag !== undefined) out.tag = a.tag;
  if (a.card !== undefined) out.card = a.card;
  if (a.name !== undefined) out.name = a.name;
  if (a.area !== undefined) out.area = a.area;
  if (a.reader !== undefined) out.reader = a.reader;
  return out;
}

/** A copy callers may keep or change (arrays included). */
export function copyAlarm(a: PersonnelAlarm): PersonnelAlarm {
  const copy = { ...a };
  if (a.tags) copy.tags = [...a.tags];
  if (a.readers) copy.readers = [...a.readers];
  return copy;
}
