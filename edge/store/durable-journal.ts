// The mechanism shared by the safety and personnel journals: a bounded in-memory event queue
// written off the hot path in batches on a later turn of the event loop, retried with doubling
// backoff while the store fails, and closed with a deadline so a hung store cannot block
// shutdown. A full or dead disk costs the oldest queued events (counted, and reported in the
// next batch through a journal-specific notice), never memory. Each journal supplies what else
// it persists alongside the events (hold snapshot, changed people …) through DurableJournalParts.
import { Backoff } from '../../core/backoff.js';
import { BoundedQueue } from '../../core/bounded-queue.js';

export interface DurableJournalOptions {
  /** Events kept in memory while the store is unavailable; beyond it the oldest are dropped. */
  capacity: number;
  /** Events per write. */
  batchSize: number;
  /** First retry delay after a failed write; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /** How long close() waits for a last flush before giving up (a hung store must not block shutdown). */
  closeTimeoutMs: number;
}

/** What a journal adds to the shared mechanism. `S` is the state taken for one write besides the events. */
export interface DurableJournalParts<E, S> {
  /** Whether something besides queued events waits to be written. */
  hasPendingState(): boolean;
  /** Take what changed for this write (may clear change marks; anything changing later goes next time). */
  takeState(): S;
  /** Write events (oldest first, a drop notice first if events were lost) and the taken state. May throw or reject. */
  write(events: E[], state: S): void | Promise<void>;
  /** The write of `state` succeeded. */
  written(state: S): void;
  /** The write of `state` failed: nothing was written (re-mark it so the retry writes the then-current state). */
  failed(state: S): void;
  /** The event reporting `count` events lost to overflow; `next` is the oldest event still queued. */
  droppedNotice(count: number, capacity: number, next: E | undefined): E;
}

export interface DurableJournalCounters {
  queued: number;
  written: number;
  dropped: number;
  failures: number;
  lastError: string | null;
}

export class DurableJournal<E, S> {
  private readonly queue: BoundedQueue<E>;
  private writing = false;
  private evictedDuringWrite = 0;
  private droppedUnreported = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retry: Backoff;
  private closedFlag = false;
  private idleWaiters: (() => void)[] = [];
  private readonly counters = { written: 0, dropped: 0, failures: 0, lastError: null as string | null };

  /** `name` prefixes option errors (the owning journal's class name). */
  constructor(
    name: string,
    private readonly opts: DurableJournalOptions,
    private readonly parts: DurableJournalParts<E, S>,
  ) {
    for (const key of ['capacity', 'batchSize', 'retryMs', 'maxRetryMs', 'closeTimeoutMs'] as const) {
      const v = opts[key];
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`${name}: ${key} must be a positive integer, got ${String(v)}`);
    }
    this.queue = new BoundedQueue(opts.capacity);
    this.retry = new Backoff({ initialMs: opts.retryMs, maxMs: opts.maxRetryMs, jitter: 'none' });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Nothing queued, changed or being written: everything appended so far is in the store. */
  settled(): boolean {
    return !this.writing && !this.pending();
  }

  /** Append an event and schedule a write. Never throws, never blocks; ignored once closed. */
  append(event: E): void {
    if (this.closedFlag) return;
    if (this.queue.push(event) !== undefined) {
      if (this.writing) this.evictedDuringWrite++;
      this.counters.dropped++;
      this.droppedUnreported++;
    }
    this.schedule();
  }

  /** Schedule a write after the owner marked state changed (no-op while one is due or running). */
  schedule(): void {
    if (this.scheduled || this.retryTimer || this.writing) return;
    this.scheduled = setImmediate(() => this.drain());
  }

  stats(): DurableJournalCounters {
    return { queued: this.queue.size, ...this.counters };
  }

  /** Resolves once everything queued or changed so far is written, or a write failed (see stats().lastError). */
  async flush(): Promise<void> {
    if (this.closedFlag) return;
    const before = this.counters.failures;
    while (this.pending() || this.writing) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.cancelTimers();
        this.scheduled = setImmediate(() => this.drain());
      });
      if (this.closedFlag || this.counters.failures > before) return;
    }
  }

  /** Try a last flush (at most closeTimeoutMs), then stop. Later appends and changes are ignored. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.opts.closeTimeoutMs);
    });
    await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
    this.closedFlag = true;
    this.cancelTimers();
    this.wakeIdle();
  }

  private pending(): boolean {
    return this.queue.size > 0 || this.droppedUnreported > 0 || this.parts.hasPendingState();
  }

  private cancelTimers(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.scheduled = undefined;
    this.retryTimer = undefined;
  }

  private drain(): void {
    this.scheduled = undefined;
    if (this.writing) return;
    if (!this.pending()) {
      this.wakeIdle();
      return;
    }
    const events = this.queue.oldest(this.opts.batchSize);
    const dropped = this.droppedUnreported;
    const state = this.parts.takeState();
    const batch = dropped > 0 ? [this.parts.droppedNotice(dropped, this.opts.capacity, events[0]), ...events] : events;
    this.writing = true;
    this.evictedDuringWrite = 0;
    let result: void | Promise<void>;
    try {
      result = this.parts.write(batch, state);
    } catch (err) {
      this.afterWrite(err, events.length, dropped, state);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.afterWrite(undefined, events.length, dropped, state),
        (err: unknown) => this.afterWrite(err ?? new Error('write rejected'), events.length, dropped, state),
      );
    } else {
      this.afterWrite(undefined, events.length, dropped, state);
    }
  }

  private afterWrite(err: unknown, count: number, dropped: number, state: S): void {
    this.writing = false;
    // Events evicted while the write was in flight were the oldest, i.e. the ones being written.
    const evicted = Math.min(this.evictedDuringWrite, count);
    this.evictedDuringWrite = 0;
    if (err === undefined) {
      this.queue.drop(count - evicted);
      this.counters.written += count;
      this.counters.dropped -= evicted;
      this.droppedUnreported -= dropped + evicted;
      this.parts.written(state);
      this.retry.reset();
      this.counters.lastError = null;
      if (this.pending()) this.scheduled = setImmediate(() => this.drain());
      else this.wakeIdle();
      return;
    }
    this.parts.failed(state);
    this.counters.failures++;
    this.counters.lastError = err instanceof Error ? err.message : String(err);
    this.wakeIdle();
    if (this.closedFlag) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drain();
    }, this.retry.next());
    this.retryTimer.unref();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
