// The personnel state on disk and back (README "Restart"): a person's position state to and from
// its stored row (wall times only; monotonic times never leave the process), and the restore of a
// whole snapshot: people first, then the open alarms (each rule takes back its own state), then the
// evacuation, then one check of the counts against limits that may have changed with the config.
// No start events are repeated for what was already open before the restart.
import type { PersonnelAlarm } from './alarms.js';
import type { PersonnelContext } from './engine-context.js';
import type { PersistedEvacuation, PersistedPerson, PersistedPersonnelState } from './journal.js';
import type { Person } from './person.js';
import type { PersonnelPlan } from './plan.js';

export function encodePerson(p: Person): PersistedPerson {
  return {
    tag: p.entry.tag,
    flag: p.flag,
    entryWall: p.entryWall,
    exitWall: p.exitWall,
    area: p.area,
    areaEntryWall: p.areaEntryWall,
    reader: p.reader,
    stationEntryWall: p.stationEntryWall,
    distanceM: p.distanceM,
    lastSeenWall: p.lastSeenWall,
    trajectory: p.trajectory.map((t) => ({ ...t })),
  };
}

/** Fills `p` from its stored row; stations and areas the config no longer has are dropped. */
export function decodePerson(p: Person, saved: PersistedPerson, plan: PersonnelPlan, toMono: (wall: number) => number): void {
  p.flag = saved.flag;
  p.entryWall = saved.entryWall;
  p.entryMono = saved.flag !== 2 && saved.entryWall !== null ? toMono(saved.entryWall) : null;
  p.exitWall = saved.exitWall;
  p.reader = saved.reader !== null && plan.stations.has(saved.reader) ? saved.reader : null;
  p.stationEntryWall = saved.stationEntryWall;
  p.distanceM = saved.distanceM;
  p.lastSeenWall = saved.lastSeenWall;
  p.lastSeenMono = saved.lastSeenWall === null ? null : toMono(saved.lastSeenWall);
  p.persistedSeenWall = saved.lastSeenWall;
  p.stationSeenMono = p.lastSeenMono ?? -Infinity;
  // Any station may take the card over at once: the signal strength we held is gone.
  p.stationRssi = -Infinity;
  p.trajectory = saved.trajectory.filter((t) => plan.stations.has(t.reader)).slice(-plan.config.alarms.trajectoryLength);
  if (p.flag === 0) {
    p.shaftWall = saved.stationEntryWall;
    p.shaftMono = saved.stationEntryWall === null ? null : toMono(saved.stationEntryWall);
  }
  const area = saved.area !== null && plan.areas.has(saved.area) ? saved.area : null;
  p.area = area;
  p.areaEntryWall = area === null ? null : saved.areaEntryWall;
}

/** The parts a restore hands the snapshot to, each taking back its own share. */
export interface RestoreTargets {
  ctx: PersonnelContext;
  people: {
    has(tag: number): boolean;
    restore(saved: PersistedPerson, toMono: (wall: number) => number): boolean;
  };
  /** Rules with state behind an open alarm (battery flag, cloned-card expiry). */
  alarmRules: readonly { restoreAlarm(alarm: PersonnelAlarm, monoNow: number): void }[];
  evacuation: {
    restore(saved: PersistedEvacuation, mono: number, wall: number): void;
    applyOutputs(force: boolean): void;
    readonly current: { id: string; inside: number } | null;
  };
  /** Checks every count-based alarm once against the restored state. */
  recheckCounts(wall: number, mono: number): void;
}

export function restoreSnapshot(t: RestoreTargets, state: PersistedPersonnelState): { people: number; alarms: number; evacuation: boolean } {
  const { ctx } = t;
  const monoNow = ctx.clock.mono();
  const wallNow = ctx.clock.wall();
  const toMono = (w: number) => Math.min(monoNow, monoNow + (w - wallNow));
  let people = 0;
  for (const saved of state.people) if (t.people.restore(saved, toMono)) people++;
  let alarms = 0;
  for (const alarm of state.alarms) {
    if (alarm.tag !== undefined && !t.people.has(alarm.tag)) continue;
    if (alarm.area !== undefined && !ctx.plan.areas.has(alarm.area)) continue;
    if (!ctx.alarms.start({ ...alarm, endWall: null })) continue;
    alarms++;
    if (alarm.tag === undefined) continue;
    for (const rule of t.alarmRules) rule.restoreAlarm(alarm, monoNow);
  }
  if (state.evacuation) t.evacuation.restore(state.evacuation, monoNow, wallNow);
  // Limits may have changed with the config: check the counts once against the restored state.
  t.recheckCounts(wallNow, monoNow);
  t.evacuation.applyOutputs(true);
  const evac = t.evacuation.current;
  ctx.raise({
    type: 'restored',
    count: people,
    ...(evac ? { evacuationId: evac.id, inside: evac.inside } : {}),
    message: `restored ${people} people, ${alarms} open alarms${evac ? `, evacuation ${evac.id} with ${evac.inside} inside` : ''}`,
  }, monoNow, wallNow);
  ctx.journal?.alarmsChanged();
  if (evac) ctx.journal?.evacuationChanged();
  return { people, alarms, evacuation: evac !== null };
}
