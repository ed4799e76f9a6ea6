// What the personnel engine shows and takes: the query views (people, headcounts, stations, the
// evacuation), the commands, and the runtime callbacks. Types only; engine.ts re-exports them so
// callers keep importing from there.
import type { AckVia, EvacuationSource, PersonnelEvent } from './events.js';

/** 出入井标志: 0 at the shaft mouth, 1 underground, 2 out of the mine. */
export type InOutFlag = 0 | 1 | 2;

export type PageReason = 'evacuate' | 'acknowledge';

/** What the runtime does for the engine: drive outputs, page cards, publish events. Must not throw (errors are counted). */
export interface PersonnelActions {
  /** Switch a siren/beacon/evacuation output (the runtime ORs it with the safety engine's demand). */
  setOutput(outputId: string, on: boolean): void;
  /** Page a card (two-way call, 呼叫): `reader` is where it was last seen, null when unknown (page on every reader). */
  pageCard(page: { tag: number; reader: number | null; reason: PageReason }): void;
  emit(event: PersonnelEvent): void;
}

/**
 * One person's derived whereabouts (times are wall ms): what every view shows and, as it is, what
 * the journal stores (PersistedPerson), so the two cannot drift apart.
 */
export interface PersonTrack {
  tag: number;
  flag: InOutFlag;
  entryWall: number | null;
  exitWall: number | null;
  area: string | null;
  areaEntryWall: number | null;
  reader: number | null;
  stationEntryWall: number | null;
  distanceM: number | null;
  lastSeenWall: number | null;
  trajectory: { reader: number; wall: number }[];
}

export interface PersonView extends PersonTrack {
  card: string;
  person: string;
  name: string;
  job: string | null;
  team: string | null;
  leader: boolean;
  special: boolean;
  /** Time in the mine on this trip (0 when out). */
  timeInMineMs: number;
  sos: boolean;
  lowBattery: boolean;
}

export interface Headcount {
  /** Flag 1: the RYSS underground headcount. */
  underground: number;
  /** Flag 0. */
  atShaftMouth: number;
  /** People (flag 0 or 1) per area id; every configured area is listed. */
  byArea: Record<string, number>;
}

export type StationRunState = 'online' | 'offline' | 'unknown';
export type StationPower = 'dc' | 'ac' | 'fault' | 'unknown';

export interface StationView {
  reader: number;
  code: string;
  area: string;
  state: StationRunState;
  power: StationPower;
  sinceWall: number | null;
}

export interface EvacuationView {
  id: string;
  startedWall: number;
  triggers: { source: EvacuationSource; reason: string; by: string | null; wall: number; areas: string[] }[];
  areas: {
    area: string;
    responsible: string | null;
    ackDeadlineWall: number;
    acknowledged: { by: string; via: AckVia; wall: number } | null;
    escalatedWall: number | null;
  }[];
  /** The live list: people still inside the evacuated areas. */
  inside: { tag: number; card: string; name: string; area: string | null; lastSeenWall: number | null }[];
  insideCount: number;
  /** Everyone listed since the start, with exit times. */
  evacuees: { tag: number; card: string; name: string; area: string; listedWall: number; exitWall: number | null }[];
  complete: boolean;
  completeWall: number | null;
  /** Outputs the evacuation keeps on. */
  outputs: string[];
}

export interface EvacuationCommand {
  areas: readonly string[];
  reason: string;
  source: EvacuationSource;
  /** Operator (manual) or authority (upstream). Required for manual. */
  by?: string;
}

export interface StandDownCommand {
  /** Operator (manual: must be in evacuation.operators when that list is set) or upstream authority. */
  by: string;
  reason: string;
  /** upstream: a verified platform command (sync/downlink checked its signature). Default manual. */
  source?: 'manual' | 'upstream';
}
