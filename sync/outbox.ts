// The durable outbox: everything that goes upstream passes through here.
//
// append() is called from the polling and safety path, so it only pushes onto a fixed-size
// in-memory queue (O(1), no disk, never throws; outbox-stage.ts). A timer flushes the queue in
// batched transactions: records get their per-stream sequence numbers, are grouped into batches
// (one batch = one MT/T 1201 file), and each batch is sealed (hash chain + Ed25519 signature;
// outbox-sealer.ts) before it is written (outbox-store.ts). The uplink reads sealed batches and
// deletes them only after the broker's PUBACK.
//
// Full policy (outbox-retention.ts; see sync/README.md for the exact contract):
// - the byte cap counts the payload bytes of stored batches; when a flush would exceed it, the
//   oldest routine batches are deleted in the same transaction and a gap marker goes upstream;
// - routine batches older than maxAgeMs are dropped the same way;
// - critical batches are never dropped before they are acknowledged;
// - when SQLite refuses writes (disk full), oldest routine batches are deleted to make room; if that
//   is not enough, records wait in memory (bounded; routine overflow is counted and reported).
//
// This file is the facade: it keeps the public API, owns the counters and decides when each part
// runs (outbox-health.ts tracks whether the disk takes writes, outbox-reclaim.ts gives space back).
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { OutboxHealth } from './outbox-health.js';
import { validateOutboxOptions, type OutboxOptions, type ResolvedOutboxOptions } from './outbox-options.js';
import { SpaceReclaimer } from './outbox-reclaim.js';
import { agedPrefix, bytesForDiskFull, bytesOverCap, gapMarkers, oldestRoutine, type VictimRow } from './outbox-retention.js';
import { sealLines, type ChainState, type PendingBatch, type SealContext } from './outbox-sealer.js';
import { OutboxStage } from './outbox-stage.js';
import { OutboxStore, type BatchSize, type LaneBacklog, type StoredBatch } from './outbox-store.js';
import type { FlushResult, OutboxEvents, OutboxStats } from './outbox-types.js';
import { LANES, type Lane, type StreamDef } from './stream.js';
import { gapStream, type GapMarker, type GapReason } from './streams/gap.js';
import { silentLogger, type SyncLogger } from './sync-error.js';

export { OUTBOX_DEFAULTS, type OutboxOptions } from './outbox-options.js';
export type { LaneBacklog, StoredBatch } from './outbox-store.js';
export type { FlushResult, OutboxEvents, OutboxStats, SealedBatchInfo } from './outbox-types.js';

const NOTHING_FLUSHED: FlushResult = { records: 0, batches: 0, rejected: 0, ok: true };

export class Outbox extends EventEmitter<OutboxEvents> {
  private readonly store: OutboxStore;
  private readonly opts: ResolvedOutboxOptions;
  private readonly sealing: SealContext;
  private readonly log: SyncLogger;
  private readonly now: () => number;

  private readonly stage: OutboxStage;
  private readonly streams = new Map<string, StreamDef<unknown>>();
  private readonly chains = new Map<string, ChainState>();
  private readonly inFlight = new Map<number, BatchSize>();
  private readonly isInFlight = (id: number): boolean => this.inFlight.has(id);

  private storedBytes = 0;
  private storedBatches = 0;
  private storedRecords = 0;
  private counters = {
    appended: 0,
    committedRecords: 0,
    committedBatches: 0,
    ackedBatches: 0,
    ackedRecords: 0,
    rejected: 0,
    gapMarkers: 0,
  };
  /** Routine records dropped from disk, per reason (queue-overflow ones are counted by the stage). */
  private dropped: Record<GapReason, number> = { 'over-cap': 0, 'too-old': 0, 'disk-full': 0, 'queue-overflow': 0 };
  private readonly health: OutboxHealth;
  private readonly reclaimer: SpaceReclaimer;
  private lastAttemptBytes = 0;
  private flushing = false;
  private closed = false;
  private flushSoon: NodeJS.Immediate | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private housekeepingTimer: NodeJS.Timeout | null = null;
  private readonly warnedStreams = new Set<string>();

  constructor(options: OutboxOptions) {
    super();
    const o = validateOutboxOptions(options);
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.opts = o;
    this.sealing = { ...o, signingKey: options.signingKey as KeyObject, now: this.now };
    this.stage = new OutboxStage(o.queueCapacity, o.criticalQueueCapacity, this.now, this.log);
    this.store = new OutboxStore(options.db);
    this.health = new OutboxHealth(this.log, this.now, o.diskRetryMs, o.maxBytes);
    this.reclaimer = new SpaceReclaimer(this.store, this.now, this.log);

    const totals = this.store.totals();
    this.storedBatches = totals.batches;
    this.storedBytes = totals.bytes;
    this.storedRecords = totals.records;
    this.register(gapStream as StreamDef<unknown>);

    if (o.autoFlush) {
      this.flushTimer = setInterval(() => this.flushFromTimer(), o.flushIntervalMs);
      this.flushTimer.unref();
      this.housekeepingTimer = setInterval(() => this.housekeeping(), o.housekeepingIntervalMs);
      this.housekeepingTimer.unref();
    }
  }

