// The personnel journal: what makes the engine's state durable without touching the disk on the
// sighting path. The engine only marks things changed (O(1)); a flush on a later turn of the
// event loop pulls the current state of what changed and writes it in one batch. Events wait in a
// bounded queue (a dead disk costs the oldest events, counted and reported, never memory); people,
// alarms and the evacuation are bounded by the roster, so a failed write simply retries later.
import { BoundedQueue } from '../store/bounded-queue.js';
import type { PersonnelAlarm } from './alarms.js';
import type { AckVia, EvacuationSource, PersonnelEvent } from './events.js';

/** One person's derived state as stored (times are wall ms; monotonic times never leave the process). */
export interface PersistedPerson {
  tag: number;
  flag: 0 | 1 | 2;
  entryWall: number | null;
  exitWall: number | null;
  area: string | null;
  areaEntryWall: number | null;
  reader: number | null;
  stationEntryWall: number | null;
  distanceM: number | null;
  lastSeenWall: number | null;
  trajectory: { reader: number; wall: number }[];
}

export interface PersistedEvacuationArea {
  area: string;
  addedWall: number;
  /** Card code of the responsible person, if configured. */
  responsible: string | null;
  /** 叫应 deadline, wall ms: a restart keeps it instead of starting the wait again. */
  ackDeadlineWall: number;
  ack: { by: string; via: AckVia; wall: number } | null;
  escalatedWall: number | null;
  nextRecallWall: number | null;
}

export interface PersistedEvacuation {
  id: string;
  startedWall: number;
  triggers: { source: EvacuationSource; reason: string; by: string | null; wall: number; areas: string[] }[];
  areas: PersistedEvacuationArea[];
  /** Everyone who was inside an evacuated area since the start; exitWall null = still inside. */
  evacuees: { tag: number; area: string; listedWall: number; exitWall: number | null }[];
  completeWall: number | null;
  nextPageWall: number;
}

export interface PersistedPersonnelState {
  people: PersistedPerson[];
  alarms: PersonnelAlarm[];
  evacuation: PersistedEvacuation | null;
}

/** One durable write: events in order, the people that changed, and the alarm/evacuation snapshots when they changed. */
export interface PersonnelBatch {
  events: PersonnelEvent[];
  people: PersistedPerson[];
  /** Full set of open alarms (replaces the stored set). */
  alarms?: PersonnelAlarm[];
  /** The evacuation (null: none running). */
  evacuation?: PersistedEvacuation | null;
}

/** Where the journal writes (SQLite in production, see store.ts). May be sync or async; may throw. */
export interface PersonnelRecordSink {
  write(batch: PersonnelBatch): void | Promise<void>;
}

/** Where the journal reads the current state of what changed, at flush time. */
export interface PersonnelStateReader {
  persistedPerson(tag: number): PersistedPerson | undefined;
  persistedAlarms(): PersonnelAlarm[];
  persistedEvacuation(): PersistedEvacuation | null;
}

export interface PersonnelJournalOptions {
  /** Events kept in memory while the store is unavailable; beyond it the oldest are dropped. */
  capacity: number;
  /** Events per write. */
  batchSize: number;
  /** First retry delay after a failed write; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /** How long close() waits for a last flush (a hung store must not block shutdown). */
  closeTimeoutMs: number;
}

export const personnelJournalDefaults: PersonnelJournalOptions = {
  capacity: 10_000,
  batchSize: 500,
  retryMs: 250,
  maxRetryMs: 30_000,
  closeTimeoutMs: 5_000,
};

export interface PersonnelJournalStats {
  queuedEvents: number;
  dirtyPeople: number;
  written: number;
  dropped: number;
  failures: number;
  lastError: string | null;
}

