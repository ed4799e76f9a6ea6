// Converts packed blocks (reading_blocks) into segment files, in place and in small steps, once a
// store's writer writes segments (a store of the old row layout first becomes blocks:
// reading-migration.ts). A step moves one block, oldest span first:
//   1. commit a marker in reading_state: the block's id and the size of each file it will grow;
//   2. append the block's readings to its point's file(s) of their mine day (one all-or-nothing
//      batch, segment-files.ts; older than the file's readings => the file is marked unsorted);
//   3. delete the block and the marker in one transaction.
// A SIGKILL before 3 leaves the marker: the next start cuts those files back to the recorded sizes
// (resumeSegmentConversion, before anything opens them) and the block, still there, is moved again.
// Readers record every segment file's size before their SQLite read snapshot begins and read no
// file past it, nor a marked file past the recorded size (reading-reader.ts readerCaps). So no
// reader sees a reading twice, in any process: not one during a step, not one whose snapshot
// began before step 1 and that reads the file after step 2 (a long export while the gateway
// converts), not one after a crash; no reading is lost. Only blocks whose five-minute statistics
// are stored are moved (statistics_through_block): the backfill finds its work by block id.
import type Database from 'better-sqlite3';
import { decodeBlock, type BlockReading } from './reading-codec.js';
import { ftruncateOrRemove, mineDayOf, type SegmentAppender, type SegmentBatchPart, segmentFile } from './segment-files.js';

export const SEGMENT_CONVERSION_DEFAULTS = {
  /** Blocks per step: a 1 s point's 30-minute block is 1,800 readings, ~5 ms to move on the shared VM. */
  blocksPerStep: 4,
} as const;

const MARK_BLOCK = 'segment_convert_block';
/** + `${day}/${pointId}`: the file's size before the step (reading-reader.ts caps reads at it meanwhile). */
const MARK_FILE = 'segment_convert_file:';

export interface ConversionStep {
  converted: number;
  /** False when no block is left that may be moved now. */
  remaining: boolean;
}

interface BlockRowData {
  id: number;
  point_id: number;
  data: Buffer;
}

/** One point's readings of a block split by mine day, in block order. */
function partsOf(block: BlockRowData): SegmentBatchPart[] {
  const byDay = new Map<string, BlockReading[]>();
  for (const r of decodeBlock(block.data)) {
    const day = mineDayOf(r.wallTime);
    const list = byDay.get(day);
    if (list) list.push(r);
    else byDay.set(day, [r]);
  }
  return [...byDay].map(([day, readings]) => ({ day, pointId: block.point_id, readings }));
}

/**
 * At a writer's start, before any segment file is opened: undo the file side of a step a crash
 * interrupted (see the header). Returns true when there was one.
 */
export function resumeSegmentConversion(db: Database.Database, root: string): boolean {
  const files = db.prepare(`SELECT key, value FROM reading_state WHERE key LIKE '${MARK_FILE}%'`).all() as { key: string; value: number }[];
  const marked = db.prepare('SELECT 1 FROM reading_state WHERE key = ?').get(MARK_BLOCK) !== undefined;
  if (!marked && files.length === 0) return false;
  for (const f of files) {
    const [day, pointId] = f.key.slice(MARK_FILE.length).split('/');
    ftruncateOrRemove(segmentFile(root, day!, Number(pointId)), f.value);
  }
  db.prepare(`DELETE FROM reading_state WHERE key = ? OR key LIKE '${MARK_FILE}%'`).run(MARK_BLOCK);
  return true;
}

/** Move up to `maxBlocks` blocks into segment files through the writer's appender. */
export function convertBlocksToSegments(db: Database.Database, appender: SegmentAppender, maxBlocks: number = SEGMENT_CONVERSION_DEFAULTS.blocksPerStep): ConversionStep {
  const through = (db.prepare("SELECT value FROM reading_state WHERE key = 'statistics_through_block'").pluck().get() as number | undefined) ?? Number.MAX_SAFE_INTEGER;
  const next = db.prepare('SELECT id, point_id, data FROM reading_blocks WHERE id <= ? ORDER BY span_start, id LIMIT 1');
  const mark = db.prepare('INSERT OR REPLACE INTO reading_state (key, value) VALUES (?, ?)');
  const unmark = db.prepare(`DELETE FROM reading_state WHERE key = ? OR key LIKE '${MARK_FILE}%'`);
  const remove = db.prepare('DELETE FROM reading_blocks WHERE id = ?');
  let converted = 0;
  for (let i = 0; i < maxBlocks; i++) {
    const block = next.get(through) as BlockRowData | undefined;
    if (!block) return { converted, remaining: false };
    const parts = partsOf(block);
    const sizes = parts.map((p) => appender.sizeOf(p.day, p.pointId));
    db.transaction(() => {
      mark.run(MARK_BLOCK, block.id);
      for (const [k, size] of sizes.entries()) mark.run(`${MARK_FILE}${parts[k]!.day}/${parts[k]!.pointId}`, size);
    })();
    appender.appendBatch(parts);
    try {
      db.transaction(() => {
        remove.run(block.id);
        unmark.run(MARK_BLOCK);
      })();
    } catch (err) {
      // The block stays: its readings must not stay in the files too (the next step moves it again).
      for (const [k, p] of parts.entries()) appender.cutBack(p.day, p.pointId, sizes[k]!);
      throw err;
    }
    converted++;
  }
  return { converted, remaining: next.get(through) !== undefined };
}
