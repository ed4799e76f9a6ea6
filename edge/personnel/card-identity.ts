// Is this card one person's one card? One person with two or more cards in the mine (一人多卡,
// domain.md §3: 矿安综〔2021〕60号 forbids it, with 人卡不符) and one tag seen at two stations faster
// than anyone can walk (a cloned card). The cloned-card check owns each tag's last reader; its alarm
// latches until clonedCardClearMs pass without another jump, or an operator clears it.
import type { PersonnelAlarm } from './alarms.js';
import { alarmKey } from './alarms.js';
import type { PersonnelContext } from './engine-context.js';
import { type Person, who } from './person.js';
import type { PersonnelSighting } from './sighting.js';

interface Travel {
  /** Last sighting at any reader. */
  reader: number | null;
  mono: number;
  distance: number;
  /** Last impossible jump (the alarm ends clonedCardClearMs after it). */
  lastCloneMono: number | null;
}

export class CardIdentityAlarms {
  /** By tag (timers, restore) and by roster slot (the sighting path): the same objects. */
  private readonly travel = new Map<number, Travel>();
  private readonly bySlot: Travel[] = [];

  constructor(
    private readonly ctx: PersonnelContext,
    private readonly cardsInMine: ReadonlyMap<string, ReadonlySet<number>>,
  ) {
    for (const tag of ctx.plan.byTag.keys()) {
      const t: Travel = { reader: null, mono: -Infinity, distance: 0, lastCloneMono: null };
      this.travel.set(tag, t);
      this.bySlot.push(t);
    }
  }

  /** A fresh (not stale) sighting: checks the jump from the last reader, then remembers this one. */
  heard(p: Person, s: PersonnelSighting): void {
    const t = this.bySlot[p.slot]!;
    if (t.reader !== null && t.reader !== s.reader) this.checkTravel(p, t, s);
    t.reader = s.reader;
    t.mono = s.monoTime;
    t.distance = Math.abs(s.distanceM);
  }

  checkMultipleCards(person: string, wall: number, mono: number): void {
    const cards = this.cardsInMine.get(person);
    const key = alarmKey('multiple-cards', person);
    const open = this.ctx.alarms.get(key);
    if (cards && cards.size >= 2) {
      const tags = [...cards].sort((a, b) => a - b);
      if (open) {
        open.tags = tags;
        this.ctx.alarmUpdated();
        return;
      }
      const first = this.ctx.plan.byTag.get(tags[0]!)!;
      this.ctx.startAlarm({
        key,
        kind: 'multiple-cards',
        person,
        name: first.name,
        tags,
        startWall: wall,
        message: `${first.name} (${person}) has ${tags.length} cards in the mine: tags ${tags.join(', ')}`,
      }, mono);
    } else if (open) {
      this.ctx.endAlarm(key, wall, mono, 'one card left in the mine');
    }
  }

  /** Timers: a cloned-card alarm ends after clonedCardClearMs without another impossible jump. */
  tick(now: number, wall: number): void {
    const clearMs = this.ctx.settings.clonedCardClearMs;
    for (const alarm of this.ctx.alarms.list()) {
      if (alarm.kind !== 'cloned-card') continue;
      const last = this.travel.get(alarm.tag!)?.lastCloneMono ?? null;
      if (last !== null && now - last > clearMs) this.ctx.endAlarm(alarm.key, wall, now, `no impossible movement for ${Math.round(clearMs / 1000)} s`);
    }
  }

  /** A restored cloned-card alarm waits a full clonedCardClearMs from the restart. */
  restoreAlarm(alarm: PersonnelAlarm, monoNow: number): void {
    if (alarm.kind !== 'cloned-card' || alarm.tag === undefined) return;
    const t = this.travel.get(alarm.tag);
    if (t) t.lastCloneMono = monoNow;
  }

  private checkTravel(p: Person, t: Travel, s: PersonnelSighting): void {
    const from = t.reader!;
    const limit = this.ctx.plan.travel(from, s.reader);
    if (!limit) return;
    // Both readers may have heard the card at the edge of their range, toward each other.
    const metres = limit.metres - t.distance - Math.abs(s.distanceM);
    if (metres <= 0) return;
    const seconds = (Math.max(s.monoTime - t.mono, 0) + this.ctx.settings.reportSlackMs) / 1000;
    const speed = seconds === 0 ? Infinity : metres / seconds;
    if (speed <= limit.maxSpeedMps) return;
    t.lastCloneMono = s.monoTime;
    const shown = Number.isFinite(speed) ? `${speed.toFixed(1)} m/s` : 'at the same moment';
    this.ctx.startAlarm({
      ...who(p),
      key: alarmKey('cloned-card', p.entry.tag),
      kind: 'cloned-card',
      area: p.area ?? undefined,
      readers: [from, s.reader],
      speedMps: Number.isFinite(speed) ? Math.round(speed * 10) / 10 : -1,
      startWall: s.wallTime,
      message: `tag ${p.entry.tag} (${p.entry.name}) seen at ${this.ctx.stationName(from)} and ${this.ctx.stationName(s.reader)} ${Math.round(metres)} m apart, ${shown}: cloned card?`,
    }, s.monoTime);
  }
}
