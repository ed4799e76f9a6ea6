// The file-drop exporter: every sealed MT/T 1201 batch is also written as a file into a directory
// that an existing networking host picks up and sends on by FTP (sync/file-drop.ts does the
// atomic, never-replacing write). Runs off the outbox's commit path: batches are queued (bounded
// by bytes) and written one at a time; a failing directory is retried, never blocks the outbox.
//
// Names: MT/T 1201 names carry only the upload second, and the pickup host removes files it sent,
// so the directory alone cannot tell a name was used. The newest stamp written per type is kept
// in the outbox database (sync_file_drop), and each file takes max(its seal second, last + 1 s):
// two batches of one type sealed in the same second become …083000.txt and …083001.txt, across
// restarts too. The header inside keeps the true upload time.
import type Database from 'better-sqlite3';
import { basename } from 'node:path';
import { bumpedName, DropFileError, removeStaleDropTemps, writeDropFile } from './file-drop.js';
import { FILE_NAME_PATTERN } from './formats/mt1201-file.js';
import { parseStamp } from '../core/mine-time.js';
import type { SealedBatchInfo } from './outbox.js';
import { messageOf, silentLogger, type SyncLogger } from './sync-error.js';

export interface FileDropExporterOptions {
  dir: string;
  /** The outbox database (table sync_file_drop). */
  db: Database.Database;
  /** Queued payload bytes beyond which the oldest queued files are dropped (counted). */
  maxQueuedBytes?: number;
  retryMs?: number;
  logger?: SyncLogger;
}

export const FILE_DROP_EXPORTER_DEFAULTS = {
  maxQueuedBytes: 64 * 1024 * 1024,
  retryMs: 5_000,
} as const;

export interface FileDropStats {
  written: number;
  queued: number;
  /** Files dropped from the queue because the directory stayed unwritable. */
  dropped: number;
  failures: number;
  lastError: string | null;
  lastFile: string | null;
}

export class FileDropExporter {
  readonly dir: string;
  private readonly db: Database.Database;
  private readonly log: SyncLogger;
  private readonly maxQueuedBytes: number;
  private readonly retryMs: number;
  private readonly queue: SealedBatchInfo[] = [];
  private queuedBytes = 0;
  private readonly lastStamp = new Map<string, number>();
  private writing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly counters = { written: 0, dropped: 0, failures: 0 };
  private lastError: string | null = null;
  private lastFile: string | null = null;
  private readonly stmt: { load: Database.Statement; save: Database.Statement };

