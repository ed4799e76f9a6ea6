// Space reclaim for the outbox's file: hands free pages back to the filesystem (the SD card) when
// the file was created with incremental auto-vacuum (openSyncDatabase), a bounded number per step
// so no step stalls the event loop for long, and truncates the WAL once the outbox is empty.
import { OUTBOX_DEFAULTS } from './outbox-options.js';
import type { OutboxStore } from './outbox-store.js';
import { messageOf, type SyncLogger } from './sync-error.js';

export class SpaceReclaimer {
  private last = 0;
  /** Who truncates the WAL after a full drain (a checkpoint worker), or null: this connection does. */
  private walTruncate: (() => boolean) | null = null;
  /** Batches were written or deleted since the last WAL truncation. */
  private walDirty = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly now: () => number,
    private readonly log: SyncLogger,
  ) {}

  /** Batches were written or deleted: the WAL is worth truncating after the next full drain. */
  markDirty(): void {
    this.walDirty = true;
  }

  delegateWalTruncate(truncate: (() => boolean) | null): void {
    this.walTruncate = truncate;
  }

  /** A step would run now (at most one per reclaimIntervalMs). */
  get due(): boolean {
    return this.now() - this.last >= OUTBOX_DEFAULTS.reclaimIntervalMs;
  }

  /** One paced step: vacuum a few pages; when `drained` (no batch stored), truncate the WAL if anything changed. */
  step(drained: boolean): void {
    const t = this.now();
    if (t - this.last < OUTBOX_DEFAULTS.reclaimIntervalMs) return;
    this.last = t;
    try {
      const vacuumed = this.store.vacuumStep(OUTBOX_DEFAULTS.reclaimPagesPerStep);
      // Truncate the WAL once after a drain and after each vacuum step, not every second while idle.
      // A checkpoint is an fsync: the worker does it when there is one (wal-checkpointer.ts).
      if (drained && (vacuumed || this.walDirty)) {
        this.walDirty = false;
        if (!this.walTruncate?.()) this.store.truncateWal();
      }
    } catch (err) {
      this.log.warn({ err: messageOf(err) }, 'outbox space reclaim failed; freed pages are still reused');
    }
  }
}
