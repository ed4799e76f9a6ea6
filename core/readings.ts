// A reading is one acquired value of one configured point, with enough context that a
// consumer can decide whether to trust it. Untrusted readings are dangerous, never zero.

/**
 * Quality of a reading, most trustworthy first.
 * - good: fresh, in range, device reports no fault.
 * - calibrating: device flags calibration (MT/T 1201 status 4); the value still drives protection.
 * - over-range: value outside the sensor range (status 8).
 * - stale: no fresh acquisition within the point's freshness limit, or never read.
 * - sensor-fault: device reports a fault / broken wire (status 128).
 * - comm-fault: the device is not answering (status 16/32).
 */
export type Quality = 'good' | 'calibrating' | 'over-range' | 'stale' | 'sensor-fault' | 'comm-fault';

export const QUALITIES: readonly Quality[] = [
  'good',
  'calibrating',
  'over-range',
  'stale',
  'sensor-fault',
  'comm-fault',
];

export interface Reading {
  /** Configured point code. */
  point: string;
  /** Engineering value after scaling; null when nothing usable was acquired. */
  value: number | null;
  unit: string;
  quality: Quality;
  /** Wall-clock acquisition time, ms since the Unix epoch (what goes upstream). */
  wallTime: number;
  /** Monotonic acquisition time, ms (performance.now); immune to clock steps, used for freshness. */
  monoTime: number;
  /** Raw register words (or 0/1 bits) the value was decoded from. */
  raw: number[];
}

/** True when a value may be used as a measurement (calibrating values are real measurements). */
export function isUsable(reading: Reading): boolean {
  return reading.value !== null && (reading.quality === 'good' || reading.quality === 'calibrating');
}

/** The worst of two qualities. */
export function worseQuality(a: Quality, b: Quality): Quality {
  return QUALITIES.indexOf(a) >= QUALITIES.indexOf(b) ? a : b;
}
