// The safety plan: the config turned into what the engine evaluates — which points govern which
// outputs (cut-off range, fault-lockout range), thresholds per point, local-fan interlocks and
// feed checks. Built once; a config the plan cannot make sense of is refused (SafetyConfigError).
import type { PresetLibrary } from '../../board-configs/presets/load-presets.js';
import type { OutputKind, SafetySettings } from '../../board-configs/safety-schema.js';
import { GAS_SENSOR_TYPES } from '../../board-configs/kernel-constants.js';
import { type SafetyConfigView, safetySettingsOf } from './config-view.js';
import { SafetyConfigError, type SafetyProblem } from './errors.js';
import { interlockProblems } from './interlock-checks.js';
import { type ResolvedThresholds, resolveThresholds, thresholdProblems } from './thresholds.js';

/** MT/T 1201 switch sensor types whose value must be 0 or 1 (anything else is a fault). */
const SWITCH_SENSOR_TYPES: ReadonlySet<string> = new Set(['1001', '1002', '1003', '1004', '1006', '1008', '1009', '1010', '1011', '1012', '1015']);

export interface PlannedPoint {
  code: string;
  device: string;
  sensorType: string;
  unit: string;
  range: { low: number; high: number };
  zones: string[];
  thresholds?: ResolvedThresholds;
  /** Outputs cut when the point is over its cutoff (its zones' outputs). */
  cutOutputs: string[];
  /** Outputs held by fault lockout when the point is unreadable (never a local fan's output). */
  faultOutputs: string[];
  /** Second stage (thresholds.fanCutoff): the outputs of the local fans ventilating its zones, and those fans. */
  fanCutOutputs: string[];
  fanCutFans: string[];
  /** A switch input: only 0 and 1 are valid values. */
  isSwitch: boolean;
  /** A gas sensor type (sensor-types.ts): the integrity monitor checks its values (resolved here, so the kernel needs no type table). */
  isGas: boolean;
  /** The point takes part in protection: unreadable means an alarm (and a lockout if it has a range). */
  monitored: boolean;
}

export interface PlannedOutput {
  id: string;
  kind: OutputKind;
  device: string;
  channel: string;
  feedPoint?: string;
  feedTimeoutMs: number;
  feedEscalation?: string;
  escalateWhenUnverified: boolean;
  /** Id of the local fan this output feeds. */
  fan?: string;
  /** Points that must be freshly read after start before this output may be energised. */
  governing: string[];
}

/** One fan of a local-fan installation: the main one, or the standby of a main/standby pair (clause g). */
export interface PlannedFanUnit {
  unit: 'main' | 'standby';
  output?: string;
  runPoint: string;
  restartPoints: string[];
}

export interface PlannedFan {
  id: string;
  fanOutput?: string;
  runPoint: string;
  /** The main fan, then the standby if there is one. */
  units: PlannedFanUnit[];
  /** Clause g: how long the fan switched to may take to report running. */
  switchoverStartMs?: number;
  airflowPoint?: string;
  ductAirflowMin?: number;
  ventilatedOutputs: string[];
  gasPoints: string[];
  restartPoints: string[];
  lockAbove: number;
  unlockBelow: number;
  restartMax: number;
  lockOnUnknownGas: boolean;
}

export interface SafetyPlan {
  settings: SafetySettings;
  points: Map<string, PlannedPoint>;
  outputs: Map<string, PlannedOutput>;
  fans: PlannedFan[];
  zones: Map<string, string[]>;
}

/** Build the plan, or throw SafetyConfigError listing every problem. */
export function buildSafetyPlan(config: SafetyConfigView, presets: PresetLibrary): SafetyPlan {
  const problems: SafetyProblem[] = [...referenceProblems(config), ...thresholdProblems(config, presets), ...interlockProblems(config, presets)];
  if (problems.length > 0) throw new SafetyConfigError(problems);
  const settings = safetySettingsOf(config);
  const ctx = planContext(config, settings);
  // In this order: fans and outputs widen the points' fault ranges, the links read all three.
  const points = planPoints(config, presets, ctx);
  const fans = planFans(settings, points, ctx);
  const outputs = planOutputs(config, settings, points, ctx);
  linkFanCutoffs(settings, points, fans);
  linkGoverning(points, outputs, fans);
  return { settings, points, outputs, fans, zones: ctx.zones };
}

