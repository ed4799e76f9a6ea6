// The outbox's in-memory stage: what append() puts records into before a flush writes them.
// Two fixed-size queues (critical records never wait behind routine ones) that never allocate
// after construction and never block: when one is full its oldest record is pushed out and
// counted per stream, and the next flush sends a queue-overflow gap marker for it.
import { overflowMarkers, type MemoryDrop } from './outbox-retention.js';
import { BoundedQueue } from '../core/bounded-queue.js';
import type { StreamDef } from './stream.js';
import { gapStream } from './streams/gap.js';
import { messageOf, type SyncLogger } from './sync-error.js';

interface StagedEntry {
  stream: StreamDef<unknown>;
  record: unknown;
}

/** One stream's record lines of a flush, in append order, with their acquisition times. */
export interface StreamLines {
  def: StreamDef<unknown>;
  lines: string[];
  times: number[];
}

/** The head of the stage, encoded into lines, ready to seal; release() removes it once written. */
export interface StagedTake {
  groups: Map<string, StreamLines>;
  /** Records their stream could not encode (bad field). */
  rejected: number;
  readonly fromCritical: number;
  readonly fromRoutine: number;
  /** Streams whose overflow markers are in `groups`. */
  readonly dropStreams: readonly string[];
}

export class OutboxStage {
  private readonly routine: BoundedQueue<StagedEntry>;
  private readonly critical: BoundedQueue<StagedEntry>;
  private readonly memoryDrops = new Map<string, MemoryDrop>();
  /** Critical records pushed out of a full queue: lost (the disk refused writes for too long). */
  lostCritical = 0;
  /** Routine records pushed out of a full queue. */
  overflowedRoutine = 0;

  constructor(
    routineCapacity: number,
    criticalCapacity: number,
    private readonly now: () => number,
    private readonly log: SyncLogger,
  ) {
    this.routine = new BoundedQueue(routineCapacity, { preallocate: true });
    this.critical = new BoundedQueue(criticalCapacity, { preallocate: true });
  }

  get size(): number {
    return this.routine.size + this.critical.size;
  }

  get criticalSize(): number {
    return this.critical.size;
  }

  /** Nothing queued and no overflow left to report. */
  get isEmpty(): boolean {
    return this.routine.size + this.critical.size === 0 && this.memoryDrops.size === 0;
  }

  /** Queues one record (O(1)); returns how many records its queue now holds. */
  push(def: StreamDef<unknown>, record: unknown): number {
    const queue = def.criticality === 'critical' ? this.critical : this.routine;
    const evicted = queue.push({ stream: def, record });
    if (evicted) this.noteEvicted(evicted);
    return queue.size;
  }

  /**
   * Encodes the oldest `maxRecords` records (critical first; `criticalOnly` leaves routine ones
   * queued) into per-stream lines, plus one overflow marker per stream that lost records. Nothing
   * leaves the stage until release().
   */
  take(maxRecords: number, criticalOnly: boolean): StagedTake {
    const count = Math.min(maxRecords, this.critical.size + (criticalOnly ? 0 : this.routine.size));
    const fromCritical = Math.min(count, this.critical.size);
    const fromRoutine = count - fromCritical;
    // Group by stream, keeping append order within each stream.
    const groups = new Map<string, StreamLines>();
    let rejected = 0;
    const addEntry = (entry: StagedEntry): void => {
      let line: string;
      let time: number;
      try {
        line = entry.stream.toLine(entry.record);
        time = entry.stream.timeOf(entry.record);
        if (!Number.isFinite(time)) throw new TypeError(`timeOf() returned ${String(time)}`);
      } catch (err) {
        rejected++;
        this.log.error({ stream: entry.stream.name, err: messageOf(err) }, 'record rejected by its stream encoder; it is not sent');
        return;
      }
      let g = groups.get(entry.stream.name);
      if (!g) groups.set(entry.stream.name, (g = { def: entry.stream, lines: [], times: [] }));
      g.lines.push(line);
      g.times.push(time);
    };
    for (let i = 0; i < fromCritical; i++) addEntry(this.critical.peek(i)!);
    for (let i = 0; i < fromRoutine; i++) addEntry(this.routine.peek(i)!);
    const dropStreams = [...this.memoryDrops.keys()];
    if (dropStreams.length > 0) {
      const at = this.now();
      let g = groups.get(gapStream.name);
      if (!g) groups.set(gapStream.name, (g = { def: gapStream as StreamDef<unknown>, lines: [], times: [] }));
      for (const marker of overflowMarkers(this.memoryDrops, at)) {
        g.lines.push(gapStream.toLine(marker));
        g.times.push(at);
      }
    }
    return { groups, rejected, fromCritical, fromRoutine, dropStreams };
  }

  /** Removes a take's records (written, or rejected); with `markersSent`, also the overflow it reported. */
  release(take: StagedTake, markersSent: boolean): void {
    this.critical.drop(take.fromCritical);
    this.routine.drop(take.fromRoutine);
    if (markersSent) for (const stream of take.dropStreams) this.memoryDrops.delete(stream);
  }

  private noteEvicted(entry: StagedEntry): void {
    const critical = entry.stream.criticality === 'critical';
    let time = this.now();
    try {
      const t = entry.stream.timeOf(entry.record);
      if (Number.isFinite(t)) time = t;
    } catch {
      // the record is gone either way; its time is only for the marker
    }
    let d = this.memoryDrops.get(entry.stream.name);
    if (!d) {
      this.memoryDrops.set(entry.stream.name, (d = { records: 0, fromTime: time, toTime: time, critical }));
      this.log.error(
        { stream: entry.stream.name, critical },
        critical ? 'in-memory outbox stage overflowed: CRITICAL records are being lost' : 'in-memory outbox stage overflowed: oldest routine records dropped',
      );
    }
    d.records++;
    d.fromTime = Math.min(d.fromTime, time);
    d.toTime = Math.max(d.toTime, time);
    if (critical) this.lostCritical++;
    else this.overflowedRoutine++;
  }
}
