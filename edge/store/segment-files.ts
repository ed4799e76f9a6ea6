// Write-once segment files: `<dataDir>/readings/<YYYYMMDD mine time>/<pointId>.seg`, one
// append-only file per point and mine day, one frame (segment-codec.ts) per point and writer batch.
//
// Why: blocks in WAL-mode SQLite are written twice (WAL, then checkpoint) on top of the open-span
// journal: 5x the stored size in flash writes (edge/store/README.md). The bytes appended here ARE
// the stored readings; nothing is copied later, so written/stored stays near 1x.
//
// A batch counts as written once its write()s have returned (a SIGKILL cannot take back a
// write() that returned: it is in the page cache), as with the journal before. A batch that fails
// part way (disk full) is cut back in every file it touched, so a retry never stores a reading twice.
// A power cut can leave a torn or garbage tail: at start (the newest day) or at the first append
// to an older file, the writer cuts it at its last good frame and rebuilds the encoder state.
//
// A file whose wall times go backwards (a late poll, the clock stepped back) gets a marker file
// `<pointId>.unsorted` before the frame is written, so readers know they must sort it.
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BlockReading } from './reading-codec.js';
import { decodeSegment, encodeFrame, freshSegmentState, scanKeyFrames, type SegmentState } from './segment-codec.js';

/** Mine time: Beijing, UTC+8, no daylight saving (five-minute-stats.ts aligns windows the same way). */
const MINE_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const DAY_DIR = /^\d{8}$/;
const SEG_FILE = /^(\d+)\.seg$/;

/** The segment root of a database: `readings/` next to the database file. */
export function segmentRoot(dbFile: string): string {
  return join(dirname(dbFile), 'readings');
}

/** YYYYMMDD of the mine day holding `wallMs`. */
export function mineDayOf(wallMs: number): string {
  const d = new Date(Math.floor((wallMs + MINE_OFFSET_MS) / DAY_MS) * DAY_MS);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Wall time (ms) at which mine day `day` (YYYYMMDD) starts. */
export function mineDayStart(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))) - MINE_OFFSET_MS;
}

export function mineDayEnd(day: string): number {
  return mineDayStart(day) + DAY_MS;
}

/** Day directories under the root, oldest first. */
export function segmentDays(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => DAY_DIR.test(d))
    .sort();
}