/** What the build steps share: each zone's outputs, and which outputs supply a local fan. */
interface PlanContext {
  zones: Map<string, string[]>;
  /** Output id → the local fan it supplies (main or standby). */
  fanOutputs: Map<string, string>;
  outputsOfZones(ids: readonly string[]): string[];
  /** Interlock clause f: the local fan must keep ventilating, so no fault ever holds its supply. */
  notFan(ids: readonly string[]): string[];
}

function planContext(config: SafetyConfigView, settings: SafetySettings): PlanContext {
  const zones = new Map(config.zones.map((z) => [z.id, [...z.outputs]]));
  const fanOutputs = new Map<string, string>();
  for (const fan of settings.localFans) {
    if (fan.fanOutput !== undefined) fanOutputs.set(fan.fanOutput, fan.id);
    if (fan.standby !== undefined) fanOutputs.set(fan.standby.fanOutput, fan.id);
  }
  return {
    zones,
    fanOutputs,
    outputsOfZones: (ids) => unique(ids.flatMap((z) => zones.get(z) ?? [])),
    notFan: (ids) => ids.filter((o) => !fanOutputs.has(o)),
  };
}

/** Every point with its cut-off range (its zones' outputs), fault range and thresholds. */
function planPoints(config: SafetyConfigView, presets: PresetLibrary, ctx: PlanContext): Map<string, PlannedPoint> {
  const points = new Map<string, PlannedPoint>();
  for (const p of config.points) {
    const zoneIds = p.zones ?? [];
    const cutOutputs = ctx.outputsOfZones(zoneIds);
    const planned: PlannedPoint = {
      code: p.code,
      device: p.device,
      sensorType: p.sensorType,
      unit: p.unit,
      range: p.range,
      zones: [...zoneIds],
      cutOutputs,
      faultOutputs: ctx.notFan(cutOutputs),
      fanCutOutputs: [],
      fanCutFans: [],
      isSwitch: SWITCH_SENSOR_TYPES.has(p.sensorType),
      isGas: GAS_SENSOR_TYPES.has(p.sensorType),
      monitored: zoneIds.length > 0,
    };
    const thresholds = resolveThresholds(p, presets).thresholds;
    if (thresholds) {
      planned.thresholds = thresholds;
      planned.monitored = true;
    }
    points.set(p.code, planned);
  }
  return points;
}

/** A point that an interlock relies on holds `outputs` (local fans' supplies excepted) when unreadable. */
function addFaultRange(points: Map<string, PlannedPoint>, ctx: PlanContext, code: string, outputs: readonly string[]): void {
  const point = points.get(code)!;
  point.monitored = true;
  point.faultOutputs = unique([...point.faultOutputs, ...ctx.notFan(outputs)]);
}

/** The local fans (main and standby units); their run, airflow, gas and restart points become monitored. */
function planFans(settings: SafetySettings, points: Map<string, PlannedPoint>, ctx: PlanContext): PlannedFan[] {
  return settings.localFans.map((f) => {
    const ventilatedOutputs = ctx.notFan(ctx.outputsOfZones(f.ventilates));
    addFaultRange(points, ctx, f.runPoint, ventilatedOutputs);
    if (f.standby !== undefined) addFaultRange(points, ctx, f.standby.runPoint, ventilatedOutputs);
    if (f.airflowPoint !== undefined) addFaultRange(points, ctx, f.airflowPoint, ventilatedOutputs);
    const units: PlannedFanUnit[] = [{ unit: 'main', runPoint: f.runPoint, restartPoints: [...f.restartPoints] }];
    if (f.fanOutput !== undefined) units[0]!.output = f.fanOutput;
    if (f.standby !== undefined) {
      units.push({ unit: 'standby', output: f.standby.fanOutput, runPoint: f.standby.runPoint, restartPoints: [...(f.standby.restartPoints ?? f.restartPoints)] });
    }
    for (const code of [...f.gasPoints, ...units.flatMap((u) => u.restartPoints)]) points.get(code)!.monitored = true;
    const fan: PlannedFan = {
      id: f.id,
      runPoint: f.runPoint,
      units,
      ventilatedOutputs,
      gasPoints: [...f.gasPoints],
      restartPoints: [...f.restartPoints],
      lockAbove: f.lockAbove,
      unlockBelow: f.unlockBelow,
      restartMax: f.restartMax,
      lockOnUnknownGas: f.lockOnUnknownGas,
    };
    if (f.fanOutput !== undefined) fan.fanOutput = f.fanOutput;
    if (f.standby !== undefined) fan.switchoverStartMs = f.standby.startTimeoutMs;
    if (f.airflowPoint !== undefined) {
      fan.airflowPoint = f.airflowPoint;
      fan.ductAirflowMin = points.get(f.airflowPoint)!.thresholds!.alarmLow!;
    }
    return fan;
  });
}

