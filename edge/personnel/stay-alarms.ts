// How long a card stays underground and unheard: overtime (超时/滞留超时, domain.md §3 AQ 1048-2007)
// and the lost card (flag 1 and not heard for lostCardMs: dead battery, card left behind, trapped;
// domain.md §3: everyone underground must carry a working card, S23). No state of its own: both
// read the tracker's trip times. A lost card is not raised while its station is offline (the
// reader, not the card, is silent) nor during the startup grace (the engine decides that).
import { alarmKey } from './alarms.js';
import type { PersonnelContext } from './engine-context.js';
import { type Person, who } from './person.js';

export class StayAlarms {
  constructor(
    private readonly ctx: PersonnelContext,
    private readonly stationOffline: (reader: number | null) => boolean,
  ) {}

  checkOvertime(p: Person, now: number, wall: number): void {
    const overtimeMs = this.ctx.settings.overtimeMs;
    if (p.entryMono === null || now - p.entryMono <= overtimeMs) return;
    this.ctx.startAlarm({
      ...who(p),
      key: alarmKey('overtime', p.entry.tag),
      kind: 'overtime',
      area: p.area ?? undefined,
      reader: p.reader ?? undefined,
      entryWall: p.entryWall!,
      allowedMs: overtimeMs,
      startWall: wall,
      message: `${p.entry.name} has been in the mine longer than ${Math.round(overtimeMs / 60_000)} min`,
    }, now);
  }

  checkLostCard(p: Person, now: number, wall: number, silentMs: number): void {
    if (p.flag !== 1 || silentMs <= this.ctx.settings.lostCardMs || this.stationOffline(p.reader)) return;
    const tag = p.entry.tag;
    this.ctx.startAlarm({
      ...who(p),
      key: alarmKey('lost-card', tag),
      kind: 'lost-card',
      area: p.area ?? undefined,
      reader: p.reader ?? undefined,
      startWall: wall,
      message: `${p.entry.name}'s card (tag ${tag}) not seen for ${Math.round(silentMs / 1000)} s; last at ${this.ctx.stationName(p.reader)}`,
    }, now);
  }

  /** Heard again: a lost card is found. */
  heard(p: Person, wall: number, mono: number, stationName: string): void {
    const key = alarmKey('lost-card', p.entry.tag);
    if (this.ctx.alarms.has(key)) this.ctx.endAlarm(key, wall, mono, `seen again at ${stationName}`);
  }

  leftMine(p: Person, wall: number, mono: number, why: string): void {
    for (const kind of ['overtime', 'lost-card'] as const) this.ctx.endAlarm(alarmKey(kind, p.entry.tag), wall, mono, `left the mine (${why})`);
  }
}
