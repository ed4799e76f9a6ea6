// The record of a cut is durable before the command it records leaves the gateway (cut-off
// records are kept ≥ 1 year, AQ 6201-2019). The engine hands its events and hold snapshots to
// this journal synchronously inside the interlock cycle, before the cycle drives any output; they
// are appended at once to a small append-only file with one write(2) each — that lands in the
// operating system's page cache and survives the process being killed — and then queued for the
// SQLite journal as before. A plain file and not SQLite because an append has no lock to wait on
// (a checkpoint or a second connection can hold SQLite's write lock) and fails at once on a full
// disk (ENOSPC) instead of blocking; a failed append never stops the cycle, it is counted.
// At start the file is read back: records the SQLite journal had not written yet are imported
// (deduplicated by uid), then the file is emptied. It is emptied again whenever the SQLite
// journal has caught up, so it stays small.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { SafetyEvent, SafetyJournalLike } from './events.js';
import type { PersistedHold } from './holds.js';

/** One line of the file. */
type Line = { e: SafetyEvent } | { holds: PersistedHold[] };

export interface WriteAheadRecovery {
  /** Events found in the file, oldest first (some may already be in SQLite: import by uid). */
  events: SafetyEvent[];
  /** The newest hold snapshot found, if any (newer than or equal to SQLite's). */
  holds: PersistedHold[] | undefined;
  /** Lines that could not be parsed (a torn last line after a kill). */
  torn: number;
}

export interface WriteAheadStats {
  appended: number;
  failures: number;
  lastError: string | null;
  bytes: number;
}

/** What the write-ahead journal forwards to once a record is appended (the SQLite journal). */
export interface SettlingJournal extends SafetyJournalLike {
  /** Everything recorded so far is in the database. */
  settled(): boolean;
}

export const WRITE_AHEAD_DEFAULTS = {
  /** Empty the file once the database has caught up and it has grown past this. */
  compactBytes: 64 * 1024,
} as const;

export class WriteAheadJournal implements SafetyJournalLike {
  private fd: number | undefined;
  private readonly run = randomBytes(4).toString('hex');
  private readonly counters = { appended: 0, failures: 0, lastError: null as string | null, bytes: 0 };

  constructor(
    private readonly path: string,
    private readonly inner: SettlingJournal,
    private readonly compactBytes: number = WRITE_AHEAD_DEFAULTS.compactBytes,
  ) {
    try {
      this.fd = openSync(path, 'a', 0o640);
      this.counters.bytes = fstatSync(this.fd).size;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Read what a previous process left (call before constructing the journal on the same file). */
  static recover(path: string): WriteAheadRecovery {
    const out: WriteAheadRecovery = { events: [], holds: undefined, torn: 0 };
    if (!existsSync(path)) return out;
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      if (text === '') continue;
      try {
        const line = JSON.parse(text) as Line;
        if ('e' in line) out.events.push(line.e);
        else if (Array.isArray(line.holds)) out.holds = line.holds;
        else out.torn++;
      } catch {
        out.torn++;
      }
    }
    return out;
  }

  record(events: readonly SafetyEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) if (e.uid === undefined && e.seq >= 0) e.uid = `${this.run}-${e.seq}`;
    this.append(events.map((e) => JSON.stringify({ e } satisfies Line)).join('\n'));
    this.inner.record(events);
  }

  saveHolds(holds: PersistedHold[]): void {
    this.append(JSON.stringify({ holds } satisfies Line));
    this.inner.saveHolds(holds);
  }

  /**
   * Append an event that does not come from the engine (engine failure, recovery) and say whether
   * it reached the file: the caller may need to know the record exists.
   */
  recordNow(event: SafetyEvent): boolean {
    event.uid ??= `${this.run}-x${this.counters.appended}`;
    const ok = this.append(JSON.stringify({ e: event } satisfies Line));
    this.inner.record([event]);
    return ok;
  }

  stats(): WriteAheadStats {
    return { ...this.counters };
  }

  /** Empty the file if the database has everything and the file is worth emptying (call off the cut path). */
  compact(force = false): void {
    if (this.fd === undefined || this.counters.bytes === 0) return;
    if (!force && this.counters.bytes < this.compactBytes) return;
    if (!this.inner.settled()) return;
    try {
      ftruncateSync(this.fd, 0);
      this.counters.bytes = 0;
    } catch (err) {
      this.fail(err);
    }
  }

  close(): void {
    this.compact(true);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private append(text: string): boolean {
    try {
      // Opening failed before (no space for the inode, a read-only remount): try again now.
      this.fd ??= openSync(this.path, 'a', 0o640);
      const line = `${text}\n`;
      // One write(2) per call: with O_APPEND a line is never interleaved, and a kill leaves at
      // most a torn last line (skipped at recovery).
      this.counters.bytes += writeSync(this.fd, line);
      this.counters.appended++;
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  private fail(err: unknown): void {
    this.counters.failures++;
    this.counters.lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message ?? String(err);
  }
}

/** The journal behind the write-ahead file: settles once the database has the records. */
export interface RecordJournal extends SettlingJournal {
  flush(): Promise<void>;
  close(): Promise<void>;
}
