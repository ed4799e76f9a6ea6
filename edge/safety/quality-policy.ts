// What a reading of each quality may prove, in ONE table every interlock rule consults. The
// asymmetry is the point of a methane cut-off instrument (煤矿安全规程 fail-safe; AQ 6201-2019 §3.1):
// anything may trip a rule, but only a good reading — fresh, in range, not under test — may put
// power back on, unlock a fan or permit a restart. A calibrating sensor is measuring test gas: its
// value trips (that is how the interlock is tested, AQ 1029-2019 calibration), and it never
// proves the air is clean.
import type { Quality, Reading } from '../../core/readings.js';

export interface QualityRights {
  /** Its value may raise an alarm, place a cut or lock (when it shows danger). */
  mayTrip: boolean;
  /** It counts as "the equipment works" for fault lockout (故障闭锁): not a fault. */
  notAFault: boolean;
  /** Its value may clear an alarm, lift a cut, end a fault lockout's stable-good hold, or release the start-up hold. */
  mayRelease: boolean;
  /** It may prove a fan lock's condition gone (automatic release and manual unlock, clause e). */
  mayUnlock: boolean;
  /** It may satisfy a local fan's restart permit (≤ 0.5 % at the fan and its switch). */
  mayPermitRestart: boolean;
}

const NONE: QualityRights = { mayTrip: false, notAFault: false, mayRelease: false, mayUnlock: false, mayPermitRestart: false };

export const QUALITY_POLICY: Readonly<Record<Quality, QualityRights>> = {
  good: { mayTrip: true, notAFault: true, mayRelease: true, mayUnlock: true, mayPermitRestart: true },
  calibrating: { mayTrip: true, notAFault: true, mayRelease: false, mayUnlock: false, mayPermitRestart: false },
  // Beyond the sensor's range: a high value still proves danger; the sensor is faulty (status 8).
  'over-range': { ...NONE, mayTrip: true },
  stale: NONE,
  'sensor-fault': NONE,
  'comm-fault': NONE,
};

export type QualityRight = keyof QualityRights;

/** What a point needs of a value besides its quality: a finite number, 0/1 on switch points. */
export interface PointShape {
  isSwitch: boolean;
}

/** Whether the reading is a usable measurement at all (a value the point can take). */
export function hasValue(point: PointShape, r: Reading | undefined): r is Reading & { value: number } {
  if (r === undefined || r.value === null || !Number.isFinite(r.value)) return false;
  return !point.isSwitch || r.value === 0 || r.value === 1;
}

/**
 * The one question every rule asks: may this reading do `right`? Missing readings, missing
 * values and unknown qualities have no rights at all. Over-range readings may trip on their value
 * even on an analog point whose value is outside the range (that is what over-range means).
 */
export function may(right: QualityRight, point: PointShape, r: Reading | undefined): r is Reading & { value: number } {
  if (!hasValue(point, r)) return false;
  return QUALITY_POLICY[r.quality]?.[right] === true;
}
