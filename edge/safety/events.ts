// Safety events (every alarm on/off, cut, release, feed abnormality, lockout, unlock and remote
// command) and the journal that makes them durable. The journal is a bounded in-memory queue
// flushed off the safety path: the engine only appends, never waits on the store, and a full or
// slow disk costs the oldest queued events (counted and reported), never an interlock cycle.
import { BoundedQueue } from '../store/bounded-queue.js';
import type { AlarmKind, AlarmSeverity } from './alarms.js';
import type { AbnormalityCode } from './clauses.js';
import type { PersistedHold, RuleId } from './holds.js';

export type SafetyEventType =
  | 'alarm-on'
  | 'alarm-off'
  /** A rule placed holds (power cut). */
  | 'cut'
  /** A lockout rule (fault lockout, fan lock) placed holds. */
  | 'lockout'
  /** A rule lifted its holds (outputs energise only if no other hold remains). */
  | 'release'
  /** An output's desired state changed. */
  | 'power-off'
  | 'power-on'
  | 'feed-abnormal'
  | 'feed-restored'
  /** Load side dead while power is permitted: reported only. */
  | 'feed-dead'
  | 'unlock'
  | 'unlock-refused'
  /** Clause g: the local fan pair switched to its other fan (automatically or by an operator). */
  | 'fan-switchover'
  | 'fan-switchover-refused'
  | 'remote-cut'
  | 'remote-release'
  | 'remote-expired'
  | 'remote-refused'
  | 'acknowledge'
  | 'evacuation-on'
  | 'evacuation-off'
  /** Holds reloaded from the store at start (or dropped because the config no longer has them). */
  | 'restored'
  /** A point left calibration mode: its calibration date is now. */
  | 'calibration'
  /** The journal overflowed while the store was unavailable. */
  | 'events-dropped';

/** Every event type at run time (CLI --kind lists, validation); checked against SafetyEventType at compile time. */
const EVENT_TYPES: Record<SafetyEventType, true> = {
  'alarm-on': true,
  'alarm-off': true,
  cut: true,
  lockout: true,
  release: true,
  'power-off': true,
  'power-on': true,
  'feed-abnormal': true,
  'feed-restored': true,
  'feed-dead': true,
  unlock: true,
  'unlock-refused': true,
  'fan-switchover': true,
  'fan-switchover-refused': true,
  'remote-cut': true,
  'remote-release': true,
  'remote-expired': true,
  'remote-refused': true,
  acknowledge: true,
  'evacuation-on': true,
  'evacuation-off': true,
  restored: true,
  calibration: true,
  'events-dropped': true,
};
export const SAFETY_EVENT_TYPE_LIST: readonly SafetyEventType[] = Object.keys(EVENT_TYPES) as SafetyEventType[];

export interface SafetyEvent {
  /** Per-process sequence number, in the order the engine raised them. */
  seq: number;
  type: SafetyEventType;
  wallTime: number;
  monoTime: number;
  rule?: RuleId;
  /** Hold or alarm key. */
  key?: string;
  alarm?: AlarmKind;
  severity?: AlarmSeverity;
  point?: string;
  value?: number | null;
  threshold?: number;
  clause?: string;
  outputs?: string[];
  operator?: string;
  authority?: string;
  reason?: string;
  /** MT/T 1201 abnormality type (001 over-limit, 002 cut-off, 003 馈电异常 …). */
  abnormality?: AbnormalityCode;
  message: string;
}

/** One durable write: events in order, plus the full hold snapshot when it changed. */
export interface SafetyBatch {
  events: SafetyEvent[];
  holds?: PersistedHold[];
}

/** Where the journal writes (SQLite in production, see store.ts). May be sync or async; may throw. */
export interface SafetyRecordSink {
  write(batch: SafetyBatch): void | Promise<void>;
}

/** What the engine needs from a journal. */
export interface SafetyJournalLike {
  record(events: readonly SafetyEvent[]): void;
  saveHolds(holds: PersistedHold[]): void;
}

export interface SafetyJournalOptions {
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

export const safetyJournalDefaults: SafetyJournalOptions = {
  capacity: 10_000,
  batchSize: 500,
  retryMs: 250,
  maxRetryMs: 30_000,
  closeTimeoutMs: 5_000,
};

export interface SafetyJournalStats {
  queued: number;
  written: number;
  dropped: number;
  failures: number;
  holdsPending: boolean;
  lastError: string | null;
}

export class SafetyJournal implements SafetyJournalLike {
  private readonly opts: SafetyJournalOptions;
  private readonly queue: BoundedQueue<SafetyEvent>;
  private pendingHolds: PersistedHold[] | undefined;
  private writing = false;
  private evictedDuringWrite = 0;
  private droppedUnreported = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly counters = { written: 0, dropped: 0, failures: 0, lastError: null as string | null };

