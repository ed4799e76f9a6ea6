import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { PointTable } from '../../edge/point-table.js';

describe('PointTable freshness', () => {
  const setup = () => {
    const clock = new ManualClock();
    const table = new PointTable([{ code: 'CH4', unit: '%CH4', freshnessMs: 3000 }], clock);
    return { clock, table };
  };

  it('a point never read is stale with no value (dangerous, never zero)', () => {
    const { table } = setup();
    expect(table.current('CH4')).toMatchObject({ value: null, quality: 'stale' });
  });

  it('a reading older than its freshness limit turns stale', () => {
    const { clock, table } = setup();
    table.update({ point: 'CH4', value: 0.4, unit: '%CH4', quality: 'good', wallTime: clock.wall(), monoTime: clock.mono(), raw: [40] });
    clock.advance(3000);
    expect(table.current('CH4').quality).toBe('good');
    clock.advance(1);
    expect(table.current('CH4')).toMatchObject({ quality: 'stale', value: 0.4 });
  });

  it('comm-fault stays comm-fault however old', () => {
    const { clock, table } = setup();
    table.update({ point: 'CH4', value: null, unit: '%CH4', quality: 'comm-fault', wallTime: 0, monoTime: clock.mono(), raw: [] });
    clock.advance(60_000);
    expect(table.current('CH4').quality).toBe('comm-fault');
  });

  it('throws on an unknown point rather than inventing one', () => {
    expect(() => setup().table.current('nope')).toThrow(RangeError);
  });
});
