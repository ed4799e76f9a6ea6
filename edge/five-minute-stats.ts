// 5-minute statistics per point (MT/T 1201 TJSJ; AQ 6201-2019 requires them kept ≥ 1 year —
// keeping them is the store's job, this class only computes them). Pure and in-memory: O(1)
// work and O(1) state per point, no timers, no disk. The runtime feeds readings and calls
// closeUpTo(now) now and then, so a point that falls silent still gets its window closed.
//
// Windows are wall-clock aligned in mine time (:00, :05, … at +08:00) and half-open: a reading
// at exactly 08:05:00.000 belongs to [08:05, 08:10).
//
// Average = arithmetic mean of the usable samples (not time-weighted). With a fixed poll
// interval both are the same; during accelerated patrol (faster polling while in alarm) the
// mean leans toward the alarm values, which errs on the safe side for gas. `samples` tells a
// reader how many values stand behind it.
//
// Usable = quality good or calibrating with a finite value (core/readings.ts isUsable; a
// calibrating value is a real measurement). Everything else is excluded from max/min/average
// and counted, so a window full of faults reads "no value, 60 excluded", never "0".
import { QUALITIES, isUsable, type Quality, type Reading } from '../core/readings.js';

export type StatsReading = Pick<Reading, 'point' | 'value' | 'quality' | 'wallTime'>;

export interface FiveMinuteWindow {
  point: string;
  /** Window start, ms epoch (inclusive). */
  start: number;
  /** Window end, ms epoch (exclusive) = start + windowMs. */
  end: number;
  /** null when no usable reading fell in the window. */
  max: number | null;
  /** Acquisition time of the (first) maximum. */
  maxTime: number | null;
  min: number | null;
  minTime: number | null;
  /** Mean of the usable samples; null when there were none. */
  average: number | null;
  /** Readings whose value was used. */
  samples: number;
  /** Readings in the window that were not usable (bad quality, null or non-finite value). */
  excluded: number;
  /** Every reading in the window by quality, used or not. */
  byQuality: Record<Quality, number>;
  /** Readings for this point that arrived after their own window had been closed, dropped and counted here. */
  late: number;
  /** Acquisition times of the earliest and latest reading in the window (coverage). */
  firstTime: number;
  lastTime: number;
}

export interface FiveMinuteStatsOptions {
  /** Window length; must divide a day so windows stay aligned to :00. Default 5 min. */
  windowMs?: number;
  /** Mine time offset used for alignment. Default +480 (Beijing). */
  tzOffsetMinutes?: number;
}

export const FIVE_MINUTE_STATS_DEFAULTS: Required<FiveMinuteStatsOptions> = Object.freeze({
  windowMs: 5 * 60_000,
  tzOffsetMinutes: 480,
});

const DAY_MS = 86_400_000;

interface Accumulator {
  start: number;
  max: number;
  maxTime: number;
  min: number;
  minTime: number;
  sum: number;
  samples: number;
  excluded: number;
  byQuality: Record<Quality, number>;
  late: number;
  firstTime: number;
  lastTime: number;
}

interface PointState {
  open: Accumulator | null;
  /** End of the last window emitted for this point; earlier readings are late. */
  closedUpTo: number;
  /** Late readings seen while no window was open, carried into the next one. */
  pendingLate: number;
}

export type WindowListener = (window: FiveMinuteWindow) => void;

export class FiveMinuteStats {
  readonly windowMs: number;
  readonly tzOffsetMinutes: number;
  private readonly points = new Map<string, PointState>();
  private readonly listeners = new Set<WindowListener>();
  private lateCount = 0;

  constructor(options: FiveMinuteStatsOptions = {}) {
    const o = { ...FIVE_MINUTE_STATS_DEFAULTS, ...options };
    if (!Number.isInteger(o.windowMs) || o.windowMs < 1000 || DAY_MS % o.windowMs !== 0) {
      throw new TypeError(`windowMs must be a whole number of ms ≥ 1000 that divides a day, got ${String(o.windowMs)}`);
    }
    if (!Number.isInteger(o.tzOffsetMinutes) || o.tzOffsetMinutes < -720 || o.tzOffsetMinutes > 840) {
      throw new TypeError(`tzOffsetMinutes must be an integer between -720 and 840, got ${String(o.tzOffsetMinutes)}`);
    }
    this.windowMs = o.windowMs;
    this.tzOffsetMinutes = o.tzOffsetMinutes;
  }

  /** Start of the window containing `ms`, aligned in mine time. */
  windowStart(ms: number): number {
    const offset = this.tzOffsetMinutes * 60_000;
    return Math.floor((ms + offset) / this.windowMs) * this.windowMs - offset;
  }

