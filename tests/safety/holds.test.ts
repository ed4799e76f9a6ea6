import { describe, expect, it } from 'vitest';
import { HoldSet } from '../../edge/safety/holds.js';

describe('hold set', () => {
  const methane = { rule: 'over-limit' as const, subject: 'T1', reason: 'T1 1.6 %', clause: 'table' };
  const fault = { rule: 'fault-lockout' as const, subject: 'T2', reason: 'T2 stale', clause: 'f' };

  it('cuts an output while any hold on it exists, whichever rule lifts first', () => {
    const holds = new HoldSet();
    expect(holds.place(['a', 'b'], methane, 10, 1000)).toEqual(['a', 'b']);
    expect(holds.place(['a'], fault, 11, 1001)).toEqual(['a']);
    expect(holds.lift('over-limit:T1').map((h) => h.output).sort()).toEqual(['a', 'b']);
    expect(holds.isCut('a')).toBe(true);
    expect(holds.isCut('b')).toBe(false);
    expect(holds.on('a').map((h) => h.key)).toEqual(['fault-lockout:T2']);
    holds.lift('fault-lockout:T2');
    expect(holds.isCut('a')).toBe(false);
  });

  it('keeps the original hold (and its time) when the same rule places it again', () => {
    const holds = new HoldSet();
    holds.place(['a'], methane, 10, 1000);
    const version = holds.version;
    expect(holds.place(['a'], { ...methane, reason: 'again' }, 20, 2000)).toEqual([]);
    expect(holds.on('a')[0]).toMatchObject({ since: 10, sinceWall: 1000, reason: 'T1 1.6 %' });
    expect(holds.version).toBe(version);
  });

  it('lifts only from the outputs named', () => {
    const holds = new HoldSet();
    holds.place(['a', 'b'], methane, 1, 1);
    holds.lift('over-limit:T1', ['a']);
    expect(holds.outputsOf('over-limit:T1')).toEqual(['b']);
    expect(holds.has('over-limit:T1')).toBe(true);
  });
});
