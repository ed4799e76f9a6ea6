import { describe, expect, it } from 'vitest';
import { ReaderLiveness } from '../../../protocols/card-reader/liveness.js';

describe('ReaderLiveness', () => {
  it('expected readers start offline and never-heard; the first frame brings one online', () => {
    const l = new ReaderLiveness(1000, 256, [1, 2]);
    expect(l.all().map((r) => [r.reader, r.online, r.lastHeardMono])).toEqual([
      [1, false, null],
      [2, false, null],
    ]);
    expect(l.heard(1, 10, 5000, 100).change).toEqual({ reader: 1, online: true, reason: 'frame', wallTime: 5000, monoTime: 100, lastHeardMono: 100 });
    expect(l.heard(1, 11, 5100, 200).change).toBeNull();
    // A reader nobody configured is learnt when heard.
    expect(l.heard(9, 0, 5100, 200).change?.reader).toBe(9);
  });

  it('counts sequence gaps across the wrap and drops a repeated sequence number', () => {
    const l = new ReaderLiveness(1000, 256, []);
    l.heard(1, 250, 0, 0);
    expect(l.heard(1, 251, 0, 1)).toMatchObject({ missed: 0, duplicate: false });
    expect(l.heard(1, 2, 0, 2)).toMatchObject({ missed: 6, duplicate: false }); // 252..255, 0, 1 lost
    expect(l.heard(1, 2, 0, 3)).toMatchObject({ missed: 0, duplicate: true });
    expect(l.get(1)?.lost).toBe(6);
  });

  it('goes offline after the silence limit and does not compare sequence numbers across the silence', () => {
    const l = new ReaderLiveness(1000, 256, []);
    l.heard(1, 7, 0, 0);
    l.heard(2, 0, 0, 600);
    expect(l.check(0, 999)).toEqual([]);
    expect(l.check(0, 1000)).toEqual([{ reader: 1, online: false, reason: 'silent', wallTime: 0, monoTime: 1000, lastHeardMono: 0 }]);
    expect(l.check(0, 1001)).toEqual([]); // reported once
    const back = l.heard(1, 200, 0, 5000);
    expect(back).toMatchObject({ missed: 0, duplicate: false, change: { online: true, reason: 'frame' } });
  });

  it('a configured reader never heard is offline once the limit has passed since start (dead from power-up), reported once', () => {
    const l = new ReaderLiveness(1000, 256, [1, 2]);
    l.start(500);
    l.heard(2, 0, 0, 600);
    expect(l.check(0, 1499)).toEqual([]);
    expect(l.check(0, 1500)).toEqual([{ reader: 1, online: false, reason: 'never-heard', wallTime: 0, monoTime: 1500, lastHeardMono: null }]);
    expect(l.check(0, 1501)).toEqual([]);
    // Heard at last: online; silent again later is the ordinary 'silent'.
    expect(l.heard(1, 0, 0, 1600).change).toMatchObject({ reader: 1, online: true });
    expect(l.check(0, 2600).map((c) => [c.reader, c.reason])).toEqual([[1, 'silent'], [2, 'silent']]);
    // A reader nobody configured is never expected, so never "never-heard".
    const learnt = new ReaderLiveness(1000, 256, []);
    learnt.start(0);
    expect(learnt.check(0, 10_000)).toEqual([]);
  });

  it('without start(), watching starts at the first check', () => {
    const l = new ReaderLiveness(1000, 256, [4]);
    expect(l.check(0, 7000)).toEqual([]);
    expect(l.check(0, 8000).map((c) => [c.reader, c.reason])).toEqual([[4, 'never-heard']]);
  });

  it('allOffline takes every online reader down with the given reason', () => {
    const l = new ReaderLiveness(1000, 256, [3]);
    l.heard(1, 0, 0, 0);
    l.heard(2, 0, 0, 0);
    expect(l.allOffline('link-down', 1, 10).map((c) => [c.reader, c.reason])).toEqual([
      [1, 'link-down'],
      [2, 'link-down'],
    ]);
    expect(l.all().every((r) => !r.online)).toBe(true);
  });

  it('validates its arguments', () => {
    expect(() => new ReaderLiveness(0, 256)).toThrow(/offlineAfterMs .* got 0/);
    expect(() => new ReaderLiveness(1000, 1)).toThrow(/seqModulus .* got 1/);
  });
});
