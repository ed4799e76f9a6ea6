// The record encoder's fast paths (a text a column accepted last time, the last data time) must
// never let a bad value through or write a stale time.
import { describe, expect, it } from 'vitest';
import { CDSS, type CdssRecord } from '../../../sync/formats/records/index.js';

const rec = (o: Partial<CdssRecord> = {}): CdssRecord => ({ pointCode: 'T1', sensorTypeName: '环境瓦斯', location: '3101回风巷', value: 0.3, unit: '%CH4', status: 0, dataTime: Date.UTC(2026, 0, 1), ...o });

describe('MT/T 1201 record encoder fast paths', () => {
  it('still refuses a separator or control character right after the same column accepted a good text', () => {
    expect(CDSS.encode(rec())).toBe('T1;环境瓦斯;3101回风巷;0.30;%CH4;0;2026-01-01 08:00:00');
    expect(() => CDSS.encode(rec({ location: '3101;回风巷' }))).toThrow(/separator/);
    expect(() => CDSS.encode(rec({ location: '3101\u0007回风巷' }))).toThrow(/control character/);
    expect(() => CDSS.encode(rec({ pointCode: 'T 1' }))).toThrow(/does not match/);
    expect(CDSS.encode(rec())).toBe('T1;环境瓦斯;3101回风巷;0.30;%CH4;0;2026-01-01 08:00:00');
  });

  it('writes each record with its own data time when times alternate', () => {
    const a = Date.UTC(2026, 0, 1, 0, 0, 0);
    const b = Date.UTC(2026, 0, 1, 0, 0, 10);
    expect([a, b, a, b].map((t) => CDSS.encode(rec({ dataTime: t })).split(';')[6])).toEqual(['2026-01-01 08:00:00', '2026-01-01 08:00:10', '2026-01-01 08:00:00', '2026-01-01 08:00:10']);
    expect(() => CDSS.encode(rec({ dataTime: Number.NaN }))).toThrow();
  });
});
