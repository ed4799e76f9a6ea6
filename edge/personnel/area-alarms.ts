// Who may be where: a card without permission in a restricted area (限制区域, domain.md §3: AQ
// 1119-2023 restricted/permitted areas, AQ 1048-2007 restricted-area entry alarm locally and at the
// host), and a non-special-operator in a special-operators-only area. Both start on entering the
// area and end on leaving it; no state beyond the open alarm.
import { alarmKey } from './alarms.js';
import type { AlarmInput, PersonnelContext } from './engine-context.js';
import { type Person, who } from './person.js';

export class AreaAlarms {
  constructor(private readonly ctx: PersonnelContext) {}

  /** The card left an area for `to` (null: out of the mine). */
  left(p: Person, to: string | null, wall: number, mono: number): void {
    const where = to === null ? 'left the mine' : `moved to ${this.ctx.plan.areas.get(to)!.name}`;
    this.ctx.endAlarm(alarmKey('restricted-area', p.entry.tag), wall, mono, where);
    this.ctx.endAlarm(alarmKey('special-area', p.entry.tag), wall, mono, where);
  }

  entered(p: Person, area: string, wall: number, mono: number): void {
    const cfg = this.ctx.plan.areas.get(area)!;
    if (cfg.type === 'restricted' && !cfg.allowed.includes(p.entry.card)) {
      this.start(p, 'restricted-area', area, wall, mono, `${p.entry.name} entered restricted area ${cfg.name}`, { entryWall: wall });
    }
    if (cfg.specialOnly && !p.entry.special) {
      this.start(p, 'special-area', area, wall, mono, `${p.entry.name} is not a special operator but entered ${cfg.name} (special operators only)`);
    }
  }

  /** Open one of the two area alarms for this card; `extra` (the restricted-area entry time) sits before startWall so the fields keep their order. */
  private start(p: Person, kind: 'restricted-area' | 'special-area', area: string, wall: number, mono: number, message: string, extra: Pick<AlarmInput, 'entryWall'> = {}): void {
    this.ctx.startAlarm({
      ...who(p),
      key: alarmKey(kind, p.entry.tag),
      kind,
      area,
      reader: p.reader ?? undefined,
      ...extra,
      startWall: wall,
      message,
    }, mono);
  }
}
