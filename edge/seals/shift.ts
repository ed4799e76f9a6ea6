// Shift boundaries in mine time. The seal headcount restarts from a baseline at each shift start;
// the times are local mine time (Beijing, no daylight saving) whatever the gateway's TZ.
import { checkTzOffset } from '../../core/mine-time.js';

const DAY_MS = 86_400_000;

/** Minutes after local midnight of each "HH:MM", sorted; TypeError for a malformed one. */
export function parseShiftStarts(starts: readonly string[]): number[] {
  if (!Array.isArray(starts) || starts.length === 0) throw new TypeError(`shift starts must be a non-empty list of "HH:MM", got ${JSON.stringify(starts)}`);
  return starts
    .map((s) => {
      const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
      if (!m) throw new TypeError(`shift start must be "HH:MM", got ${JSON.stringify(s)}`);
      return Number(m[1]) * 60 + Number(m[2]);
    })
    .sort((a, b) => a - b);
}

/** Wall time (ms) of the latest shift start at or before `wallMs`. */
export function shiftStartAt(wallMs: number, startMinutes: readonly number[], tzOffsetMinutes: number): number {
  if (!Number.isFinite(wallMs)) throw new TypeError(`wallMs must be a finite ms epoch, got ${String(wallMs)}`);
  if (startMinutes.length === 0) throw new TypeError('shiftStartAt needs at least one start time');
  const offsetMs = checkTzOffset(tzOffsetMinutes) * 60_000;
  const local = wallMs + offsetMs;
  const midnight = Math.floor(local / DAY_MS) * DAY_MS;
  let best = -Infinity;
  // Today's starts, or the last one of yesterday when today's first has not come yet.
  for (const day of [midnight, midnight - DAY_MS]) {
    for (const m of startMinutes) {
      const t = day + m * 60_000;
      if (t <= local && t > best) best = t;
    }
  }
  return best - offsetMs;
}
