// Sensor anti-falsification (AQ 1029-2019 §4.9 pseudo-data marking): detectors that only ever ADD
// alarms, never release a hold or change an output.
// - frozen: a value stuck within its resolution for longer than frozenMs while neighbours move
//   (a bagged or disconnected-but-powered sensor). Near-zero values are exempt: clean air is flat.
// - sudden drop: a fall to near zero within dropWithinMs from a steady non-zero baseline, with no
//   ventilation change nearby (a sensor covered or blown with fresh air).
// - calibration older than its period (catalytic CH4 15 days, AQ 1029-2019), or never recorded.
// - data gap: no usable acquisition for longer than the max patrol cycle.
import type { IntegritySettings } from '../../board-configs/safety-schema.js';
import type { Reading } from '../../core/readings.js';
import { CLAUSES } from './clauses.js';
import type { SafetyPlan } from './plan.js';

const DAY_MS = 86_400_000;
/** Sensor types that describe ventilation: fan on/off, air volume, wind speed, duct, damper. */
const VENTILATION_SENSOR_TYPES: ReadonlySet<string> = new Set(['1001', '1002', '1003', '1010', '0019', '0002', '0005']);

export type IntegrityKind = 'frozen' | 'sudden-drop' | 'calibration-overdue' | 'calibration-unknown' | 'data-gap';

export interface IntegrityFinding {
  key: string;
  kind: IntegrityKind;
  point: string;
  message: string;
  clause: string;
  value?: number | null;
}

export interface IntegrityResult {
  raised: IntegrityFinding[];
  cleared: IntegrityFinding[];
  /** Points that just left calibration mode: their calibration date is now (wall time). */
  calibrated: { point: string; wallTime: number }[];
}

export interface IntegrityPoint {
  code: string;
  /** Frozen / sudden-drop checks apply (analog gas points). */
  checkValue: boolean;
  resolution: number;
  nearZero: number;
  neighbours: string[];
  ventilation: string[];
  /** Undefined: no calibration check (switch inputs). */
  calibrationMaxAgeMs?: number;
}

interface PointState {
  lastDataMono: number | undefined;
  gapSince: number | undefined;
  anchor: number | undefined;
  anchorTime: number;
  lastMove: number;
  samples: { t: number; v: number }[];
  calibrating: boolean;
  lastCalibrationWall: number | undefined;
}

export class IntegrityMonitor {
  private readonly points: IntegrityPoint[];
  private readonly state = new Map<string, PointState>();
  private readonly active = new Map<string, IntegrityFinding>();
  private startedAt: number | undefined;

  constructor(
    points: readonly IntegrityPoint[],
    private readonly settings: IntegritySettings,
    calibrations: ReadonlyMap<string, number> = new Map(),
  ) {
    this.points = [...points];
    for (const p of points) {
      if (!(p.resolution > 0) || !(p.nearZero >= 0)) throw new TypeError(`IntegrityMonitor: point ${p.code}: resolution must be > 0 and nearZero ≥ 0, got ${p.resolution}, ${p.nearZero}`);
      this.state.set(p.code, {
        lastDataMono: undefined,
        gapSince: undefined,
        anchor: undefined,
        anchorTime: 0,
        lastMove: Number.NEGATIVE_INFINITY,
        samples: [],
        calibrating: false,
        lastCalibrationWall: undefined,
      });
    }
    for (const [code, date] of Object.entries(settings.calibrations)) this.noteCalibration(code, Date.parse(date));
    for (const [code, wall] of calibrations) this.noteCalibration(code, wall);
  }

