// Reading the segment files (segment-files.ts) for reading-reader.ts: the readings of a range, in
// (wall time, point id, file order) order either way, without holding more than one key-frame
// chunk (10 minutes) per point in memory, except for a file marked unsorted (a late poll or a
// clock step), which is decoded whole and sorted.
// A point's file is entered at the key frame before the range (scanKeyFrames checks every frame's
// CRC but decodes only key frames' first wall time), so a 24 h query of one point decodes that day
// and nothing of the other points.
import { readFileSync, statSync } from 'node:fs';
import type { BlockReading } from './reading-codec.js';
import { countCheckedFrames, decodeCheckedFrames, decodeSegment, scanKeyFrames } from './segment-codec.js';
import { mineDayEnd, mineDayStart, segmentDays, segmentFile, segmentPoints, segmentUnsorted } from './segment-files.js';

export type SegmentReading = BlockReading & { point: string };

/** A reading with its sort key (reading-reader.ts merges it with the other layouts). */
export interface SegmentKeyed {
  r: SegmentReading;
  pointId: number;
  rank: number;
  seq: number;
}

export interface SegmentRange {
  fromMs: number;
  toMs: number;
  /** One point's id, or undefined for every point. */
  pointId: number | undefined;
  /** 1 oldest first, -1 newest first. */
  dir: 1 | -1;
  rank: number;
  /** Files to read only up to a size, by `${day}/${pointId}` (see SegmentCaps). */
  caps?: SegmentCaps;
}

// Position within a file: chunk offset times this plus index within the chunk (a chunk is 10 minutes).
const SEQ_CHUNK = 2 ** 24;

function compare(a: SegmentKeyed, b: SegmentKeyed): number {
  return a.r.wallTime - b.r.wallTime || a.pointId - b.pointId || a.seq - b.seq;
}

/**
 * Byte sizes to read segment files up to, by `${day}/${pointId}`: each file's size when the reader
 * started, lowered to a conversion step's recorded size (reading-reader.ts readerCaps). A file not
 * in it was created after the reader started and is not read. Undefined: read files whole.
 */
export type SegmentCaps = ReadonlyMap<string, number>;

/**
 * The size of every segment file of the days overlapping [fromMs, toMs), taken before a reader
 * opens its SQLite snapshot (why: reading-reader.ts readerCaps).
 */
