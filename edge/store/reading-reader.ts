// The one way to read stored readings: export, replay, status, doctor, sync and the five-minute
// statistics all come here. A reading may be in one of four places, and every function reads all
// of them, so a reading is visible as soon as the writer has written its batch:
//   - readings_v1: rows of the old layout not yet converted (reading-migration.ts),
//   - reading_blocks: packed blocks (reading-codec.ts),
//   - the open-block journal file of the current generation (reading-journal.ts),
//   - segment files, what new stores write (segment-files.ts, read by segment-reader.ts).
// Order: by wall time; readings with the same wall time by point id (first-seen order, which is
// the order of a device's points within one poll), then old rows, blocks, journal, segments, each in the
// order it was stored. That is the old `ORDER BY wall_time, id` for everything the gateway writes.
import type Database from 'better-sqlite3';
import type { Quality } from '../../core/readings.js';
import { blockMsOf, hasLegacyRows, hasPackedLayout, journalGenOf, type LegacyRow, PointIds, spanStartOf } from './block-store.js';
import { type BlockReading, decodeBlock } from './reading-codec.js';
import { journalFile, type JournalReading, readJournal } from './reading-journal.js';
import { segmentRoot } from './segment-files.js';
import { countSegmentReadings, latestSegmentReadings, type SegmentCaps, segmentReadings, segmentSizes } from './segment-reader.js';

export interface StoredReading {
  point: string;
  value: number | null;
  quality: Quality;
  wallTime: number;
  /** Milliseconds (whole), as stored. */
  monoTime: number;
  raw: number[];
}

export interface ReadingRange {
  point?: string;
  /** Inclusive lower bound on wall time, ms since epoch. */
  fromMs?: number;
  /** Exclusive upper bound on wall time, ms since epoch. */
  toMs?: number;
}

export interface ReadingQuery extends ReadingRange {
  /** Default 1000. */
  limit?: number;
  /** By wall time; default 'desc' (newest first, what a technician usually wants). */
  order?: 'asc' | 'desc';
}

export const READING_QUERY_DEFAULTS = { limit: 1_000, order: 'desc' } as const;

/** A reading with its sort key: wall time, point id, source rank, position within the source. */
interface Keyed {
  r: StoredReading;
  pointId: number;
  rank: number;
  seq: number;
}

type BlockReadingWithPoint = BlockReading & { point: string };

const RANK_LEGACY = 0;
const RANK_BLOCK = 1;
const RANK_JOURNAL = 2;
const RANK_SEGMENT = 3;
const MIN_MS = -(2 ** 53);
const MAX_MS = 2 ** 53;

