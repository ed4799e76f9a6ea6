// WAL checkpoints of the outbox file on a worker thread. In WAL mode with synchronous=NORMAL a
// commit never waits for the disk; the only fsync is the checkpoint, which SQLite runs inside
// whichever commit pushes the WAL past 1000 pages. On this machine's loaded disk that took
// 5–80 ms — on the event loop that also runs polling and the interlocks, right in the middle of a
// drain. So the main connection's auto-checkpoint is switched off and a worker with its own
// connection checkpoints (PASSIVE: never blocks a writer) on a timer instead.
//
// Fail-safe: if the worker cannot start or dies, the main connection's auto-checkpoint is switched
// back on (the WAL must never grow without bound) and the failure is logged.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { messageOf, silentLogger, type SyncLogger } from './sync-error.js';

export interface WalCheckpointerOptions {
  /** How often the worker checkpoints. */
  intervalMs?: number;
  logger?: SyncLogger;
}

export const WAL_CHECKPOINTER_DEFAULTS = {
  intervalMs: 1_000,
  /** SQLite's own default, restored when the worker is gone. */
  fallbackAutoCheckpointPages: 1_000,
} as const;

export interface WalCheckpointer {
  /** Ask the worker for a TRUNCATE checkpoint (hand the WAL file's space back); false when no worker runs. */
  truncate(): boolean;
  /** Checkpoints done by the worker, and whether it is running (false: the main connection checkpoints again). */
  stats(): { checkpoints: number; failures: number; running: boolean };
  stop(): Promise<void>;
}

// CommonJS in an eval'd worker: the same code runs from dist/ and from the TypeScript sources in tests.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// Never wait for a lock: a busy checkpoint is simply tried again next time.
db.pragma('busy_timeout = 0');
const run = (mode) => {
  try {
    const r = db.pragma('wal_checkpoint(' + mode + ')')[0];
    parentPort.postMessage({ type: 'done', mode, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: 'error', mode, message: String(err && err.message || err) });
  }
};
const timer = setInterval(() => run('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'truncate') run('TRUNCATE');
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
parentPort.postMessage({ type: 'ready' });
`;

/** Takes over the checkpoints of `db` (opened on `file`). */
export function startWalCheckpointer(db: Database.Database, file: string, opts: WalCheckpointerOptions = {}): WalCheckpointer {
  const intervalMs = opts.intervalMs ?? WAL_CHECKPOINTER_DEFAULTS.intervalMs;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 10) throw new TypeError(`startWalCheckpointer: intervalMs must be an integer ≥ 10, got ${String(opts.intervalMs)}`);
  const log = opts.logger ?? silentLogger;
  const counters = { checkpoints: 0, failures: 0 };
  let running = false;
  let stopping = false;
  let fellBack = false;
  const fallBack = (why: string): void => {
    if (fellBack) return;
    fellBack = true;
    running = false;
    try {
      if (db.open) db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINTER_DEFAULTS.fallbackAutoCheckpointPages}`);
    } catch {
      // The connection is closing: nothing left to protect.
    }
    if (!stopping) log.error({ err: why }, 'WAL checkpoint worker is gone; the outbox checkpoints on the main thread again');
  };
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
  } catch (err) {
    fallBack(messageOf(err));
    return { truncate: () => false, stats: () => ({ ...counters, running: false }), stop: async () => undefined };
  }
  // Off only once the worker runs; until then SQLite's own checkpoints stay in place.
  worker.on('message', (m: { type: string; mode?: string; message?: string; busy?: number }) => {
    if (m.type === 'ready') {
      if (stopping || !db.open) return;
      running = true;
      db.pragma('wal_autocheckpoint = 0');
    } else if (m.type === 'done') counters.checkpoints++;
    else if (m.type === 'error') {
      counters.failures++;
      log.warn({ mode: m.mode, err: m.message }, 'WAL checkpoint failed; tried again on the next tick');
    }
  });
  worker.on('error', (err) => fallBack(messageOf(err)));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    worker.on('exit', (code) => {
      exited = true;
      if (!stopping) fallBack(`worker exited with code ${code}`);
      resolve();
    }),
  );
  worker.unref();
  return {
    truncate: () => {
      if (running) worker.postMessage('truncate');
      return running;
    },
    stats: () => ({ ...counters, running }),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      // Back to SQLite's own checkpoints for whatever the main connection still writes (its close checkpoints).
      fallBack('stopping');
      if (exited) return;
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
