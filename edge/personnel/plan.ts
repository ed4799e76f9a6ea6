// The personnel plan: the `personnel:` config turned into the lookups the engine uses on every
// sighting (tag → card, reader → station → area, direction pairs, travel distances, evacuation
// links by zone). Built once; a config with any problem is refused (PersonnelConfigError).
import {
  type AreaConfig,
  type EvacuationAreaConfig,
  type EvacuationLink,
  type PersonnelConfig,
  type PersonnelConfigInput,
  PersonnelSchema,
  type RosterEntry,
  type StationConfig,
} from '../../board-configs/personnel-schema.js';
import { personnelProblems, type PersonnelChecksView } from './config-checks.js';
import { PersonnelConfigError } from './errors.js';

/** The part of a substation config the personnel engine reads; a loaded SubstationConfig satisfies it. */
export interface PersonnelConfigView {
  readonly mine: { readonly code: string; readonly name: string };
  /** Parsed config, or raw input (tests): defaults are applied here. */
  readonly personnel?: PersonnelConfig | PersonnelConfigInput | undefined;
  readonly zones: PersonnelChecksView['zones'];
  readonly outputs: PersonnelChecksView['outputs'];
}

export interface TravelLimit {
  metres: number;
  maxSpeedMps: number;
}

export interface PersonnelPlan {
  mine: { code: string; name: string };
  config: PersonnelConfig;
  byTag: ReadonlyMap<number, RosterEntry>;
  byCard: ReadonlyMap<string, RosterEntry>;
  areas: ReadonlyMap<string, AreaConfig>;
  stations: ReadonlyMap<number, StationConfig>;
  /** inner reader → outer readers of pairs ending there (passing outer then inner = inby). */
  outerOf: ReadonlyMap<number, ReadonlySet<number>>;
  /** outer reader → inner readers (passing inner then outer = outby). */
  innerOf: ReadonlyMap<number, ReadonlySet<number>>;
  /** Evacuation settings of an area (outputs, responsible person), if configured. */
  evacuationAreas: ReadonlyMap<string, EvacuationAreaConfig>;
  /** Links by zone id. */
  linksByZone: ReadonlyMap<string, readonly EvacuationLink[]>;
  /** Output ids feeding each zone (from the safety `zones:` section). */
  zoneOutputs: ReadonlyMap<string, readonly string[]>;
  /** Areas each card is responsible for. */
  responsibleFor: ReadonlyMap<string, readonly string[]>;
  /** Walking distance and speed limit between two readers; undefined when unknown (no check). */
  travel(a: number, b: number): TravelLimit | undefined;
}

/** Build the plan, or throw PersonnelConfigError listing every problem (TypeError if there is no personnel section). */
export function buildPersonnelPlan(view: PersonnelConfigView): PersonnelPlan {
  if (view === null || typeof view !== 'object' || !view.mine || typeof view.mine.code !== 'string') {
    throw new TypeError(`personnel plan: expected a config with mine, personnel, zones and outputs, got ${String(view)}`);
  }
  if (view.personnel === undefined) throw new TypeError('personnel plan: the config has no personnel section');
  const parsed = PersonnelSchema.safeParse(view.personnel);
  if (!parsed.success) {
    throw new PersonnelConfigError(parsed.error.issues.map((i) => ({ path: ['personnel', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: i.message })));
  }
  const config = parsed.data;
  const problems = personnelProblems({ mine: view.mine, personnel: config, zones: view.zones ?? [], outputs: view.outputs ?? [] });
  if (problems.length > 0) throw new PersonnelConfigError(problems);

  const outerOf = new Map<number, Set<number>>();
  const innerOf = new Map<number, Set<number>>();
  for (const pair of config.directionPairs) {
    addTo(outerOf, pair.inner, pair.outer);
    addTo(innerOf, pair.outer, pair.inner);
  }
  const linksByZone = new Map<string, EvacuationLink[]>();
  for (const link of config.evacuation.links) linksByZone.set(link.zone, [...(linksByZone.get(link.zone) ?? []), link]);
  const responsibleFor = new Map<string, string[]>();
  for (const a of config.evacuation.areas) {
    if (a.responsible !== undefined) responsibleFor.set(a.responsible, [...(responsibleFor.get(a.responsible) ?? []), a.area]);
  }
  const stations = new Map(config.stations.map((s) => [s.reader, s]));
  const legs = new Map<string, TravelLimit>();
  for (const leg of config.travel) {
    legs.set(legKey(leg.between[0], leg.between[1]), { metres: leg.metres, maxSpeedMps: leg.maxSpeedMps ?? config.alarms.maxWalkingSpeedMps });
  }

  return {
    mine: { code: view.mine.code, name: view.mine.name },
    config,
    byTag: new Map(config.roster.map((r) => [r.tag, r])),
    byCard: new Map(config.roster.map((r) => [r.card, r])),
    areas: new Map(config.areas.map((a) => [a.id, a])),
    stations,
    outerOf,
    innerOf,
    evacuationAreas: new Map(config.evacuation.areas.map((a) => [a.area, a])),
    linksByZone,
    zoneOutputs: new Map((view.zones ?? []).map((z) => [z.id, [...z.outputs]])),
    responsibleFor,
    travel(a: number, b: number): TravelLimit | undefined {
      const leg = legs.get(legKey(a, b));
      if (leg) return leg;
      const sa = stations.get(a);
      const sb = stations.get(b);
      if (!sa || !sb || sa.x === undefined || sa.y === undefined || sb.x === undefined || sb.y === undefined) return undefined;
      const dz = (sa.z ?? 0) - (sb.z ?? 0);
      // Straight line is the shortest possible path: it can only under-estimate, never raise a false alarm.
      return { metres: Math.hypot(sa.x - sb.x, sa.y - sb.y, dz), maxSpeedMps: config.alarms.maxWalkingSpeedMps };
    },
  };
}

function legKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

function addTo(map: Map<number, Set<number>>, key: number, value: number): void {
  const set = map.get(key) ?? new Set<number>();
  set.add(value);
  map.set(key, set);
}
