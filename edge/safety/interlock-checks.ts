// Cross-reference checks of the interlock settings (safety.localFans, feed escalation, evacuation,
// integrity). The engine refuses a config that fails them; the config loader reports them with
// file:line through `checkSafetyInterlocks`.
import type { PresetLibrary } from '../../board-configs/presets/load-presets.js';
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import type { CheckContext, ConfigCheck } from '../config/check-context.js';
import { type SafetyConfigView, safetySettingsOf } from './config-view.js';
import type { SafetyProblem } from './errors.js';
import { resolveThresholds } from './thresholds.js';

/** MT/T 1201 switch type of a local fan's on/off sensor. */
export const LOCAL_FAN_SENSOR_TYPE = '1001';

type ProblemPath = (string | number)[];
type SafetySettingsView = ReturnType<typeof safetySettingsOf>;
type PointView = SafetyConfigView['points'][number];

/** What every group of checks below looks things up in, and where they report. */
interface InterlockCheckScope {
  config: SafetyConfigView;
  presets: PresetLibrary;
  settings: SafetySettingsView;
  points: Map<string, PointView>;
  zones: Map<string, SafetyConfigView['zones'][number]>;
  outputs: Map<string, SafetyConfigView['outputs'][number]>;
  methaneTypes: ReadonlySet<string>;
  report(path: ProblemPath, message: string): void;
  /** The point `code`, reporting it when missing or not of one of `types`. */
  needPoint(path: ProblemPath, code: string, what: string, types?: ReadonlySet<string>): PointView | undefined;
}

/** Every problem of the interlock settings, in config order: fans, fan supplies, escalation, cut-off zones, integrity. */
export function interlockProblems(config: SafetyConfigView, presets: PresetLibrary): SafetyProblem[] {
  const problems: SafetyProblem[] = [];
  let settings: SafetySettingsView;
  try {
    settings = safetySettingsOf(config);
  } catch (err) {
    return [{ path: ['safety'], message: (err as Error).message }];
  }
  const points = new Map(config.points.map((p) => [p.code, p]));
  const report = (path: ProblemPath, message: string) => problems.push({ path, message });
  const scope: InterlockCheckScope = {
    config,
    presets,
    settings,
    points,
    zones: new Map(config.zones.map((z) => [z.id, z])),
    outputs: new Map(config.outputs.map((o) => [o.id, o])),
    methaneTypes: new Set(presets.byName('methane')?.sensorTypes ?? []),
    report,
    needPoint(path, code, what, types) {
      const point = points.get(code);
      if (!point) report(path, `no point "${code}" (${what})`);
      else if (types && !types.has(point.sensorType)) report(path, `point "${code}" has sensorType ${point.sensorType}; ${what} must be one of ${[...types].join(', ')}`);
      return point;
    },
  };
  settings.localFans.forEach((fan, i) => checkLocalFan(scope, fan, i));
  const fanOutputs = checkFanSupplies(scope);
  checkFeedEscalation(scope, fanOutputs);
  checkCutoffZones(scope);
  checkIntegrityReferences(scope);
  return problems;
}

/** One local fan (AQ 6201 interlock clauses d-f): its sensors, methane points, zones and supplies. */
function checkLocalFan(scope: InterlockCheckScope, fan: SafetySettingsView['localFans'][number], i: number): void {
  const { report, needPoint, methaneTypes, presets } = scope;
  const base = ['safety', 'localFans', i];
  needPoint([...base, 'runPoint'], fan.runPoint, 'the fan on/off sensor', new Set([LOCAL_FAN_SENSOR_TYPE]));
  if (fan.airflowPoint !== undefined) {
    const airflow = needPoint([...base, 'airflowPoint'], fan.airflowPoint, 'the duct airflow point');
    if (airflow && resolveThresholds(airflow, presets).thresholds?.alarmLow === undefined) {
      report([...base, 'airflowPoint'], `point "${airflow.code}" has no alarmLow threshold: the duct airflow limit of clause d would be undefined`);
    }
  }
  fan.gasPoints.forEach((code, j) => needPoint([...base, 'gasPoints', j], code, 'a heading T1/T2 methane point', methaneTypes));
  fan.restartPoints.forEach((code, j) => needPoint([...base, 'restartPoints', j], code, 'a methane point at the fan or its switch', methaneTypes));
  const ventilatedOutputs = new Set<string>();
  fan.ventilates.forEach((zoneId, j) => {
    const zone = scope.zones.get(zoneId);
    if (!zone) report([...base, 'ventilates', j], `no zone "${zoneId}"`);
    else zone.outputs.forEach((o) => ventilatedOutputs.add(o));
  });
  const checkFanOutput = (path: ProblemPath, id: string) => {
    const output = scope.outputs.get(id);
    if (!output) report(path, `no output "${id}"`);
    else if (output.kind !== 'power') report(path, `output "${id}" is a ${output.kind}; a fan output must be a power output`);
    // A fan that cuts its own supply when it stops could never be restarted.
    if (ventilatedOutputs.has(id)) report(path, `output "${id}" is inside a zone the fan ventilates: a stopped fan would lock its own supply off`);
  };
  if (fan.fanOutput !== undefined) checkFanOutput([...base, 'fanOutput'], fan.fanOutput);
  if (fan.standby !== undefined) {
    const standby = [...base, 'standby'];
    needPoint([...standby, 'runPoint'], fan.standby.runPoint, 'the standby fan on/off sensor', new Set([LOCAL_FAN_SENSOR_TYPE]));
    if (fan.standby.runPoint === fan.runPoint) report([...standby, 'runPoint'], `the standby fan needs its own on/off sensor, not the main fan's "${fan.runPoint}"`);
    (fan.standby.restartPoints ?? []).forEach((code, j) => needPoint([...standby, 'restartPoints', j], code, 'a methane point at the standby fan or its switch', methaneTypes));
    checkFanOutput([...standby, 'fanOutput'], fan.standby.fanOutput);
  }
}