  /** Derive the monitored points from a safety plan (defaults: resolution = range/1000, neighbours share a zone). */
  static fromPlan(plan: SafetyPlan, calibrations?: ReadonlyMap<string, number>): IntegrityMonitor {
    const settings = plan.settings.integrity;
    const monitored = [...plan.points.values()].filter((p) => p.monitored);
    const sharesZone = (a: { zones: string[] }, b: { zones: string[] }) => a.zones.some((z) => b.zones.includes(z));
    const points = monitored.map((p): IntegrityPoint => {
      const span = p.range.high - p.range.low;
      const resolution = settings.resolution[p.code] ?? (p.isSwitch ? 0.5 : span / 1000);
      const checkValue = p.isGas && !p.isSwitch;
      const neighbours =
        settings.neighbours[p.code] ??
        monitored.filter((o) => o.code !== p.code && o.sensorType === p.sensorType && sharesZone(o, p)).map((o) => o.code);
      const fanPoints = plan.fans
        .filter((f) => f.gasPoints.includes(p.code) || f.restartPoints.includes(p.code) || f.ventilatedOutputs.some((o) => p.cutOutputs.includes(o)))
        .flatMap((f) => (f.airflowPoint === undefined ? [f.runPoint] : [f.runPoint, f.airflowPoint]));
      const zoneVentilation = monitored.filter((o) => VENTILATION_SENSOR_TYPES.has(o.sensorType) && sharesZone(o, p)).map((o) => o.code);
      const point: IntegrityPoint = {
        code: p.code,
        checkValue,
        resolution,
        nearZero: Math.max(2 * resolution, span * 0.005),
        neighbours,
        ventilation: [...new Set([...fanPoints, ...zoneVentilation])].filter((c) => c !== p.code),
      };
      if (!p.isSwitch) point.calibrationMaxAgeMs = (settings.calibrationMaxAgeDays[p.sensorType] ?? settings.otherCalibrationMaxAgeDays) * DAY_MS;
      return point;
    });
    return new IntegrityMonitor(points, settings, calibrations);
  }

  /** Record a calibration (from the store or the technician). */
  noteCalibration(code: string, wallTime: number): void {
    const st = this.state.get(code);
    if (st && Number.isFinite(wallTime) && (st.lastCalibrationWall === undefined || wallTime > st.lastCalibrationWall)) st.lastCalibrationWall = wallTime;
  }

  activeFindings(): IntegrityFinding[] {
    return [...this.active.values()];
  }

  evaluate(read: (code: string) => Reading | undefined, now: number, wallNow: number): IntegrityResult {
    this.startedAt ??= now;
    const result: IntegrityResult = { raised: [], cleared: [], calibrated: [] };
    const raise = (f: IntegrityFinding) => {
      if (this.active.has(f.key)) return;
      this.active.set(f.key, f);
      result.raised.push(f);
    };
    const clear = (key: string) => {
      const f = this.active.get(key);
      if (!f) return;
      this.active.delete(key);
      result.cleared.push(f);
    };

    // Movement first, so every frozen check below sees its neighbours' movement this cycle.
    const fresh = this.noteMovement(read, now);
    for (const p of this.points) {
      const st = this.state.get(p.code)!;
      const r = fresh.get(p.code);
      const key = (kind: IntegrityKind) => `integrity:${kind}:${p.code}`;
      this.checkDataGap(p, st, r, now, key('data-gap'), raise, clear);
      this.checkCalibration(p, st, r, wallNow, key, result, raise, clear);
      // Value plausibility: only on measured values (calibration gas moves values legitimately).
      if (!p.checkValue || !r || r.quality !== 'good') continue;
      const v = r.value!;
      this.checkFrozen(p, st, v, now, key('frozen'), raise, clear);
      this.checkSuddenDrop(p, st, v, now, key('sudden-drop'), raise, clear);
    }
    return result;
  }

  /** This cycle's new data per point; moves each point's anchor when its value left the move band. */
  private noteMovement(read: (code: string) => Reading | undefined, now: number): Map<string, Reading> {
    const fresh = new Map<string, Reading>();
    for (const p of this.points) {
      const st = this.state.get(p.code)!;
      const r = read(p.code);
      const isData = r !== undefined && r.value !== null && r.quality !== 'stale' && r.quality !== 'comm-fault' && r.monoTime !== st.lastDataMono;
      if (!isData) continue;
      fresh.set(p.code, r);
      st.lastDataMono = r.monoTime;
      const v = r.value!;
      const moveBand = p.checkValue ? p.resolution : Math.max(p.resolution, 0.1 * Math.abs(st.anchor ?? 0));
      if (st.anchor === undefined || Math.abs(v - st.anchor) > moveBand) {
        if (st.anchor !== undefined) st.lastMove = now;
        st.anchor = v;
        st.anchorTime = now;
      }
    }
    return fresh;
  }

  /** Data gaps (AQ 6201-2019 patrol cycle). */
  private checkDataGap(
    p: IntegrityPoint,
    st: PointState,
    r: Reading | undefined,
    now: number,
    key: string,
    raise: (f: IntegrityFinding) => void,
    clear: (key: string) => void,
  ): void {
    const lastData = st.lastDataMono ?? this.startedAt!;
    if (r) {
      if (st.gapSince !== undefined) {
        clear(key);
        st.gapSince = undefined;
      }
    } else if (now - lastData > this.settings.gapMs && st.gapSince === undefined) {
      st.gapSince = lastData;
      raise({
        key,
        kind: 'data-gap',
        point: p.code,
        clause: CLAUSES.dataGap,
        message: `${p.code}: no usable data for ${Math.round((now - lastData) / 1000)} s (limit ${this.settings.gapMs / 1000} s)`,
      });
    }
  }

