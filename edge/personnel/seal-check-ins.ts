// What the electronic seals cross-check against (edge/seals/personnel-view.ts): the underground
// headcount, the card check-ins at the shaft mouths, the time of the last sighting, and whether the
// shaft-mouth stations are online (while one is not, the counts are unknown, not zero). A check-in
// is the sighting that started a card's trip at a shaft-mouth station.
import type { PersonnelView } from '../seals/personnel-view.js';
import type { PersonnelPlan } from './plan.js';
import type { StationView } from './views.js';

interface CheckIn {
  wall: number;
  reader: number;
}

/** What the check-ins read of the running engine; null while positioning is not running. */
export interface CheckInSource {
  underground(): number;
  stations(): StationView[] | null;
}

export class SealCheckIns {
  private checkIns: CheckIn[] = [];
  /** Station code, area id or area code → the readers it covers (the seals name check-in points so). */
  private readonly readersOf = new Map<string, ReadonlySet<number>>();
  private shaftMouthReaders: ReadonlySet<number> = new Set();
  private lastSightingWall: number | null = null;

  constructor(
    private readonly retentionMs: number,
    private readonly maxCheckIns: number,
  ) {}

  /** Learns the stations and areas of the config (at start, before the first sighting). */
  index(plan: PersonnelPlan): void {
    this.shaftMouthReaders = new Set([...plan.stations.values()].filter((s) => plan.areas.get(s.area)?.type === 'shaft-mouth').map((s) => s.reader));
    for (const s of plan.stations.values()) this.readersOf.set(s.code, new Set([s.reader]));
    for (const a of plan.areas.values()) {
      const readers = new Set([...plan.stations.values()].filter((s) => s.area === a.id).map((s) => s.reader));
      this.readersOf.set(a.id, readers);
      this.readersOf.set(a.code, readers);
    }
  }

  atShaftMouth(reader: number): boolean {
    return this.shaftMouthReaders.has(reader);
  }

  /** A sighting the engine took; `checkedIn` when it raised the number of people in the mine at a shaft mouth. */
  sighted(reader: number, wall: number, checkedIn: boolean): void {
    if (this.lastSightingWall === null || wall > this.lastSightingWall) this.lastSightingWall = wall;
    if (checkedIn) this.record(reader, wall);
  }

  /**
   * The seal cameras' card check (人员未带卡) matches persons counted in at a shaft mouth with the
   * card check-ins there, up to cardWindowMs back. The check-ins are kept in memory; rebuilt here
   * after a restart, so a miner who checked in at the mouth just before it and passes the seal
   * camera just after is still matched with his card (domain.md §3: all persons entering must carry
   * a card, S23; 人卡不符, S20) — issue 14, a demo restart raised two false alarms. A trip's first
   * station is where its check-in was (a new trip starts a fresh trajectory).
   */
  rebuild(people: readonly { flag: 0 | 1 | 2; trajectory: readonly { reader: number; wall: number }[] }[], now: number): void {
    const cutoff = now - this.retentionMs;
    const rebuilt: CheckIn[] = [];
    for (const p of people) {
      const first = p.trajectory[0];
      if (p.flag === 2 || !first || !this.shaftMouthReaders.has(first.reader) || first.wall < cutoff || first.wall > now) continue;
      rebuilt.push({ wall: first.wall, reader: first.reader });
    }
    this.checkIns = rebuilt.sort((a, b) => a.wall - b.wall).slice(-this.maxCheckIns);
  }

  /** The narrow view the seals use. */
  view(source: CheckInSource): PersonnelView {
    return {
      undergroundCount: () => source.underground(),
      checkInsAt: (stationOrArea, sinceWallMs) => this.checkInsAt(stationOrArea, sinceWallMs),
      lastSightingWallMs: () => this.lastSightingWall,
      readersOnline: () => this.shaftMouthReadersOnline(source.stations()),
      offlineReaders: () => this.shaftMouthReadersNotOnline(source.stations()),
    };
  }

  private record(reader: number, wall: number): void {
    this.checkIns.push({ wall, reader });
    const cutoff = wall - this.retentionMs;
    if (this.checkIns.length > this.maxCheckIns || (this.checkIns[0]?.wall ?? wall) < cutoff) {
      this.checkIns = this.checkIns.filter((c) => c.wall >= cutoff).slice(-this.maxCheckIns);
    }
  }

  private checkInsAt(stationOrArea: string, sinceWallMs: number): number {
    const readers = this.readersOf.get(stationOrArea);
    if (!readers) throw new RangeError(`no personnel station code, area id or area code "${stationOrArea}"`);
    let n = 0;
    for (const c of this.checkIns) if (c.wall >= sinceWallMs && readers.has(c.reader)) n++;
    return n;
  }

  /**
   * Check-ins and exits are seen at the shaft mouths: while every shaft-mouth station is online the
   * positioning counts can be trusted for the seal cross-checks (a reader down deeper in the mine
   * does not take anyone out of the underground count).
   */
  private shaftMouthReadersOnline(stations: StationView[] | null): boolean {
    if (!stations) return false;
    return stations.every((s) => !this.shaftMouthReaders.has(s.reader) || s.state === 'online');
  }

  /** The shaft-mouth stations the seal checks depend on that are not online, named. */
  private shaftMouthReadersNotOnline(stations: StationView[] | null): string[] {
    if (!stations) return ['personnel positioning not running'];
    return stations
      .filter((s) => this.shaftMouthReaders.has(s.reader) && s.state !== 'online')
      .map((s) => `station ${s.code} (reader ${s.reader}) ${s.state === 'unknown' ? 'not heard yet' : 'offline'}`);
  }
}
