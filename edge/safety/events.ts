// Safety events (every alarm on/off, cut, release, feed abnormality, lockout, unlock and remote
// command) and the journal that makes them durable. The journal is a bounded in-memory queue
// flushed off the safety path: the engine only appends, never waits on the store, and a full or
// slow disk costs the oldest queued events (counted and reported), never an interlock cycle.
import { DurableJournal, type DurableJournalOptions } from '../store/durable-journal.js';
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
  | 'events-dropped'
  /** The interlock cycle failed: outputs in the fail-safe state per kind until a good cycle and this record. */
  | 'engine-failure'
  | 'engine-recovered'
  /** A relay coil found in a state it was not commanded to (module reset, hand override at the module). */
  | 'output-overridden'
  /** Holds reloaded at start that the config no longer explains: kept until a safety officer confirms. */
  | 'holds-unconfirmed'
  | 'holds-confirmed';

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
  'engine-failure': true,
  'engine-recovered': true,
  'output-overridden': true,
  'holds-unconfirmed': true,
  'holds-confirmed': true,
};
export const SAFETY_EVENT_TYPE_LIST: readonly SafetyEventType[] = Object.keys(EVENT_TYPES) as SafetyEventType[];

export interface SafetyEvent {
  /** Per-process sequence number, in the order the engine raised them. */
  seq: number;
  /** Unique across restarts ("<run>-<seq>"), set when the event is written ahead (write-ahead-journal.ts). */
  uid?: string;
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

/** Same knobs as every durable journal (see edge/store/durable-journal.ts). */
export type SafetyJournalOptions = DurableJournalOptions;

export const SAFETY_JOURNAL_DEFAULTS: SafetyJournalOptions = {
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
  private readonly journal: DurableJournal<SafetyEvent, PersistedHold[] | undefined>;
  private pendingHolds: PersistedHold[] | undefined;

  constructor(sink: SafetyRecordSink, opts: Partial<SafetyJournalOptions> = {}) {
    if (!sink || typeof sink.write !== 'function') throw new TypeError(`SafetyJournal: sink must have a write(batch) method, got ${String(sink)}`);
    this.journal = new DurableJournal('SafetyJournal', { ...SAFETY_JOURNAL_DEFAULTS, ...opts }, {
      hasPendingState: () => this.pendingHolds !== undefined,
      // Only the newest snapshot is ever written; it stays pending until a write of it succeeds.
      takeState: () => this.pendingHolds,
      write: (events, holds) => {
        const batch: SafetyBatch = { events };
        if (holds !== undefined) batch.holds = holds;
        return sink.write(batch);
      },
      written: (holds) => {
        if (this.pendingHolds === holds) this.pendingHolds = undefined;
      },
      failed: () => {},
      droppedNotice,
    });
  }

  /** Append events. Never throws, never blocks: the write happens on a later turn of the event loop. */
  record(events: readonly SafetyEvent[]): void {
    for (const event of events) this.journal.append(event);
  }

  /** Replace the hold snapshot to persist; only the newest snapshot is ever written. */
  saveHolds(holds: PersistedHold[]): void {
    if (this.journal.closed) return;
    this.pendingHolds = holds;
    this.journal.schedule();
  }

  stats(): SafetyJournalStats {
    return { ...this.journal.stats(), holdsPending: this.pendingHolds !== undefined };
  }

  /** Everything recorded so far (events and the newest hold snapshot) is in the store. */
  settled(): boolean {
    return this.journal.settled();
  }

  /** Resolves once everything queued so far is written, or a write failed (see stats().lastError). */
  flush(): Promise<void> {
    return this.journal.flush();
  }

  /** Try a last flush (at most closeTimeoutMs), then stop. Events recorded afterwards are ignored. */
  close(): Promise<void> {
    return this.journal.close();
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
