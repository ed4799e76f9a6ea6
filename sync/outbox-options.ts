// The outbox's options: what a caller may set, the defaults in one reviewable object, and the
// validation that merges them once (a bad value throws TypeError naming it, at construction).
import type { KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { requirePositiveIntegers, withDefaults } from './option-defaults.js';
import { SyncError, type SyncLogger } from './sync-error.js';

export interface OutboxOptions {
  /** Opened with openDatabase(file, { sync: syncMigrations }); a file of its own is recommended (see README). */
  db: Database.Database;
  /** 12-digit 煤矿编码 */
  mineCode: string;
  mineName: string;
  /** 分站编码 */
  substation: string;
  /** The substation's Ed25519 private key (integrity.loadPrivateKey). */
  signingKey: KeyObject;
  /** Cap on the summed payload bytes of stored batches. */
  maxBytes?: number;
  /** Routine batches whose newest record was acquired longer ago than this are dropped. */
  maxAgeMs?: number;
  /** In-memory stage for routine records (entries). */
  queueCapacity?: number;
  /** In-memory stage for critical records (entries). */
  criticalQueueCapacity?: number;
  flushIntervalMs?: number;
  /** Records per flush transaction; bounds how long one flush holds the event loop. */
  maxFlushRecords?: number;
  batchMaxRecords?: number;
  /** Payload bytes per batch (approximate: counted on record lines). */
  batchMaxBytes?: number;
  encoding?: 'utf-8' | 'gb18030';
  /** After a failed flush (disk full, I/O error), wait this long before trying again. */
  diskRetryMs?: number;
  /** Age cap, history and reclaim run this often. */
  housekeepingIntervalMs?: number;
  /** false: no timers; the caller drives flush()/housekeeping() (tests, benches). */
  autoFlush?: boolean;
  now?: () => number;
  logger?: SyncLogger;
}

/** The options after validation: every tunable set. */
export type ResolvedOutboxOptions = Required<Omit<OutboxOptions, 'db' | 'signingKey' | 'logger' | 'now'>>;

export const OUTBOX_DEFAULTS = {
  maxBytes: 256 * 1024 * 1024,
  // AQ 6201-2019 keeps real-time values locally for 7 days; older data is no longer worth a backlog slot.
  maxAgeMs: 7 * 86_400_000,
  queueCapacity: 200_000,
  criticalQueueCapacity: 100_000,
  flushIntervalMs: 100,
  // One flush holds the event loop (encode + seal + write): ~2000 CDSS records ≈ 15-35 ms here.
  maxFlushRecords: 2000,
  batchMaxRecords: 1000,
  batchMaxBytes: 256 * 1024,
  encoding: 'utf-8' as 'utf-8' | 'gb18030',
  diskRetryMs: 1000,
  housekeepingIntervalMs: 60_000,
  autoFlush: true,
  // When the cap is hit, drop down to this share of it, so the next flushes do not drop again at once.
  capHysteresis: 0.95,
  // On SQLITE_FULL, free at least this much (more when the pending flush is bigger) before retrying.
  diskFullMinFreeBytes: 64 * 1024,
  // Space reclaim (incremental vacuum step, WAL truncate after a full drain) at most this often…
  reclaimIntervalMs: 1_000,
  // …and at most this many pages per step (512 KiB with 4 KiB pages). Measured ~50 µs a page on
  // this machine's loaded disk: 1024-page steps stalled the event loop 35–90 ms after a drain.
  reclaimPagesPerStep: 128,
} as const;

const MINE_CODE = /^\d{12}$/;

/** The options OUTBOX_DEFAULTS fills in (its other entries are internal constants, not options). */
const TUNABLES = ['maxBytes', 'maxAgeMs', 'queueCapacity', 'criticalQueueCapacity', 'flushIntervalMs', 'maxFlushRecords', 'batchMaxRecords', 'batchMaxBytes', 'encoding', 'diskRetryMs', 'housekeepingIntervalMs', 'autoFlush'] as const;

export function validateOutboxOptions(o: OutboxOptions): ResolvedOutboxOptions {
  if (!o || typeof o !== 'object') throw new TypeError(`Outbox: options must be an object, got ${String(o)}`);
  if (!o.db || typeof o.db.prepare !== 'function') throw new TypeError('Outbox: db must be an open better-sqlite3 database');
  if (!o.db.open) throw new SyncError('closed', 'Outbox: the database is closed');
  if (typeof o.mineCode !== 'string' || !MINE_CODE.test(o.mineCode)) throw new TypeError(`Outbox: mineCode must be the 12-digit mine code, got ${JSON.stringify(o.mineCode)}`);
  if (typeof o.mineName !== 'string' || o.mineName.trim() === '') throw new TypeError(`Outbox: mineName must be a non-empty string, got ${JSON.stringify(o.mineName)}`);
  if (typeof o.substation !== 'string' || !/^[A-Za-z0-9]{1,16}$/.test(o.substation)) {
    throw new TypeError(`Outbox: substation must be the substation code (1-16 letters/digits), got ${JSON.stringify(o.substation)}`);
  }
  if (!o.signingKey || o.signingKey.type !== 'private' || o.signingKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('Outbox: signingKey must be an Ed25519 private KeyObject (integrity.loadPrivateKey)');
  }
  const merged = { mineCode: o.mineCode, mineName: o.mineName, substation: o.substation, ...withDefaults(o, OUTBOX_DEFAULTS, TUNABLES) };
  requirePositiveIntegers('Outbox', merged, ['maxBytes', 'maxAgeMs', 'queueCapacity', 'criticalQueueCapacity', 'flushIntervalMs', 'maxFlushRecords', 'batchMaxRecords', 'batchMaxBytes', 'housekeepingIntervalMs']);
  if (!Number.isSafeInteger(merged.diskRetryMs) || merged.diskRetryMs < 0) throw new TypeError(`Outbox: diskRetryMs must be a non-negative integer, got ${String(merged.diskRetryMs)}`);
  if (merged.maxBytes < 2 * merged.batchMaxBytes) {
    throw new TypeError(`Outbox: maxBytes (${merged.maxBytes}) must be at least twice batchMaxBytes (${merged.batchMaxBytes})`);
  }
  if (merged.encoding !== 'utf-8' && merged.encoding !== 'gb18030') throw new TypeError(`Outbox: encoding must be utf-8 or gb18030, got ${String(merged.encoding)}`);
  if (typeof merged.autoFlush !== 'boolean') throw new TypeError(`Outbox: autoFlush must be a boolean, got ${String(merged.autoFlush)}`);
  return merged;
}
