// Where each card is (人员定位 position rules, README "Position rules"): in/out of the mine (出入井
// 标志), area, station, this trip's entry and exit times, trajectory, and the headcounts. A card is
// only taken out of the mine on positive evidence: seen outside, passing the shaft pair outby, or
// silent at the shaft mouth (domain.md §3: readers at every shaft entrance and roadway branch, with
// direction detection, AQ 1048-2007 / S23). What the alarms and the evacuation make of a move comes
// back through `TrackerHooks`; the tracker itself raises only entered-mine / left-mine.
import type { StationConfig } from '../../board-configs/personnel-schema.js';
import type { PersonnelContext } from './engine-context.js';
import type { PersistedPerson } from './journal.js';
import { newPerson, type Person, whoEvent } from './person.js';
import type { PersonnelSighting } from './sighting.js';
import { decodePerson } from './snapshot-codec.js';
import type { Headcount, InOutFlag } from './views.js';

/** What follows a move, in the order the engine always raised it. */
export interface TrackerHooks {
  /** The card's in/out flag changed: headcounts moved (over-manning, multiple cards). */
  flagChanged(p: Person, wall: number, mono: number): void;
  /** The card left area `from` for area `to` (either may be null); membership is already updated. */
  areaChanged(p: Person, from: string | null, to: string | null, wall: number, mono: number): void;
  /** The card is out of the mine (flag 2), after its area and flag changed. */
  leftMine(p: Person, wall: number, mono: number, why: string): void;
}

export class PersonTracker {
  readonly people = new Map<number, Person>();
  /** Tags (flag 0 or 1) per area id. */
  readonly members = new Map<string, Set<number>>();
  /** Cards in the mine (flag 0 or 1) per person (employee number): 一人多卡. */
  readonly cardsInMine = new Map<string, Set<number>>();
  /** Tags of people with flag 0 or 1: what the timers look at. */
  readonly inMine = new Set<number>();
  private undergroundCount = 0;
  private atShaftCount = 0;

  constructor(
    private readonly ctx: PersonnelContext,
    private readonly hooks: TrackerHooks,
  ) {
    // Slots follow the roster order of plan.byTag; the rule modules number their state the same way.
    let slot = 0;
    for (const entry of ctx.plan.byTag.values()) this.people.set(entry.tag, newPerson(entry, slot++));
    for (const area of ctx.plan.areas.keys()) this.members.set(area, new Set());
  }

  has(tag: number): boolean {
    return this.people.has(tag);
  }

  get underground(): number {
    return this.undergroundCount;
  }

  headcount(): Headcount {
    const byArea: Record<string, number> = {};
    for (const [area, set] of this.members) byArea[area] = set.size;
    return { underground: this.undergroundCount, atShaftMouth: this.atShaftCount, byArea };
  }

  /** A report older than the position held never moves the card. */
  isStale(p: Person, mono: number): boolean {
    return p.lastSeenMono !== null && mono < p.lastSeenMono;
  }

  /** The card was heard: returns how long it had been silent (Infinity when never seen). */
  heard(p: Person, s: PersonnelSighting): number {
    const silentMs = p.lastSeenMono === null ? Infinity : s.monoTime - p.lastSeenMono;
    p.lastSeenMono = s.monoTime;
    p.lastSeenWall = s.wallTime;
    return silentMs;
  }

  /** The station rule: the card moves when its station has not heard it for a while, or another hears it clearly stronger. */
  place(p: Person, station: StationConfig, s: PersonnelSighting, silentMs: number): void {
    const settings = this.ctx.settings;
    const mono = s.monoTime;
    if (p.reader === s.reader) {
      p.stationSeenMono = mono;
      p.stationRssi = s.rssi;
      p.distanceM = s.distanceM;
      // Out of the mine and still in range of the station passed on the way out: no new trip yet.
      // Back after a real absence (next shift): arriving again.
      if (p.flag === 2 && silentMs > settings.shaftMouthExitMs) this.moveTo(p, station, s);
    } else if (p.reader === null || mono - p.stationSeenMono > settings.stationHoldMs || s.rssi >= p.stationRssi + settings.rssiMarginDb) {
      this.moveTo(p, station, s);
    }
  }

  /** Without a direction pair, silence at the shaft mouth means the card has left. Returns true when it did. */
  exitIfSilentAtShaft(p: Person, now: number, silentMs: number): boolean {
    if (p.flag !== 0 || silentMs <= this.ctx.settings.shaftMouthExitMs) return false;
    this.leaveMine(p, p.lastSeenWall!, now, `last seen at the shaft mouth ${Math.round(silentMs / 1000)} s ago`);
    return true;
  }

  /** Put a saved person back (restore, before the first sighting): no events, counts and areas rebuilt. */
  restore(saved: PersistedPerson, toMono: (wall: number) => number): boolean {
    const p = this.people.get(saved.tag);
    if (!p) return false;
    decodePerson(p, saved, this.ctx.plan, toMono);
    if (p.area !== null) this.members.get(p.area)!.add(p.entry.tag);
    if (p.flag !== 2) this.countIn(p);
    return true;
  }

