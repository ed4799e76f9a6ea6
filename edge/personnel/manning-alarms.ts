// Over-manning (超员): an area holding more people than its rated headcount (区域超员, domain.md §3
// AQ 1048-2007) and more people underground than the mine's rated headcount (矿安综〔2021〕60号 aims
// at preventing over-manning). Counts come from the tracker; an open alarm keeps the peak count.
import { alarmKey } from './alarms.js';
import type { PersonnelContext } from './engine-context.js';

export class ManningAlarms {
  constructor(
    private readonly ctx: PersonnelContext,
    private readonly counts: { members: ReadonlyMap<string, ReadonlySet<number>>; readonly underground: number },
  ) {}

  checkArea(area: string, wall: number, mono: number): void {
    const cfg = this.ctx.plan.areas.get(area)!;
    if (cfg.ratedCount === undefined) return;
    const count = this.counts.members.get(area)!.size;
    const key = alarmKey('area-overmanning', area);
    const open = this.ctx.alarms.get(key);
    if (count > cfg.ratedCount) {
      if (open) {
        this.keepPeak(open, count);
        return;
      }
      this.ctx.startAlarm({ key, kind: 'area-overmanning', area, rated: cfg.ratedCount, actual: count, startWall: wall, message: `${cfg.name}: ${count} people, rated ${cfg.ratedCount}` }, mono);
    } else if (open) {
      this.ctx.endAlarm(key, wall, mono, `${count} people, within the rated ${cfg.ratedCount}`);
    }
  }

  checkMine(wall: number, mono: number): void {
    const rated = this.ctx.plan.config.ratedUnderground;
    const key = alarmKey('mine-overmanning', 'mine');
    const open = this.ctx.alarms.get(key);
    const count = this.counts.underground;
    if (count > rated) {
      if (open) {
        this.keepPeak(open, count);
        return;
      }
      this.ctx.startAlarm({ key, kind: 'mine-overmanning', rated, actual: count, startWall: wall, message: `${count} people underground, rated ${rated}` }, mono);
    } else if (open) {
      this.ctx.endAlarm(key, wall, mono, `${count} people underground, within the rated ${rated}`);
    }
  }

  private keepPeak(open: { actual?: number }, count: number): void {
    if (count <= (open.actual ?? 0)) return;
    open.actual = count;
    this.ctx.alarmUpdated();
  }
}
