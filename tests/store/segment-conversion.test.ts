// A reader on its own connection (as `minegate export` in another process) whose SQLite snapshot
// began before a block-to-segments conversion step and that reads the segment files after the
// step's append and commit (segment-conversion.ts) sees every reading exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { convertAllLegacyReadings } from '../../edge/store/reading-migration.js';
import { countReadings, iterateReadings, type StoredReading } from '../../edge/store/reading-reader.js';
import { readingMigrations } from '../../edge/store/reading-store.js';
import { convertBlocksToSegments } from '../../edge/store/segment-conversion.js';
import { SegmentAppender, segmentDays, segmentRoot } from '../../edge/store/segment-files.js';
import { backfillStatistics } from '../../edge/store/statistics-store.js';

// Mine midnight is 16:00 UTC: X has readings on both sides of it, Y only after, later than X's.
const DAY_A = Date.UTC(2026, 0, 10, 14);
const DAY_B_EARLY = Date.UTC(2026, 0, 10, 16);
const DAY_B_LATE = Date.UTC(2026, 0, 10, 17);
const SECONDS = 1800;

let dir: string;
const open: Database.Database[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minegate-segconv-'));
});
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A store of packed blocks (from old-layout rows): X in both mine days, Y later in the second. */
function blockStore(file: string): number {
  const old = openDatabase(file, { store: [readingMigrations[0]!] });
  const insert = old.prepare('INSERT INTO readings (point, value, quality, wall_time, mono_time, raw) VALUES (?, ?, ?, ?, ?, ?)');
  let n = 0;
  old.transaction(() => {
    for (const [point, t0] of [['X', DAY_A], ['X', DAY_B_EARLY], ['Y', DAY_B_LATE]] as const) {
      for (let s = 0; s < SECONDS; s++, n++) insert.run(point, s % 100, 'good', t0 + s * 1000, s * 1000, JSON.stringify([s % 100]));
    }
  })();
  old.close();
  const db = openDatabase(file, { store: readingMigrations });
  convertAllLegacyReadings(db);
  while (backfillStatistics(db) > 0);
  db.close();
  return n;
}

function key(r: StoredReading): string {
  return `${r.point}@${r.wallTime}`;
}

it('a reader whose snapshot began before a conversion step and that reads the files after it sees every reading once', () => {
  const file = join(dir, 'minegate.db');
  const n = blockStore(file);
  const writer = openDatabase(file, { store: readingMigrations });
  open.push(writer);
  const appender = new SegmentAppender(segmentRoot(file));
  // Move X's blocks first (oldest spans): both day directories exist, Y is still in its block.
  const xBlocks = writer.prepare("SELECT count(*) FROM reading_blocks b JOIN reading_points p ON p.id = b.point_id WHERE p.code = 'X'").pluck().get() as number;
  expect(convertBlocksToSegments(writer, appender, xBlocks).converted).toBe(xBlocks);
  expect(segmentDays(segmentRoot(file))).toHaveLength(2);

  const reader = openDatabase(file, { store: readingMigrations }, { readonly: true });
  open.push(reader);
  // The reader's snapshot begins (and day A's file is read) before Y's step 1...
  const it = iterateReadings(reader, {}, 'asc');
  const seen = [it.next().value as StoredReading];
  // ...Y's steps run to their end on the writer's connection (marker, append, delete)...
  const step = convertBlocksToSegments(writer, appender, 1_000);
  expect(step.remaining).toBe(false);
  expect(step.converted).toBeGreaterThan(0);
  // ...and the reader reads day B's files afterwards, still in its snapshot, which holds Y's blocks.
  for (let r = it.next(); !r.done; r = it.next()) seen.push(r.value);
  appender.close();

  expect(seen).toHaveLength(n);
  expect(new Set(seen.map(key)).size).toBe(n);
  expect(seen.filter((r) => r.point === 'Y')).toHaveLength(SECONDS);
  // A reader starting after the conversion sees the same readings, all in segment files now.
  expect(countReadings(reader)).toBe(n);
  expect(writer.prepare('SELECT count(*) FROM reading_blocks').pluck().get()).toBe(0);
});
