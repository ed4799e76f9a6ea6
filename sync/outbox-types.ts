// What the outbox reports: the result of a flush, its statistics, and the events it emits.
import type { GapMarker, GapReason } from './streams/gap.js';

export interface FlushResult {
  /** Records written in this flush. */
  records: number;
  batches: number;
  /** Records refused by their stream's encoder (counted in stats().rejected). */
  rejected: number;
  /** False when the database refused the write; records stay queued. */
  ok: boolean;
}

export interface OutboxStats {
  /** Records waiting in memory (routine + critical). */
  queued: number;
  queuedCritical: number;
  storedBatches: number;
  storedRecords: number;
  /** Payload bytes of stored batches: the capped quantity. */
  storedBytes: number;
  maxBytes: number;
  /** Stored bytes exceed the cap with nothing routine left to drop (critical data is never dropped). */
  overCap: boolean;
  /** The database refuses writes (disk full or I/O error); records are held in memory. */
  diskBlocked: boolean;
  appended: number;
  committedRecords: number;
  committedBatches: number;
  ackedBatches: number;
  ackedRecords: number;
  /** Routine records dropped, per reason. */
  dropped: Record<GapReason, number>;
  /** Critical records lost because the in-memory stage overflowed while the disk refused writes. */
  lostCritical: number;
  /** Records their stream could not encode (bad field), or appended after close. */
  rejected: number;
  gapMarkers: number;
  flushFailures: number;
  lastError: string | null;
  inFlight: number;
  /** page_count × page_size and freelist bytes of the database file (excluding the -wal file). */
  fileBytes: number;
  freeBytes: number;
}

export interface OutboxEvents {
  /** New sealed batches are ready to drain. */
  batches: [count: number];
  /** Records were dropped (the marker also goes upstream). */
  gap: [marker: GapMarker];
  /** One batch was committed (after its transaction): for exporters such as the file drop. Listeners must be cheap. */
  sealed: [batch: SealedBatchInfo];
}

/** A committed batch as the 'sealed' event reports it. */
export interface SealedBatchInfo {
  stream: string;
  type: string;
  firstSeq: number;
  lastSeq: number;
  records: number;
  sealedAt: number;
  name: string;
  payload: Buffer;
}
