// Latest reading of every configured point, with freshness applied on read: a value older than
// its point's freshness limit comes back as 'stale' (dangerous), never as its last good number.
import type { Clock } from '../core/clock.js';
import type { Reading } from '../core/readings.js';

export interface PointInfo {
  code: string;
  unit: string;
  freshnessMs: number;
}

export class PointTable {
  private readonly latest = new Map<string, Reading>();
  private readonly info = new Map<string, PointInfo>();

  constructor(
    points: readonly PointInfo[],
    private readonly clock: Clock,
  ) {
    for (const p of points) this.info.set(p.code, p);
  }

  /** Record a new reading (hot path: a map write). Unknown points are ignored. */
  update(reading: Reading): void {
    if (this.info.has(reading.point)) this.latest.set(reading.point, reading);
  }

  /**
   * The reading as a consumer must see it now. Never read → stale with no value;
   * too old → stale with the old value kept for display only.
   */
  current(code: string): Reading {
    const info = this.info.get(code);
    if (!info) throw new RangeError(`unknown point ${code}`);
    const r = this.latest.get(code);
    if (!r) {
      return { point: code, value: null, unit: info.unit, quality: 'stale', wallTime: 0, monoTime: Number.NEGATIVE_INFINITY, raw: [] };
    }
    if (this.clock.mono() - r.monoTime > info.freshnessMs && r.quality !== 'comm-fault') {
      return { ...r, quality: 'stale' };
    }
    return r;
  }

  /** Age of the latest acquisition in ms (Infinity when never read). */
  ageMs(code: string): number {
    const r = this.latest.get(code);
    return r ? this.clock.mono() - r.monoTime : Number.POSITIVE_INFINITY;
  }

  /** The latest acquisitions as they were stored (no staleness applied): for a warm reload. */
  latestReadings(): Reading[] {
    return [...this.latest.values()];
  }

  codes(): string[] {
    return [...this.info.keys()];
  }
}
