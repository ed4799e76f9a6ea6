// Small pieces with exact behaviour: reconnect delays, the bandwidth bucket, the in-memory stage.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../core/backoff.js';
import { BoundedQueue as RingQueue } from '../../core/bounded-queue.js';
import { TokenBucket } from '../../sync/token-bucket.js';

describe('Backoff', () => {
  it('doubles its ceiling up to the maximum, with half of each delay random, and starts over after reset', () => {
    const low = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0 });
    const high = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0.999999 });
    const lows = Array.from({ length: 9 }, () => low.next());
    const highs = Array.from({ length: 9 }, () => high.next());
    expect(lows).toEqual([250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
    expect(highs).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    low.reset();
    expect(low.next()).toBe(250);
  });

  it('spreads a fleet of substations over the window instead of reconnecting in lock-step', () => {
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = Array.from({ length: 200 }, () => new Backoff({ initialMs: 1000, maxMs: 1000, random }).next());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('rejects nonsense settings', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(TypeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(/maxMs/);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then paces to the rate, and says how long to wait', () => {
    let t = 0;
    const bucket = new TokenBucket(1000, 500, () => t);
    expect(bucket.take(500)).toBe(0); // the burst
    expect(bucket.take(100)).toBe(100); // 100 bytes at 1000 B/s
    t += 100;
    expect(bucket.take(100)).toBe(0);
    // An item larger than the burst waits for a full bucket, then goes and leaves a debt.
    t += 1000;
    expect(bucket.take(2000)).toBe(0);
    expect(bucket.take(1)).toBeGreaterThan(1000);
  });
});

describe('RingQueue', () => {
  it('keeps the newest entries when full and hands back the one it pushed out', () => {
    const q = new RingQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([undefined, undefined, undefined]);
    expect(q.push(4)).toBe(1);
    expect([q.peek(0), q.peek(1), q.peek(2), q.peek(3)]).toEqual([2, 3, 4, undefined]);
    q.drop(2);
    expect([q.size, q.shift(), q.shift()]).toEqual([1, 4, undefined]);
    expect(() => new RingQueue(0)).toThrow(TypeError);
  });
});
