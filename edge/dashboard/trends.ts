// What the page needs besides the live status: the limits to draw (from the same safety plan
// the kernel runs, never a second table) and each point's last 30 minutes from the reading store
// (the store is the history; the dashboard keeps none of its own).
import type Database from 'better-sqlite3';
import type { LoadedConfig } from '../config/load-config.js';
import type { SafetyPlan } from '../safety/plan.js';
import { iterateReadings } from '../store/reading-reader.js';

export const TREND_DEFAULTS = {
  windowMs: 30 * 60_000,
  /** Points per sparkline: one bucket per 15 s over 30 min. */
  buckets: 120,
} as const;

export interface PointMeta {
  code: string;
  name: string;
  unit: string;
  alarm: number | null;
  alarmLow: number | null;
  cutoff: number | null;
  restore: number | null;
  /** The requirement the limits implement (shown as a tooltip). */
  source: string | null;
}

export interface DashboardMeta {
  mine: { code: string; name: string };
  substation: { code: string; name: string };
  points: PointMeta[];
  outputs: { id: string; name: string; kind: string }[];
  areas: { id: string; name: string }[];
}

export function dashboardMeta(loaded: LoadedConfig, plan: SafetyPlan): DashboardMeta {
  const { config } = loaded;
  return {
    mine: { code: config.mine.code, name: config.mine.name },
    substation: { code: config.substation.code, name: config.substation.name },
    points: config.points.map((p) => {
      const t = plan.points.get(p.code)?.thresholds;
      return { code: p.code, name: p.name ?? p.code, unit: t?.unit ?? '', alarm: t?.alarm ?? null, alarmLow: t?.alarmLow ?? null, cutoff: t?.cutoff ?? null, restore: t?.restore ?? null, source: t?.source ?? null };
    }),
    outputs: config.outputs.map((o) => ({ id: o.id, name: o.name ?? o.id, kind: o.kind })),
    areas: (config.personnel?.areas ?? []).map((a) => ({ id: a.id, name: a.name })),
  };
}

/**
 * Per point, [wallMs, value] pairs over the window, one per bucket: the bucket's highest value, so
 * a short methane peak is never averaged away in the sparkline. A bad reading (value null) is a gap.
 */
export function trends(db: Database.Database, nowWall: number, windowMs: number = TREND_DEFAULTS.windowMs, buckets: number = TREND_DEFAULTS.buckets): Record<string, [number, number | null][]> {
  const from = nowWall - windowMs;
  const width = windowMs / buckets;
  const byPoint = new Map<string, Map<number, number | null>>();
  // Consumed without yielding: the generator runs on the writer's own connection (reading-reader.ts).
  for (const r of iterateReadings(db, { fromMs: from, toMs: nowWall + 1 }, 'asc')) {
    let series = byPoint.get(r.point);
    if (!series) byPoint.set(r.point, (series = new Map()));
    const b = Math.min(buckets - 1, Math.floor((r.wallTime - from) / width));
    const prev = series.get(b);
    const v = r.quality === 'good' ? r.value : null;
    if (prev === undefined || prev === null || (v !== null && v > prev)) series.set(b, v === null && prev !== undefined ? prev : v);
  }
  const out: Record<string, [number, number | null][]> = {};
  for (const [point, series] of byPoint) out[point] = [...series].sort((a, b) => a[0] - b[0]).map(([b, v]) => [Math.round(from + (b + 1) * width), v]);
  return out;
}
