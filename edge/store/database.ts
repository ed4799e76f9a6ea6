// Opens the gateway's SQLite file safely: checks it before touching it, sets the durability
// pragmas, and applies each component's versioned migrations exactly once. A file that is
// corrupt or was written by newer code is refused, never recreated: stored data is never lost.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './store-error.js';

export interface Migration {
  /** Positive integer, unique within its component; applied in ascending order. */
  version: number;
  description: string;
  /** Runs inside a transaction; throwing rolls the whole migration back. */
  up: (db: Database.Database) => void;
  /** Per-connection setup needed once this migration is applied (e.g. a virtual table); runs on every open. */
  connect?: (db: Database.Database) => void;
}

export interface OpenDatabaseOptions {
  /** Inspect only (technician CLI): no directory creation, no migrations, no writes. */
  readonly?: boolean;
  /** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export const DATABASE_DEFAULTS = {
  readonly: false,
  // better-sqlite3 is synchronous: a lock wait blocks the event loop that also runs polling and
  // interlocks. Wait briefly, then fail; writers keep their queue and retry later.
  busyTimeoutMs: 500,
  // Opening happens at start-up, before the caller starts polling, so a longer wait is acceptable
  // there and lets two processes that open the same file at once migrate one after the other.
  migrationBusyTimeoutMs: 5_000,
  // Checkpoints truncate the -wal file back to this size, so one long reader does not leave a
  // huge file behind on a small SD card.
  journalSizeLimitBytes: 32 * 1024 * 1024,
} as const;

const COMPONENT_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * Open (creating if needed) the database at `file` and bring every component in `components`
 * (e.g. `{ store: readingMigrations, safety: ..., sync: ... }`) up to the newest migration.
 * Throws StoreError: 'corrupt', 'schema-too-new', 'schema-mismatch', 'schema-outdated' (read-only
 * open of an un-migrated file), 'migration-failed', 'open-failed'. Safe to call again on the same
 * file, from another process, or after a crash.
 */
export function openDatabase(
  file: string,
  components: Record<string, Migration[]>,
  opts: OpenDatabaseOptions = {},
): Database.Database {
  if (typeof file !== 'string' || file.trim() === '' || file === ':memory:') {
    throw new TypeError(`openDatabase: file must be a path to a database file, got ${JSON.stringify(file)}`);
  }
  const plan = validateComponents(components);
  const readonly = opts.readonly ?? DATABASE_DEFAULTS.readonly;
  const busyTimeoutMs = opts.busyTimeoutMs ?? DATABASE_DEFAULTS.busyTimeoutMs;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError(`openDatabase: busyTimeoutMs must be a non-negative integer, got ${String(opts.busyTimeoutMs)}`);
  }
  const path = resolve(file);

  if (readonly && !existsSync(path)) {
    throw new StoreError('open-failed', path, `${path}: no such database file (opened read-only, so it was not created)`);
  }
  if (!readonly) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new StoreError('open-failed', path, `${path}: cannot create its directory: ${messageOf(err)}`, { cause: err });
    }
  }
  // Check an existing file through a read-only connection first: if it is corrupt, closing a
  // read-write connection could still checkpoint a leftover -wal into it. We leave it as found.
  if (!readonly && existsSync(path) && statSync(path).size > 0) {
    const probe = connect(path, true);
    try {
      probe.pragma(`busy_timeout = ${DATABASE_DEFAULTS.migrationBusyTimeoutMs}`);
      assertIntact(probe, path);
    } finally {
      probe.close();
    }
  }

  const db = connect(path, readonly);
  try {
    db.pragma(`busy_timeout = ${DATABASE_DEFAULTS.migrationBusyTimeoutMs}`);
    if (readonly) {
      assertIntact(db, path);
    } else {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StoreError('open-failed', path, `${path}: could not switch to WAL mode (got ${String(mode)})`);
      // NORMAL in WAL: a crash never corrupts or loses committed batches; a power cut may lose the last few.
      db.pragma('synchronous = NORMAL');
      db.pragma(`journal_size_limit = ${DATABASE_DEFAULTS.journalSizeLimitBytes}`);
    }
    db.pragma('foreign_keys = ON');
    migrate(db, path, plan, readonly);
    connectComponents(db, plan);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Versions recorded in the file, per component. */
export function appliedMigrations(db: Database.Database): Map<string, number[]> {
  const applied = new Map<string, number[]>();
  if (!hasMigrationTable(db)) return applied;
  const rows = db
    .prepare('SELECT component, version FROM schema_migrations ORDER BY component, version')
    .all() as { component: string; version: number }[];
  for (const row of rows) {
    const list = applied.get(row.component) ?? [];
    list.push(row.version);
    applied.set(row.component, list);
  }
  return applied;
}

function validateComponents(components: Record<string, Migration[]>): Map<string, Migration[]> {
  if (components === null || typeof components !== 'object' || Array.isArray(components)) {
    throw new TypeError(`openDatabase: components must be an object of migration lists, got ${String(components)}`);
  }
  const plan = new Map<string, Migration[]>();
  for (const [component, migrations] of Object.entries(components)) {
    if (!COMPONENT_NAME.test(component)) {
      throw new TypeError(`openDatabase: component name ${JSON.stringify(component)} must match ${COMPONENT_NAME}`);
    }
    if (!Array.isArray(migrations)) {
      throw new TypeError(`openDatabase: migrations of component "${component}" must be an array`);
    }
    for (const m of migrations) {
      if (!m || !Number.isInteger(m.version) || m.version < 1) {
        throw new TypeError(`openDatabase: component "${component}" has a migration with version ${String(m?.version)}; versions are positive integers`);
      }
      if (typeof m.description !== 'string' || m.description.trim() === '') {
        throw new TypeError(`openDatabase: migration ${component}@${m.version} needs a description`);
      }
      if (typeof m.up !== 'function') {
        throw new TypeError(`openDatabase: migration ${component}@${m.version} has no up() function`);
      }
    }
    const sorted = [...migrations].sort((a, b) => a.version - b.version);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.version === sorted[i - 1]!.version) {
        throw new TypeError(`openDatabase: component "${component}" declares version ${sorted[i]!.version} twice`);
      }
    }
    plan.set(component, sorted);
  }
  return plan;
}