  /** Called with each closed window, in the order they close. Returns an unsubscribe function. */
  onWindow(listener: WindowListener): () => void {
    if (typeof listener !== 'function') throw new TypeError(`listener must be a function, got ${typeof listener}`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Adds one reading. Returns the window it closed, if it is the first reading of this point in
   * a later window (also passed to onWindow listeners). A reading older than a window already
   * emitted for its point is dropped and counted as `late` (a window is never emitted twice).
   */
  add(reading: StatsReading): FiveMinuteWindow[] {
    checkReading(reading);
    const start = this.windowStart(reading.wallTime);
    let state = this.points.get(reading.point);
    if (state === undefined) {
      state = { open: null, closedUpTo: -Infinity, pendingLate: 0 };
      this.points.set(reading.point, state);
    }
    const closed: FiveMinuteWindow[] = [];
    if (start < state.closedUpTo || (state.open !== null && start < state.open.start)) {
      this.lateCount += 1;
      if (state.open !== null) state.open.late += 1;
      else state.pendingLate += 1;
      return closed;
    }
    if (state.open !== null && start > state.open.start) closed.push(this.close(reading.point, state));
    if (state.open === null) {
      state.open = newAccumulator(start, state.pendingLate);
      state.pendingLate = 0;
    }
    accumulate(state.open, reading);
    this.emit(closed);
    return closed;
  }

  /**
   * Closes every open window whose end is at or before `ms` (call with the current time, minus
   * any delivery delay you want to allow for). Returns them ordered by start, then point.
   */
  closeUpTo(ms: number): FiveMinuteWindow[] {
    if (typeof ms !== 'number' || Number.isNaN(ms)) throw new TypeError(`closeUpTo needs a time in ms, got ${String(ms)}`);
    const closed: FiveMinuteWindow[] = [];
    for (const [point, state] of this.points) {
      if (state.open !== null && state.open.start + this.windowMs <= ms) closed.push(this.close(point, state));
    }
    closed.sort((a, b) => a.start - b.start || (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
    this.emit(closed);
    return closed;
  }

  /** Readings dropped as late since construction (clock stepped back, or delivered after their window closed). */
  get lateTotal(): number {
    return this.lateCount;
  }

  /** Number of points with state (one small record each). */
  get pointCount(): number {
    return this.points.size;
  }

  /** Forgets a point (e.g. removed from the config) without emitting its open window. */
  forget(point: string): boolean {
    return this.points.delete(point);
  }

  private close(point: string, state: PointState): FiveMinuteWindow {
    const acc = state.open!;
    state.open = null;
    state.closedUpTo = acc.start + this.windowMs;
    const used = acc.samples > 0;
    return {
      point,
      start: acc.start,
      end: acc.start + this.windowMs,
      max: used ? acc.max : null,
      maxTime: used ? acc.maxTime : null,
      min: used ? acc.min : null,
      minTime: used ? acc.minTime : null,
      average: used ? acc.sum / acc.samples : null,
      samples: acc.samples,
      excluded: acc.excluded,
      byQuality: acc.byQuality,
      late: acc.late,
      firstTime: acc.firstTime,
      lastTime: acc.lastTime,
    };
  }

  // State is fully updated before listeners run; one failing listener does not stop the others,
  // and the first error is rethrown afterwards so the caller sees it.
  private emit(windows: FiveMinuteWindow[]): void {
    let firstError: unknown;
    let failed = false;
    for (const window of windows) {
      for (const listener of this.listeners) {
        try {
          listener(window);
        } catch (err) {
          if (!failed) firstError = err;
          failed = true;
        }
      }
    }
    if (failed) throw firstError;
  }
}

function checkReading(r: StatsReading): void {
  if (r === null || typeof r !== 'object') throw new TypeError(`reading must be an object, got ${String(r)}`);
  if (typeof r.point !== 'string' || r.point === '') throw new TypeError(`reading.point must be a non-empty string, got ${JSON.stringify(r.point)}`);
  if (typeof r.wallTime !== 'number' || !Number.isFinite(r.wallTime)) {
    throw new TypeError(`reading.wallTime must be a finite ms epoch, got ${String(r.wallTime)}`);
  }
  if (!QUALITIES.includes(r.quality)) throw new TypeError(`reading.quality is not a known quality: ${JSON.stringify(r.quality)}`);
}

function newAccumulator(start: number, late: number): Accumulator {
  const byQuality = Object.fromEntries(QUALITIES.map((q) => [q, 0])) as Record<Quality, number>;
  return {
    start,
    max: -Infinity,
    maxTime: 0,
    min: Infinity,
    minTime: 0,
    sum: 0,
    samples: 0,
    excluded: 0,
    byQuality,
    late,
    firstTime: Infinity,
    lastTime: -Infinity,
  };
}

function accumulate(acc: Accumulator, r: StatsReading): void {
  acc.byQuality[r.quality] += 1;
  if (r.wallTime < acc.firstTime) acc.firstTime = r.wallTime;
  if (r.wallTime > acc.lastTime) acc.lastTime = r.wallTime;
  // isUsable covers quality and null; a NaN/Infinity from a broken decoder must not poison the mean.
  if (!isUsable(r as Reading) || !Number.isFinite(r.value)) {
    acc.excluded += 1;
    return;
  }
  const v = r.value as number;
  acc.samples += 1;
  acc.sum += v;
  // On a tie the earlier acquisition time wins, also when readings arrive out of order.
  if (v > acc.max || (v === acc.max && r.wallTime < acc.maxTime)) {
    acc.max = v;
    acc.maxTime = r.wallTime;
  }
  if (v < acc.min || (v === acc.min && r.wallTime < acc.minTime)) {
    acc.min = v;
    acc.minTime = r.wallTime;
  }
}
