// Tables of the 'sync' component. Open the outbox's database with
// `openDatabase(file, { sync: syncMigrations })` (edge/store/database.ts).
import type { Migration } from '../edge/store/database.js';

export const syncMigrations: Migration[] = [
  {
    version: 1,
    description: 'outbox of sealed batches, per-stream sequence state, acked-batch history, command nonces',
    up: (db) => {
      db.exec(`
        -- One sealed batch = one delivered file. AUTOINCREMENT: ids never go back, even after a full
        -- drain, so the uplink's cursors and the "nothing re-initialised" promise hold across flaps.
        CREATE TABLE sync_batches (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          stream TEXT NOT NULL,
          type TEXT NOT NULL,
          lane INTEGER NOT NULL,
          critical INTEGER NOT NULL,
          first_seq INTEGER NOT NULL,
          last_seq INTEGER NOT NULL,
          records INTEGER NOT NULL,
          first_time INTEGER NOT NULL,
          last_time INTEGER NOT NULL,
          sealed_at INTEGER NOT NULL,
          name TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          payload BLOB NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL,
          signature TEXT NOT NULL,
          -- ms to keep the batch in sync_history once acknowledged; NULL = no local history here.
          history_ms INTEGER
        );
        CREATE INDEX sync_batches_by_lane ON sync_batches (lane, id);
        CREATE INDEX sync_batches_by_critical ON sync_batches (critical, id);
        CREATE INDEX sync_batches_by_stream ON sync_batches (stream, id);

        -- Next sequence number and chain head per stream, updated in the same transaction as the batches.
        CREATE TABLE sync_streams (
          stream TEXT PRIMARY KEY,
          next_seq INTEGER NOT NULL,
          last_hash TEXT NOT NULL,
          dropped_records INTEGER NOT NULL DEFAULT 0
        );

        -- Acknowledged batches of streams that must be kept locally (AQ 6201-2019: alarms, cut-offs,
        -- feed abnormalities, faults, 5-minute statistics for at least one year).
        CREATE TABLE sync_history (
          batch_id INTEGER PRIMARY KEY,
          stream TEXT NOT NULL,
          type TEXT NOT NULL,
          first_seq INTEGER NOT NULL,
          last_seq INTEGER NOT NULL,
          records INTEGER NOT NULL,
          first_time INTEGER NOT NULL,
          last_time INTEGER NOT NULL,
          name TEXT NOT NULL,
          payload BLOB NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL,
          signature TEXT NOT NULL,
          acked_at INTEGER NOT NULL,
          keep_until INTEGER NOT NULL
        );
        CREATE INDEX sync_history_by_stream_time ON sync_history (stream, last_time);
        CREATE INDEX sync_history_by_keep_until ON sync_history (keep_until);

        -- Nonces of accepted downlink commands: a replay is refused even after a restart.
        CREATE TABLE sync_nonces (
          nonce TEXT PRIMARY KEY,
          command_id TEXT NOT NULL,
          keep_until INTEGER NOT NULL
        );
        CREATE INDEX sync_nonces_by_keep_until ON sync_nonces (keep_until);
      `);
    },
  },
  {
    version: 2,
    description: 'file-drop name state: the newest time stamp written per file type',
    up: (db) => {
      db.exec(`
        -- The pickup host removes dropped files, so the directory cannot tell which names were
        -- already used: the newest stamp per type is kept here, and every later file takes a
        -- strictly later one (a platform that dedupes by name never sees two files under one name).
        CREATE TABLE sync_file_drop (
          type TEXT PRIMARY KEY,
          last_stamp TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 3,
    description: 'rejected platform commands, for minegate events',
    up: (db) => {
      db.exec(`
        -- Every downlink command refused (unsigned, bad signature, expired, replayed …) with the
        -- reason: shown by minegate events next to the safety events; pruned after 400 days.
        CREATE TABLE sync_command_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          at INTEGER NOT NULL,
          command_id TEXT,
          kind TEXT,
          reason TEXT NOT NULL,
          detail TEXT NOT NULL
        );
        CREATE INDEX sync_command_log_by_at ON sync_command_log (at);
      `);
    },
  },
];
