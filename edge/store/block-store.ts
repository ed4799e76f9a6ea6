// The packed reading layout in SQLite: one row per point per time block (reading_blocks), point
// codes as integer ids (reading_points), and the journal generation (reading_state). The writer
// (reading-store.ts) fills it, the reader API (reading-reader.ts) and the migration
// (reading-migration.ts) read and convert through it.
import type Database from 'better-sqlite3';
import type { Migration } from './database.js';

/**
 * Span of one block. Readings are grouped by wall time into aligned spans. 30 minutes: a point at
 * 1 s packs into a ~4.7 KB block, which SQLite stores in one overflow chain with little slack
 * (bench store-size: 3.2 B/reading in the file against 2.6 of payload; 15-minute blocks of ~2.4 KB
 * fit one per 4 KiB page and took 4.1), and a 24 h query decodes 48 blocks. Longer spans would
 * pack tighter still, but the open span lives in the journal that every reader parses (~35 ms
 * for 30 minutes of 64 points). Stored per file (reading_state), so a later change of the default
 * never misreads an existing file.
 */
export const DEFAULT_BLOCK_MS = 30 * 60_000;

/** The schema step of migration 2 (the row conversion runs later, in steps: reading-migration.ts). */
export const packedLayoutMigration: Migration = {
  version: 2,
  description: 'packed reading blocks (reading_blocks, reading_points); the row table becomes readings_v1, converted in the background',
  up: (db) => {
    db.exec('ALTER TABLE readings RENAME TO readings_v1');
    db.exec(`CREATE TABLE reading_points (
      id INTEGER PRIMARY KEY,
      code TEXT NOT NULL UNIQUE
    )`);
    db.exec(`CREATE TABLE reading_blocks (
      id INTEGER PRIMARY KEY,
      point_id INTEGER NOT NULL REFERENCES reading_points (id),
      span_start INTEGER NOT NULL,
      first_ms INTEGER NOT NULL,
      last_ms INTEGER NOT NULL,
      count INTEGER NOT NULL,
      data BLOB NOT NULL
    )`);
    db.exec('CREATE INDEX reading_blocks_point_span ON reading_blocks (point_id, span_start)');
    db.exec('CREATE INDEX reading_blocks_span ON reading_blocks (span_start)');
    db.exec('CREATE TABLE reading_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID');
    db.prepare("INSERT INTO reading_state (key, value) VALUES ('journal_gen', 1), ('block_ms', ?)").run(DEFAULT_BLOCK_MS);
    // Point ids in the order the points first appear, so readings of one poll that share a wall
    // time keep their stored order after conversion (ties sort by point id). Walks the
    // (point, wall_time) index once per point: cost follows points, not rows.
    const points = db
      .prepare(
        `WITH RECURSIVE p(code) AS (
           SELECT min(point) FROM readings_v1
           UNION ALL SELECT (SELECT min(point) FROM readings_v1 WHERE point > p.code) FROM p WHERE p.code IS NOT NULL
         )
         SELECT code, (SELECT wall_time FROM readings_v1 WHERE point = p.code ORDER BY wall_time, id LIMIT 1) AS first_wall,
                (SELECT id FROM readings_v1 WHERE point = p.code ORDER BY wall_time, id LIMIT 1) AS first_id
         FROM p WHERE code IS NOT NULL ORDER BY first_wall, first_id`,
      )
      .all() as { code: string }[];
    const add = db.prepare('INSERT INTO reading_points (code) VALUES (?)');
    for (const p of points) add.run(p.code);
  },
  // Its per-connection `readings` view (reading-sql-view.ts) is attached in reading-store.ts:
  // the view reads through reading-reader.ts, which uses this file (no import cycle).
};

export interface BlockRow {
  pointId: number;
  spanStart: number;
  firstMs: number;
  lastMs: number;
  count: number;
  data: Uint8Array;
}

export function hasPackedLayout(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reading_blocks'").get() !== undefined;
}

export function hasLegacyRows(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings_v1'").get() !== undefined;
}

export function blockMsOf(db: Database.Database): number {
  return (db.prepare("SELECT value FROM reading_state WHERE key = 'block_ms'").pluck().get() as number | undefined) ?? DEFAULT_BLOCK_MS;
}

export function journalGenOf(db: Database.Database): number {
  return db.prepare("SELECT value FROM reading_state WHERE key = 'journal_gen'").pluck().get() as number;
}

export function spanStartOf(wallTime: number, blockMs: number): number {
  return Math.floor(wallTime / blockMs) * blockMs;
}

