// The reading writer's background jobs, one small step per writer tick and only once the queue is
// written (reading-store.ts calls step()): converting an old row-layout store, backfilling the
// five-minute statistics, and retention of every class. Each step is bounded (a conversion step
// ~15 ms, a retention run ≤ 50,000 readings or 20,000 rows), so the gateway's event loop is never
// held long; the safety kernel runs in its own process and never waits on any of it.
import type Database from 'better-sqlite3';
import type { Logger } from '../log.js';
import { convertLegacyReadings } from './reading-migration.js';
import { enforceReadingRetention, type RetentionRun } from './reading-retention.js';
import { CLASS_RETENTION_DEFAULTS, RETENTION_MINIMUM_DAYS, type ClassRetention, type ClassRetentionRun } from './retention-classes.js';
import type { ConversionStep } from './segment-conversion.js';
import { backfillStatistics } from './statistics-store.js';

const DAY_MS = 86_400_000;
/** AQ 6201-2019: real-time values are kept at least 7 days. */
const MIN_READING_RETENTION_MS = RETENTION_MINIMUM_DAYS.readings * DAY_MS;

export const HOUSEKEEPING_DEFAULTS = {
  /** Conversion steps of the old row layout per writer tick (6 x 1,000 rows per 250 ms: ~24k rows/s). */
  migrationStepsPerTick: 6,
  /** Readings retention runs at most this often... */
  pruneEveryMs: 60_000,
  /** ...and deletes at most this many readings per run. */
  pruneMaxRowsPerRun: 50_000,
} as const;

export class StoreHousekeeping {
  /** Retention and capacity of the readings, as of the last run. */
  capacity: RetentionRun | undefined;
  /** The statistics and records classes, as of their last run. */
  classes: ClassRetentionRun[] | undefined;
  private migrateStep: NodeJS.Immediate | undefined;
  private stopped = false;
  private migrating = false;
  private converting = false;
  /** Set once no block was left to move into segment files; statisticsPending() re-arms it. */
  private segmentsDone = false;
  /** Set once a backfill step found nothing; statisticsPending() re-arms it. */
  private backfillDone = false;
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  private lastClassRunAt = Number.NEGATIVE_INFINITY;
  // Logged once per change, never once per attempt.
  private pruneFailing = false;
  private classFailing = false;

  constructor(
    private readonly db: Database.Database,
    private readonly log: Logger,
    private readonly clock: { wall: () => number; mono: () => number },
    private limits: { retentionMs: number; capBytes: number; classes: ClassRetention },
    /** The segment layout's conversion of packed blocks (segment-writer.ts), when the writer writes segments. */
    private readonly toSegments?: () => ConversionStep,
  ) {}

  /** New limits (a reload that changed store.retention); they apply from the next run on. */
  setLimits(limits: { retentionMs: number; capBytes: number; classes: ClassRetention }): void {
    this.limits = limits;
    this.lastPruneAt = Number.NEGATIVE_INFINITY;
    this.lastClassRunAt = Number.NEGATIVE_INFINITY;
  }

  /** One round of background work; called by the writer after a tick that wrote its queue. */
  step(): void {
    if (this.stopped) return;
    if (!this.migrateStep) this.migrate();
    if (!this.migrateStep) this.backfill();
    // After the rows: the blocks they become are moved once their statistics are stored.
    if (!this.migrateStep) this.convertToSegments();
    this.retain();
  }

  /** Blocks were stored without their statistics (a late block): the backfill has work again. */
  statisticsPending(): void {
    this.backfillDone = false;
    this.segmentsDone = false;
  }

  /** The writer packed blocks (a journal left by a blocks-layout run): with segments, they move on. */
  blocksStored(): void {
    this.segmentsDone = false;
  }

  stop(): void {
    this.stopped = true;
    if (this.migrateStep) clearImmediate(this.migrateStep);
    this.migrateStep = undefined;
  }