  /**
   * Queues one record for upstream. O(1), no disk access, never throws: a record that cannot be
   * accepted is counted (stats().rejected / dropped / lostCritical) and logged instead.
   */
  append<R>(stream: StreamDef<R>, record: R): void {
    const def = stream as StreamDef<unknown>;
    if (this.closed) {
      this.counters.rejected++;
      return;
    }
    const known = this.streams.get(def.name);
    if (known !== def && !this.register(def)) {
      this.counters.rejected++;
      return;
    }
    this.counters.appended++;
    const queued = this.stage.push(def, record);
    // A burst: flush as soon as the current task ends instead of waiting for the timer.
    if (queued >= this.opts.maxFlushRecords && this.flushSoon === null && this.opts.autoFlush) {
      this.flushSoon = setImmediate(() => {
        this.flushSoon = null;
        this.flushFromTimer();
      });
    }
  }

  /**
   * Writes queued records as sealed batches, in one transaction. Called by the timer; tests and
   * shutdown call it directly. Never throws for database errors (see FlushResult.ok).
   */
  flush(): FlushResult {
    if (this.flushing) return { ...NOTHING_FLUSHED };
    this.flushing = true;
    try {
      let result = this.tryFlush(false);
      if (!result.ok && this.health.lastFailureWasFull) {
        // Disk full: make room for this flush by dropping the oldest routine batches, then try once more.
        if (this.freeSpaceForDisk(this.lastAttemptBytes)) result = this.tryFlush(false);
        // Still full (nothing routine left on disk): at least get the critical records in.
        if (!result.ok && this.health.lastFailureWasFull && this.stage.criticalSize > 0) result = this.tryFlush(true);
      }
      return result;
    } finally {
      this.flushing = false;
    }
  }

  /** Drops routine batches past the age limit, prunes history past its retention, reclaims space. */
  housekeeping(): void {
    if (this.closed) return;
    try {
      const cutoff = this.now() - this.opts.maxAgeMs;
      const victims: VictimRow[] = [];
      for (const stream of this.store.storedStreams()) victims.push(...agedPrefix(this.store.streamOldestFirst(stream), this.isInFlight, cutoff));
      if (victims.length > 0) this.commitDrops(victims, 'too-old');
      this.store.pruneHistory(this.now());
      this.reclaimer.step(this.storedBatches === 0);
    } catch (err) {
      this.health.noteFailure(err, 'housekeeping');
    }
  }

  /**
   * The next sealed batch of `lane` with an id above `afterId`, marked in flight (in-flight
   * batches are never dropped). The uplink keeps one cursor per lane per connection.
   */
  claimNext(lane: Lane, afterId: number): StoredBatch | undefined {
    if (this.closed) return undefined;
    const batch = this.store.nextInLane(lane, afterId);
    if (!batch) return undefined;
    this.inFlight.set(batch.id, { bytes: batch.bytes, records: batch.records });
    return batch;
  }

  /** Forget in-flight marks (the connection dropped; unacked batches will be sent again). */
  releaseAll(): void {
    this.inFlight.clear();
  }

  /**
   * The broker acknowledged batch `id`: delete it (copying it to history when its stream keeps
   * history). Returns false when the batch is not stored (already acked).
   */
  ack(id: number): boolean {
    return this.ackMany([id]) === 1;
  }

  /**
   * Acknowledges several batches in one transaction (the uplink collects the PUBACKs of one
   * event-loop turn): a tenth of the WAL writes of one commit per batch. Returns how many were deleted.
   */
  ackMany(ids: readonly number[]): number {
    if (this.closed || ids.length === 0) return 0;
    const acked: [number, BatchSize][] = [];
    for (const id of ids) {
      const size = this.inFlight.get(id) ?? this.store.batchSize(id);
      this.inFlight.delete(id);
      if (size) acked.push([id, size]);
    }
    if (acked.length === 0) return 0;
    let deleted: [number, BatchSize][] = [];
    try {
      deleted = this.store.ackWithHistory(acked, this.now());
    } catch (err) {
      // No room for the history copies (disk full): the platform has them; free the outbox anyway.
      this.health.noteFailure(err, 'history copy of acked batches');
      try {
        deleted = this.store.ackWithoutHistory(acked);
      } catch (err2) {
        this.health.noteFailure(err2, 'delete of acked batches');
        return 0;
      }
    }
    if (deleted.length > 0) this.reclaimer.markDirty();
    for (const [, size] of deleted) {
      this.storedBatches--;
      this.storedBytes -= size.bytes;
      this.storedRecords -= size.records;
      this.counters.ackedBatches++;
      this.counters.ackedRecords += size.records;
    }
    this.health.checkCapAfterAck(this.storedBytes);
    if (this.storedBatches === 0) this.reclaimer.step(true);
    return deleted.length;
  }

