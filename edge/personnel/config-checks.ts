// Cross-checks of the `personnel:` section: codes that must nest (card and area under the mine
// code, station under its area), unique tags and cards, and every reference (station → area,
// pairs → stations, evacuation → zones, outputs, roster). The same rules run in `config check`
// (through `personnelChecks`) and when the engine is built by hand (`personnelProblems`), so a
// config the checker accepts is exactly a config the engine accepts.
import type { OutputKind } from '../../board-configs/safety-schema.js';
import type { PersonnelConfig } from '../../board-configs/personnel-schema.js';
import type { CheckContext, ConfigCheck, ConfigPath } from '../config/check-context.js';

/** What the personnel rules read from a whole config (a SubstationConfig satisfies it). */
export interface PersonnelChecksView {
  readonly mine: { readonly code: string };
  readonly personnel?: PersonnelConfig | undefined;
  readonly zones: readonly { readonly id: string; readonly outputs: readonly string[] }[];
  readonly outputs: readonly { readonly id: string; readonly kind: OutputKind }[];
}

export interface PersonnelProblem {
  path: ConfigPath;
  message: string;
}

type Report = (path: ConfigPath, message: string) => void;
type Rule = (p: PersonnelConfig, view: PersonnelChecksView, report: Report) => void;

/** Output kinds an evacuation may switch: warning devices only, never power. */
export const EVACUATION_OUTPUT_KINDS: ReadonlySet<OutputKind> = new Set(['siren', 'beacon', 'evacuation']);

const P = 'personnel';

/** Tags and card codes each name one card. */
export const rosterIsUnique: Rule = (p, _view, report) => {
  const tags = new Map<number, number>();
  const cards = new Map<string, number>();
  p.roster.forEach((entry, i) => {
    const t = tags.get(entry.tag);
    if (t === undefined) tags.set(entry.tag, i);
    else report([P, 'roster', i, 'tag'], `duplicate tag ${entry.tag} (first used by roster[${t}], card ${p.roster[t]!.card})`);
    const c = cards.get(entry.card);
    if (c === undefined) cards.set(entry.card, i);
    else report([P, 'roster', i, 'card'], `duplicate card code ${entry.card} (first used by roster[${c}])`);
  });
};

/** A person (employee number) holding several cards has one name. */
export const personEntriesAgree: Rule = (p, _view, report) => {
  const names = new Map<string, { name: string; index: number }>();
  p.roster.forEach((entry, i) => {
    const first = names.get(entry.person);
    if (first === undefined) names.set(entry.person, { name: entry.name, index: i });
    else if (first.name !== entry.name) {
      report([P, 'roster', i, 'name'], `person ${entry.person} is "${first.name}" on roster[${first.index}] but "${entry.name}" here`);
    }
  });
};

/** Card codes (mine code + 5) and area codes (mine code + 4) belong to this mine (MT/T 1201.3). */
export const codesBelongToMine: Rule = (p, view, report) => {
  const mine = view.mine.code;
  p.roster.forEach((entry, i) => {
    if (!entry.card.startsWith(mine)) report([P, 'roster', i, 'card'], `card code ${entry.card} does not start with the mine code ${mine}`);
  });
  p.areas.forEach((area, i) => {
    if (!area.code.startsWith(mine)) report([P, 'areas', i, 'code'], `area code ${area.code} does not start with the mine code ${mine}`);
  });
};

/** Area ids and codes are unique; `allowed` is only meaningful on restricted areas and names roster cards. */
export const areasAreConsistent: Rule = (p, _view, report) => {
  const ids = new Map<string, number>();
  const codes = new Map<string, number>();
  const cards = new Set(p.roster.map((r) => r.card));
  p.areas.forEach((area, i) => {
    const d = ids.get(area.id);
    if (d === undefined) ids.set(area.id, i);
    else report([P, 'areas', i, 'id'], `duplicate area id "${area.id}" (first defined at areas[${d}])`);
    const c = codes.get(area.code);
    if (c === undefined) codes.set(area.code, i);
    else report([P, 'areas', i, 'code'], `duplicate area code ${area.code} (first used by area "${p.areas[c]!.id}")`);
    if (area.allowed.length > 0 && area.type !== 'restricted') {
      report([P, 'areas', i, 'allowed'], `area "${area.id}" is a ${area.type} area; "allowed" applies to restricted areas only`);
    }
    area.allowed.forEach((card, j) => {
      if (!cards.has(card)) report([P, 'areas', i, 'allowed', j], `card ${card} is not in the roster`);
    });
  });
};

/** Readers and station codes are unique; each station sits in an existing area and its code nests under the area code. */
export const stationsAreConsistent: Rule = (p, _view, report) => {
  const areas = new Map(p.areas.map((a) => [a.id, a]));
  const readers = new Map<number, number>();
  const codes = new Map<string, number>();
  p.stations.forEach((station, i) => {
    const r = readers.get(station.reader);
    if (r === undefined) readers.set(station.reader, i);
    else report([P, 'stations', i, 'reader'], `reader ${station.reader} is already station "${p.stations[r]!.name}" (stations[${r}])`);
    const c = codes.get(station.code);
    if (c === undefined) codes.set(station.code, i);
    else report([P, 'stations', i, 'code'], `duplicate station code ${station.code} (first used by stations[${c}])`);
    const area = areas.get(station.area);
    if (!area) report([P, 'stations', i, 'area'], `no area "${station.area}" (areas: ${[...areas.keys()].join(', ')})`);
    else if (!station.code.startsWith(area.code)) {
      report([P, 'stations', i, 'code'], `station code ${station.code} does not start with the code ${area.code} of its area "${area.id}"`);
    }
  });
  const stationAreas = new Set(p.stations.map((s) => areas.get(s.area)?.type));
  if (!stationAreas.has('shaft-mouth')) {
    report([P, 'stations'], 'no station is in a shaft-mouth area: entering and leaving the mine could never be detected');
  }
};