/** Point ids and codes, both ways, cached per connection user (point codes never change id). */
export class PointIds {
  private readonly byCode = new Map<string, number>();
  private readonly byId = new Map<number, string>();
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.select = db.prepare('SELECT id, code FROM reading_points');
    this.insert = db.prepare('INSERT INTO reading_points (code) VALUES (?)');
    this.reload();
  }

  reload(): void {
    for (const row of this.select.all() as { id: number; code: string }[]) {
      this.byCode.set(row.code, row.id);
      this.byId.set(row.id, row.code);
    }
  }

  /** Id of a known code, without writing. */
  find(code: string): number | undefined {
    return this.byCode.get(code);
  }

  /** Id of `code`, registering it (one small commit, once per point ever) when new. */
  idOf(code: string): number {
    const known = this.byCode.get(code);
    if (known !== undefined) return known;
    const id = Number(this.insert.run(code).lastInsertRowid);
    this.byCode.set(code, id);
    this.byId.set(id, code);
    return id;
  }

  /**
   * Register every new code among `codes` in one transaction. Flash wear: one autocommit per new
   * point wrote 2 pages (table + unique index) to the WAL each, 512 KiB for 64 points; one
   * transaction writes those pages once.
   */
  register(codes: Iterable<string>): void {
    const fresh = new Set<string>();
    for (const c of codes) if (!this.byCode.has(c)) fresh.add(c);
    if (fresh.size === 0) return;
    const added: [string, number][] = [];
    this.db.transaction(() => {
      for (const c of fresh) added.push([c, Number(this.insert.run(c).lastInsertRowid)]);
    }).immediate();
    // Cached only once committed: a rolled-back id must not be handed out.
    for (const [c, id] of added) {
      this.byCode.set(c, id);
      this.byId.set(id, c);
    }
  }

  codeOf(id: number): string {
    let code = this.byId.get(id);
    if (code === undefined) {
      this.reload(); // another connection registered it since
      code = this.byId.get(id);
    }
    if (code === undefined) throw new RangeError(`reading block refers to unknown point id ${id}`);
    return code;
  }
}

/**
 * Insert blocks and move the journal generation on, in one transaction; `alsoInTransaction` runs
 * after the inserts, inside it (the five-minute statistics of these blocks).
 */
export function commitBlocks(db: Database.Database, blocks: readonly BlockRow[], nextGen: number, alsoInTransaction?: () => void): void {
  const insert = db.prepare('INSERT INTO reading_blocks (point_id, span_start, first_ms, last_ms, count, data) VALUES (?, ?, ?, ?, ?, ?)');
  const setGen = db.prepare("UPDATE reading_state SET value = ? WHERE key = 'journal_gen'");
  db.transaction(() => {
    for (const b of blocks) insert.run(b.pointId, b.spanStart, b.firstMs, b.lastMs, b.count, b.data);
    setGen.run(nextGen);
    alsoInTransaction?.();
  }).immediate();
}

/** Whether one point's span already has a block (a late reading's block joins it). */
export function spanHasBlock(db: Database.Database, pointId: number, spanStart: number): boolean {
  return db.prepare('SELECT 1 FROM reading_blocks WHERE point_id = ? AND span_start = ? LIMIT 1').get(pointId, spanStart) !== undefined;
}

export function maxBlockId(db: Database.Database): number {
  return (db.prepare('SELECT coalesce(max(id), 0) FROM reading_blocks').pluck().get() as number) ?? 0;
}

/** The block layout's migrations (1 is the previous release's row layout); the full 'store' list is reading-store.ts `readingMigrations`. */
export const blockStoreMigrations: Migration[] = [
  {
    version: 1,
    description: 'readings table with (point, wall_time) index',
    up: (db) => {
      db.exec(`CREATE TABLE readings (
        id INTEGER PRIMARY KEY,
        point TEXT NOT NULL,
        value REAL NULL,
        quality TEXT NOT NULL,
        wall_time INTEGER NOT NULL,
        mono_time REAL NOT NULL,
        raw TEXT NOT NULL
      )`);
      db.exec('CREATE INDEX readings_point_time ON readings (point, wall_time)');
    },
  },
  packedLayoutMigration,
];

/** A row of the old one-row-per-reading `readings` table (migration, the reader API and replay read it). */
export interface LegacyRow {
  id: number;
  point: string;
  value: number | null;
  quality: string;
  wall_time: number;
  mono_time: number;
  raw: string;
}