  constructor(o: FileDropExporterOptions) {
    if (!o || typeof o !== 'object') throw new TypeError(`FileDropExporter: options must be an object, got ${String(o)}`);
    if (typeof o.dir !== 'string' || o.dir.trim() === '') throw new TypeError(`FileDropExporter: dir must be a directory path, got ${JSON.stringify(o.dir)}`);
    if (!o.db || typeof o.db.prepare !== 'function') throw new TypeError('FileDropExporter: db must be the open outbox database');
    const maxQueuedBytes = o.maxQueuedBytes ?? FILE_DROP_EXPORTER_DEFAULTS.maxQueuedBytes;
    const retryMs = o.retryMs ?? FILE_DROP_EXPORTER_DEFAULTS.retryMs;
    if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) throw new TypeError(`FileDropExporter: maxQueuedBytes must be a positive integer, got ${String(o.maxQueuedBytes)}`);
    if (!Number.isSafeInteger(retryMs) || retryMs < 1) throw new TypeError(`FileDropExporter: retryMs must be a positive integer, got ${String(o.retryMs)}`);
    this.dir = o.dir;
    this.db = o.db;
    this.log = o.logger ?? silentLogger;
    this.maxQueuedBytes = maxQueuedBytes;
    this.retryMs = retryMs;
    this.stmt = {
      load: this.db.prepare('SELECT type, last_stamp FROM sync_file_drop'),
      save: this.db.prepare('INSERT INTO sync_file_drop (type, last_stamp) VALUES (?, ?) ON CONFLICT (type) DO UPDATE SET last_stamp = excluded.last_stamp'),
    };
    for (const row of this.stmt.load.all() as { type: string; last_stamp: string }[]) {
      try {
        this.lastStamp.set(row.type, parseStamp(row.last_stamp, 0));
      } catch {
        // An unreadable row only loses the memory of one type's last name; the directory check still applies.
      }
    }
  }

  /** Removes temp files a crash left in the directory (run once at start). */
  async cleanUp(): Promise<void> {
    try {
      const removed = await removeStaleDropTemps(this.dir);
      if (removed.length > 0) this.log.warn({ dir: this.dir, removed }, 'removed half-written drop files left by an earlier crash');
    } catch (err) {
      this.log.warn({ dir: this.dir, err: messageOf(err) }, 'could not clean the file-drop directory');
    }
  }

  /** Queues one sealed batch; only MT/T 1201 files (not minegate's JSON Lines streams) are dropped. */
  enqueue(batch: SealedBatchInfo): void {
    if (this.stopped || !FILE_NAME_PATTERN.test(batch.name)) return;
    this.queue.push(batch);
    this.queuedBytes += batch.payload.length;
    while (this.queuedBytes > this.maxQueuedBytes && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queuedBytes -= old.payload.length;
      this.counters.dropped++;
      this.log.error({ dir: this.dir, name: old.name, stream: old.stream, firstSeq: old.firstSeq }, 'file-drop queue full: a file was not dropped (it still goes upstream over MQTT)');
    }
    this.pump();
  }

  stats(): FileDropStats {
    return { ...this.counters, queued: this.queue.length, lastError: this.lastError, lastFile: this.lastFile };
  }

  /** Resolves once every queued file is written (or the directory failed); for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is queued (bounded by `timeoutMs`), then stops. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.stopped = true;
    if (this.queue.length > 0) this.log.warn({ dir: this.dir, files: this.queue.length }, 'stopped with files not yet dropped (they went upstream over MQTT)');
  }

  private pump(): void {
    if (this.writing || this.retryTimer || this.queue.length === 0) return;
    this.writing = this.drain().finally(() => {
      this.writing = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue[0]!;
      const name = this.nameFor(batch.type, batch.name);
      try {
        const written = await writeDropFile(this.dir, { name, bytes: batch.payload });
        this.remember(batch.type, basename(written));
        this.counters.written++;
        this.lastFile = written;
        this.lastError = null;
      } catch (err) {
        this.counters.failures++;
        this.lastError = messageOf(err);
        if (err instanceof DropFileError && err.code !== 'write-failed') {
          // Not a directory problem: this file can never be written; skip it, keep the others.
          this.log.error({ dir: this.dir, name, code: err.code, err: this.lastError }, 'a batch could not be dropped as a file');
        } else {
          this.log.error({ dir: this.dir, name, err: this.lastError }, `file-drop directory not writable; retrying in ${this.retryMs} ms`);
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.pump();
          }, this.retryMs);
          this.retryTimer.unref();
          return;
        }
      }
      this.queue.shift();
      this.queuedBytes -= batch.payload.length;
    }
  }

  /** The batch's name, moved past the newest name already written for its type. */
  private nameFor(type: string, name: string): string {
    const last = this.lastStamp.get(type);
    const m = FILE_NAME_PATTERN.exec(name);
    if (last === undefined || !m) return name;
    const own = parseStamp(m[3]!, 0);
    return own > last ? name : bumpedName(name, Math.round((last - own) / 1000) + 1);
  }

  private remember(type: string, writtenName: string): void {
    const m = FILE_NAME_PATTERN.exec(writtenName);
    if (!m) return;
    const stamp = parseStamp(m[3]!, 0);
    if ((this.lastStamp.get(type) ?? -Infinity) >= stamp) return;
    this.lastStamp.set(type, stamp);
    try {
      this.stmt.save.run(type, m[3]!);
    } catch (err) {
      // Memory still holds it for this run; after a restart the directory check is what is left.
      this.log.warn({ err: messageOf(err) }, 'could not store the file-drop name state');
    }
  }
}
