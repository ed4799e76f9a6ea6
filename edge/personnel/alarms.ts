// Personnel alarms (issue item 4): each has a stable key (one open alarm per kind and subject), a
// start and an end. The set only tracks what is open; the engine decides when an alarm starts or
// ends and turns every change into an event.

export type PersonnelAlarmKind =
  /** 超时: underground longer than personnel.alarms.overtimeMs. */
  | 'overtime'
  /** 超员: an area holds more people than its rated headcount. */
  | 'area-overmanning'
  /** 超员: more people underground than the mine's rated headcount. */
  | 'mine-overmanning'
  /** 限制区域: a card without permission in a restricted area. */
  | 'restricted-area'
  /** 求救: the card's SOS button. Ends only when an operator clears it (or the double press was an acknowledgement). */
  | 'sos'
  | 'low-battery'
  /** Underground and not seen for personnel.alarms.lostCardMs (dead battery, card left behind, trapped). */
  | 'lost-card'
  /** 一人多卡: one person with two or more cards in the mine. */
  | 'multiple-cards'
  /** One tag seen at two stations faster than anyone can walk: a cloned card. */
  | 'cloned-card'
  /** A non-special-operator in a special-operators-only area. */
  | 'special-area'
  /** A reader station stopped reporting: cards in its range are not seen. */
  | 'reader-offline'
  /** 叫应 overdue: nobody acknowledged an evacuation of the area in time (escalated). */
  | 'ack-overdue';

export const PERSONNEL_ALARM_KINDS: readonly PersonnelAlarmKind[] = [
  'overtime',
  'area-overmanning',
  'mine-overmanning',
  'restricted-area',
  'sos',
  'low-battery',
  'lost-card',
  'multiple-cards',
  'cloned-card',
  'special-area',
  'reader-offline',
  'ack-overdue',
];

/** Life-threatening first: sync sends critical alarms on its never-dropped lane. */
export type PersonnelAlarmSeverity = 'critical' | 'warning';

const CRITICAL: ReadonlySet<PersonnelAlarmKind> = new Set(['sos', 'lost-card', 'restricted-area', 'ack-overdue', 'cloned-card', 'mine-overmanning']);

export function severityOf(kind: PersonnelAlarmKind): PersonnelAlarmSeverity {
  return CRITICAL.has(kind) ? 'critical' : 'warning';
}

/** One alarm, open (endWall null) or ended. Fields beyond kind/subject depend on the kind. */
export interface PersonnelAlarm {
  /** `<kind>:<subject>`, e.g. `sos:1001`, `area-overmanning:heading-face`. */
  key: string;
  kind: PersonnelAlarmKind;
  severity: PersonnelAlarmSeverity;
  startWall: number;
  endWall: number | null;
  /** Why it ended (e.g. "left the area", "cleared by 王工"). */
  endReason?: string;
  tag?: number;
  card?: string;
  name?: string;
  person?: string;
  /** Area id where it applies (or where the person was). */
  area?: string;
  /** Reader address of the station concerned. */
  reader?: number;
  /** overtime: entry into the mine and the allowed stay. */
  entryWall?: number;
  allowedMs?: number;
  /** over-manning: rated and actual (the peak while open) headcount. */
  rated?: number;
  actual?: number;
  /** sos: signed distance from the station. */
  distanceM?: number;
  /** multiple-cards: the person's tags in the mine; cloned-card: the two readers and the implied speed. */
  tags?: number[];
  readers?: number[];
  speedMps?: number;
  message: string;
}

export function alarmKey(kind: PersonnelAlarmKind, subject: string | number): string {
  return `${kind}:${subject}`;
}

/** Open alarms by key. */
export class PersonnelAlarmSet {
  private readonly open = new Map<string, PersonnelAlarm>();

  get size(): number {
    return this.open.size;
  }

  has(key: string): boolean {
    return this.open.has(key);
  }

  get(key: string): PersonnelAlarm | undefined {
    return this.open.get(key);
  }

  /** Adds the alarm; returns false (and changes nothing) when the key is already open. */
  start(alarm: PersonnelAlarm): boolean {
    if (this.open.has(alarm.key)) return false;
    this.open.set(alarm.key, alarm);
    return true;
  }

  /** Removes and returns the ended alarm, or undefined when it was not open. */
  end(key: string, wall: number, reason: string): PersonnelAlarm | undefined {
    const alarm = this.open.get(key);
    if (!alarm) return undefined;
    this.open.delete(key);
    alarm.endWall = wall;
    alarm.endReason = reason;
    return alarm;
  }

  list(): PersonnelAlarm[] {
    return [...this.open.values()];
  }

  clear(): void {
    this.open.clear();
  }
}