/** Direction pairs and travel legs name configured readers; a reader is in at most one pair per role. */
export const pairsAndTravelReferToStations: Rule = (p, _view, report) => {
  const readers = new Set(p.stations.map((s) => s.reader));
  const missing = (r: number) => `no station with reader ${r}`;
  p.directionPairs.forEach((pair, i) => {
    if (!readers.has(pair.outer)) report([P, 'directionPairs', i, 'outer'], missing(pair.outer));
    if (!readers.has(pair.inner)) report([P, 'directionPairs', i, 'inner'], missing(pair.inner));
  });
  p.travel.forEach((leg, i) => {
    leg.between.forEach((r, j) => {
      if (!readers.has(r)) report([P, 'travel', i, 'between', j], missing(r));
    });
  });
};

/** Evacuation links, areas, responsible persons and outputs refer to things that exist, and an output is a warning device. */
export const evacuationReferencesExist: Rule = (p, view, report) => {
  const ev = p.evacuation;
  const areas = new Set(p.areas.map((a) => a.id));
  const zones = new Set(view.zones.map((z) => z.id));
  const outputs = new Map(view.outputs.map((o) => [o.id, o]));
  const cards = new Set(p.roster.map((r) => r.card));
  const checkOutput = (path: ConfigPath, id: string) => {
    const output = outputs.get(id);
    if (!output) report(path, `no output "${id}" (outputs: ${[...outputs.keys()].join(', ') || 'none'})`);
    else if (!EVACUATION_OUTPUT_KINDS.has(output.kind)) {
      report(path, `output "${id}" is a ${output.kind} output; an evacuation switches only ${[...EVACUATION_OUTPUT_KINDS].join(', ')} outputs`);
    }
  };
  ev.links.forEach((link, i) => {
    if (!zones.has(link.zone)) report([P, 'evacuation', 'links', i, 'zone'], `no zone "${link.zone}" (zones: ${[...zones].join(', ') || 'none'})`);
    link.areas.forEach((a, j) => {
      if (!areas.has(a)) report([P, 'evacuation', 'links', i, 'areas', j], `no area "${a}"`);
    });
  });
  const seen = new Map<string, number>();
  ev.areas.forEach((entry, i) => {
    if (!areas.has(entry.area)) report([P, 'evacuation', 'areas', i, 'area'], `no area "${entry.area}"`);
    const first = seen.get(entry.area);
    if (first === undefined) seen.set(entry.area, i);
    else report([P, 'evacuation', 'areas', i, 'area'], `area "${entry.area}" is already configured at evacuation.areas[${first}]`);
    entry.outputs.forEach((o, j) => checkOutput([P, 'evacuation', 'areas', i, 'outputs', j], o));
    if (entry.responsible !== undefined && !cards.has(entry.responsible)) {
      report([P, 'evacuation', 'areas', i, 'responsible'], `card ${entry.responsible} is not in the roster`);
    }
  });
  ev.escalationOutputs.forEach((o, j) => checkOutput([P, 'evacuation', 'escalationOutputs', j], o));
};

/** An area a cut-off evacuates automatically needs sirens and a responsible person, or nobody is warned and nobody answers. */
export const linkedAreasCanBeWarned: Rule = (p, _view, report) => {
  const configured = new Map(p.evacuation.areas.map((a) => [a.area, a]));
  p.evacuation.links.forEach((link, i) => {
    link.areas.forEach((a, j) => {
      const entry = configured.get(a);
      if (!entry || entry.outputs.length === 0) {
        report([P, 'evacuation', 'links', i, 'areas', j], `area "${a}" is evacuated by zone "${link.zone}" but has no siren/beacon outputs in evacuation.areas`);
      }
      if (!entry || entry.responsible === undefined) {
        report([P, 'evacuation', 'links', i, 'areas', j], `area "${a}" is evacuated by zone "${link.zone}" but has no responsible person to acknowledge (叫应)`);
      }
    });
  });
};

const RULES: readonly Rule[] = [
  rosterIsUnique,
  personEntriesAgree,
  codesBelongToMine,
  areasAreConsistent,
  stationsAreConsistent,
  pairsAndTravelReferToStations,
  evacuationReferencesExist,
  linkedAreasCanBeWarned,
];

/** Every problem of the personnel section (none when the config has no `personnel:`). */
export function personnelProblems(view: PersonnelChecksView): PersonnelProblem[] {
  const problems: PersonnelProblem[] = [];
  if (view.personnel === undefined) return problems;
  for (const rule of RULES) rule(view.personnel, view, (path, message) => problems.push({ path, message }));
  return problems;
}

/** The rules as config cross-checks (edge/config/cross-checks.ts runs them after the schema). */
export const personnelChecks: ConfigCheck[] = RULES.map((rule) => {
  const check: ConfigCheck = (ctx: CheckContext) => {
    if (ctx.config.personnel !== undefined) rule(ctx.config.personnel, ctx.config, (path, message) => ctx.report(path, message));
  };
  Object.defineProperty(check, 'name', { value: rule.name });
  return check;
});
