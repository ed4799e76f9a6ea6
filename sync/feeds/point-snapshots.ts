// CDSS snapshot of every configured point: value, unit and the national status bits. The bits
// come from the reading's quality (codes.ts statusFromReading, the one place of that mapping)
// plus the interlocks' state: an active alarm on the point sets 报警, a cut hold it placed sets 断电.
import { statusFromReading } from '../../core/mt1201-codes.js';
import type { CdssRecord } from '../formats/records/index.js';
import type { Quality } from '../../core/readings.js';
import type { UpstreamPoint } from './point-info.js';

export interface SnapshotReading {
  value: number | null;
  quality: Quality;
  /** ms epoch of the acquisition; 0 when never read. */
  wallTime: number;
}

export interface InterlockState {
  /** Points with an active alarm. */
  alarmed: ReadonlySet<string>;
  /** Points whose reading placed a cut (or lockout) hold that is still active. */
  cut: ReadonlySet<string>;
}

/** Qualities whose value is a real measurement worth sending (over-range: the sensor's own number). */
const SENT_QUALITIES: ReadonlySet<Quality> = new Set(['good', 'calibrating', 'over-range']);

export function cdssRecord(point: UpstreamPoint, reading: SnapshotReading, state: InterlockState, snapshotTime: number): CdssRecord {
  const sendValue = reading.value !== null && Number.isFinite(reading.value) && SENT_QUALITIES.has(reading.quality);
  let value: number | string | null = null;
  if (sendValue) value = point.valueType === 'MN' || point.valueType === 'LJ' ? reading.value : String(Math.round(reading.value as number));
  return {
    pointCode: point.code,
    sensorTypeName: point.typeName,
    location: point.location,
    value,
    unit: point.unit,
    status: statusFromReading(reading, { alarm: state.alarmed.has(point.code), cutOff: state.cut.has(point.code) }),
    // The acquisition time of a value sent; the snapshot time when there is none to date.
    dataTime: sendValue && reading.wallTime > 0 ? reading.wallTime : snapshotTime,
  };
}

const NOT_FROM_A_READING: ReadonlySet<string> = new Set(['remote-cut', 'startup']);
/**
 * Alarm kinds that are the point's own 报警 (its value or state is abnormal). Faults show in the
 * quality bits already; integrity (calibration overdue), actuation and lock alarms are about the
 * system, not the measurement, and would make a normal reading look alarming upstream.
 */
const MEASUREMENT_ALARMS: ReadonlySet<string> = new Set(['over-limit', 'under-limit', 'fan-stopped', 'duct-airflow-low', 'feed-abnormal']);

/** The alarm and cut sets from the engine's lists (one pass each per snapshot). */
export function interlockState(alarms: readonly { point?: string; kind: string }[], holds: readonly { point?: string; rule: string }[]): InterlockState {
  const alarmed = new Set<string>();
  for (const a of alarms) if (a.point !== undefined && MEASUREMENT_ALARMS.has(a.kind)) alarmed.add(a.point);
  const cut = new Set<string>();
  // Remote cuts and the start-up hold are not caused by a point's reading; every other hold with a point is.
  for (const h of holds) if (h.point !== undefined && !NOT_FROM_A_READING.has(h.rule)) cut.add(h.point);
  return { alarmed, cut };
}
