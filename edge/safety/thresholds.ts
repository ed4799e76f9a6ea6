// Threshold resolution: a point's sensor type selects a preset, its role selects the row, and the
// config's `thresholds` may only tighten that row. A looser value is refused unless it carries an
// approvedException with a reason (and is then recorded in every event it causes).
import type { PresetLibrary } from '../../board-configs/presets/load-presets.js';
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import type { Preset, PresetRow, PresetTag, ThresholdField } from '../../board-configs/presets/preset-schema.js';
import type { PointConfig } from '../../board-configs/schema.js';
import type { CheckContext, ConfigCheck } from '../config/check-context.js';
import { CLAUSES } from './clauses.js';
import type { SafetyConfigView } from './config-view.js';
import type { SafetyProblem } from './errors.js';

/** The limits that apply to one point after preset + config. */
export interface ResolvedThresholds {
  preset?: string;
  role?: string;
  unit: string;
  alarm?: number;
  alarmLow?: number;
  cutoff?: number;
  restore?: number;
  /** Second stage: the local fan of the point's zones is cut too while value ≥ fanCutoff, until < fanRestore. */
  fanCutoff?: number;
  fanRestore?: number;
  /** The requirement these numbers implement, cited in holds and events. */
  source: string;
  tag?: PresetTag;
  cutoffRange?: string;
  /** Fields set looser than the preset under an approvedException. */
  loosened: ThresholdField[];
  approvedBy?: string;
}

export interface ThresholdResolution {
  thresholds?: ResolvedThresholds;
  /** Problems with paths relative to the point, e.g. ['thresholds', 'cutoff']. */
  problems: SafetyProblem[];
}

const FIELDS: readonly ThresholdField[] = ['alarm', 'alarmLow', 'cutoff', 'restore', 'fanCutoff', 'fanRestore'];
const EPSILON = 1e-9;

/** Upper limits are looser when higher; the lower alarm is looser when lower. */
function isLooser(field: ThresholdField, value: number, preset: number): boolean {
  return field === 'alarmLow' ? value < preset - EPSILON : value > preset + EPSILON;
}

/** 2 → "2.0", 0.75 → "0.75": limits always read as measurements. */
export function formatLimit(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function withUnit(value: number, unit: string): string {
  return unit ? `${formatLimit(value)} ${unit}` : formatLimit(value);
}

/** Resolve the thresholds of one point. Pure; never throws. */
export function resolveThresholds(point: PointConfig, presets: PresetLibrary): ThresholdResolution {
  const preset = presets.forSensorType(point.sensorType);
  const row = preset && point.role !== undefined ? preset.roles[point.role] : undefined;
  const problems: SafetyProblem[] = [];
  const selection = selectionProblem(point, preset, row);
  // A preset chosen wrongly (bad role, no role, other unit) refuses the point; a role where no
  // preset applies is reported, and the point's own thresholds still resolve.
  if (selection && preset) return { problems: [selection] };
  if (selection) problems.push(selection);

  const unit = preset?.unit || point.unit;
  const resolved: ResolvedThresholds = {
    unit,
    source: row ? `${row.source}, ${point.role} [${row.tag}]` : CLAUSES.customThreshold,
    loosened: [],
  };
  if (preset && row) {
    resolved.preset = preset.name;
    resolved.role = point.role!;
    resolved.tag = row.tag;
    if (row.cutoffRange !== undefined) resolved.cutoffRange = row.cutoffRange;
  }
  problems.push(...mergeFields(resolved, point, preset, row));
  if (resolved.loosened.length > 0) resolved.source += ` — loosened (${resolved.loosened.join(', ')}) under an exception approved by ${resolved.approvedBy}`;
  problems.push(...orderProblems(resolved));
  const any = FIELDS.some((f) => resolved[f] !== undefined);
  return any ? { thresholds: resolved, problems } : { problems };
}

/** Why the point's sensor type / role / unit do not select a preset row it can use, if they do not. */
function selectionProblem(point: PointConfig, preset: Preset | undefined, row: PresetRow | undefined): SafetyProblem | undefined {
  const roles = preset ? Object.keys(preset.roles).join(', ') : '';
  if (point.role !== undefined && !preset) {
    return { path: ['role'], message: `role "${point.role}" selects nothing: no threshold preset covers sensorType ${point.sensorType}` };
  }
  if (preset && point.role !== undefined && !row) {
    return { path: ['role'], message: `"${point.role}" is not a role of the ${preset.name} preset (roles: ${roles})` };
  }
  const override = point.thresholds;
  const hasOwnLimits = override !== undefined && (override.alarm !== undefined || override.cutoff !== undefined || override.alarmLow !== undefined);
  if (preset && point.role === undefined && preset.requireRole && !hasOwnLimits) {
    return {
      path: ['role'],
      message: `a ${preset.name} point needs a role from the ${preset.name} preset (roles: ${roles}) or its own thresholds; without one it protects nothing`,
    };
  }
  if (preset && preset.unit !== '' && point.unit !== preset.unit) {
    return {
      path: ['unit'],
      message: `"${point.unit}" differs from the ${preset.name} preset unit "${preset.unit}": its limits would not mean what they say`,
    };
  }
  return undefined;
}

/**
 * Each field: the config's value where it only tightens the row (or is looser under an
 * approvedException, recorded in `loosened`), else the row's. Sets them on `resolved`.
 */
function mergeFields(resolved: ResolvedThresholds, point: PointConfig, preset: Preset | undefined, row: PresetRow | undefined): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  const override = point.thresholds;
  const { unit } = resolved;
  for (const field of FIELDS) {
    const standard = row?.[field];
    const local = override?.[field];
    let value = local ?? standard;
    if (local !== undefined && standard !== undefined && isLooser(field, local, standard)) {
      if (override?.approvedException) {
        resolved.loosened.push(field);
        resolved.approvedBy = override.approvedException.approvedBy;
      } else {
        problems.push({
          path: ['thresholds', field],
          message: `${withUnit(local, unit)} is looser than the ${point.role} preset ${withUnit(standard, unit)} (${row!.source}); mark an approvedException with a reason to override`,
        });
        value = standard;
      }
    }
    if (value === undefined && row?.requires.includes(field)) {
      problems.push({
        path: ['thresholds', field],
        message: `the ${point.role} row of the ${preset!.name} preset has no national value: set thresholds.${field} from the local design (${row.source})`,
      });
    }
    if (value !== undefined) resolved[field] = value;
  }
  return problems;
}

