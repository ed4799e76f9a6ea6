// Gap markers: whenever the outbox drops routine records (full, too old, disk full, or the
// in-memory stage overflowed while the disk was unwritable) it says so upstream, with the exact
// sequence range and the hashes either side, so the platform can tell an explained gap from a
// lost message and re-link the hash chain across it. Markers are critical and go first.
import { DAY_MS } from '../stream.js';
import { defineJsonlStream } from './jsonl.js';

export type GapReason =
  /** The outbox's byte cap was reached; oldest routine batches made room. */
  | 'over-cap'
  /** Routine batches older than the outbox's age limit. */
  | 'too-old'
  /** The database refused writes (disk full); oldest routine batches were deleted to make room. */
  | 'disk-full'
  /** The in-memory stage overflowed while the disk was unwritable; these records never got sequence numbers. */
  | 'queue-overflow';

export interface GapMarker {
  /** Stream whose records were dropped. */
  stream: string;
  reason: GapReason;
  records: number;
  batches: number;
  /** Dropped sequence range, inclusive; null for queue-overflow (records dropped before numbering). */
  firstSeq: number | null;
  lastSeq: number | null;
  /** Acquisition times of the oldest and newest dropped record, ms epoch. */
  fromTime: number;
  toTime: number;
  /** Hash the first dropped batch chained to, and the hash of the last dropped batch: the bridge across the gap. */
  prevHash: string | null;
  lastHash: string | null;
  /** When the drop happened, ms epoch. */
  at: number;
}

export const gapStream = defineJsonlStream<GapMarker>({
  name: 'gap',
  type: 'GAP',
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  timeOf: (m) => m.at,
});
