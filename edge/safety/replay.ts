// `minegate replay`: run recorded readings through the safety engine on a virtual clock and
// return the alarm / cut / release timeline. Nothing is actuated and nothing is written: the
// engine is pure, and the replay gives it no journal.
import type { PresetLibrary } from '../../board-configs/presets/load-presets.js';
import type { Reading } from '../../core/readings.js';
import type { Alarm } from './alarms.js';
import type { SafetyConfigView } from './config-view.js';
import { SafetyEngine } from './engine.js';
import type { SafetyEvent, SafetyEventType } from './events.js';
import type { Hold } from './holds.js';
import { MinegateError } from '../../core/minegate-error.js';

export interface ReplayOptions {
  presets?: PresetLibrary;
  /** Evaluation period on the virtual clock (default 1000 ms, the usual poll cycle). */
  cycleMs?: number;
  /** Freshness limit per point; default the point's freshnessMs, else 3 × cycleMs. */
  freshnessMs?: number | ((point: string) => number);
  /** Replay as a cold start (startup hold on every output) instead of a running system. */
  coldStart?: boolean;
  /** Run the sensor-integrity detectors too (default false: recordings rarely carry calibration dates). */
  integrity?: boolean;
}

export const REPLAY_DEFAULTS = { cycleMs: 1000, coldStart: false, integrity: false, freshnessCycles: 3 } as const;

export interface TimelineEntry extends Omit<SafetyEvent, 'seq' | 'monoTime'> {
  /** ms since the first recorded reading. */
  offsetMs: number;
}

export interface ReplayResult {
  /** Wall time of the first and last recorded reading. */
  from: number;
  to: number;
  cycles: number;
  readings: number;
  /** Readings of points the config does not define (ignored). */
  unknownPoints: string[];
  timeline: TimelineEntry[];
  /** State at the end of the recording. */
  holds: Hold[];
  alarms: Alarm[];
}

/** The events a replay timeline is about; everything else (acknowledge, journal notices …) is dropped. */
const TIMELINE_TYPES: ReadonlySet<SafetyEventType> = new Set<SafetyEventType>([
  'alarm-on',
  'alarm-off',
  'cut',
  'lockout',
  'release',
  'power-off',
  'power-on',
  'feed-abnormal',
  'feed-restored',
  'feed-dead',
  'evacuation-on',
  'evacuation-off',
  'fan-switchover',
]);

export class ReplayOrderError extends MinegateError<'REPLAY_OUT_OF_ORDER'> {
  override readonly name = 'ReplayOrderError';
  constructor(
    readonly index: number,
    readonly point: string,
  ) {
    super('REPLAY_OUT_OF_ORDER', `recorded reading #${index} (${point}) is older than the one before it: replay needs readings in time order`);
  }
}

export async function replaySafety(
  config: SafetyConfigView,
  recorded: Iterable<Reading> | AsyncIterable<Reading>,
  opts: ReplayOptions = {},
): Promise<ReplayResult> {
  const cycleMs = opts.cycleMs ?? REPLAY_DEFAULTS.cycleMs;
  if (!Number.isInteger(cycleMs) || cycleMs < 1) throw new TypeError(`replaySafety: cycleMs must be a positive integer, got ${String(opts.cycleMs)}`);
  if (!recorded || (typeof (recorded as Iterable<Reading>)[Symbol.iterator] !== 'function' && typeof (recorded as AsyncIterable<Reading>)[Symbol.asyncIterator] !== 'function')) {
    throw new TypeError('replaySafety: recorded must be an array, an iterator or an async iterator of readings');
  }
  const known = new Map(config.points.map((p) => [p.code, p]));
  const freshness = (code: string): number => {
    if (typeof opts.freshnessMs === 'function') return opts.freshnessMs(code);
    if (typeof opts.freshnessMs === 'number') return opts.freshnessMs;
    return known.get(code)?.freshnessMs ?? REPLAY_DEFAULTS.freshnessCycles * cycleMs;
  };

  let t0: number | undefined;
  let virtualNow = 0;
  const engineOpts = {
    config,
    wallClock: () => (t0 ?? 0) + virtualNow,
    startupHold: opts.coldStart ?? REPLAY_DEFAULTS.coldStart,
    integrity: opts.integrity ?? REPLAY_DEFAULTS.integrity,
    ...(opts.presets ? { presets: opts.presets } : {}),
  };
  const engine = new SafetyEngine(engineOpts);
  const latest = new Map<string, Reading>();
  const unknown = new Set<string>();
  const timeline: TimelineEntry[] = [];
  let cycles = 0;
  let count = 0;
  let lastWall = Number.NEGATIVE_INFINITY;

  const read = (code: string): Reading | undefined => {
    const r = latest.get(code);
    if (!r) return undefined;
    return virtualNow - r.monoTime > freshness(code) && r.quality !== 'comm-fault' ? { ...r, quality: 'stale' } : r;
  };
  const evaluate = () => {
    cycles++;
    for (const e of engine.evaluate(read, virtualNow).events) {
      if (!TIMELINE_TYPES.has(e.type)) continue;
      const { seq: _seq, monoTime, ...rest } = e;
      timeline.push({ ...rest, offsetMs: monoTime });
    }
  };

  for await (const r of recorded as AsyncIterable<Reading>) {
    if (!r || typeof r.point !== 'string' || typeof r.wallTime !== 'number' || !Number.isFinite(r.wallTime)) {
      throw new TypeError(`replaySafety: recorded item #${count} is not a reading with a point and a wallTime`);
    }
    if (r.wallTime < lastWall) throw new ReplayOrderError(count, r.point);
    lastWall = r.wallTime;
    count++;
    t0 ??= r.wallTime;
    // Evaluate every cycle boundary the recording has passed, with what was known by then.
    while (r.wallTime - t0 > virtualNow) {
      evaluate();
      virtualNow += cycleMs;
    }
    if (!known.has(r.point)) {
      unknown.add(r.point);
      continue;
    }
    latest.set(r.point, { ...r, monoTime: r.wallTime - t0 });
  }
  if (t0 === undefined) return { from: 0, to: 0, cycles: 0, readings: 0, unknownPoints: [], timeline: [], holds: [], alarms: [] };
  evaluate();
  return {
    from: t0,
    to: lastWall,
    cycles,
    readings: count,
    unknownPoints: [...unknown].sort(),
    timeline,
    holds: engine.holds(),
    alarms: engine.alarms(),
  };
}
