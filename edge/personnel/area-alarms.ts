// Who may be where: a card without permission in a restricted area (限制区域, domain.md §3: AQ
// 1119-2023 restricted/permitted areas, AQ 1048-2007 restricted-area entry alarm locally and at the
// host), and a non-special-operator in a special-operators-only area. Both start on entering the
// area and end on leaving it; no state beyond the open alarm.
import { alarmKey } from './alarms.js';
import type { PersonnelContext } from './engine-context.js';
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
    const tag = p.entry.tag;
    if (cfg.type === 'restricted' && !cfg.allowed.includes(p.entry.card)) {
      this.ctx.startAlarm({
        ...who(p),
        key: alarmKey('restricted-area', tag),
        kind: 'restricted-area',
        area,
        reader: p.reader ?? undefined,
        entryWall: wall,
        startWall: wall,
        message: `${p.entry.name} entered restricted area ${cfg.name}`,
      }, mono);
    }
    if (cfg.specialOnly && !p.entry.special) {
      this.ctx.startAlarm({
        ...who(p),
        key: alarmKey('special-area', tag),
        kind: 'special-area',
        area,
        reader: p.reader ?? undefined,
        startWall: wall,
        message: `${p.entry.name} is not a special operator but entered ${cfg.name} (special operators only)`,
      }, mono);
    }
  }
}
