// 5-minute statistics as a TJSJ file will show them: aligned windows, faults excluded and counted,
// no window emitted twice, silent points still closed.
import { describe, expect, it } from 'vitest';
import { FiveMinuteStats, type FiveMinuteWindow } from '../edge/five-minute-stats.js';
import type { Quality } from '../core/readings.js';
import { TJSJ, tjsjFromWindow } from '../sync/formats/records/index.js';

/** Beijing wall-clock → ms epoch, independent of the code under test. */
const bj = (wall: string): number => Date.parse(`${wall.replace(' ', 'T')}+08:00`);
const r = (point: string, wall: string | number, value: number | null, quality: Quality = 'good') => ({
  point,
  value,
  quality,
  wallTime: typeof wall === 'number' ? wall : bj(wall),
});

describe('FiveMinuteStats', () => {
  it('computes max/min with their times and the sample mean of a wall-clock aligned window', () => {
    const stats = new FiveMinuteStats();
    expect(stats.add(r('CH4-T1', '2024-03-15 08:00:00', 0.5))).toEqual([]);
    stats.add(r('CH4-T1', '2024-03-15 08:01:30', 0.7));
    stats.add(r('CH4-T1', '2024-03-15 08:02:10', 0.4));
    stats.add(r('CH4-T1', '2024-03-15 08:03:00', 0.7)); // ties the max later: first time kept
    stats.add(r('CH4-T1', '2024-03-15 08:04:59.999', 0.6));
    const closed = stats.add(r('CH4-T1', '2024-03-15 08:05:00', 0.9)); // first reading of the next window
    expect(closed).toHaveLength(1);
    const w = closed[0]!;
    expect(w).toMatchObject({
      point: 'CH4-T1',
      start: bj('2024-03-15 08:00:00'),
      end: bj('2024-03-15 08:05:00'),
      max: 0.7,
      maxTime: bj('2024-03-15 08:01:30'),
      min: 0.4,
      minTime: bj('2024-03-15 08:02:10'),
      samples: 5,
      excluded: 0,
      late: 0,
      firstTime: bj('2024-03-15 08:00:00'),
      lastTime: bj('2024-03-15 08:04:59.999'),
    });
    expect(w.average).toBeCloseTo(0.58, 12);
  });

  it('aligns to :00/:05 of mine time even for an offset that is not a whole hour', () => {
    const nepal = new FiveMinuteStats({ tzOffsetMinutes: 345 }); // +05:45
    const t = Date.UTC(2024, 2, 15, 2, 17, 0); // 08:02 local
    expect(nepal.windowStart(t)).toBe(Date.UTC(2024, 2, 15, 2, 15, 0)); // 08:00 local
    const beijing = new FiveMinuteStats();
    expect(beijing.windowStart(bj('2024-03-15 23:59:59'))).toBe(bj('2024-03-15 23:55:00'));
  });

  it('excludes unusable readings from the values and counts them by quality; calibrating values count', () => {
    const stats = new FiveMinuteStats();
    stats.add(r('CO', '2024-03-15 08:00:01', 12, 'good'));
    stats.add(r('CO', '2024-03-15 08:00:02', 30, 'calibrating'));
    stats.add(r('CO', '2024-03-15 08:00:03', 999, 'over-range'));
    stats.add(r('CO', '2024-03-15 08:00:04', 0, 'sensor-fault'));
    stats.add(r('CO', '2024-03-15 08:00:05', null, 'comm-fault'));
    stats.add(r('CO', '2024-03-15 08:00:06', 5, 'stale'));
    stats.add(r('CO', '2024-03-15 08:00:07', null, 'good'));
    stats.add(r('CO', '2024-03-15 08:00:08', Number.NaN, 'good'));
    const [w] = stats.closeUpTo(bj('2024-03-15 08:05:00'));
    expect(w).toMatchObject({ max: 30, min: 12, samples: 2, excluded: 6 });
    expect(w!.average).toBe(21);
    expect(w!.byQuality).toEqual({ good: 3, calibrating: 1, 'over-range': 1, stale: 1, 'sensor-fault': 1, 'comm-fault': 1 });
  });

  it('reports "no value" (not 0) for a window with only faulty readings', () => {
    const stats = new FiveMinuteStats();
    for (let s = 0; s < 60; s++) stats.add(r('CH4-T2', bj('2024-03-15 08:10:00') + s * 1000, 0, 'sensor-fault'));
    const [w] = stats.closeUpTo(bj('2024-03-15 08:15:00'));
    expect(w).toMatchObject({ max: null, maxTime: null, min: null, minTime: null, average: null, samples: 0, excluded: 60 });
  });

  it('closes silent points on closeUpTo, keeps windows still running open, and orders the result', () => {
    const stats = new FiveMinuteStats();
    const seen: FiveMinuteWindow[] = [];
    stats.onWindow((w) => seen.push(w));
    stats.add(r('B', '2024-03-15 08:01:00', 1));
    stats.add(r('A', '2024-03-15 08:02:00', 2));
    stats.add(r('C', '2024-03-15 08:06:00', 3));
    expect(stats.closeUpTo(bj('2024-03-15 08:04:59'))).toEqual([]);
    const closed = stats.closeUpTo(bj('2024-03-15 08:05:00'));
    expect(closed.map((w) => w.point)).toEqual(['A', 'B']);
    expect(seen.map((w) => w.point)).toEqual(['A', 'B']);
    expect(stats.closeUpTo(bj('2024-03-15 08:09:00'))).toEqual([]); // nothing emitted twice
    expect(stats.closeUpTo(bj('2024-03-15 08:10:00')).map((w) => w.point)).toEqual(['C']);
  });

  it('never emits a window twice: readings for an already closed window are dropped and counted as late', () => {
    const stats = new FiveMinuteStats();
    const seen: FiveMinuteWindow[] = [];
    stats.onWindow((w) => seen.push(w));
    stats.add(r('P', '2024-03-15 08:00:10', 1));
    stats.closeUpTo(bj('2024-03-15 08:05:00'));
    stats.add(r('P', '2024-03-15 08:04:58', 2)); // delivered after its window closed (or clock stepped back)
    stats.add(r('P', '2024-03-15 08:06:00', 3));
    stats.add(r('P', '2024-03-15 08:03:00', 4)); // late while the next window is open
    stats.closeUpTo(bj('2024-03-15 08:10:00'));
    expect(seen.map((w) => w.start)).toEqual([bj('2024-03-15 08:00:00'), bj('2024-03-15 08:05:00')]);
    expect(seen[1]).toMatchObject({ late: 2, samples: 1, max: 3 });
    expect(stats.lateTotal).toBe(2);
  });

  it('a clock jump forward closes the old window and starts at the new time, without empty filler windows', () => {
    const stats = new FiveMinuteStats();
    stats.add(r('P', '2024-03-15 08:00:10', 1));
    const closed = stats.add(r('P', '2024-03-16 09:31:00', 2));
    expect(closed.map((w) => w.start)).toEqual([bj('2024-03-15 08:00:00')]);
    expect(stats.closeUpTo(bj('2024-03-16 09:35:00'))[0]!.start).toBe(bj('2024-03-16 09:30:00'));
  });

  it('calls every listener even if one throws, then rethrows with the state already updated', () => {
    const stats = new FiveMinuteStats();
    const seen: string[] = [];
    stats.onWindow(() => {
      throw new Error('listener broke');
    });
    const off = stats.onWindow((w) => seen.push(w.point));
    stats.add(r('P', '2024-03-15 08:00:10', 1));
    expect(() => stats.closeUpTo(bj('2024-03-15 08:05:00'))).toThrow('listener broke');
    expect(seen).toEqual(['P']);
    off();
    expect(() => stats.closeUpTo(bj('2024-03-15 08:05:00'))).not.toThrow(); // already closed, not re-emitted
  });

  it('becomes a TJSJ record line', () => {
    const stats = new FiveMinuteStats();
    stats.add(r('S01A01', '2024-03-15 08:20:03', 0.48));
    stats.add(r('S01A01', '2024-03-15 08:23:14', 0.61));
    stats.add(r('S01A01', '2024-03-15 08:24:00', 0.51));
    const [w] = stats.closeUpTo(bj('2024-03-15 08:25:00'));
    const line = TJSJ.encode(tjsjFromWindow(w!, { typeName: '环境瓦斯', location: '1201掘进工作面T1', unit: '%CH4' }));
    expect(line).toBe(
      'S01A01;环境瓦斯;1201掘进工作面T1;%CH4;2024-03-15 08:20:00;2024-03-15 08:25:00;0.61;2024-03-15 08:23:14;0.48;2024-03-15 08:20:03;0.53;2024-03-15 08:25:00',
    );
  });

  it('validates options and readings', () => {
    expect(() => new FiveMinuteStats({ windowMs: 7 * 60_000 })).toThrow(/windowMs/);
    expect(() => new FiveMinuteStats({ windowMs: 0 })).toThrow(TypeError);
    expect(() => new FiveMinuteStats({ tzOffsetMinutes: 1000 })).toThrow(/tzOffsetMinutes/);
    const stats = new FiveMinuteStats();
    expect(() => stats.add({ point: '', value: 1, quality: 'good', wallTime: 0 })).toThrow(/point/);
    expect(() => stats.add({ point: 'P', value: 1, quality: 'good', wallTime: Number.NaN })).toThrow(/wallTime/);
    expect(() => stats.add({ point: 'P', value: 1, quality: 'fine' as Quality, wallTime: 0 })).toThrow(/quality/);
  });

  it('keeps constant state per point over hours of 1 s polling (O(1) per reading)', () => {
    const stats = new FiveMinuteStats();
    const points = Array.from({ length: 100 }, (_, i) => `P${i}`);
    const t0 = bj('2024-03-15 00:00:00');
    let windows = 0;
    stats.onWindow(() => windows++);
    const began = performance.now();
    for (let s = 0; s < 3600; s++) for (const p of points) stats.add(r(p, t0 + s * 1000, (s % 17) / 10));
    const ms = performance.now() - began;
    stats.closeUpTo(t0 + 3600_000);
    expect(windows).toBe(100 * 12);
    expect(stats.pointCount).toBe(100);
    console.info(`five-minute-stats: 360000 readings in ${ms.toFixed(0)} ms (${((ms * 1000) / 360000).toFixed(2)} µs/reading)`);
  });
});
