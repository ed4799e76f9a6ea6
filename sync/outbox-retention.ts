// The retention policy: which stored batches to drop, and the gap markers that say so upstream.
// Pure: it reads rows it is handed (the store yields them oldest first, a page at a time) and
// decides; deleting them, and sealing the markers, is the outbox's transaction.
//
// The policy (sync/README.md has the exact contract):
// - over the byte cap: the oldest routine batches go, down to capHysteresis of the cap, so the next
//   flushes do not drop again at once;
// - routine batches whose newest record is older than maxAgeMs go (AQ 6201-2019 keeps real-time
//   values locally for 7 days);
// - disk full: the oldest routine batches go until the pending flush fits, with page overhead;
// - critical batches are never dropped before they are acknowledged, and a batch in flight never.
import { OUTBOX_DEFAULTS } from './outbox-options.js';
import type { GapMarker, GapReason } from './streams/gap.js';

/** What the policy needs of a stored batch. */
export interface VictimRow {
  id: number;
  stream: string;
  first_seq: number;
  last_seq: number;
  records: number;
  bytes: number;
  first_time: number;
  last_time: number;
  prev_hash: string;
  hash: string;
}

/** Records lost from the in-memory stage of one stream (never numbered, so no sequence range). */
export interface MemoryDrop {
  records: number;
  fromTime: number;
  toTime: number;
  critical: boolean;
}

/** Payload bytes to free before a flush of `pendingBytes` can go in, or 0 when it fits under the cap. */
export function bytesOverCap(storedBytes: number, pendingBytes: number, maxBytes: number): number {
  const over = storedBytes + pendingBytes - maxBytes;
  return over > 0 ? over + Math.floor(maxBytes * (1 - OUTBOX_DEFAULTS.capHysteresis)) : 0;
}

/** Bytes to free after SQLITE_FULL so that a flush of `needBytes` fits: a batch takes more pages than its payload, so half as much again. */
export function bytesForDiskFull(needBytes: number): number {
  return Math.max(OUTBOX_DEFAULTS.diskFullMinFreeBytes, Math.ceil(needBytes * 1.5));
}

/** Oldest routine batches (`routineOldestFirst`), skipping those in flight, until `bytes` would be freed. */
export function oldestRoutine(routineOldestFirst: Iterable<VictimRow>, inFlight: (id: number) => boolean, bytes: number): VictimRow[] {
  const victims: VictimRow[] = [];
  let freed = 0;
  if (freed >= bytes) return victims;
  for (const row of routineOldestFirst) {
    if (inFlight(row.id)) continue;
    victims.push(row);
    freed += row.bytes;
    if (freed >= bytes) break;
  }
  return victims;
}

/** The leading batches of one stream (`streamOldestFirst`) whose newest record is older than `cutoff`. */
export function agedPrefix(streamOldestFirst: Iterable<VictimRow & { critical: number }>, inFlight: (id: number) => boolean, cutoff: number): VictimRow[] {
  const victims: VictimRow[] = [];
  for (const row of streamOldestFirst) {
    if (row.critical === 1) return victims; // critical streams are never aged out
    if (inFlight(row.id)) continue;
    if (row.last_time >= cutoff) return victims;
    victims.push(row);
  }
  return victims;
}

/** Contiguous runs of dropped batches per stream → one gap marker each. */
export function gapMarkers(victims: readonly VictimRow[], reason: GapReason, at: number): GapMarker[] {
  const markers: GapMarker[] = [];
  const open = new Map<string, GapMarker>();
  for (const v of victims) {
    const m = open.get(v.stream);
    if (m && m.lastSeq !== null && v.first_seq === m.lastSeq + 1) {
      m.lastSeq = v.last_seq;
      m.records += v.records;
      m.batches++;
      m.fromTime = Math.min(m.fromTime, v.first_time);
      m.toTime = Math.max(m.toTime, v.last_time);
      m.lastHash = v.hash;
      continue;
    }
    const next: GapMarker = {
      stream: v.stream,
      reason,
      records: v.records,
      batches: 1,
      firstSeq: v.first_seq,
      lastSeq: v.last_seq,
      fromTime: v.first_time,
      toTime: v.last_time,
      prevHash: v.prev_hash,
      lastHash: v.hash,
      at,
    };
    markers.push(next);
    open.set(v.stream, next);
  }
  return markers;
}

/** One queue-overflow marker per stream that lost records from the in-memory stage. */
export function overflowMarkers(drops: Iterable<[stream: string, drop: MemoryDrop]>, at: number): GapMarker[] {
  const markers: GapMarker[] = [];
  for (const [stream, d] of drops) {
    markers.push({
      stream,
      reason: 'queue-overflow',
      records: d.records,
      batches: 0,
      firstSeq: null,
      lastSeq: null,
      fromTime: d.fromTime,
      toTime: d.toTime,
      prevHash: null,
      lastHash: null,
      at,
    });
  }
  return markers;
}