  stats(): OutboxStats {
    const space = this.store.isOpen ? this.store.fileSpace() : { fileBytes: 0, freeBytes: 0 };
    return {
      queued: this.stage.size,
      queuedCritical: this.stage.criticalSize,
      storedBatches: this.storedBatches,
      storedRecords: this.storedRecords,
      storedBytes: this.storedBytes,
      maxBytes: this.opts.maxBytes,
      overCap: this.health.overCap,
      diskBlocked: this.health.diskBlocked,
      ...this.counters,
      flushFailures: this.health.flushFailures,
      lostCritical: this.stage.lostCritical,
      dropped: { ...this.dropped, 'queue-overflow': this.stage.overflowedRoutine },
      lastError: this.health.lastError,
      inFlight: this.inFlight.size,
      ...space,
    };
  }

  /**
   * Stored (unacknowledged) batches per lane, with their records and payload bytes and the
   * acquisition time of the oldest record: the status screen's backlog. One indexed query; not
   * for the hot path.
   */
  backlogByLane(): Record<Lane, LaneBacklog> {
    const out = Object.fromEntries(LANES.map((l) => [l, { batches: 0, records: 0, bytes: 0, oldestTime: null }])) as Record<Lane, LaneBacklog>;
    if (!this.store.isOpen) return out;
    for (const { lane, backlog } of this.store.backlogRows()) out[lane] = backlog;
    return out;
  }

  /**
   * Hand the WAL truncation after a full drain to someone else (the checkpoint worker); `truncate`
   * returns false when it cannot, and this connection does it then.
   */
  delegateWalTruncate(truncate: (() => boolean) | null): void {
    if (truncate !== null && typeof truncate !== 'function') throw new TypeError(`Outbox.delegateWalTruncate: expected a function or null, got ${typeof truncate}`);
    this.reclaimer.delegateWalTruncate(truncate);
  }

  /** Current sequence state of a stream: the next number to assign and the chain head. */
  streamState(stream: string): { nextSeq: number; lastHash: string } {
    return { ...this.chain(stream) };
  }