  private moveTo(p: Person, station: StationConfig, s: PersonnelSighting): void {
    const from = p.reader;
    const fromSeen = p.stationSeenMono;
    const mono = s.monoTime;
    const wall = s.wallTime;
    p.reader = station.reader;
    p.stationEntryWall = wall;
    p.stationSeenMono = mono;
    p.stationRssi = s.rssi;
    p.distanceM = s.distanceM;
    const plan = this.ctx.plan;
    const area = plan.areas.get(station.area)!;
    if (area.type === 'shaft-mouth') {
      const recent = from !== null && mono - fromSeen <= this.ctx.settings.directionWindowMs;
      if (recent && plan.outerOf.get(station.reader)?.has(from!)) {
        // Through a direction pair inby: in the mine now, not merely at the shaft mouth.
        this.setFlag(p, 1, wall, mono);
      } else if (recent && plan.innerOf.get(station.reader)?.has(from!)) {
        this.pushTrajectory(p, station.reader, wall);
        this.leaveMine(p, wall, mono, `passed ${this.ctx.stationName(from)} then ${station.name} outby`);
        return;
      } else if (p.flag !== 0) {
        this.setFlag(p, 0, wall, mono);
      }
    } else if (p.flag !== 1) {
      this.setFlag(p, 1, wall, mono);
    }
    this.pushTrajectory(p, station.reader, wall);
    this.setArea(p, area.id, wall, mono);
    this.ctx.journal?.personChanged(p.entry.tag);
  }

  private leaveMine(p: Person, wall: number, mono: number, why: string): void {
    this.setArea(p, null, wall, mono);
    this.setFlag(p, 2, wall, mono);
    // The reader stays: sightings at the same station right after leaving are not a new arrival.
    p.distanceM = null;
    this.hooks.leftMine(p, wall, mono, why);
    this.ctx.journal?.personChanged(p.entry.tag);
  }

  private setFlag(p: Person, flag: InOutFlag, wall: number, mono: number): void {
    const was = p.flag;
    if (was === flag) return;
    if (was !== 2) this.countOut(p);
    p.flag = flag;
    if (was === 2) {
      // A new trip: the previous one's times and track belong to the last RYSS of it only.
      p.entryWall = null;
      p.entryMono = null;
      p.exitWall = null;
      p.trajectory = [];
    }
    if (flag === 0) {
      p.shaftWall = wall;
      p.shaftMono = mono;
    }
    if (flag === 1 && p.entryWall === null) {
      // Coming down from the shaft mouth, the trip began when the card was first seen there.
      const fromShaft = was === 0 && p.shaftWall !== null;
      p.entryWall = fromShaft ? p.shaftWall : wall;
      p.entryMono = fromShaft ? p.shaftMono : mono;
      this.ctx.raise({ type: 'entered-mine', ...whoEvent(p), message: `${p.entry.name} entered the mine` }, mono, wall);
    }
    if (flag === 2) {
      const wasDown = p.entryWall !== null;
      p.exitWall = wasDown ? wall : null;
      p.entryMono = null;
      if (wasDown) this.ctx.raise({ type: 'left-mine', ...whoEvent(p), message: `${p.entry.name} left the mine` }, mono, wall);
    } else {
      this.countIn(p);
    }
    this.hooks.flagChanged(p, wall, mono);
  }

  private countIn(p: Person): void {
    const tag = p.entry.tag;
    this.inMine.add(tag);
    if (p.flag === 1) this.undergroundCount++;
    else if (p.flag === 0) this.atShaftCount++;
    const cards = this.cardsInMine.get(p.entry.person) ?? new Set<number>();
    cards.add(tag);
    this.cardsInMine.set(p.entry.person, cards);
  }

  private countOut(p: Person): void {
    const tag = p.entry.tag;
    this.inMine.delete(tag);
    if (p.flag === 1) this.undergroundCount--;
    else if (p.flag === 0) this.atShaftCount--;
    const cards = this.cardsInMine.get(p.entry.person);
    cards?.delete(tag);
    if (cards && cards.size === 0) this.cardsInMine.delete(p.entry.person);
  }

  private setArea(p: Person, area: string | null, wall: number, mono: number): void {
    const old = p.area;
    if (old === area) return;
    const tag = p.entry.tag;
    p.area = area;
    p.areaEntryWall = area === null ? null : wall;
    if (old !== null) this.members.get(old)!.delete(tag);
    if (area !== null) this.members.get(area)!.add(tag);
    this.hooks.areaChanged(p, old, area, wall, mono);
  }

  private pushTrajectory(p: Person, reader: number, wall: number): void {
    const last = p.trajectory[p.trajectory.length - 1];
    if (last && last.reader === reader) return;
    p.trajectory.push({ reader, wall });
    if (p.trajectory.length > this.ctx.settings.trajectoryLength) p.trajectory.shift();
  }
}
