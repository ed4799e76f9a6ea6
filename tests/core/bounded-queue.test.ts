// core/bounded-queue.ts: the one bounded FIFO (reading store, journals, outbox stage). A full queue
// evicts its oldest item and says which, so memory stays bounded while a disk or uplink is down.
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../core/bounded-queue.js';

describe('core BoundedQueue', () => {
  it('keeps the newest `capacity` items in order, handing back each one it evicts', () => {
    const q = new BoundedQueue<number>(3);
    expect([1, 2, 3].map((n) => q.push(n))).toEqual([undefined, undefined, undefined]);
    expect(q.push(4)).toBe(1);
    expect(q.push(5)).toBe(2);
    expect(q.size).toBe(3);
    expect(q.oldest(10)).toEqual([3, 4, 5]);
    expect([q.peek(0), q.peek(2), q.peek(3), q.peek(-1)]).toEqual([3, 5, undefined, undefined]);
  });

  it('items leave only when dropped or shifted: oldest() copies, drop() removes after a write', () => {
    const q = new BoundedQueue<string>(5);
    for (const s of ['a', 'b', 'c', 'd']) q.push(s);
    const batch = q.oldest(2);
    expect(batch).toEqual(['a', 'b']);
    expect(q.size).toBe(4);
    q.drop(batch.length);
    expect(q.oldest(5)).toEqual(['c', 'd']);
    expect(q.shift()).toBe('c');
    q.drop(10);
    expect([q.size, q.shift(), q.oldest(3)]).toEqual([0, undefined, []]);
  });

  it('grows on demand past its first slots and stays a FIFO across the wrap-around', () => {
    const q = new BoundedQueue<number>(5_000);
    for (let i = 0; i < 3_000; i++) q.push(i);
    q.drop(2_500);
    for (let i = 3_000; i < 7_600; i++) q.push(i);
    // 3000 + 4600 pushed, 2500 dropped, the oldest 100 evicted by the cap.
    expect(q.size).toBe(5_000);
    expect(q.peek(0)).toBe(2_600);
    expect(q.peek(4_999)).toBe(7_599);
    const all = q.oldest(5_000);
    expect(all.every((v, i) => v === 2_600 + i)).toBe(true);
  });

  it('preallocated, it behaves the same', () => {
    const q = new BoundedQueue<number>(4, { preallocate: true });
    for (let i = 0; i < 6; i++) q.push(i);
    expect(q.oldest(4)).toEqual([2, 3, 4, 5]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new BoundedQueue(bad), String(bad)).toThrow(/capacity must be a positive integer/);
    }
  });
});
