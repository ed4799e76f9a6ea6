// What the card itself signals: its SOS button (求救, domain.md §3: two-way call, the card sends an
// emergency call, AQ 1048-2007) and its low battery. An SOS is acted on before any position logic,
// even from a report older than the position held. A double press by an area's responsible person
// during an evacuation is the card acknowledgement (叫应), not a call for help.
import type { PersonnelAlarm } from './alarms.js';
import { alarmKey } from './alarms.js';
import type { PersonnelContext } from './engine-context.js';
import type { EvacuatedArea } from './evacuation.js';
import type { AckVia } from './events.js';
import { type Person, who } from './person.js';
import type { PersonnelSighting } from './sighting.js';

interface Flags {
  lowBattery: boolean;
  /** Last report carrying the SOS flag (a card repeats it while it signals). */
  sosLastMono: number | null;
  lastPressMono: number | null;
  /** Press that opened the current SOS alarm (a second press may turn it into an acknowledgement). */
  sosAlarmPressMono: number | null;
}

/** The evacuation's side of a card acknowledgement. */
export interface CardAcks {
  pendingAcksOf(card: string): EvacuatedArea[];
  ack(a: EvacuatedArea, by: string, via: AckVia, mono: number, wall: number): boolean;
}

export class CardFlagAlarms {
  /** By tag (commands, restore) and by roster slot (the sighting path): the same objects. */
  private readonly flags = new Map<number, Flags>();
  private readonly bySlot: Flags[] = [];

  constructor(
    private readonly ctx: PersonnelContext,
    private readonly acks: CardAcks,
  ) {
    for (const tag of ctx.plan.byTag.keys()) {
      const f: Flags = { lowBattery: false, sosLastMono: null, lastPressMono: null, sosAlarmPressMono: null };
      this.flags.set(tag, f);
      this.bySlot.push(f);
    }
  }

  /** Every sighting of a known card at a known station, stale or not. */
  heard(p: Person, s: PersonnelSighting): void {
    const f = this.bySlot[p.slot]!;
    if (s.lowBattery !== f.lowBattery) this.lowBatteryChanged(p, f, s);
    if (s.sos || s.sosDouble === true) this.sosFlag(p, f, s);
  }

  lowBattery(tag: number): boolean {
    return this.flags.get(tag)?.lowBattery ?? false;
  }

  sos(tag: number): boolean {
    return this.ctx.alarms.has(alarmKey('sos', tag));
  }

  /** An operator cleared the SOS: the next press is a new call, not the second of a pair. */
  sosCleared(tag: number): void {
    const f = this.flags.get(tag);
    if (f) f.sosAlarmPressMono = null;
  }

  leftMine(p: Person, wall: number, mono: number, why: string): void {
    this.ctx.endAlarm(alarmKey('low-battery', p.entry.tag), wall, mono, `left the mine (${why})`);
    this.bySlot[p.slot]!.lowBattery = false;
  }

  restoreAlarm(alarm: PersonnelAlarm): void {
    if (alarm.kind !== 'low-battery' || alarm.tag === undefined) return;
    const f = this.flags.get(alarm.tag);
    if (f) f.lowBattery = true;
  }

  private lowBatteryChanged(p: Person, f: Flags, s: PersonnelSighting): void {
    f.lowBattery = s.lowBattery;
    const key = alarmKey('low-battery', p.entry.tag);
    if (s.lowBattery) {
      this.ctx.startAlarm({ ...who(p), key, kind: 'low-battery', area: p.area ?? undefined, reader: s.reader, startWall: s.wallTime, message: `${p.entry.name}'s card reports a low battery` }, s.monoTime);
    } else {
      this.ctx.endAlarm(key, s.wallTime, s.monoTime, 'card battery no longer low');
    }
  }

  private sosFlag(p: Person, f: Flags, s: PersonnelSighting): void {
    const mono = s.monoTime;
    // A card repeats its flags in every report while it signals: only a gap makes a new press.
    const newPress = f.sosLastMono === null || mono - f.sosLastMono > this.ctx.settings.sosPressGapMs;
    f.sosLastMono = Math.max(mono, f.sosLastMono ?? -Infinity);
    if (!newPress) return;
    const previous = f.lastPressMono;
    f.lastPressMono = mono;
    const isDouble = s.sosDouble === true || (previous !== null && mono - previous <= this.ctx.plan.config.evacuation.doublePressWindowMs);
    const pending = this.acks.pendingAcksOf(p.entry.card);
    if (isDouble && pending.length > 0) {
      for (const area of pending) this.acks.ack(area, p.entry.card, 'card', mono, s.wallTime);
      // The first press of the pair opened an SOS; it was the acknowledgement gesture, not a call for help.
      if (f.sosAlarmPressMono !== null && f.sosAlarmPressMono === previous) {
        f.sosAlarmPressMono = null;
        this.ctx.endAlarm(alarmKey('sos', p.entry.tag), s.wallTime, mono, 'double press: acknowledgement (叫应) of the evacuation');
      }
      f.lastPressMono = null;
      return;
    }
    if (!s.sos) return;
    const key = alarmKey('sos', p.entry.tag);
    if (this.ctx.alarms.has(key)) return;
    f.sosAlarmPressMono = mono;
    this.ctx.startAlarm({
      ...who(p),
      key,
      kind: 'sos',
      area: p.area ?? undefined,
      reader: s.reader,
      distanceM: s.distanceM,
      startWall: s.wallTime,
      message: `SOS from ${p.entry.name} at ${this.ctx.stationName(s.reader)}`,
    }, mono);
  }
}
