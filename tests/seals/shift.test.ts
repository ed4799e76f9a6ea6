// Shift boundaries are mine time (UTC+8), independent of the gateway's TZ.
import { describe, expect, it } from 'vitest';
import { parseShiftStarts, shiftStartAt } from '../../edge/seals/shift.js';

const mine = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h - 8, mi);

describe('shiftStartAt', () => {
  const starts = parseShiftStarts(['16:00', '00:00', '08:00']);

  it('finds the latest start at or before a time, in mine time', () => {
    expect(shiftStartAt(mine(2026, 1, 5, 10, 30), starts, 480)).toBe(mine(2026, 1, 5, 8));
    expect(shiftStartAt(mine(2026, 1, 5, 8), starts, 480)).toBe(mine(2026, 1, 5, 8));
    expect(shiftStartAt(mine(2026, 1, 5, 7, 59), starts, 480)).toBe(mine(2026, 1, 5, 0));
    expect(shiftStartAt(mine(2026, 1, 5, 23, 59), starts, 480)).toBe(mine(2026, 1, 5, 16));
  });

  it('reaches back to yesterday before the first start of the day', () => {
    const one = parseShiftStarts(['06:30']);
    expect(shiftStartAt(mine(2026, 3, 1, 5), one, 480)).toBe(mine(2026, 2, 28, 6, 30));
  });

  it('refuses malformed input', () => {
    expect(() => parseShiftStarts(['8:00'])).toThrow(/"HH:MM", got "8:00"/);
    expect(() => parseShiftStarts([])).toThrow(/non-empty/);
    expect(() => shiftStartAt(Number.NaN, starts, 480)).toThrow(/finite/);
    expect(() => shiftStartAt(0, starts, 9999)).toThrow(/tzOffsetMinutes/);
  });
});
