// Status bits, code tables and mine time: the values a platform reads out of every record.
import { afterEach, describe, expect, it } from 'vitest';
import type { Quality } from '../../../core/readings.js';
import {
  ABNORMALITY_TYPES,
  POINT_STATUS,
  pointStatus,
  pointStatusFlags,
  sensorTypeName,
  statusFromReading,
} from '../../../core/mt1201-codes.js';
import { fileName, formatTime, parseTime } from '../../../sync/formats/mt1201-file.js';

describe('point status', () => {
  it('has the spec bit values', () => {
    expect(POINT_STATUS).toEqual({
      normal: 0, alarm: 1, cutOff: 2, calibrating: 4, overRange: 8,
      substationFault: 16, notPolled: 32, paused: 64, sensorFault: 128,
    });
  });

  it('combines flags given as names or as a boolean map, and decodes them back', () => {
    expect(pointStatus([])).toBe(0);
    expect(pointStatus(['alarm', 'cutOff'])).toBe(3);
    expect(pointStatus({ alarm: true, cutOff: false, sensorFault: true })).toBe(129);
    expect(pointStatusFlags(131)).toEqual(['alarm', 'cutOff', 'sensorFault']);
    expect(pointStatusFlags(0)).toEqual([]);
  });

  it('rejects unknown flags and out-of-range values', () => {
    expect(() => pointStatus(['alarm', 'smoke' as 'alarm'])).toThrow(/smoke/);
    expect(() => pointStatusFlags(256)).toThrow(TypeError);
    expect(() => pointStatusFlags(1.5)).toThrow(TypeError);
  });

  it.each<[Quality, number]>([
    ['good', 0],
    ['calibrating', 4],
    ['over-range', 8],
    ['stale', 32],
    ['sensor-fault', 128],
    ['comm-fault', 16],
  ])('maps reading quality %s to status %i', (quality, status) => {
    expect(statusFromReading({ quality })).toBe(status);
  });

  it('adds alarm, cut-off and paused from the safety engine on top of the quality', () => {
    expect(statusFromReading({ quality: 'good' }, { alarm: true, cutOff: true })).toBe(3);
    expect(statusFromReading({ quality: 'sensor-fault' }, { cutOff: true })).toBe(130);
    expect(statusFromReading({ quality: 'calibrating' }, { paused: true })).toBe(68);
  });
});

describe('code tables', () => {
  it('has abnormality codes 001..010 with 003 = feed abnormality', () => {
    expect(Object.keys(ABNORMALITY_TYPES)).toEqual(['001', '002', '003', '004', '005', '006', '007', '008', '009', '010']);
    expect(ABNORMALITY_TYPES['003']).toBe('馈电异常');
  });

  it('names sensor types and refuses unknown codes', () => {
    expect(sensorTypeName('0001')).toBe('环境瓦斯');
    expect(sensorTypeName('1015')).toBe('馈电');
    expect(() => sensorTypeName('9999')).toThrow(/9999/);
  });
});

describe('mine time', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const instant = Date.UTC(2024, 2, 15, 0, 30, 0); // 08:30:00 in Beijing

  it('writes Beijing time whatever the gateway TZ is', () => {
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
      process.env.TZ = tz;
      expect(formatTime(instant)).toBe('2024-03-15 08:30:00');
      expect(fileName('140121000001', 'CDSS', instant)).toBe('140121000001_CDSS_20240315083000.txt');
    }
  });

  it('truncates to the second, honours an explicit offset and crosses midnight correctly', () => {
    expect(formatTime(instant + 999)).toBe('2024-03-15 08:30:00');
    expect(formatTime(instant, 0)).toBe('2024-03-15 00:30:00');
    expect(formatTime(Date.UTC(2024, 1, 28, 16, 0, 0))).toBe('2024-02-29 00:00:00');
  });

  it('parses strictly and round-trips', () => {
    expect(parseTime('2024-03-15 08:30:00')).toBe(instant);
    expect(() => parseTime('2024-3-15 08:30:00')).toThrow();
    expect(() => parseTime('2023-02-29 00:00:00')).toThrow();
  });

  it('refuses times that cannot be written and offsets that do not exist', () => {
    expect(() => formatTime(Number.NaN)).toThrow(expect.objectContaining({ code: 'bad-time' }));
    expect(() => formatTime(instant, 900)).toThrow(TypeError);
    expect(() => fileName('1401210000', 'CDSS', instant)).toThrow(expect.objectContaining({ code: 'bad-mine-code' }));
  });
});