/** Stored readings matching the query, ordered by wall time. */
export function queryReadings(db: Database.Database, q: ReadingQuery = {}): StoredReading[] {
  const limit = positiveInteger('limit', q.limit, READING_QUERY_DEFAULTS.limit);
  const order = q.order ?? READING_QUERY_DEFAULTS.order;
  if (order !== 'asc' && order !== 'desc') throw new TypeError(`queryReadings: order must be 'asc' or 'desc', got ${String(q.order)}`);
  const out: StoredReading[] = [];
  for (const r of iterateReadings(db, q, order)) {
    out.push(r);
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Stream readings in time order (a week never sits in memory: one block span at a time). On a
 * read-only connection it reads one consistent snapshot; on the writer's own connection, consume
 * it without yielding to the event loop (the writer may compact in between).
 */
export function* iterateReadings(db: Database.Database, range: ReadingRange = {}, order: 'asc' | 'desc' = 'asc'): Generator<StoredReading> {
  const { fromMs, toMs, point } = checkRange(range);
  if (!hasPackedLayout(db)) throw new TypeError('reading store has no packed layout; open the database with { store: readingMigrations }');
  const sizes = segmentSizes(segmentRoot(db.name), fromMs, toMs);
  const snapshot = db.readonly && !db.inTransaction;
  if (snapshot) db.exec('BEGIN');
  try {
    const ids = new PointIds(db);
    // A point without an id has no blocks or journal entries, but may have old rows.
    const pointId = point === undefined ? undefined : (ids.find(point) ?? -1);
    const dir = order === 'asc' ? 1 : -1;
    const journal = journalReadings(db, snapshot).filter((j) => j.wallTime >= fromMs && j.wallTime < toMs && (pointId === undefined || j.pointId === pointId));
    const sources = [
      legacyRows(db, ids, fromMs, toMs, point, order),
      pointId === -1 ? [][Symbol.iterator]() : blockReadings(db, ids, fromMs, toMs, pointId, order),
      sorted(journal.map((j, seq) => ({ r: toStored(j, ids), pointId: j.pointId, rank: RANK_JOURNAL, seq })), dir)[Symbol.iterator](),
      pointId === -1 ? [][Symbol.iterator]() : segmentReadings(segmentRoot(db.name), codesOf(ids), { fromMs, toMs, pointId, dir, rank: RANK_SEGMENT, caps: readerCaps(db, sizes) }),
    ];
    yield* merge(sources, dir);
  } finally {
    if (snapshot) db.exec('COMMIT');
  }
}

/** Readings in the range (export's progress total). */
export function countReadings(db: Database.Database, range: ReadingRange = {}): number {
  const { fromMs, toMs, point } = checkRange(range);
  return inSnapshot(db, fromMs, toMs, (caps) => countIn(db, fromMs, toMs, point, caps));
}

function countIn(db: Database.Database, fromMs: number, toMs: number, point: string | undefined, caps: SegmentCaps): number {
  const ids = new PointIds(db);
  const pointId = point === undefined ? undefined : (ids.find(point) ?? -1);
  let n = 0;
  if (hasLegacyRows(db)) {
    const where = point === undefined ? '' : ' AND point = ?';
    n += db.prepare(`SELECT count(*) FROM readings_v1 WHERE wall_time >= ? AND wall_time < ?${where}`).pluck().get(...legacyParams(fromMs, toMs, point)) as number;
  }
  const blockMs = blockMsOf(db);
  const where = pointId === undefined ? '' : ' AND point_id = ?';
  const params = [spanStartOf(Math.max(fromMs, MIN_MS), blockMs), Math.min(toMs, MAX_MS), ...(pointId === undefined ? [] : [pointId])];
  for (const b of db.prepare(`SELECT first_ms, last_ms, count, data FROM reading_blocks WHERE span_start >= ? AND span_start < ?${where}`).iterate(...params) as IterableIterator<{ first_ms: number; last_ms: number; count: number; data: Buffer }>) {
    if (b.first_ms >= fromMs && b.last_ms < toMs) n += b.count;
    else for (const r of decodeBlock(b.data)) if (r.wallTime >= fromMs && r.wallTime < toMs) n++;
  }
  for (const j of journalReadings(db, false)) if (j.wallTime >= fromMs && j.wallTime < toMs && (pointId === undefined || j.pointId === pointId)) n++;
  if (pointId !== -1) n += countSegmentReadings(segmentRoot(db.name), fromMs, toMs, pointId, caps);
  return n;
}

/** The newest stored reading of every point, ordered by point code. */
export function latestReadings(db: Database.Database): StoredReading[] {
  return inSnapshot(db, MIN_MS, MAX_MS, (caps) => latestIn(db, caps));
}

function latestIn(db: Database.Database, caps: SegmentCaps): StoredReading[] {
  const ids = new PointIds(db);
  const best = new Map<string, Keyed>();
  const offer = (k: Keyed): void => {
    const cur = best.get(k.r.point);
    if (!cur || compare(k, cur) > 0) best.set(k.r.point, k);
  };
  if (hasLegacyRows(db)) {
    // Walks the (point, wall_time) index point by point: cost follows points, not days of history.
    const rows = db
      .prepare(
        `WITH RECURSIVE points(p) AS (
           SELECT min(point) FROM readings_v1
           UNION ALL SELECT (SELECT min(point) FROM readings_v1 WHERE point > points.p) FROM points WHERE points.p IS NOT NULL
         )
         SELECT r.id, r.point, r.value, r.quality, r.wall_time, r.mono_time, r.raw
         FROM points JOIN readings_v1 r ON r.id = (SELECT id FROM readings_v1 WHERE point = points.p ORDER BY wall_time DESC, id DESC LIMIT 1)
         WHERE points.p IS NOT NULL`,
      )
      .all() as LegacyRow[];
    for (const row of rows) offer(fromLegacy(row, ids));
  }
  const newest = db.prepare(
    `SELECT id, point_id, data FROM reading_blocks WHERE point_id = ? AND span_start = (SELECT max(span_start) FROM reading_blocks WHERE point_id = ?) ORDER BY id`,
  );
  for (const { id: pid } of db.prepare('SELECT id FROM reading_points').all() as { id: number }[]) {
    for (const b of newest.all(pid, pid) as { id: number; point_id: number; data: Buffer }[]) {
      const code = ids.codeOf(b.point_id);
      decodeBlock(b.data).forEach((r, i) => offer({ r: { ...r, point: code }, pointId: b.point_id, rank: RANK_BLOCK, seq: b.id * 2 ** 20 + i }));
    }
  }
  journalReadings(db, false).forEach((j, seq) => offer({ r: toStored(j, ids), pointId: j.pointId, rank: RANK_JOURNAL, seq }));
  for (const k of latestSegmentReadings(segmentRoot(db.name), codesOf(ids), RANK_SEGMENT, caps)) offer(k);
  return [...best.values()].map((k) => k.r).sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
}

/** Wall time of the newest stored reading, or null for an empty store (doctor's clock check). */
export function newestReadingTime(db: Database.Database): number | null {
  return inSnapshot(db, MIN_MS, MAX_MS, (caps) => newestIn(db, caps));
}

function newestIn(db: Database.Database, caps: SegmentCaps): number | null {
  let newest: number | null = null;
  const take = (t: number | null | undefined): void => {
    if (typeof t === 'number' && (newest === null || t > newest)) newest = t;
  };
  if (hasLegacyRows(db)) take(db.prepare('SELECT max(wall_time) FROM readings_v1').pluck().get() as number | null);
  take(db.prepare('SELECT max(last_ms) FROM reading_blocks').pluck().get() as number | null);
  for (const j of journalReadings(db, false)) take(j.wallTime);
  for (const k of latestSegmentReadings(segmentRoot(db.name), codesOf(new PointIds(db)), RANK_SEGMENT, caps)) take(k.r.wallTime);
  return newest;
}

/** Wall time of the newest reading in segment files, or null without any (the statistics' open windows). */
export function newestSegmentTime(db: Database.Database): number | null {
  return inSnapshot(db, MIN_MS, MAX_MS, (caps) => {
    let newest: number | null = null;
    for (const k of latestSegmentReadings(segmentRoot(db.name), codesOf(new PointIds(db)), RANK_SEGMENT, caps)) if (newest === null || k.r.wallTime > newest) newest = k.r.wallTime;
    return newest;
  });
}

/**
 * How far this reader reads each segment file: its size captured before the snapshot began
 * (`sizes`), lowered to a conversion step's recorded size where this snapshot sees its marker
 * (segment-conversion.ts). Call it inside the snapshot that also reads the blocks.
 * Why both: a step appends a block's readings after its marker commits and deletes the block
 * after the append. An append after the size capture is past the size. An append before it
 * followed its marker's commit, so this snapshot (begun after the capture) sees the marker (the
 * file is cut at the step's size, the block counts) or the block already deleted (the file
 * counts). Either way each reading once, whichever process converts.
 */
function readerCaps(db: Database.Database, sizes: Map<string, number>): SegmentCaps {
  const rows = db.prepare("SELECT key, value FROM reading_state WHERE key LIKE 'segment_convert_file:%'").all() as { key: string; value: number }[];
  for (const r of rows) {
    const key = r.key.slice('segment_convert_file:'.length);
    const size = sizes.get(key);
    if (size !== undefined && r.value < size) sizes.set(key, r.value);
  }
  return sizes;
}

/**
 * Run `read` in one read snapshot (BEGIN..COMMIT unless the connection is in a transaction: the
 * blocks and the markers must come from the same snapshot), with the segment file sizes of
 * [fromMs, toMs) captured before it began (readerCaps says why).
 */
function inSnapshot<T>(db: Database.Database, fromMs: number, toMs: number, read: (caps: SegmentCaps) => T): T {
  const sizes = segmentSizes(segmentRoot(db.name), fromMs, toMs);
  const snapshot = !db.inTransaction;
  if (snapshot) db.exec('BEGIN');
  try {
    return read(readerCaps(db, sizes));
  } finally {
    if (snapshot) db.exec('COMMIT');
  }
}

/** Wall time of the oldest reading still in the open-span journal, or null when it is empty. */
export function openSpanStart(db: Database.Database): number | null {
  let oldest: number | null = null;
  for (const j of journalReadings(db, false)) if (oldest === null || j.wallTime < oldest) oldest = j.wallTime;
  return oldest;
}

/** Readings of the journal generation the database points at (empty when there is none yet). */
function journalReadings(db: Database.Database, inSnapshot: boolean): JournalReading[] {
  // A missing file of the current generation means the writer rotated it after our snapshot
  // began: its readings are in blocks that snapshot cannot see. Look again with a new one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const gen = journalGenOf(db);
    const contents = readJournal(journalFile(db.name, gen));
    if (contents) return contents.readings;
    if (!inSnapshot) break;
    db.exec('COMMIT');
    db.exec('BEGIN');
  }
  return [];
}


/**
 * Point codes for the segment reader. A file of a point registered after this reader's snapshot
 * began holds readings written after it: -> undefined, and the reader skips the file.
 */
function codesOf(ids: PointIds): (pointId: number) => string | undefined {
  return (pointId) => {
    try {
      return ids.codeOf(pointId);
    } catch {
      return undefined;
    }
  };
}

function legacyParams(fromMs: number, toMs: number, point: string | undefined): (number | string)[] {
  return [Math.max(fromMs, MIN_MS), Math.min(toMs, MAX_MS), ...(point === undefined ? [] : [point])];
}

function* legacyRows(db: Database.Database, ids: PointIds, fromMs: number, toMs: number, point: string | undefined, order: 'asc' | 'desc'): Generator<Keyed> {
  if (!hasLegacyRows(db)) return;
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const where = point === undefined ? '' : ' AND point = ?';
  const stmt = db.prepare(`SELECT id, point, value, quality, wall_time, mono_time, raw FROM readings_v1 WHERE wall_time >= ? AND wall_time < ?${where} ORDER BY wall_time ${dir}, id ${dir}`);
  // Sorted by (wall, id) in SQL; ties across points are re-sorted by point id in this small window.
  let window: Keyed[] = [];
  const d = order === 'asc' ? 1 : -1;
  for (const row of stmt.iterate(...legacyParams(fromMs, toMs, point)) as IterableIterator<LegacyRow>) {
    const k = fromLegacy(row, ids);
    if (window.length > 0 && window[0]!.r.wallTime !== k.r.wallTime) {
      yield* sorted(window, d);
      window = [];
    }
    window.push(k);
  }
  yield* sorted(window, d);
}

function fromLegacy(row: LegacyRow, ids: PointIds): Keyed {
  return {
    r: { point: row.point, value: row.value, quality: row.quality as Quality, wallTime: row.wall_time, monoTime: row.mono_time, raw: JSON.parse(row.raw) as number[] },
    pointId: ids.find(row.point) ?? MAX_MS,
    rank: RANK_LEGACY,
    seq: row.id,
  };
}

function* blockReadings(db: Database.Database, ids: PointIds, fromMs: number, toMs: number, pointId: number | undefined, order: 'asc' | 'desc'): Generator<Keyed> {
  const blockMs = blockMsOf(db);
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const where = pointId === undefined ? '' : ' AND point_id = ?';
  const stmt = db.prepare(`SELECT id, point_id, span_start, data FROM reading_blocks WHERE span_start >= ? AND span_start < ?${where} ORDER BY span_start ${dir}`);
  const params = [spanStartOf(Math.max(fromMs, MIN_MS), blockMs), Math.min(toMs, MAX_MS), ...(pointId === undefined ? [] : [pointId])];
  const d = order === 'asc' ? 1 : -1;
  let span: number | undefined;
  let group: Keyed[] = [];
  // Blocks are aligned to spans, so spans never overlap in time: sort one span, yield it, go on.
  for (const b of stmt.iterate(...params) as IterableIterator<{ id: number; point_id: number; span_start: number; data: Buffer }>) {
    if (span !== undefined && b.span_start !== span) {
      yield* sorted(group, d);
      group = [];
    }
    span = b.span_start;
    const code = ids.codeOf(b.point_id);
    const decoded = decodeBlock(b.data);
    for (let i = 0; i < decoded.length; i++) {
      const r = decoded[i]!;
      if (r.wallTime < fromMs || r.wallTime >= toMs) continue;
      // The decoded object becomes the result (one allocation per reading, not two).
      const stored = r as BlockReadingWithPoint;
      stored.point = code;
      group.push({ r: stored, pointId: b.point_id, rank: RANK_BLOCK, seq: b.id * 2 ** 20 + i });
    }
  }
  yield* sorted(group, d);
}

function toStored(j: JournalReading, ids: PointIds): StoredReading {
  return { point: ids.codeOf(j.pointId), value: j.value, quality: j.quality, wallTime: j.wallTime, monoTime: j.monoTime, raw: j.raw };
}

function compare(a: Keyed, b: Keyed): number {
  return a.r.wallTime - b.r.wallTime || a.pointId - b.pointId || a.rank - b.rank || a.seq - b.seq;
}

function sorted(items: Keyed[], dir: number): Keyed[] {
  // Usually already in order (one point, polled forward in time): check before sorting.
  // Newest first (desc) is then the reverse of that order.
  let ordered = true;
  let reversed = true;
  for (let i = 1; i < items.length && (ordered || reversed); i++) {
    const c = dir * compare(items[i - 1]!, items[i]!);
    if (c > 0) ordered = false;
    if (c < 0) reversed = false;
  }
  if (ordered) return items;
  if (reversed) return items.reverse();
  return items.sort((a, b) => dir * compare(a, b));
}

/** k-way merge of sorted sources (three here, so a linear pick beats a heap). */
function* merge(sources: Iterator<Keyed>[], dir: number): Generator<StoredReading> {
  try {
    const heads = sources.map((s) => s.next());
    for (;;) {
      let pick = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (h.done) continue;
        if (pick < 0 || dir * compare(h.value, (heads[pick] as IteratorYieldResult<Keyed>).value) < 0) pick = i;
      }
      if (pick < 0) return;
      yield (heads[pick] as IteratorYieldResult<Keyed>).value.r;
      heads[pick] = sources[pick]!.next();
    }
  } finally {
    // A caller that stops early (limit) must not leave a statement open: the connection would stay busy.
    for (const s of sources) s.return?.();
  }
}

function checkRange(range: ReadingRange): { fromMs: number; toMs: number; point: string | undefined } {
  if (range.point !== undefined && typeof range.point !== 'string') throw new TypeError(`point must be a string, got ${String(range.point)}`);
  return {
    fromMs: range.fromMs === undefined ? Number.NEGATIVE_INFINITY : finiteNumber('fromMs', range.fromMs),
    toMs: range.toMs === undefined ? Number.POSITIVE_INFINITY : finiteNumber('toMs', range.toMs),
    point: range.point,
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function finiteNumber(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number, got ${String(value)}`);
  return value;
}