/** Every fan supply (main and standby) feeds exactly one fan. Returns the set of fan supplies. */
function checkFanSupplies(scope: InterlockCheckScope): Set<string> {
  const feeds = scope.settings.localFans.flatMap((fan, i) => [
    ...(fan.fanOutput === undefined ? [] : [{ id: fan.fanOutput, path: ['safety', 'localFans', i, 'fanOutput'] }]),
    ...(fan.standby === undefined ? [] : [{ id: fan.standby.fanOutput, path: ['safety', 'localFans', i, 'standby', 'fanOutput'] }]),
  ]);
  feeds.forEach((feed, k) => {
    if (feeds.findIndex((f) => f.id === feed.id) !== k) scope.report(feed.path, `output "${feed.id}" already feeds another local fan`);
  });
  return new Set(feeds.map((f) => f.id));
}

/** Feed escalation (a failed cut escalates upstream): to a real power output, never a fan supply, no loops. */
function checkFeedEscalation(scope: InterlockCheckScope, fanOutputs: ReadonlySet<string>): void {
  const { report, outputs } = scope;
  scope.config.outputs.forEach((output, i) => {
    if (output.feedEscalation === undefined) return;
    const path = ['outputs', i, 'feedEscalation'];
    const upstream = outputs.get(output.feedEscalation);
    if (!upstream) report(path, `no output "${output.feedEscalation}"`);
    else if (upstream.kind !== 'power') report(path, `output "${upstream.id}" is a ${upstream.kind}; escalation must cut a power output`);
    else if (upstream.id === output.id) report(path, 'an output cannot escalate to itself');
    else if (fanOutputs.has(upstream.id)) report(path, `output "${upstream.id}" feeds a local fan, which is never cut for a fault (interlock clause f)`);
    if (output.feedPoint === undefined) report(path, 'escalation needs a feedPoint to detect the failed cut');
    // Escalation chains must end: a loop would keep each other cut for ever.
    const seen = new Set([output.id]);
    let next: string | undefined = output.feedEscalation;
    while (next !== undefined && outputs.has(next)) {
      if (seen.has(next)) {
        report(path, `feed escalation loops back to "${next}"`);
        break;
      }
      seen.add(next);
      next = outputs.get(next)!.feedEscalation;
    }
  });
}

/** A preset row that cuts power needs somewhere to cut: no zones means the cut-off range is not wired. */
function checkCutoffZones(scope: InterlockCheckScope): void {
  scope.config.points.forEach((point, i) => {
    const thresholds = resolveThresholds(point, scope.presets).thresholds;
    if (thresholds?.cutoff !== undefined && (point.zones ?? []).length === 0) {
      const what = thresholds.cutoffRange ? `"${thresholds.cutoffRange}"` : 'its cut-off range';
      scope.report(['points', i, 'zones'], `cuts ${what} at ${thresholds.cutoff} ${thresholds.unit} (${thresholds.source}) but governs no zone: list the zones it must cut`);
    }
  });
}

/** The integrity settings name points that exist, and calibration dates that are dates. */
function checkIntegrityReferences(scope: InterlockCheckScope): void {
  const { report, points } = scope;
  const integrity = scope.settings.integrity;
  for (const [section, keys] of [
    ['calibrations', Object.keys(integrity.calibrations)],
    ['neighbours', Object.keys(integrity.neighbours)],
    ['resolution', Object.keys(integrity.resolution)],
  ] as const) {
    for (const code of keys) if (!points.has(code)) report(['safety', 'integrity', section, code], `no point "${code}"`);
  }
  for (const [code, list] of Object.entries(integrity.neighbours)) {
    list.forEach((n, j) => {
      if (!points.has(n)) report(['safety', 'integrity', 'neighbours', code, j], `no point "${n}"`);
    });
  }
  for (const [code, date] of Object.entries(integrity.calibrations)) {
    if (!Number.isFinite(Date.parse(date))) report(['safety', 'integrity', 'calibrations', code], `"${date}" is not a date`);
  }
}

/** Config check (edge/config cross-checks): the interlock settings refer to what exists, sensibly. */
export const checkSafetyInterlocks: ConfigCheck = (ctx: CheckContext) => {
  let presets: PresetLibrary;
  try {
    presets = loadPresets();
  } catch (err) {
    ctx.report(['safety'], `cannot check interlocks: ${(err as Error).message}`);
    return;
  }
  for (const problem of interlockProblems(ctx.config, presets)) ctx.report(problem.path, problem.message);
};
