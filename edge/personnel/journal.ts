// The personnel journal: what makes the engine's state durable without touching the disk on the
// sighting path. The engine only marks things changed (O(1)); a flush on a later turn of the
// event loop pulls the current state of what changed and writes it in one batch. Events wait in a
// bounded queue (a dead disk costs the oldest events, counted and reported, never memory); people,
// alarms and the evacuation are bounded by the roster, so a failed write simply retries later.
import { DurableJournal, type DurableJournalOptions } from '../store/durable-journal.js';
import type { PersonnelAlarm } from './alarms.js';
import type { AckVia, EvacuationSource, PersonnelEvent } from './events.js';
import type { PersonTrack } from './views.js';

/** One person's derived state as stored (times are wall ms; monotonic times never leave the process). */
export type PersistedPerson = PersonTrack;

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

/** Same knobs as every durable journal (see edge/store/durable-journal.ts). */
export type PersonnelJournalOptions = DurableJournalOptions;

export const PERSONNEL_JOURNAL_DEFAULTS: PersonnelJournalOptions = {
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

/** What changed since the last write, taken at flush time. */
interface PersonnelChanges {
  tags: Set<number>;
  alarmsDirty: boolean;
  evacuationDirty: boolean;
}

export class PersonnelJournal {
  private readonly journal: DurableJournal<PersonnelEvent, PersonnelChanges>;
  private dirtyPeople = new Set<number>();
  private alarmsDirty = false;
  private evacuationDirty = false;

  constructor(sink: PersonnelRecordSink, reader: PersonnelStateReader, opts: Partial<PersonnelJournalOptions> = {}) {
    if (!sink || typeof sink.write !== 'function') throw new TypeError(`PersonnelJournal: sink must have a write(batch) method, got ${String(sink)}`);
    if (!reader || typeof reader.persistedPerson !== 'function') throw new TypeError('PersonnelJournal: reader must implement PersonnelStateReader');
    this.journal = new DurableJournal('PersonnelJournal', { ...PERSONNEL_JOURNAL_DEFAULTS, ...opts }, {
      hasPendingState: () => this.dirtyPeople.size > 0 || this.alarmsDirty || this.evacuationDirty,
      // Take what changed now; anything changing during the write is marked again and goes next time.
      takeState: () => {
        const changes = { tags: this.dirtyPeople, alarmsDirty: this.alarmsDirty, evacuationDirty: this.evacuationDirty };
        this.dirtyPeople = new Set();
        this.alarmsDirty = false;
        this.evacuationDirty = false;
        return changes;
      },
      write: (events, changes) => {
        const batch: PersonnelBatch = { events, people: [] };
        for (const tag of changes.tags) {
          const person = reader.persistedPerson(tag);
          if (person) batch.people.push(person);
        }
        if (changes.alarmsDirty) batch.alarms = reader.persistedAlarms();
        if (changes.evacuationDirty) batch.evacuation = reader.persistedEvacuation();
        return sink.write(batch);
      },
      written: () => {},
      // Nothing was written: mark it all changed again so the retry writes the then-current state.
      failed: (changes) => {
        for (const tag of changes.tags) this.dirtyPeople.add(tag);
        this.alarmsDirty ||= changes.alarmsDirty;
        this.evacuationDirty ||= changes.evacuationDirty;
      },
      droppedNotice,
    });
  }

  /** Append an event. Never throws, never blocks. */
  record(event: PersonnelEvent): void {
    this.journal.append(event);
  }

  personChanged(tag: number): void {
    if (this.journal.closed) return;
    this.dirtyPeople.add(tag);
    this.journal.schedule();
  }

  alarmsChanged(): void {
    if (this.journal.closed) return;
    this.alarmsDirty = true;
    this.journal.schedule();
  }

  evacuationChanged(): void {
    if (this.journal.closed) return;
    this.evacuationDirty = true;
    this.journal.schedule();
  }

  stats(): PersonnelJournalStats {
    const { queued, ...counters } = this.journal.stats();
    return { queuedEvents: queued, dirtyPeople: this.dirtyPeople.size, ...counters };
  }

  /** Resolves once everything changed so far is written, or a write failed (see stats().lastError). */
  flush(): Promise<void> {
    return this.journal.flush();
  }

  /** Try a last flush (at most closeTimeoutMs), then stop. Later changes are ignored. */
  async close(): Promise<void> {
    if (this.journal.closed) return;
    await this.journal.close();
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
