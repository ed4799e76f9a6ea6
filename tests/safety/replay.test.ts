import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/readings.js';
import { replaySafety, ReplayOrderError } from '../../edge/safety/replay.js';
import { headingConfig, WALL0 } from './rig.js';

const BASE: Record<string, number> = { 'CH4-T1': 0.3, 'CH4-T2': 0.3, 'CH4-FAN': 0.1, 'FAN-RUN': 1, 'FAN-AIR': 300, 'FEED-1': 1 };

/** One reading per point per second; `t1(s)` gives the T1 value at second s, `dead(s)` the feed. */
function* recording(seconds: number, t1: (s: number) => number, skip?: (code: string, s: number) => boolean, dead?: (s: number) => boolean): Generator<Reading> {
  for (let s = 0; s < seconds; s++) {
    for (const [code, base] of Object.entries(BASE)) {
      if (skip?.(code, s)) continue;
      const value = code === 'CH4-T1' ? t1(s) : code === 'FEED-1' ? (dead?.(s) ? 0 : base) : base;
      yield { point: code, value, unit: '', quality: 'good', wallTime: WALL0 + s * 1000, monoTime: 0, raw: [] };
    }
  }
}

const t1Profile = (s: number) => (s < 10 ? 0.3 : s < 20 ? 1.2 : s < 30 ? 1.6 : s < 40 ? 1.1 : 0.8);
/** A healthy switch: the load side is dead while the heading is cut (20 s to 40 s). */
const switchObeys = (s: number) => s >= 21 && s < 41;

describe('replay (recorded readings through the engine on a virtual clock)', () => {
  it('returns the alarm / cut / release timeline with wall times of the recording', async () => {
    const result = await replaySafety(headingConfig(), recording(50, t1Profile, undefined, switchObeys));
    const brief = result.timeline.map((e) => `${e.offsetMs / 1000}s ${e.type}${e.rule ? ` ${e.rule}` : ''}${e.outputs ? ` ${e.outputs.join(',')}` : ''}`);
    expect(brief).toEqual([
      '10s alarm-on',
      '20s cut over-limit heading-power',
      '20s evacuation-on',
      '20s power-off over-limit heading-power',
      '40s alarm-off',
      '40s release over-limit heading-power',
      '40s evacuation-off',
      '40s power-on heading-power',
    ]);
    const cut = result.timeline.find((e) => e.type === 'cut')!;
    expect(cut).toMatchObject({ point: 'CH4-T1', value: 1.6, threshold: 1.5, wallTime: WALL0 + 20_000 });
    expect(result).toMatchObject({ from: WALL0, to: WALL0 + 49_000, readings: 300, holds: [], alarms: [] });
  });

  it('accepts an async iterator (e.g. rows streamed from the store)', async () => {
    async function* stream() {
      yield* recording(50, t1Profile, undefined, switchObeys);
    }
    const result = await replaySafety(headingConfig(), stream());
    expect(result.timeline.filter((e) => e.type === 'cut')).toHaveLength(1);
  });

  it('shows a recording gap as a fault lockout (the recording itself went stale)', async () => {
    const result = await replaySafety(headingConfig(), recording(40, () => 0.3, (code, s) => code === 'CH4-T2' && s >= 10 && s < 20, (s) => s >= 14));
    const lockout = result.timeline.find((e) => e.type === 'lockout')!;
    expect(lockout).toMatchObject({ rule: 'fault-lockout', point: 'CH4-T2' });
    // Stale after 3 cycles without a reading (the default freshness).
    expect(lockout.offsetMs).toBe(13_000);
    // Back at 20 s, held for 60 s of good readings: still held when the recording ends at 39 s.
    expect(result.holds.map((h) => h.key)).toEqual(['fault-lockout:CH4-T2']);
  });

  it('ignores points the config does not define, and refuses readings out of time order', async () => {
    const extra: Reading = { point: 'X-1', value: 1, unit: '', quality: 'good', wallTime: WALL0, monoTime: 0, raw: [] };
    const result = await replaySafety(headingConfig(), [extra, ...recording(3, () => 0.3)]);
    expect(result.unknownPoints).toEqual(['X-1']);
    const backwards = [...recording(3, () => 0.3)].reverse();
    await expect(replaySafety(headingConfig(), backwards)).rejects.toBeInstanceOf(ReplayOrderError);
  });

  it('an empty recording gives an empty timeline', async () => {
    expect((await replaySafety(headingConfig(), [])).timeline).toEqual([]);
  });
});