  /**
   * Converting a store of the old row layout: a few small steps per tick, each in its own
   * event-loop turn, so a step (~15 ms) is the longest the gateway's loop waits.
   */
  private migrate(stepsLeft: number = HOUSEKEEPING_DEFAULTS.migrationStepsPerTick): void {
    this.migrateStep = undefined;
    if (this.stopped) return;
    try {
      const step = convertLegacyReadings(this.db);
      if (step.converted > 0) {
        this.backfillDone = false; // converted blocks need their statistics
        this.segmentsDone = false; // and then move on into segment files, when the writer writes those
      }
      if (step.remaining && stepsLeft > 1) this.migrateStep = setImmediate(() => this.migrate(stepsLeft - 1)).unref();
      if (step.converted > 0 && !this.migrating) {
        this.migrating = true;
        this.log.info('converting stored readings to packed blocks in the background');
      }
      if (!step.remaining && this.migrating) {
        this.migrating = false;
        this.log.info('stored readings converted to packed blocks');
      }
    } catch (err) {
      this.log.warn({ error: describe(err) }, 'converting stored readings failed this time; will retry');
    }
  }

  /** One step of moving packed blocks into segment files per tick (~4 blocks: a few ms). */
  private convertToSegments(): void {
    if (!this.toSegments || this.segmentsDone) return;
    try {
      const step = this.toSegments();
      if (step.converted > 0 && !this.converting) {
        this.converting = true;
        this.log.info('moving packed reading blocks into segment files in the background');
      }
      if (!step.remaining && this.converting) {
        this.converting = false;
        this.log.info('packed reading blocks moved into segment files');
      }
      // Nothing left that may move: look again only when new blocks can appear (rows converted, a late span packed).
      if (step.converted === 0 && !step.remaining && this.backfillDone && !this.migrating) this.segmentsDone = true;
    } catch (err) {
      this.log.warn({ error: describe(err) }, 'moving packed blocks into segment files failed this time; will retry');
    }
  }

  /** Statistics of blocks stored without them (statistics-store.ts): one small step per tick. */
  private backfill(): void {
    if (this.backfillDone) return;
    try {
      if (backfillStatistics(this.db) === 0) this.backfillDone = true;
    } catch (err) {
      this.log.warn({ error: describe(err) }, 'computing stored five-minute statistics failed this time; will retry');
    }
  }

  /** One retention job per tick: readings every minute first, the statistics and records classes every 10 min. */
  private retain(): void {
    const now = this.clock.mono();
    if (now - this.lastPruneAt >= HOUSEKEEPING_DEFAULTS.pruneEveryMs) {
      this.lastPruneAt = now;
      this.retainReadings();
    } else if (now - this.lastClassRunAt >= CLASS_RETENTION_DEFAULTS.everyMs) {
      this.lastClassRunAt = now;
      this.retainClasses();
    }
  }

  private retainReadings(): void {
    try {
      const run = enforceReadingRetention(this.db, {
        nowMs: this.clock.wall(),
        retentionMs: this.limits.retentionMs,
        capBytes: this.limits.capBytes,
        minRetentionMs: MIN_READING_RETENTION_MS,
        maxRows: HOUSEKEEPING_DEFAULTS.pruneMaxRowsPerRun,
      });
      this.capacity = run;
      if (run.deleted > 0) this.log.debug({ deleted: run.deleted }, 'pruned readings past retention');
      if (run.cutIntoMinimum) this.log.error({ capBytes: this.limits.capBytes, daysKept: run.daysStored }, 'reading byte cap reached within the 7-day legal minimum; oldest readings deleted');
      if (this.pruneFailing) this.log.warn('reading retention pruning works again');
      this.pruneFailing = false;
    } catch (err) {
      if (!this.pruneFailing) this.log.error({ error: describe(err) }, 'reading retention pruning failed; will retry');
      this.pruneFailing = true;
    }
  }

  private retainClasses(): void {
    try {
      const runs = this.limits.classes.run(this.clock.wall());
      this.classes = runs;
      for (const r of runs) {
        if (r.deleted > 0) this.log.info({ class: r.name, deleted: r.deleted }, `pruned ${r.name} past retention`);
        if (r.cutIntoMinimum) this.log.error({ class: r.name, capBytes: r.capBytes, daysKept: r.daysStored }, `${r.name} byte cap reached within the ${r.minimumDays}-day legal minimum; oldest deleted`);
      }
      if (this.classFailing) this.log.warn('statistics and records retention works again');
      this.classFailing = false;
    } catch (err) {
      if (!this.classFailing) this.log.error({ error: describe(err) }, 'statistics and records retention failed; will retry');
      this.classFailing = true;
    }
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
