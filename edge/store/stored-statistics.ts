// Five-minute statistics recomputed from stored readings, through the reader API: for windows the
// live FiveMinuteStats could not close (the gateway was down or restarted inside a window) and for
// a technician checking what went upstream. Same class, same rules as live: one definition.
import type Database from 'better-sqlite3';
import { FIVE_MINUTE_STATS_DEFAULTS, FiveMinuteStats, type FiveMinuteStatsOptions, type FiveMinuteWindow } from '../five-minute-stats.js';
import { iterateReadings, type ReadingRange } from './reading-reader.js';

/** Windows of [fromMs, toMs) (aligned outwards to whole windows), in time order per point. */
export function storedFiveMinuteWindows(db: Database.Database, range: Required<Pick<ReadingRange, 'fromMs' | 'toMs'>> & Pick<ReadingRange, 'point'>, opts: FiveMinuteStatsOptions = {}): FiveMinuteWindow[] {
  const stats = new FiveMinuteStats(opts);
  const from = stats.windowStart(range.fromMs);
  const lastStart = stats.windowStart(range.toMs - 1);
  const to = lastStart + (opts.windowMs ?? FIVE_MINUTE_STATS_DEFAULTS.windowMs);
  const out: FiveMinuteWindow[] = [];
  for (const r of iterateReadings(db, { fromMs: from, toMs: to, ...(range.point !== undefined ? { point: range.point } : {}) })) out.push(...stats.add(r));
  out.push(...stats.closeUpTo(to));
  return out;
}
