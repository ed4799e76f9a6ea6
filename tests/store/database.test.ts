import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedMigrations, openDatabase, type Migration } from '../../edge/store/database.js';
import { readingMigrations } from '../../edge/store/reading-store.js';
import { StoreError } from '../../edge/store/store-error.js';

let dir: string;
const open: Database.Database[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-db-'));
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function track(db: Database.Database): Database.Database {
  open.push(db);
  return db;
}

/** Migrations of a fake component that count how often each one ran. */
function counted(versions: number[], runs: Map<number, number>): Migration[] {
  return versions.map((version) => ({
    version,
    description: `step ${version}`,
    up: (db) => {
      runs.set(version, (runs.get(version) ?? 0) + 1);
      db.exec(`CREATE TABLE t${version} (x INTEGER)`);
    },
  }));
}

function storeErrorOf(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError, nothing was thrown');
}

describe('openDatabase', () => {
  it('creates the parent directory and sets WAL, NORMAL sync, busy timeout and foreign keys', () => {
    const file = join(dir, 'nested', 'deeper', 'minegate.db');
    const db = track(openDatabase(file, { store: readingMigrations }));
    expect(existsSync(file)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(500);
  });

  it('applies each migration once, in order, and records it', () => {
    const file = join(dir, 'm.db');
    const runs = new Map<number, number>();
    const order: number[] = [];
    const migrations = counted([2, 1], runs).map((m) => ({ ...m, up: (db: Database.Database) => (order.push(m.version), m.up(db)) }));

    track(openDatabase(file, { store: readingMigrations, demo: migrations })).close();
    const db = track(openDatabase(file, { store: readingMigrations, demo: migrations }));

    expect(order).toEqual([1, 2]);
    expect([...runs.values()]).toEqual([1, 1]);
    const rows = db.prepare('SELECT component, version, description, applied_at FROM schema_migrations ORDER BY component, version').all() as {
      component: string;
      version: number;
      description: string;
      applied_at: number;
    }[];
    expect(rows.map((r) => `${r.component}@${r.version}:${r.description}`)).toEqual(['demo@1:step 1', 'demo@2:step 2', `store@1:${readingMigrations[0]!.description}`, `store@2:${readingMigrations[1]!.description}`, `store@3:${readingMigrations[2]!.description}`]);
    for (const r of rows) expect(Math.abs(r.applied_at - Date.now())).toBeLessThan(60_000);
  });

  it('applies only the new migration when the code gains one, keeping stored rows', () => {
    const file = join(dir, 'grow.db');
    const runs = new Map<number, number>();
    const first = track(openDatabase(file, { demo: counted([1], runs) }));
    first.prepare('INSERT INTO t1 VALUES (42)').run();
    first.close();

    const db = track(openDatabase(file, { demo: counted([1, 2], runs) }));
    expect(runs.get(1)).toBe(1);
    expect(runs.get(2)).toBe(1);
    expect(db.prepare('SELECT x FROM t1').pluck().get()).toBe(42);
    expect(appliedMigrations(db).get('demo')).toEqual([1, 2]);
  });

  it('rolls back a failing migration completely and names the file and migration', () => {
    const file = join(dir, 'fail.db');
    const bad: Migration[] = [
      { version: 1, description: 'fine', up: (db) => db.exec('CREATE TABLE ok1 (x)') },
      {
        version: 2,
        description: 'half done',
        up: (db) => {
          db.exec('CREATE TABLE half (x)');
          throw new Error('boom');
        },
      },
    ];
    const err = storeErrorOf(() => openDatabase(file, { demo: bad }));
    expect(err.code).toBe('migration-failed');
    expect(err.component).toBe('demo');
    expect(err.message).toContain(file);
    expect(err.message).toContain('demo@2');

    const db = track(openDatabase(file, { demo: bad.slice(0, 1) }));
    expect(appliedMigrations(db).get('demo')).toEqual([1]);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toContain('ok1');
    expect(tables).not.toContain('half');
  });

  it('refuses a database written by newer code and leaves it unchanged', () => {
    const file = join(dir, 'newer.db');
    const runs = new Map<number, number>();
    track(openDatabase(file, { store: readingMigrations, demo: counted([1, 2, 3], runs) })).close();
    const before = readFileSync(file);

    const err = storeErrorOf(() => openDatabase(file, { store: readingMigrations, demo: counted([1, 2], runs) }));
    expect(err.code).toBe('schema-too-new');
    expect(err.component).toBe('demo');
    expect(err.file).toBe(file);
    expect(err.message).toMatch(/version 3.*only up to 2/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('leaves components it was not asked about alone', () => {
    const file = join(dir, 'shared.db');
    const runs = new Map<number, number>();
    track(openDatabase(file, { store: readingMigrations, sync: counted([1, 2], runs) })).close();
    // e.g. the technician CLI that only knows the readings
    const db = track(openDatabase(file, { store: readingMigrations }));
    expect(appliedMigrations(db).get('sync')).toEqual([1, 2]);
  });

  it('refuses a file that is not a database, naming it, and leaves it byte for byte', () => {
    const file = join(dir, 'garbage.db');
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
    writeFileSync(file, garbage);

    const err = storeErrorOf(() => openDatabase(file, { store: readingMigrations }));
    expect(err.code).toBe('corrupt');
    expect(err.file).toBe(file);
    expect(err.message).toContain(file);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it('refuses a database with a damaged page and does not recreate it', () => {
    const file = join(dir, 'damaged.db');
    const db = track(openDatabase(file, { store: readingMigrations }));
    // Old-layout rows (the table a store of the row layout keeps until converted): plenty of pages.
    const insert = db.prepare("INSERT INTO readings_v1 (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, 'good', ?, 0, '[]')");
    db.transaction(() => {
      for (let i = 0; i < 5_000; i++) insert.run(`P${i % 20}`, i, i);
    })();
    db.close(); // checkpoints the WAL into the file
    const pageSize = 4096;
    const damaged = readFileSync(file);
    expect(damaged.length).toBeGreaterThan(pageSize * 10);
    const page = Math.floor(damaged.length / pageSize / 2);
    damaged.fill(0xa5, page * pageSize, page * pageSize + 256);
    writeFileSync(file, damaged);

    const err = storeErrorOf(() => openDatabase(file, { store: readingMigrations }));
    expect(err.code).toBe('corrupt');
    expect(err.message).toContain(file);
    expect(err.message).toContain('left untouched');
    expect(readFileSync(file).equals(damaged)).toBe(true);
  });

  it('reopens the same file many times without re-running or duplicating anything', () => {
    const file = join(dir, 'again.db');
    const runs = new Map<number, number>();
    for (let i = 0; i < 5; i++) track(openDatabase(file, { demo: counted([1, 2], runs) })).close();
    // two connections at once (e.g. gateway and a second component) are also fine
    const a = track(openDatabase(file, { demo: counted([1, 2], runs) }));
    const b = track(openDatabase(file, { demo: counted([1, 2], runs) }));
    expect([...runs.values()]).toEqual([1, 1]);
    expect(a.prepare("SELECT count(*) FROM schema_migrations WHERE component = 'demo'").pluck().get()).toBe(2);
    expect(b.prepare('SELECT count(*) FROM t2').pluck().get()).toBe(0);
  });

  describe('read-only', () => {
    it('reads a migrated database and cannot write to it', () => {
      const file = join(dir, 'ro.db');
      track(openDatabase(file, { store: readingMigrations })).close();
      const db = track(openDatabase(file, { store: readingMigrations }, { readonly: true }));
      expect(db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(0);
      expect(() => db.prepare("INSERT INTO reading_points (code) VALUES ('x')").run()).toThrow(/readonly/);
    });

    it('does not create a missing file', () => {
      const file = join(dir, 'absent', 'none.db');
      const err = storeErrorOf(() => openDatabase(file, { store: readingMigrations }, { readonly: true }));
      expect(err.code).toBe('open-failed');
      expect(err.message).toContain(file);
      expect(existsSync(join(dir, 'absent'))).toBe(false);
    });

    it('refuses an un-migrated file instead of migrating it', () => {
      const file = join(dir, 'old.db');
      track(openDatabase(file, {})).close();
      const err = storeErrorOf(() => openDatabase(file, { store: readingMigrations }, { readonly: true }));
      expect(err.code).toBe('schema-outdated');
      expect(err.component).toBe('store');
    });

    it('refuses a corrupt file', () => {
      const file = join(dir, 'ro-garbage.db');
      writeFileSync(file, 'this is not sqlite, it is a config file someone misplaced\n'.repeat(200));
      expect(storeErrorOf(() => openDatabase(file, {}, { readonly: true })).code).toBe('corrupt');
    });
  });

  it('rejects malformed arguments with a TypeError naming the bad value', () => {
    const file = join(dir, 'args.db');
    const up = (): void => undefined;
    expect(() => openDatabase('', {})).toThrow(TypeError);
    expect(() => openDatabase(':memory:', {})).toThrow(/:memory:/);
    expect(() => openDatabase(file, { 'Bad Name': [] })).toThrow(/Bad Name/);
    expect(() => openDatabase(file, { demo: [{ version: 0, description: 'zero', up }] })).toThrow(/version 0/);
    expect(() => openDatabase(file, { demo: [{ version: 1.5, description: 'frac', up }] })).toThrow(/1\.5/);
    expect(() => openDatabase(file, { demo: [{ version: 1, description: '', up }] })).toThrow(/description/);
    expect(() =>
      openDatabase(file, {
        demo: [
          { version: 1, description: 'a', up },
          { version: 1, description: 'b', up },
        ],
      }),
    ).toThrow(/version 1 twice/);
    expect(() => openDatabase(file, {}, { busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
    expect(existsSync(file)).toBe(false);
  });
});
