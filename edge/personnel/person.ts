// One card's position state as the tracker keeps it (where it is, this trip's times, its track),
// and the shapes it is shown in. Rule state (SOS presses, battery, travel for the cloned-card check)
// lives in the rule modules, keyed by tag; this is only "where is the card".
import type { RosterEntry } from '../../board-configs/personnel-schema.js';
import type { PersonnelAlarm } from './alarms.js';
import type { PersonnelEvent } from './events.js';
import type { InOutFlag, PersonView } from './views.js';

export interface Person {
  entry: RosterEntry;
  /** Position on the roster (0-based): rule modules keep their per-card state in arrays by it (the sighting path avoids hashing). */
  readonly slot: number;
  flag: InOutFlag;
  entryWall: number | null;
  entryMono: number | null;
  exitWall: number | null;
  area: string | null;
  areaEntryWall: number | null;
  reader: number | null;
  stationEntryWall: number | null;
  stationSeenMono: number;
  stationRssi: number;
  distanceM: number | null;
  lastSeenMono: number | null;
  lastSeenWall: number | null;
  persistedSeenWall: number | null;
  /** When the current stay at the shaft mouth (flag 0) began. */
  shaftWall: number | null;
  shaftMono: number | null;
  trajectory: { reader: number; wall: number }[];
}

/** Never seen: out of the mine (flag 2), nowhere. */
export function newPerson(entry: RosterEntry, slot: number): Person {
  return {
    entry,
    slot,
    flag: 2,
    entryWall: null,
    entryMono: null,
    exitWall: null,
    area: null,
    areaEntryWall: null,
    reader: null,
    stationEntryWall: null,
    stationSeenMono: -Infinity,
    stationRssi: -Infinity,
    distanceM: null,
    lastSeenMono: null,
    lastSeenWall: null,
    persistedSeenWall: null,
    shaftWall: null,
    shaftMono: null,
    trajectory: [],
  };
}

/** The person fields of an alarm about this card. */
export function who(p: Person): Pick<PersonnelAlarm, 'tag' | 'card' | 'name' | 'person'> {
  return { tag: p.entry.tag, card: p.entry.card, name: p.entry.name, person: p.entry.person };
}

/** The person fields of an event about this card (where it is, when known). */
export function whoEvent(p: Person): Pick<PersonnelEvent, 'tag' | 'card' | 'name' | 'area' | 'reader'> {
  const out: Pick<PersonnelEvent, 'tag' | 'card' | 'name' | 'area' | 'reader'> = { tag: p.entry.tag, card: p.entry.card, name: p.entry.name };
  if (p.area !== null) out.area = p.area;
  if (p.reader !== null) out.reader = p.reader;
  return out;
}

/** The query view of one person; `flags` come from the card-flag rules (SOS alarm open, battery). */
export function personView(p: Person, wall: number, flags: { sos: boolean; lowBattery: boolean }): PersonView {
  const e = p.entry;
  return {
    tag: e.tag,
    card: e.card,
    person: e.person,
    name: e.name,
    job: e.job ?? null,
    team: e.team ?? null,
    leader: e.leader,
    special: e.special,
    flag: p.flag,
    entryWall: p.entryWall,
    exitWall: p.exitWall,
    area: p.area,
    areaEntryWall: p.areaEntryWall,
    reader: p.flag === 2 ? null : p.reader,
    stationEntryWall: p.flag === 2 ? null : p.stationEntryWall,
    distanceM: p.distanceM,
    lastSeenWall: p.lastSeenWall,
    timeInMineMs: p.flag !== 2 && p.entryWall !== null ? Math.max(0, wall - p.entryWall) : 0,
    sos: flags.sos,
    lowBattery: flags.lowBattery,
    trajectory: p.trajectory.map((t) => ({ ...t })),
  };
}
