// The outbox's own SQLite file. A file of its own keeps the byte cap meaningful (nothing else grows
// in it) and lets it be created with incremental auto-vacuum, so the space of a drained backlog is
// handed back to the (small, shared) SD card instead of only being reused.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../edge/store/database.js';
import { syncMigrations } from './migrations.js';

/** Opens (creating if needed) the outbox database with the 'sync' migrations applied. */
export function openSyncDatabase(file: string): Database.Database {
  if (typeof file !== 'string' || file.trim() === '' || file === ':memory:') {
    throw new TypeError(`openSyncDatabase: file must be a path, got ${JSON.stringify(file)}`);
  }
  const path = resolve(file);
  if (!existsSync(path) || statSync(path).size === 0) {
    // auto_vacuum can only be chosen before the first table exists; switching to WAL writes the header.
    mkdirSync(dirname(path), { recursive: true });
    const fresh = new Database(path);
    try {
      fresh.pragma('auto_vacuum = INCREMENTAL');
      fresh.pragma('journal_mode = WAL');
    } finally {
      fresh.close();
    }
  }
  return openDatabase(path, { sync: syncMigrations });
}
