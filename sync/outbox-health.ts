// Whether the outbox's database takes writes, and whether the outbox is over its byte cap: the
// two conditions an operator must see (stats().diskBlocked / overCap, and one log line each time
// one of them changes, not one per failed flush).
import { messageOf, type SyncLogger } from './sync-error.js';

export class OutboxHealth {
  lastError: string | null = null;
  /** The last failure that blocks writes was SQLITE_FULL: dropping routine batches may make room. */
  lastFailureWasFull = false;
  /** The database refuses writes (disk full or I/O error); records are held in memory. */
  diskBlocked = false;
  /** Stored bytes exceed the cap with nothing routine left to drop (critical data is never dropped). */
  overCap = false;
  flushFailures = 0;
  private blockedUntil = 0;

  constructor(
    private readonly log: SyncLogger,
    private readonly now: () => number,
    private readonly diskRetryMs: number,
    private readonly maxBytes: number,
  ) {}

  /** Records a database failure; `blocksWrites` failures hold records in memory until diskRetryMs has passed. */
  noteFailure(err: unknown, what: string, blocksWrites = false): void {
    this.lastError = `${what}: ${messageOf(err)}`;
    if (!blocksWrites) {
      this.log.warn({ err: messageOf(err) }, `outbox ${what} failed`);
      return;
    }
    this.flushFailures++;
    this.lastFailureWasFull = (err as { code?: unknown })?.code === 'SQLITE_FULL';
    this.blockedUntil = this.now() + this.diskRetryMs;
    if (!this.diskBlocked) {
      this.diskBlocked = true;
      const code = (err as { code?: string })?.code;
      this.log.error({ code, err: messageOf(err) }, 'outbox database refuses writes; records are held in memory and routine ones may be dropped');
    }
  }

  /** A write committed. */
  writesAccepted(): void {
    if (!this.diskBlocked) return;
    this.diskBlocked = false;
    this.log.info({}, 'outbox database accepts writes again');
  }

  /** The timer may try a flush: the database is not known to refuse writes, or diskRetryMs has passed. */
  mayTryWrite(): boolean {
    return !this.diskBlocked || this.now() >= this.blockedUntil;
  }

  /** Shutdown: try a write at once, whatever the last failure was. */
  retryNow(): void {
    this.blockedUntil = 0;
  }

  /** After a flush: `storedBytes` over the cap means only critical data is left (routine was dropped first). */
  checkCap(storedBytes: number): void {
    const over = storedBytes > this.maxBytes;
    if (over !== this.overCap) this.setOverCap(over, storedBytes);
  }

  /** After acknowledgements: back under the cap ends the over-cap state (acks never start it). */
  checkCapAfterAck(storedBytes: number): void {
    if (this.overCap && storedBytes <= this.maxBytes) this.setOverCap(false, storedBytes);
  }

  private setOverCap(over: boolean, storedBytes: number): void {
    this.overCap = over;
    if (over) this.log.error({ storedBytes, maxBytes: this.maxBytes }, 'outbox is over its byte cap with only critical data left; nothing is dropped');
    else this.log.info({ storedBytes }, 'outbox is back under its byte cap');
  }
}
