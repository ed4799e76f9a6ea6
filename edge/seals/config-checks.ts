// Cross-checks of the `seals:` section: ids that must be unique, cameras that are seal-camera
// devices, loads whose points come from energy meters in the right units, shaft-mouth stations that
// exist in the personnel section. `sealChecks` plugs into the board-config loader;
// `sealStructureProblems` is the part that needs only the section itself, which SealEngine also
// runs, so an engine built by hand gets the same refusal as a config file.
import type { SealConfig } from '../../board-configs/seal-schema.js';
import type { CheckContext, ConfigCheck, ConfigPath } from '../config/check-context.js';

export interface SealProblem {
  /** Path inside the `seals` section, e.g. ['shaftMouths', 0, 'cameras', 1, 'device']. */
  path: ConfigPath;
  message: string;
}

const S = 'seals';

/** The seals section of a config, typed whether or not schema.ts already declares it. */
export function sealsOf(config: object): SealConfig | undefined {
  return (config as { seals?: SealConfig }).seals;
}

/** Problems within the section alone: duplicates and references between its own lists. */
export function sealStructureProblems(seals: SealConfig): SealProblem[] {
  const problems: SealProblem[] = [];
  const report = (path: ConfigPath, message: string) => problems.push({ path, message });

  const mouths = new Map<string, number>();
  seals.shaftMouths.forEach((m, i) => {
    const earlier = mouths.get(m.id);
    if (earlier === undefined) mouths.set(m.id, i);
    else report(['shaftMouths', i, 'id'], `duplicate shaft mouth id "${m.id}" (first at shaftMouths[${earlier}])`);
  });

  // A camera counted at two mouths would count every person twice.
  const cameras = new Map<string, string>();
  seals.shaftMouths.forEach((m, i) =>
    m.cameras.forEach((c, j) => {
      const where = `shaftMouths[${i}].cameras[${j}]`;
      const earlier = cameras.get(c.device);
      if (earlier === undefined) cameras.set(c.device, where);
      else report(['shaftMouths', i, 'cameras', j, 'device'], `camera "${c.device}" is already used at ${earlier}; one camera belongs to one shaft mouth`);
    }),
  );

  const loads = new Map<string, number>();
  const powerPoints = new Map<string, string>();
  seals.loads.forEach((l, i) => {
    const earlier = loads.get(l.id);
    if (earlier === undefined) loads.set(l.id, i);
    else report(['loads', i, 'id'], `duplicate load id "${l.id}" (first at loads[${earlier}])`);
    if (!mouths.has(l.shaftMouth)) report(['loads', i, 'shaftMouth'], `no shaft mouth "${l.shaftMouth}" (shaft mouths: ${[...mouths.keys()].join(', ')})`);
    const other = powerPoints.get(l.powerPoint);
    if (other !== undefined) report(['loads', i, 'powerPoint'], `point "${l.powerPoint}" is already the power of load "${other}"`);
    else powerPoints.set(l.powerPoint, l.id);
    if (l.energyPoint !== undefined && l.energyPoint === l.powerPoint) report(['loads', i, 'energyPoint'], `energyPoint and powerPoint are both "${l.powerPoint}"`);
  });
  return problems;
}

/** Duplicates and internal references of the section. */
export function sealSectionIsConsistent(ctx: CheckContext): void {
  const seals = sealsOf(ctx.config);
  if (!seals) return;
  for (const p of sealStructureProblems(seals)) ctx.report([S, ...p.path], p.message);
}

/** Every seal camera is a configured device whose profile is a seal camera. */
export function sealCamerasAreSealCameraDevices(ctx: CheckContext): void {
  const seals = sealsOf(ctx.config);
  if (!seals) return;
  seals.shaftMouths.forEach((m, i) =>
    m.cameras.forEach((c, j) => {
      const path = [S, 'shaftMouths', i, 'cameras', j, 'device'];
      if (!ctx.devicesById.has(c.device)) {
        ctx.report(path, `no device "${c.device}" (devices: ${[...ctx.devicesById.keys()].join(', ')})`);
        return;
      }
      const profile = ctx.profileOf(c.device);
      if (profile && profile.kind !== 'seal-camera') ctx.report(path, `device "${c.device}" uses profile "${profile.name}", a ${profile.kind}, not a seal-camera`);
    }),
  );
}

/** A load's power and energy points exist, come from energy meters and are in kW / kWh. */
export function sealLoadsReadEnergyMeters(ctx: CheckContext): void {
  const seals = sealsOf(ctx.config);
  if (!seals) return;
  seals.loads.forEach((load, i) => {
    const check = (key: 'powerPoint' | 'energyPoint', unit: string): void => {
      const code = load[key];
      if (code === undefined) return;
      const path = [S, 'loads', i, key];
      const point = ctx.pointsByCode.get(code);
      if (!point) {
        ctx.report(path, `no point "${code}"`);
        return;
      }
      const profile = ctx.profileOf(point.device);
      if (profile && profile.kind !== 'energy-meter') {
        ctx.report(path, `point "${code}" reads device "${point.device}" whose profile "${profile.name}" is a ${profile.kind}, not an energy-meter`);
        return;
      }
      if (point.unit !== unit) {
        ctx.report(path, `point "${code}" is in "${point.unit}"; a load's ${key === 'powerPoint' ? 'power' : 'energy'} must be in ${unit}`);
        return;
      }
      // An idle level at or above the top of the range can never be exceeded: the alarm could never fire.
      if (key === 'powerPoint' && load.idleKw >= point.range.high) {
        ctx.report([S, 'loads', i, 'idleKw'], `idleKw ${load.idleKw} is not below the top of point "${code}"'s range (${point.range.high} ${point.unit}): the load could never be seen working`);
      }
    };
    check('powerPoint', 'kW');
    check('energyPoint', 'kWh');
  });
}

/** A shaft mouth's personnel station is a station or area of the personnel section (when there is one). */
export function sealStationsExistInPersonnel(ctx: CheckContext): void {
  const seals = sealsOf(ctx.config);
  // Read loosely: the personnel section belongs to another capability and may grow.
  const personnel = (ctx.config as { personnel?: { stations?: { code?: unknown }[]; areas?: { id?: unknown; code?: unknown }[] } }).personnel;
  if (!seals || !personnel) return;
  const known = new Set<string>();
  for (const s of personnel.stations ?? []) if (typeof s.code === 'string') known.add(s.code);
  for (const a of personnel.areas ?? []) {
    if (typeof a.id === 'string') known.add(a.id);
    if (typeof a.code === 'string') known.add(a.code);
  }
  seals.shaftMouths.forEach((m, i) => {
    if (m.personnelStation !== undefined && !known.has(m.personnelStation)) {
      ctx.report([S, 'shaftMouths', i, 'personnelStation'], `no personnel station code, area id or area code "${m.personnelStation}"`);
    }
  });
}

/** The seal rules, for the config loader to append to its cross-checks. */
export const sealChecks: ConfigCheck[] = [sealSectionIsConsistent, sealCamerasAreSealCameraDevices, sealLoadsReadEnergyMeters, sealStationsExistInPersonnel];