export class PersonnelJournal {
  private readonly opts: PersonnelJournalOptions;
  private readonly queue: BoundedQueue<PersonnelEvent>;
  private dirtyPeople = new Set<number>();
  private alarmsDirty = false;
  private evacuationDirty = false;
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
    private readonly sink: PersonnelRecordSink,
    private readonly reader: PersonnelStateReader,
    opts: Partial<PersonnelJournalOptions> = {},
  ) {
    if (!sink || typeof sink.write !== 'function') throw new TypeError(`PersonnelJournal: sink must have a write(batch) method, got ${String(sink)}`);
    if (!reader || typeof reader.persistedPerson !== 'function') throw new TypeError('PersonnelJournal: reader must implement PersonnelStateReader');
    this.opts = { ...personnelJournalDefaults, ...opts };
    for (const key of ['capacity', 'batchSize', 'retryMs', 'maxRetryMs', 'closeTimeoutMs'] as const) {
      const v = this.opts[key];
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`PersonnelJournal: ${key} must be a positive integer, got ${String(opts[key])}`);
    }
    this.queue = new BoundedQueue(this.opts.capacity);
    this.retryDelay = this.opts.retryMs;
  }

  /** Append an event. Never throws, never blocks. */
  record(event: PersonnelEvent): void {
    if (this.closed) return;
    if (this.queue.push(event) !== undefined) {
      if (this.writing) this.evictedDuringWrite++;
      this.counters.dropped++;
      this.droppedUnreported++;
    }
    this.schedule();
  }

  personChanged(tag: number): void {
    if (this.closed) return;
    this.dirtyPeople.add(tag);
    this.schedule();
  }

  alarmsChanged(): void {
    if (this.closed) return;
    this.alarmsDirty = true;
    this.schedule();
  }

  evacuationChanged(): void {
    if (this.closed) return;
    this.evacuationDirty = true;
    this.schedule();
  }

  stats(): PersonnelJournalStats {
    return { queuedEvents: this.queue.length, dirtyPeople: this.dirtyPeople.size, ...this.counters };
  }

  /** Resolves once everything changed so far is written, or a write failed (see stats().lastError). */
  async flush(): Promise<void> {
    if (this.closed) return;
    const before = this.counters.failures;
    while (this.pending() || this.writing) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.cancelTimers();
        this.scheduled = setImmediate(() => this.drain());
      });
      if (this.closed || this.counters.failures > before) return;
    }
  }

  /** Try a last flush (at most closeTimeoutMs), then stop. Later changes are ignored. */
  async close(): Promise<void> {
    if (this.closed) return;
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

  private pending(): boolean {
    return this.queue.length > 0 || this.dirtyPeople.size > 0 || this.alarmsDirty || this.evacuationDirty || this.droppedUnreported > 0;
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
    if (!this.pending()) {
      this.wakeIdle();
      return;
    }
    // Take what changed now; anything changing during the write is marked again and goes next time.
    const events = this.queue.peek(this.opts.batchSize);
    const dropped = this.droppedUnreported;
    const tags = this.dirtyPeople;
    this.dirtyPeople = new Set();
    const alarmsDirty = this.alarmsDirty;
    const evacuationDirty = this.evacuationDirty;
    this.alarmsDirty = false;
    this.evacuationDirty = false;

    const batch: PersonnelBatch = { events: dropped > 0 ? [droppedNotice(dropped, this.opts.capacity, events[0]), ...events] : events, people: [] };
    try {
      for (const tag of tags) {
        const person = this.reader.persistedPerson(tag);
        if (person) batch.people.push(person);
      }
      if (alarmsDirty) batch.alarms = this.reader.persistedAlarms();
      if (evacuationDirty) batch.evacuation = this.reader.persistedEvacuation();
    } catch (err) {
      this.afterWrite(err, events.length, dropped, tags, alarmsDirty, evacuationDirty);
      return;
    }
    this.writing = true;
    this.evictedDuringWrite = 0;
    let result: void | Promise<void>;
    try {
      result = this.sink.write(batch);
    } catch (err) {
      this.writing = false;
      this.afterWrite(err, events.length, dropped, tags, alarmsDirty, evacuationDirty);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.afterWrite(undefined, events.length, dropped, tags, alarmsDirty, evacuationDirty),
        (err: unknown) => this.afterWrite(err ?? new Error('write rejected'), events.length, dropped, tags, alarmsDirty, evacuationDirty),
      );
    } else {
      this.afterWrite(undefined, events.length, dropped, tags, alarmsDirty, evacuationDirty);
    }
  }

  private afterWrite(err: unknown, count: number, dropped: number, tags: Set<number>, alarmsDirty: boolean, evacuationDirty: boolean): void {
    this.writing = false;
    // Events evicted while the write was in flight were the oldest, i.e. the ones being written.
    const evicted = Math.min(this.evictedDuringWrite, count);
    this.evictedDuringWrite = 0;
    if (err === undefined) {
      this.queue.drop(count - evicted);
      this.counters.written += count;
      this.counters.dropped -= evicted;
      this.droppedUnreported -= dropped + evicted;
      this.retryDelay = this.opts.retryMs;
      this.counters.lastError = null;
      if (this.pending()) this.scheduled = setImmediate(() => this.drain());
      else this.wakeIdle();
      return;
    }
    // Nothing was written: mark it all changed again so the retry writes the then-current state.
    for (const tag of tags) this.dirtyPeople.add(tag);
    this.alarmsDirty ||= alarmsDirty;
    this.evacuationDirty ||= evacuationDirty;
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

function droppedNotice(count: number, capacity: number, next: PersonnelEvent | undefined): PersonnelEvent {
  return {
    // Not raised by the engine, so outside its sequence.
    seq: -1,
    type: 'events-dropped',
    wallTime: next?.wallTime ?? Date.now(),
    monoTime: next?.monoTime ?? 0,
    count,
    message: `${count} personnel event(s) were lost: the store was unavailable and the in-memory journal (capacity ${capacity}) overflowed`,
  };
}
