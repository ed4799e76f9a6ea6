// Calibration marks (调校). `start` flags the point 'calibrating' as the engine sees it: its
// values still drive protection (test gas above the cut-off cuts power, as it must). `end` lifts
// the flag; the engine's integrity monitor then records the calibration date on the next fresh
// reading (the 'calibration' safety event, reloaded after a restart), which clears a
// "calibration overdue" alarm (catalytic CH4: 15 days, AQ 1029-2019). The gas and the operator go
// to the audit log.
import { requireReason } from '../operators/audit.js';
import { enumArg, optionalIntArg, stringArg } from './args.js';
import { CONTROL_AUDIT_ACTIONS } from './audit-actions.js';
import { auditDone, auditRefused } from './audit-helpers.js';
import type { ControlHandler } from './context.js';
import { ControlError } from './errors.js';

export const CALIBRATION_DEFAULTS = {
  /** How long `end` waits for the engine to record the date: this many poll periods of the point's device … */
  waitPolls: 3,
  /** … and at least this long. */
  minWaitMs: 3_000,
} as const;

export interface CalibrationResult {
  point: string;
  phase: 'start' | 'end';
  gas: string;
  /** Wall ms of the previous calibration the engine knew of (null: none recorded). */
  previousCalibration: number | null;
  /** `end` only: wall ms the engine recorded as the calibration date (null: not seen within the wait). */
  calibratedAt: number | null;
  /** The engine checks this point's calibration age (a monitored point). */
  checkedByEngine: boolean;
}

export const calibrationHandler: ControlHandler = {
  command: 'calibrate',
  role: 'technician',
  async handle(args, ctx): Promise<CalibrationResult> {
    ctx.requireOperator();
    const action = CONTROL_AUDIT_ACTIONS.calibration;
    const point = stringArg(args, 'point');
    const phase = enumArg(args, 'phase', ['start', 'end'] as const);
    const gas = stringArg(args, 'gas');
    const reason = requireReason(action, args.reason);
    const { gateway } = ctx;
    const safety = gateway.safety;
    const config = gateway.loaded.pointsByCode.get(point);
    const target = `point:${point}`;
    if (!config) {
      auditRefused(ctx, { action, target, reason, detail: `no point "${point}"` });
      throw new ControlError('UNKNOWN_TARGET', `no point "${point}" in this substation's config`);
    }
    const calibrating = safety.calibratingPoints().includes(point);
    const previousCalibration = lastCalibration(safety.store.lastCalibrations().get(point), safety.engine.plan.settings.integrity.calibrations[point]);
    const checkedByEngine = safety.engine.plan.points.get(point)?.monitored === true;
    const before = { calibrating, lastCalibration: previousCalibration === null ? null : new Date(previousCalibration).toISOString() };

    if (phase === 'start') {
      if (calibrating) throw new ControlError('ALREADY_CALIBRATING', `${point} is already being calibrated; finish with: minegate calibrate ${point} end`);
      await safety.setCalibrating(point, true);
      auditDone(ctx, { action, target, reason, before, after: { calibrating: true, gas }, outcome: 'ok', detail: `calibration started with ${gas}` }, `${point} marked calibrating`);
      return { point, phase, gas, previousCalibration, calibratedAt: null, checkedByEngine };
    }

    if (!calibrating) throw new ControlError('NOT_CALIBRATING', `${point} is not being calibrated; start with: minegate calibrate ${point} start`);
    const pollMs = gateway.loaded.devicesById.get(config.device)?.pollMs ?? 1_000;
    const waitMs = optionalIntArg(args, 'waitMs', 0, 600_000) ?? Math.max(CALIBRATION_DEFAULTS.minWaitMs, CALIBRATION_DEFAULTS.waitPolls * pollMs);
    // Listen before lifting the flag: the date is recorded on the very next fresh reading.
    let unsubscribe = (): void => {};
    const recorded = new Promise<number | null>((resolve) => {
      if (!checkedByEngine) return resolve(null);
      const timer = setTimeout(() => resolve(null), waitMs);
      unsubscribe = ctx.onSafetyEvents((events) => {
        const e = events.find((x) => x.type === 'calibration' && x.point === point);
        if (!e) return;
        clearTimeout(timer);
        resolve(e.wallTime);
      });
    });
    await safety.setCalibrating(point, false);
    const calibratedAt = await recorded;
    unsubscribe();
    auditDone(
      ctx,
      {
        action,
        target,
        reason,
        before,
        after: { calibrating: false, gas, calibratedAt: calibratedAt === null ? null : new Date(calibratedAt).toISOString() },
        outcome: 'ok',
        detail: calibratedAt !== null ? `calibrated with ${gas}; date recorded by the engine` : checkedByEngine ? `calibrated with ${gas}; the engine records the date with the next reading` : `calibrated with ${gas} (the engine does not check this point's calibration age)`,
      },
      `${point} calibration ended`,
    );
    return { point, phase, gas, previousCalibration, calibratedAt, checkedByEngine };
  },
};

/** The newer of the date recorded by the engine and the one written in the config (what the engine uses). */
function lastCalibration(recorded: number | undefined, configured: string | undefined): number | null {
  const fromConfig = configured === undefined ? Number.NaN : Date.parse(configured);
  const dates = [recorded, fromConfig].filter((d): d is number => d !== undefined && Number.isFinite(d));
  return dates.length === 0 ? null : Math.max(...dates);
}
