// The seal event log in memory: numbered events handed to every listener as they are raised, and
// kept until the store has written them. While the store fails the oldest are dropped beyond a
// bound (and counted), so memory stays bounded and the rules never wait on disk.
import type { Logger } from '../log.js';
import type { SealEvent } from './events.js';

export type EventInit = Omit<SealEvent, 'seq' | 'wallTime'>;

export class SealEventLog {
  nextSeq = 1;
  /** Raised and not yet written. */
  pending: SealEvent[] = [];
  /** Dropped while the store was failing, not yet reported. */
  dropped = 0;
  private readonly listeners: ((e: SealEvent) => void)[] = [];

  constructor(
    private readonly capacity: number,
    private readonly log: Logger | undefined,
  ) {}

  /** Subscribe to every event as it is raised (before it is stored). Returns an unsubscribe function. */
  subscribe(listener: (e: SealEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError(`onEvent listener must be a function, got ${String(listener)}`);
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(init: EventInit, now: number): void {
    const e: SealEvent = { seq: this.nextSeq++, wallTime: now, ...init };
    this.pending.push(e);
    if (this.pending.length > this.capacity) {
      const excess = this.pending.length - this.capacity;
      this.pending.splice(0, excess);
      this.dropped += excess;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        // A consumer's bug must not stop the seal rules.
        this.log?.error({ err: err instanceof Error ? err.message : String(err), seq: e.seq }, 'seal event listener threw');
      }
    }
  }
}