  /** Stops the timers and writes what is queued (best effort). The database stays open: its owner closes it. */
  close(): FlushResult {
    if (this.closed) return { ...NOTHING_FLUSHED };
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.housekeepingTimer) clearInterval(this.housekeepingTimer);
    if (this.flushSoon) clearImmediate(this.flushSoon);
    this.flushTimer = this.housekeepingTimer = this.flushSoon = null;
    let result: FlushResult = { ...NOTHING_FLUSHED };
    if (this.store.isOpen) {
      this.health.retryNow();
      // A full queue may need several transactions.
      for (let i = 0; i < 1000 && !this.stage.isEmpty; i++) {
        result = this.flush();
        if (!result.ok) break;
      }
    }
    this.closed = true;
    this.inFlight.clear();
    return result;
  }

  // ---- internals ------------------------------------------------------------------------------

  private register(def: StreamDef<unknown>): boolean {
    const known = this.streams.get(def.name);
    if (known && known !== def) {
      if (!this.warnedStreams.has(def.name)) {
        this.warnedStreams.add(def.name);
        this.log.error({ stream: def.name }, 'two different stream definitions share one name; records of the second are rejected');
      }
      return false;
    }
    this.streams.set(def.name, def);
    return true;
  }

  private flushFromTimer(): void {
    if (this.closed) return;
    // Drained: hand freed pages back to the SD card, one small step a second (reclaim() paces it).
    if (this.storedBatches === 0 && this.reclaimer.due) this.reclaimer.step(true);
    if (this.stage.isEmpty) return;
    if (!this.health.mayTryWrite()) return;
    this.flush();
  }

  private chain(stream: string): ChainState {
    let s = this.chains.get(stream);
    if (!s) this.chains.set(stream, (s = this.store.chainState(stream)));
    return s;
  }

  private tryFlush(criticalOnly: boolean): FlushResult {
    const take = this.stage.take(this.opts.maxFlushRecords, criticalOnly);
    let rejected = take.rejected;
    const working = new Map<string, ChainState>();
    const pending: PendingBatch[] = [];
    for (const g of take.groups.values()) rejected += this.seal(g.def, g.lines, g.times, working, pending);
    let pendingBytes = 0;
    for (const b of pending) pendingBytes += b.payload.length;
    this.lastAttemptBytes = pendingBytes;

    // Enforce the byte cap inside the same transaction: drop oldest routine batches first.
    let victims: VictimRow[] = [];
    let markers: GapMarker[] = [];
    const toFree = bytesOverCap(this.storedBytes, pendingBytes, this.opts.maxBytes);
    if (toFree > 0) {
      victims = oldestRoutine(this.store.routineOldestFirst(), this.isInFlight, toFree);
      markers = gapMarkers(victims, 'over-cap', this.now());
      if (markers.length > 0) this.sealMarkers(markers, working, pending);
    }

    if (pending.length === 0 && victims.length === 0) {
      this.stage.release(take, false);
      this.counters.rejected += rejected;
      return { records: 0, batches: 0, rejected, ok: true };
    }

    try {
      this.store.write(victims, pending, working);
    } catch (err) {
      this.health.noteFailure(err, 'flush', true);
      return { records: 0, batches: 0, rejected: 0, ok: false };
    }

    // Committed: only now does memory state follow the database.
    this.stage.release(take, true);
    this.counters.rejected += rejected;
    const result = this.applyCommitted(pending, working);
    this.applyDrops(victims, markers);
    this.health.writesAccepted();
    this.health.checkCap(this.storedBytes);
    return { ...result, rejected, ok: true };
  }

  /** Seals one stream's lines against the working chain state (a copy until the write commits). Returns records rejected. */
  private seal(def: StreamDef<unknown>, lines: string[], times: number[], working: Map<string, ChainState>, out: PendingBatch[]): number {
    let chain = working.get(def.name);
    if (!chain) working.set(def.name, (chain = { ...this.chain(def.name) }));
    let rejected = 0;
    for (const f of sealLines(def, lines, times, chain, this.sealing, out)) {
      rejected += f.records;
      this.log.error({ stream: def.name, records: f.records, err: f.err }, 'batch could not be encoded; its records are not sent');
    }
    return rejected;
  }

  private sealMarkers(markers: GapMarker[], working: Map<string, ChainState>, out: PendingBatch[]): void {
    this.seal(gapStream as StreamDef<unknown>, markers.map((m) => gapStream.toLine(m)), markers.map((m) => m.at), working, out);
  }

  private applyCommitted(pending: PendingBatch[], working: Map<string, ChainState>): { records: number; batches: number } {
    let records = 0;
    for (const b of pending) {
      this.storedBatches++;
      this.storedBytes += b.payload.length;
      this.storedRecords += b.records;
      if (b.def !== gapStream) records += b.records;
    }
    for (const [stream, st] of working) this.chains.set(stream, st);
    this.reclaimer.markDirty();
    this.counters.committedRecords += records;
    this.counters.committedBatches += pending.length;
    if (pending.length > 0) this.emit('batches', pending.length);
    if (this.listenerCount('sealed') > 0) {
      for (const b of pending) {
        this.emit('sealed', { stream: b.def.name, type: b.def.type, firstSeq: b.firstSeq, lastSeq: b.lastSeq, records: b.records, sealedAt: b.sealedAt, name: b.name, payload: b.payload });
      }
    }
    return { records, batches: pending.length };
  }

  private applyDrops(victims: VictimRow[], markers: GapMarker[]): void {
    for (const v of victims) {
      this.storedBatches--;
      this.storedBytes -= v.bytes;
      this.storedRecords -= v.records;
    }
    for (const m of markers) {
      this.dropped[m.reason] += m.records;
      this.counters.gapMarkers++;
      this.log.warn({ ...m }, `dropped ${m.records} routine ${m.stream} records (${m.reason}); a gap marker goes upstream`);
      this.emit('gap', m);
    }
  }

  /** Deletes victims and writes their gap markers in one transaction. */
  private commitDrops(victims: VictimRow[], reason: GapReason): boolean {
    const markers = gapMarkers(victims, reason, this.now());
    const working = new Map<string, ChainState>();
    const pending: PendingBatch[] = [];
    this.sealMarkers(markers, working, pending);
    try {
      this.store.write(victims, pending, working);
    } catch (err) {
      this.health.noteFailure(err, `dropping ${reason} batches`, true);
      return false;
    }
    this.applyCommitted(pending, working);
    this.applyDrops(victims, markers);
    return true;
  }

  private freeSpaceForDisk(needBytes: number): boolean {
    const victims = oldestRoutine(this.store.routineOldestFirst(), this.isInFlight, bytesForDiskFull(needBytes));
    if (victims.length === 0) return false;
    return this.commitDrops(victims, 'disk-full');
  }
}