/** The resolved limits must come in a safe order: alarm no later than the cut, restore below cut-off. */
function orderProblems(resolved: ResolvedThresholds): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  const { unit, alarm, alarmLow, cutoff, restore, fanCutoff, fanRestore } = resolved;
  if (fanCutoff !== undefined && fanRestore === undefined) {
    problems.push({ path: ['thresholds', 'fanRestore'], message: `a fanCutoff of ${withUnit(fanCutoff, unit)} needs a fanRestore value (the local fan's power returns below it)` });
  }
  if (fanCutoff !== undefined && fanRestore !== undefined && fanRestore > fanCutoff + EPSILON) {
    problems.push({
      path: ['thresholds', 'fanRestore'],
      message: `fanRestore ${withUnit(fanRestore, unit)} is above fanCutoff ${withUnit(fanCutoff, unit)}: the fan's power would return while the cut condition still holds`,
    });
  }
  if (fanRestore !== undefined && fanCutoff === undefined) {
    problems.push({ path: ['thresholds', 'fanRestore'], message: 'fanRestore without a fanCutoff means nothing: set both or neither' });
  }
  if (cutoff !== undefined && restore === undefined) {
    problems.push({ path: ['thresholds', 'restore'], message: `a cutoff of ${withUnit(cutoff, unit)} needs a restore value (power returns below it)` });
  }
  if (cutoff !== undefined && restore !== undefined && restore > cutoff + EPSILON) {
    problems.push({
      path: ['thresholds', 'restore'],
      message: `restore ${withUnit(restore, unit)} is above cutoff ${withUnit(cutoff, unit)}: power would return while the cut condition still holds`,
    });
  }
  if (alarm !== undefined && cutoff !== undefined && alarm > cutoff + EPSILON) {
    problems.push({ path: ['thresholds', 'alarm'], message: `alarm ${withUnit(alarm, unit)} is above cutoff ${withUnit(cutoff, unit)}: the alarm must sound no later than the cut` });
  }
  if (alarm !== undefined && alarmLow !== undefined && alarmLow >= alarm) {
    problems.push({ path: ['thresholds', 'alarmLow'], message: `alarmLow ${withUnit(alarmLow, unit)} is not below alarm ${withUnit(alarm, unit)}` });
  }
  return problems;
}

/** Threshold problems of every point of a config, with full paths. */
export function thresholdProblems(config: SafetyConfigView, presets: PresetLibrary): SafetyProblem[] {
  return config.points.flatMap((point, i) =>
    resolveThresholds(point, presets).problems.map((p) => ({ path: ['points', i, ...p.path], message: p.message })),
  );
}

/** Config check (edge/config cross-checks): every point's thresholds are the preset's or tighter. */
export const checkSafetyThresholds: ConfigCheck = (ctx: CheckContext) => {
  let presets: PresetLibrary;
  try {
    presets = loadPresets();
  } catch (err) {
    ctx.report(['points'], `cannot check safety thresholds: ${(err as Error).message}`);
    return;
  }
  for (const problem of thresholdProblems(ctx.config, presets)) ctx.report(problem.path, problem.message);
};