  /** Calibration: leaving calibration mode records the date; an old or unknown date alarms. */
  private checkCalibration(
    p: IntegrityPoint,
    st: PointState,
    r: Reading | undefined,
    wallNow: number,
    key: (kind: IntegrityKind) => string,
    result: IntegrityResult,
    raise: (f: IntegrityFinding) => void,
    clear: (key: string) => void,
  ): void {
    if (r?.quality === 'calibrating') st.calibrating = true;
    else if (r && st.calibrating) {
      st.calibrating = false;
      st.lastCalibrationWall = wallNow;
      st.samples = [];
      result.calibrated.push({ point: p.code, wallTime: wallNow });
      // A technician just checked this sensor: earlier suspicions about its values are answered.
      clear(key('frozen'));
      clear(key('sudden-drop'));
    }
    if (p.calibrationMaxAgeMs === undefined) return;
    const last = st.lastCalibrationWall;
    if (last === undefined) {
      raise({ key: key('calibration-unknown'), kind: 'calibration-unknown', point: p.code, clause: CLAUSES.calibration, message: `${p.code}: no calibration date recorded` });
      return;
    }
    clear(key('calibration-unknown'));
    const ageMs = wallNow - last;
    if (ageMs > p.calibrationMaxAgeMs) {
      raise({
        key: key('calibration-overdue'),
        kind: 'calibration-overdue',
        point: p.code,
        clause: CLAUSES.calibration,
        message: `${p.code}: last calibrated ${Math.floor(ageMs / DAY_MS)} days ago (period ${Math.round(p.calibrationMaxAgeMs / DAY_MS)} days)`,
      });
    } else clear(key('calibration-overdue'));
  }

  private checkFrozen(
    p: IntegrityPoint,
    st: PointState,
    v: number,
    now: number,
    key: string,
    raise: (f: IntegrityFinding) => void,
    clear: (key: string) => void,
  ): void {
    if (st.anchorTime === now) {
      clear(key);
      return;
    }
    const frozenFor = now - st.anchorTime;
    if (frozenFor < this.settings.frozenMs || Math.abs(v) <= p.nearZero) return;
    const moving = p.neighbours.filter((n) => (this.state.get(n)?.lastMove ?? Number.NEGATIVE_INFINITY) > st.anchorTime);
    if (moving.length === 0) return;
    raise({
      key,
      kind: 'frozen',
      point: p.code,
      value: v,
      clause: CLAUSES.integrity,
      message: `${p.code}: value ${v} unchanged for ${Math.round(frozenFor / 1000)} s while ${moving.join(', ')} moved`,
    });
  }

  private checkSuddenDrop(
    p: IntegrityPoint,
    st: PointState,
    v: number,
    now: number,
    key: string,
    raise: (f: IntegrityFinding) => void,
    clear: (key: string) => void,
  ): void {
    const { dropBaselineMs, dropWithinMs, ventilationWindowMs } = this.settings;
    st.samples.push({ t: now, v });
    const horizon = now - dropWithinMs - dropBaselineMs;
    while (st.samples.length > 0 && st.samples[0]!.t < horizon) st.samples.shift();
    if (v > p.nearZero) {
      clear(key);
      return;
    }
    const baseline = st.samples.filter((s) => s.t <= now - dropWithinMs);
    // A steady baseline: enough samples spanning most of the window, clearly above zero, not wandering.
    if (baseline.length < 3 || baseline[0]!.t > horizon + dropBaselineMs / 2) return;
    const values = baseline.map((s) => s.v);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const spread = Math.max(...values) - Math.min(...values);
    if (mean < 5 * p.nearZero || spread > Math.max(0.5 * mean, 4 * p.resolution)) return;
    // The baseline ends dropWithinMs ago at about `mean` and the value is near zero now, so the fall
    // took less than dropWithinMs. A slow decline never gets here: its baseline is not steady.
    const ventilationChanged = p.ventilation.some((c) => (this.state.get(c)?.lastMove ?? Number.NEGATIVE_INFINITY) >= now - ventilationWindowMs);
    if (ventilationChanged) return;
    raise({
      key,
      kind: 'sudden-drop',
      point: p.code,
      value: v,
      clause: CLAUSES.integrity,
      message: `${p.code}: fell to ${v} within ${dropWithinMs / 1000} s from a steady ${mean.toFixed(2)} with no ventilation change`,
    });
  }
}