function connect(path: string, readonly: boolean): Database.Database {
  try {
    return new Database(path, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw new StoreError('open-failed', path, `${path}: cannot open database: ${messageOf(err)}`, { cause: err });
  }
}

function assertIntact(db: Database.Database, path: string): void {
  let problems: string[];
  try {
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  } catch (err) {
    if (isCorruption(err)) {
      throw new StoreError('corrupt', path, `${path}: not a usable SQLite database (${messageOf(err)}); the file was left untouched`, { cause: err });
    }
    throw new StoreError('open-failed', path, `${path}: cannot read database: ${messageOf(err)}`, { cause: err });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join('; ');
    throw new StoreError('corrupt', path, `${path}: quick_check found damage (${shown}); the file was left untouched`);
  }
}

function migrate(db: Database.Database, path: string, plan: Map<string, Migration[]>, readonly: boolean): void {
  if (!readonly) {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      description TEXT NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (component, version)
    )`);
  }
  const applied = appliedMigrations(db);

  // Refuse before changing anything: a file written by newer code may hold data this build would misread.
  for (const [component, migrations] of plan) {
    const known = new Set(migrations.map((m) => m.version));
    const newest = migrations.length > 0 ? migrations[migrations.length - 1]!.version : 0;
    for (const version of applied.get(component) ?? []) {
      if (known.has(version)) continue;
      if (version > newest) {
        throw new StoreError(
          'schema-too-new',
          path,
          `${path}: component "${component}" is at version ${version}, but this build knows only up to ${newest}; ` +
            'it was written by newer minegate software, so it is refused rather than misread',
          { component },
        );
      }
      throw new StoreError(
        'schema-mismatch',
        path,
        `${path}: component "${component}" records migration ${version}, which this build does not have`,
        { component },
      );
    }
  }

  for (const [component, migrations] of plan) {
    const done = new Set(applied.get(component) ?? []);
    const pending = migrations.filter((m) => !done.has(m.version));
    if (pending.length === 0) continue;
    if (readonly) {
      throw new StoreError(
        'schema-outdated',
        path,
        `${path}: component "${component}" lacks migration ${pending[0]!.version} (${pending[0]!.description}); ` +
          'start the gateway once to migrate it, read-only opens never change the file',
        { component },
      );
    }
    for (const m of pending) applyOne(db, path, component, m);
  }
}

function applyOne(db: Database.Database, path: string, component: string, m: Migration): void {
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (component, version, description, applied_at) VALUES (?, ?, ?, ?)');
  const run = db.transaction(() => {
    // Another process may have applied it between our read and this write lock.
    if (isApplied.get(component, m.version) !== undefined) return;
    m.up(db);
    record.run(component, m.version, m.description, Date.now());
  });
  try {
    // IMMEDIATE takes the write lock up front, so concurrent openers serialise instead of deadlocking.
    run.immediate();
  } catch (err) {
    throw new StoreError(
      'migration-failed',
      path,
      `${path}: migration ${component}@${m.version} (${m.description}) failed and was rolled back: ${messageOf(err)}`,
      { cause: err, component },
    );
  }
}

function connectComponents(db: Database.Database, plan: Map<string, Migration[]>): void {
  const applied = appliedMigrations(db);
  for (const [component, migrations] of plan) {
    const done = new Set(applied.get(component) ?? []);
    for (const m of migrations) if (m.connect && done.has(m.version)) m.connect(db);
  }
}

function hasMigrationTable(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
