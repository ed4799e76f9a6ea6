// The journal behind the kernel's write-ahead file: records cross to the gateway process, whose SQLite
// journal writes them and answers "persisted through n". Until then they are not settled, and the
// write-ahead file keeps them (it is emptied only once everything is settled).
import type { SafetyEvent } from '../safety/events.js';
import type { PersistedHold } from '../safety/holds.js';
import type { RecordJournal } from '../safety/safety-loop.js';
import type { KernelChannel } from './kernel-channel.js';

export const CHANNEL_JOURNAL_DEFAULTS = {
  /** close() gives up waiting for the gateway process after this long (the file keeps the rest). */
  closeTimeoutMs: 2_000,
} as const;

export class ChannelJournal implements RecordJournal {
  private sent = 0;
  private persisted = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(private readonly channel: KernelChannel) {}

  record(events: readonly SafetyEvent[]): void {
    if (events.length === 0) return;
    this.sent += events.length;
    // After the cycle's coil writes: the write-ahead file already has them (write-ahead-journal.ts).
    this.channel.sendAfterTurn({ t: 'records', n: this.sent, events: [...events] });
  }

  /** The holds as last saved: what a reload's next loop restores (the store has them too, a moment later). */
  lastHolds: PersistedHold[] | undefined;

  saveHolds(holds: PersistedHold[]): void {
    this.lastHolds = holds;
    this.sent++;
    this.channel.sendAfterTurn({ t: 'records', n: this.sent, holds });
  }

  /** The gateway process's answer. */
  persistedThrough(n: number): void {
    if (n <= this.persisted) return;
    this.persisted = n;
    const ready = this.waiters.filter((w) => w.n <= n);
    this.waiters = this.waiters.filter((w) => w.n > n);
    for (const w of ready) w.resolve();
  }

  settled(): boolean {
    return this.persisted >= this.sent;
  }

  /** Resolves once the gateway process has stored everything sent so far. */
  flush(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n: this.sent, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, CHANNEL_JOURNAL_DEFAULTS.closeTimeoutMs);
      void this.flush().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