/** Every output with its feed check; a feed point holds its own output when unreadable. */
function planOutputs(config: SafetyConfigView, settings: SafetySettings, points: Map<string, PlannedPoint>, ctx: PlanContext): Map<string, PlannedOutput> {
  const outputs = new Map<string, PlannedOutput>();
  for (const o of config.outputs) {
    const planned: PlannedOutput = {
      id: o.id,
      kind: o.kind,
      device: o.device,
      channel: o.channel,
      feedTimeoutMs: o.feedTimeoutMs ?? settings.feedTimeoutMs,
      escalateWhenUnverified: o.escalateWhenUnverified,
      governing: [],
    };
    if (o.feedPoint !== undefined) {
      planned.feedPoint = o.feedPoint;
      addFaultRange(points, ctx, o.feedPoint, [o.id]);
    }
    if (o.feedEscalation !== undefined) planned.feedEscalation = o.feedEscalation;
    const fan = ctx.fanOutputs.get(o.id);
    if (fan !== undefined) planned.fan = fan;
    outputs.set(o.id, planned);
  }
  return outputs;
}

/** Second stage of a point (series heading T3 ≥ 1.5 %): the local fans ventilating its zones. */
function linkFanCutoffs(settings: SafetySettings, points: Map<string, PlannedPoint>, fans: readonly PlannedFan[]): void {
  for (const point of points.values()) {
    if (point.thresholds?.fanCutoff === undefined) continue;
    const fansHere = fans.filter((f) => settings.localFans.find((c) => c.id === f.id)!.ventilates.some((z) => point.zones.includes(z)));
    point.fanCutFans = fansHere.map((f) => f.id);
    point.fanCutOutputs = unique(fansHere.flatMap((f) => f.units.flatMap((u) => (u.output === undefined ? [] : [u.output]))));
  }
}

/** Governing points: whatever can hold an output off must be read fresh before it is energised. */
function linkGoverning(points: Map<string, PlannedPoint>, outputs: Map<string, PlannedOutput>, fans: readonly PlannedFan[]): void {
  for (const point of points.values()) {
    for (const id of unique([...point.cutOutputs, ...point.faultOutputs, ...point.fanCutOutputs])) outputs.get(id)?.governing.push(point.code);
  }
  for (const fan of fans) {
    for (const unit of fan.units) {
      if (unit.output === undefined) continue;
      const governing = outputs.get(unit.output)!.governing;
      const codes = [...fan.units.map((u) => u.runPoint), ...fan.gasPoints, ...unit.restartPoints];
      for (const code of codes) if (!governing.includes(code)) governing.push(code);
    }
  }
}

/** References the engine relies on (the config loader checks them too, with file:line). */
function referenceProblems(config: SafetyConfigView): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  const pointCodes = new Set<string>();
  config.points.forEach((p, i) => {
    if (pointCodes.has(p.code)) problems.push({ path: ['points', i, 'code'], message: `duplicate point code "${p.code}"` });
    pointCodes.add(p.code);
  });
  const outputIds = new Set<string>();
  config.outputs.forEach((o, i) => {
    if (outputIds.has(o.id)) problems.push({ path: ['outputs', i, 'id'], message: `duplicate output id "${o.id}"` });
    outputIds.add(o.id);
  });
  const zoneIds = new Set(config.zones.map((z) => z.id));
  const kinds = new Map(config.outputs.map((o) => [o.id, o.kind]));
  config.zones.forEach((z, i) =>
    z.outputs.forEach((o, j) => {
      if (!kinds.has(o)) problems.push({ path: ['zones', i, 'outputs', j], message: `no output "${o}"` });
      else if (kinds.get(o) !== 'power') problems.push({ path: ['zones', i, 'outputs', j], message: `output "${o}" is a ${kinds.get(o)}; a zone's outputs must be power outputs` });
    }),
  );
  config.points.forEach((p, i) =>
    (p.zones ?? []).forEach((z, j) => {
      if (!zoneIds.has(z)) problems.push({ path: ['points', i, 'zones', j], message: `no zone "${z}"` });
    }),
  );
  config.outputs.forEach((o, i) => {
    if (o.feedPoint !== undefined && !pointCodes.has(o.feedPoint)) problems.push({ path: ['outputs', i, 'feedPoint'], message: `no point "${o.feedPoint}"` });
  });
  return problems;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
