// Unit tests of the mechanism shared by the safety and personnel journals (edge/store/durable-journal.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { DurableJournal, type DurableJournalOptions, type DurableJournalParts } from '../../edge/store/durable-journal.js';
import { waitFor } from '../helpers/wait-for.js';

interface Ev {
  n: number;
  lost?: number;
}

const options: DurableJournalOptions = { capacity: 100, batchSize: 10, retryMs: 5, maxRetryMs: 40, closeTimeoutMs: 200 };

/** Parts with one "state" flag besides the events; `write` is replaceable per test. */
function harness(write: (events: Ev[], state: boolean) => void | Promise<void>) {
  const h = {
    dirty: false,
    written: [] as boolean[],
    failed: [] as boolean[],
    parts: {
      hasPendingState: () => h.dirty,
      takeState: () => {
        const taken = h.dirty;
        h.dirty = false;
        return taken;
      },
      write: (events: Ev[], state: boolean) => write(events, state),
      written: (state: boolean) => void h.written.push(state),
      failed: (state: boolean) => {
        h.failed.push(state);
        h.dirty ||= state;
      },
      droppedNotice: (count: number) => ({ n: -1, lost: count }),
    } satisfies DurableJournalParts<Ev, boolean>,
  };
  return h;
}

describe('DurableJournal', () => {
  const journals: DurableJournal<Ev, boolean>[] = [];
  const track = (j: DurableJournal<Ev, boolean>) => (journals.push(j), j);
  afterEach(async () => {
    for (const j of journals.splice(0)) await j.close();
  });

  it('rejects a bad option naming the owner and the value', () => {
    const h = harness(() => {});
    expect(() => new DurableJournal('TestJournal', { ...options, batchSize: 0 }, h.parts)).toThrow(
      new TypeError('TestJournal: batchSize must be a positive integer, got 0'),
    );
  });

  it('writes appended events in batches on a later turn, with the taken state', async () => {
    const writes: { events: number[]; state: boolean }[] = [];
    const h = harness((events, state) => void writes.push({ events: events.map((e) => e.n), state }));
    const journal = track(new DurableJournal('TestJournal', options, h.parts));
    for (let n = 1; n <= 15; n++) journal.append({ n });
    h.dirty = true;
    journal.schedule();
    expect(writes).toEqual([]);
    await journal.flush();
    expect(writes).toEqual([
      { events: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], state: true },
      { events: [11, 12, 13, 14, 15], state: false },
    ]);
    expect(journal.stats()).toEqual({ queued: 0, written: 15, dropped: 0, failures: 0, lastError: null });
  });

  it('drops the oldest events beyond capacity and reports the loss first in the next write', async () => {
    const writes: Ev[][] = [];
    const h = harness((events) => void writes.push(events));
    const journal = track(new DurableJournal('TestJournal', { ...options, capacity: 3 }, h.parts));
    for (let n = 1; n <= 5; n++) journal.append({ n });
    await journal.flush();
    expect(writes).toEqual([[{ n: -1, lost: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]]);
    expect(journal.stats()).toMatchObject({ queued: 0, written: 3, dropped: 2 });
  });

  it('retries a failing store with doubling backoff, keeps the events and re-marks the state', async () => {
    let failuresLeft = 3;
    const attempts: number[] = [];
    const writes: number[][] = [];
    const h = harness((events) => {
      attempts.push(Date.now());
      if (failuresLeft-- > 0) return Promise.reject(new Error('disk I/O error'));
      writes.push(events.map((e) => e.n));
    });
    const journal = track(new DurableJournal('TestJournal', { ...options, retryMs: 20, maxRetryMs: 40 }, h.parts));
    journal.append({ n: 1 });
    h.dirty = true;
    journal.schedule();
    await waitFor(() => journal.stats().failures === 1, { what: 'the first failure' });
    expect(journal.stats()).toMatchObject({ queued: 1, lastError: 'disk I/O error' });
    await waitFor(() => writes.length === 1, { what: 'the write after the retries' });
    expect(writes).toEqual([[1]]);
    expect(h.failed).toEqual([true, true, true]);
    expect(h.written).toEqual([true]);
    expect(journal.stats()).toMatchObject({ queued: 0, written: 1, failures: 3, lastError: null });
    // 20, 40, 40 ms (capped): each gap at least the delay.
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(38);
  });

  it('close() gives up on a hung store after closeTimeoutMs and ignores later appends', async () => {
    let writes = 0;
    const h = harness(() => {
      writes++;
      return new Promise<void>(() => {});
    });
    const journal = new DurableJournal('TestJournal', { ...options, closeTimeoutMs: 50 }, h.parts);
    journal.append({ n: 1 });
    const started = Date.now();
    await journal.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(journal.closed).toBe(true);
    journal.append({ n: 2 });
    expect(journal.stats()).toMatchObject({ queued: 1, written: 0 });
    expect(writes).toBe(1);
  });
});