/** Point ids with a segment file in one day directory, ascending. */
export function segmentPoints(root: string, day: string): number[] {
  const dir = join(root, day);
  if (!existsSync(dir)) return [];
  const out: number[] = [];
  for (const f of readdirSync(dir)) {
    const m = SEG_FILE.exec(f);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

export function segmentFile(root: string, day: string, pointId: number): string {
  return join(root, day, `${pointId}.seg`);
}

function unsortedMarker(root: string, day: string, pointId: number): string {
  return join(root, day, `${pointId}.unsorted`);
}

/** True when the file's readings may not be in wall-time order (see the header). */
export function segmentUnsorted(root: string, day: string, pointId: number): boolean {
  return existsSync(unsortedMarker(root, day, pointId));
}

/** Bytes of every segment file of a day directory. */
export function segmentDayBytes(root: string, day: string): number {
  let n = 0;
  for (const p of segmentPoints(root, day)) n += statSync(segmentFile(root, day, p), { throwIfNoEntry: false })?.size ?? 0;
  return n;
}

interface OpenFile {
  fd: number;
  size: number;
  state: SegmentState;
  lastWall: number;
  sorted: boolean;
  usedAt: number;
}

/** One point's readings of one batch and mine day, in write order. */
export interface SegmentBatchPart {
  day: string;
  pointId: number;
  readings: BlockReading[];
}

export class SegmentAppender {
  private readonly files = new Map<string, OpenFile>();
  private batches = 0;

  constructor(readonly root: string) {}

  /**
   * Append one batch: one frame per part. All or nothing: on a failure every file this batch
   * grew is cut back to its size before, and the error is thrown (the writer retries the batch).
   */
  appendBatch(parts: readonly SegmentBatchPart[]): void {
    this.batches++;
    const done: { file: OpenFile; size: number; state: SegmentState; lastWall: number }[] = [];
    try {
      for (const part of parts) {
        const file = this.open(part.day, part.pointId);
        const before = { file, size: file.size, state: file.state, lastWall: file.lastWall };
        const state = { ...file.state };
        const frame = encodeFrame(state, part.readings);
        let lastWall = file.lastWall;
        let sorted = file.sorted;
        for (const r of part.readings) {
          if (r.wallTime < lastWall) sorted = false;
          lastWall = r.wallTime;
        }
        if (!sorted && file.sorted) writeFileSync(unsortedMarker(this.root, part.day, part.pointId), '');
        file.sorted = sorted;
        done.push(before);
        const n = writeSync(file.fd, frame);
        if (n !== frame.length) throw Object.assign(new Error(`short write to a segment file (${n} of ${frame.length} bytes)`), { code: 'ENOSPC' });
        file.size += n;
        file.state = state;
        file.lastWall = lastWall;
        file.usedAt = this.batches;
      }
    } catch (err) {
      for (const d of done.reverse()) {
        try {
          ftruncateSync(d.file.fd, d.size);
        } catch {
          // The next start cuts the file at its last good frame anyway.
        }
        d.file.size = d.size;
        d.file.state = d.state;
        d.file.lastWall = d.lastWall;
      }
      throw err;
    }
    // A day's files stop being appended to once the day is over: close those not used for a while.
    if (this.batches % 240 === 0) this.closeIdle(this.batches - 240);
  }

  /**
   * Start-up recovery: open every file of the newest day now, so a torn tail is cut before any
   * reader sees it. Returns each file's last 10-20 minutes (for the open five-minute windows).
   */
  recoverNewestDay(): { pointId: number; readings: BlockReading[] }[] {
    const days = segmentDays(this.root);
    const day = days[days.length - 1];
    if (day === undefined) return [];
    return segmentPoints(this.root, day).map((pointId) => ({ pointId, readings: this.openWith(day, pointId).tail }));
  }

  /** Bytes of a file's good frames (0 when it does not exist yet); opens it as an append would. */
  sizeOf(day: string, pointId: number): number {
    return this.open(day, pointId).size;
  }

  /** Cut a file back to `size` bytes (a batch whose other half could not be committed); reopened on its next append. */
  cutBack(day: string, pointId: number, size: number): void {
    const key = `${day}/${pointId}`;
    const f = this.files.get(key);
    if (f) {
      closeSync(f.fd);
      this.files.delete(key);
    }
    ftruncateOrRemove(segmentFile(this.root, day, pointId), size);
  }

  close(): void {
    for (const f of this.files.values()) closeSync(f.fd);
    this.files.clear();
  }

  private closeIdle(before: number): void {
    for (const [key, f] of this.files) {
      if (f.usedAt > before) continue;
      closeSync(f.fd);
      this.files.delete(key);
    }
  }

  private open(day: string, pointId: number): OpenFile {
    return this.files.get(`${day}/${pointId}`) ?? this.openWith(day, pointId).file;
  }

  /**
   * Open a file for appending: cut a torn tail at the last good frame (CRCs of the whole file),
   * and rebuild the encoder state by decoding from the second-newest key frame (10-20 minutes,
   * not the day: the state restarts at every key frame). Returns those readings.
   */
  private openWith(day: string, pointId: number): { file: OpenFile; tail: BlockReading[] } {
    const path = segmentFile(this.root, day, pointId);
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a+');
    try {
      const buf = readFileSync(fd);
      const keys = scanKeyFrames(buf);
      if (keys.validBytes < buf.length) ftruncateSync(fd, keys.validBytes);
      const from = keys.offsets.length >= 2 ? keys.offsets[keys.offsets.length - 2]! : 0;
      const got = decodeSegment(buf, undefined, from, keys.validBytes);
      const last = got.readings[got.readings.length - 1];
      // The marker is written before an out-of-order frame, so it is there if the file needs it.
      const sorted = !segmentUnsorted(this.root, day, pointId);
      const file: OpenFile = {
        fd,
        size: keys.validBytes,
        state: keys.validBytes > 0 ? got.state : freshSegmentState(),
        lastWall: last?.wallTime ?? Number.NEGATIVE_INFINITY,
        sorted,
        usedAt: this.batches,
      };
      this.files.set(`${day}/${pointId}`, file);
      return { file, tail: got.readings };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }
}

/** Cut a closed file to `size` bytes; a file that did not exist before (size 0) is removed. */
export function ftruncateOrRemove(path: string, size: number): void {
  if (!existsSync(path)) return;
  if (size === 0) rmSync(path);
  else if (statSync(path).size > size) truncateSync(path, size);
}
