// core/backoff.ts: the one exponential backoff every retry loop uses (uplink reconnects, link
// reopens, Firmata boards, the log file, the journals, the reading store, failed polls).
import { describe, expect, it } from 'vitest';
import { Backoff, exponentialDelay } from '../../core/backoff.js';

describe('core Backoff', () => {
  it('without jitter: initial, doubling, held at the maximum, and from the start again after a success', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 'none' });
    expect(Array.from({ length: 6 }, () => b.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(b.attempts).toBe(6);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(100);
  });

  it('with equal jitter (the default): every delay lies between half the ceiling and the ceiling', () => {
    let i = 0;
    const draws = [0, 0.5, 0.999999, 0.25];
    const b = new Backoff({ initialMs: 1_000, maxMs: 8_000, random: () => draws[i++ % draws.length]! });
    expect(Array.from({ length: 4 }, () => b.next())).toEqual([500, 1_500, 4_000, 5_000]);
  });

  it('a long outage never overflows: the delay stays at the maximum after thousands of failures', () => {
    const b = new Backoff({ initialMs: 1, maxMs: 30_000, jitter: 'none' });
    let last = 0;
    for (let k = 0; k < 5_000; k++) last = b.next();
    expect(last).toBe(30_000);
    expect(exponentialDelay(250, 1_000, 10_000)).toBe(1_000);
    expect(exponentialDelay(250, 1_000, -1)).toBe(250);
  });

  it('the stateless form caps at a maximum below the initial delay (a poll interval shorter than the retry)', () => {
    expect([0, 1, 2].map((n) => exponentialDelay(250, 300, n))).toEqual([250, 300, 300]);
    expect(exponentialDelay(500, 200, 0)).toBe(200);
  });

  it('rejects settings that would spin or never retry', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(/initialMs must be a positive number/);
    expect(() => new Backoff({ initialMs: Number.NaN, maxMs: 10 })).toThrow(TypeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(/maxMs must be ≥ initialMs/);
    expect(() => new Backoff({ initialMs: 100, maxMs: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => new Backoff({ initialMs: 1, maxMs: 2, jitter: 'full' as 'none' })).toThrow(/jitter/);
  });
});