  constructor(
    private readonly sink: SafetyRecordSink,
    opts: Partial<SafetyJournalOptions> = {},
  ) {
    if (!sink || typeof sink.write !== 'function') throw new TypeError(`SafetyJournal: sink must have a write(batch) method, got ${String(sink)}`);
    this.opts = { ...safetyJournalDefaults, ...opts };
    for (const key of ['capacity', 'batchSize', 'retryMs', 'maxRetryMs', 'closeTimeoutMs'] as const) {
      const v = this.opts[key];
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`SafetyJournal: ${key} must be a positive integer, got ${String(opts[key])}`);
    }
    this.queue = new BoundedQueue(this.opts.capacity);
    this.retryDelay = this.opts.retryMs;
  }

  /** Append events. Never throws, never blocks: the write happens on a later turn of the event loop. */
  record(events: readonly SafetyEvent[]): void {
    if (this.closed) return;
    for (const event of events) {
      if (this.queue.push(event) !== undefined) {
        if (this.writing) this.evictedDuringWrite++;
        this.counters.dropped++;
        this.droppedUnreported++;
      }
    }
    if (events.length > 0) this.schedule();
  }

  /** Replace the hold snapshot to persist; only the newest snapshot is ever written. */
  saveHolds(holds: PersistedHold[]): void {
    if (this.closed) return;
    this.pendingHolds = holds;
    this.schedule();
  }

  stats(): SafetyJournalStats {
    return { queued: this.queue.length, ...this.counters, holdsPending: this.pendingHolds !== undefined };
  }

  /** Resolves once everything queued so far is written, or a write failed (see stats().lastError). */
  async flush(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length === 0 && this.pendingHolds === undefined && this.droppedUnreported === 0 && !this.writing) return;
    const before = this.counters.failures;
    for (;;) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.cancelTimers();
        this.scheduled = setImmediate(() => this.drain());
      });
      const done = this.queue.length === 0 && this.pendingHolds === undefined && this.droppedUnreported === 0;
      if (done || this.closed || this.counters.failures > before) return;
    }
  }

  /** Try a last flush (at most closeTimeoutMs), then stop. Events recorded afterwards are ignored. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.opts.closeTimeoutMs);
    });
    await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
    this.closed = true;
    this.cancelTimers();
    this.wakeIdle();
  }

  private cancelTimers(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.scheduled = undefined;
    this.retryTimer = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer || this.writing) return;
    this.scheduled = setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = undefined;
    if (this.writing) return;
    const events = this.queue.peek(this.opts.batchSize);
    const holds = this.pendingHolds;
    const dropped = this.droppedUnreported;
    if (events.length === 0 && holds === undefined && dropped === 0) {
      this.wakeIdle();
      return;
    }
    const batch: SafetyBatch = { events: dropped > 0 ? [droppedNotice(dropped, this.opts.capacity, events[0]), ...events] : events };
    if (holds !== undefined) batch.holds = holds;
    this.writing = true;
    this.evictedDuringWrite = 0;
    let result: void | Promise<void>;
    try {
      result = this.sink.write(batch);
    } catch (err) {
      this.afterWrite(err, events.length, holds, dropped);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.afterWrite(undefined, events.length, holds, dropped),
        (err: unknown) => this.afterWrite(err ?? new Error('write rejected'), events.length, holds, dropped),
      );
    } else {
      this.afterWrite(undefined, events.length, holds, dropped);
    }
  }

  private afterWrite(err: unknown, count: number, holds: PersistedHold[] | undefined, dropped: number): void {
    this.writing = false;
    // Events evicted while the write was in flight were the oldest, i.e. the ones being written.
    const evicted = Math.min(this.evictedDuringWrite, count);
    if (err === undefined) {
      this.queue.drop(count - evicted);
      this.counters.written += count;
      this.counters.dropped -= evicted;
      this.droppedUnreported -= dropped + evicted;
      if (this.pendingHolds === holds) this.pendingHolds = undefined;
      this.retryDelay = this.opts.retryMs;
      this.counters.lastError = null;
      if (this.queue.length > 0 || this.pendingHolds !== undefined || this.droppedUnreported > 0) this.scheduled = setImmediate(() => this.drain());
      else this.wakeIdle();
      return;
    }
    this.counters.failures++;
    this.counters.lastError = err instanceof Error ? err.message : String(err);
    this.wakeIdle();
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drain();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.opts.maxRetryMs);
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function droppedNotice(count: number, capacity: number, next: SafetyEvent | undefined): SafetyEvent {
  return {
    // Not raised by the engine, so outside its sequence.
    seq: -1,
    type: 'events-dropped',
    wallTime: next?.wallTime ?? Date.now(),
    monoTime: next?.monoTime ?? 0,
    value: count,
    message: `${count} safety event(s) were lost: the store was unavailable and the in-memory journal (capacity ${capacity}) overflowed`,
  };
}