export function segmentSizes(root: string, fromMs: number, toMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const day of segmentDays(root).filter((d) => mineDayEnd(d) > fromMs && mineDayStart(d) < toMs)) {
    for (const p of segmentPoints(root, day)) {
      try {
        out.set(`${day}/${p}`, statSync(segmentFile(root, day, p)).size);
      } catch (err) {
        // Retention removed the day between listing and stat: nothing to read there.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  return out;
}

function readFile(root: string, day: string, pointId: number, caps: SegmentCaps | undefined): Buffer | undefined {
  const cap = caps?.get(`${day}/${pointId}`);
  if (caps !== undefined && cap === undefined) return undefined;
  try {
    const buf = readFileSync(segmentFile(root, day, pointId));
    return cap === undefined || cap >= buf.length ? buf : buf.subarray(0, cap);
  } catch (err) {
    // Retention removed the day between listing and reading it: nothing there any more.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** One file's readings in the range, in order `dir`. */
function* fileReadings(root: string, day: string, pointId: number, code: string, q: SegmentRange): Generator<SegmentKeyed> {
  const buf = readFile(root, day, pointId, q.caps);
  if (!buf) return;
  const keyed = (r: BlockReading, seq: number): SegmentKeyed => {
    const s = r as SegmentReading;
    s.point = code;
    return { r: s, pointId, rank: q.rank, seq };
  };
  if (segmentUnsorted(root, day, pointId)) {
    const all: SegmentKeyed[] = [];
    decodeSegment(buf, (r) => {
      if (r.wallTime >= q.fromMs && r.wallTime < q.toMs) all.push(keyed(r, all.length));
    });
    all.sort((a, b) => q.dir * compare(a, b));
    yield* all;
    return;
  }
  const keys = scanKeyFrames(buf);
  const n = keys.offsets.length;
  // Chunk i spans key frame i to key frame i+1; its readings lie in [walls[i], walls[i+1]].
  let first = 0;
  while (first + 1 < n && keys.walls[first + 1]! < q.fromMs) first++;
  let last = n - 1;
  while (last > first && keys.walls[last]! >= q.toMs) last--;
  const chunk = (i: number): SegmentKeyed[] => {
    const out: SegmentKeyed[] = [];
    const end = i + 1 < n ? keys.offsets[i + 1]! : keys.validBytes;
    const base = keys.offsets[i]! * SEQ_CHUNK;
    decodeCheckedFrames(buf, keys.offsets[i]!, end, (r) => {
      if (r.wallTime >= q.fromMs && r.wallTime < q.toMs) out.push(keyed(r, base + out.length));
    });
    return out;
  };
  if (q.dir === 1) for (let i = first; i <= last; i++) yield* chunk(i);
  else for (let i = last; i >= first; i--) yield* chunk(i).reverse();
}

/** Min-heap merge of per-file streams by the sort key (64 points: a linear pick would cost 64 compares a reading). */
function* mergeStreams(streams: Iterator<SegmentKeyed>[], dir: 1 | -1): Generator<SegmentKeyed> {
  const heap: { head: SegmentKeyed; src: Iterator<SegmentKeyed> }[] = [];
  const less = (a: number, b: number): boolean => dir * compare(heap[a]!.head, heap[b]!.head) < 0;
  const swap = (a: number, b: number): void => {
    const t = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = t;
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  try {
    for (const src of streams) {
      const h = src.next();
      if (!h.done) heap.push({ head: h.value, src });
    }
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    while (heap.length > 0) {
      const top = heap[0]!;
      yield top.head;
      const h = top.src.next();
      if (h.done) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      } else top.head = h.value;
      if (heap.length > 0) down(0);
    }
  } finally {
    for (const s of streams) s.return?.(undefined);
  }
}

/** Readings of the range from every day directory it overlaps, in order. */
export function* segmentReadings(root: string, codeOf: (pointId: number) => string | undefined, q: SegmentRange): Generator<SegmentKeyed> {
  const days = segmentDays(root).filter((d) => mineDayEnd(d) > q.fromMs && mineDayStart(d) < q.toMs);
  if (q.dir === -1) days.reverse();
  // Days do not overlap in wall time, so one day at a time keeps the order.
  for (const day of days) {
    const streams: Iterator<SegmentKeyed>[] = [];
    for (const p of segmentPoints(root, day)) {
      const code = q.pointId === undefined || p === q.pointId ? codeOf(p) : undefined;
      if (code !== undefined) streams.push(fileReadings(root, day, p, code, q));
    }
    yield* mergeStreams(streams, q.dir);
  }
}

/** The newest reading of every point that has segment files (by wall time, then file order). */
export function latestSegmentReadings(root: string, codeOf: (pointId: number) => string | undefined, rank: number, caps?: SegmentCaps): SegmentKeyed[] {
  const out: SegmentKeyed[] = [];
  const seen = new Set<number>();
  for (const day of segmentDays(root).reverse()) {
    for (const p of segmentPoints(root, day)) {
      const code = codeOf(p);
      if (seen.has(p) || code === undefined) continue;
      // Newest first, so the first reading is the newest (ties: the later one in the file).
      const it = fileReadings(root, day, p, code, { fromMs: Number.NEGATIVE_INFINITY, toMs: Number.POSITIVE_INFINITY, pointId: p, dir: -1, rank, ...(caps ? { caps } : {}) });
      const newest = it.next();
      it.return(undefined);
      if (newest.done) continue;
      seen.add(p);
      out.push(newest.value);
    }
  }
  return out;
}

/**
 * Readings in the range without decoding most of them: a chunk between two key frames that lies
 * wholly inside the range is counted from its frames' counts; only the chunks at the range's ends
 * (and unsorted files) are decoded. Export's total and the capacity figures use it.
 */
export function countSegmentReadings(root: string, fromMs: number, toMs: number, pointId: number | undefined, caps?: SegmentCaps): number {
  let n = 0;
  for (const day of segmentDays(root).filter((d) => mineDayEnd(d) > fromMs && mineDayStart(d) < toMs)) {
    for (const p of segmentPoints(root, day)) {
      if (pointId !== undefined && p !== pointId) continue;
      const buf = readFile(root, day, p, caps);
      if (!buf) continue;
      const inRange = (r: BlockReading): void => {
        if (r.wallTime >= fromMs && r.wallTime < toMs) n++;
      };
      if (segmentUnsorted(root, day, p)) {
        decodeSegment(buf, inRange);
        continue;
      }
      const keys = scanKeyFrames(buf);
      for (let i = 0; i < keys.offsets.length; i++) {
        const end = i + 1 < keys.offsets.length ? keys.offsets[i + 1]! : keys.validBytes;
        // Readings of chunk i lie in [walls[i], walls[i+1]] (the file is in time order).
        const hi = i + 1 < keys.offsets.length ? keys.walls[i + 1]! : mineDayEnd(day);
        if (keys.walls[i]! >= toMs || hi < fromMs) continue;
        if (keys.walls[i]! >= fromMs && hi < toMs) n += countCheckedFrames(buf, keys.offsets[i]!, end);
        else decodeCheckedFrames(buf, keys.offsets[i]!, end, inRange);
      }
    }
  }
  return n;
}
