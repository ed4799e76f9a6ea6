// The open-block journal: readings not yet packed into a closed block, appended to a plain file
// next to the database once per writer batch (the same moment today's writer committed a batch).
//
// Why a file and not SQLite rows: a WAL commit writes whole 4 KiB pages, so committing 16 readings
// every 250 ms costs ~4-12 KiB of flash per commit; an append costs its own ~10 bytes per reading,
// and the page cache merges the appends into one device write per page. A SIGKILL loses nothing
// that write() returned for (the data is in the kernel's page cache), exactly like a committed WAL
// batch with synchronous=NORMAL; a power cut may lose the last seconds in both cases.
//
// Generations: the database records the generation g whose journal file `<db>-open.<g>` holds
// every reading not in reading_blocks. Compaction writes file g+1 (the still-open readings), then
// commits the closed blocks together with g+1, then deletes file g; a crash between any two steps
// leaves exactly one file that matches the database (see recoverJournal).
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { QUALITY_CODES, type QualityCode } from './reading-codec.js';

/** One journaled reading; point as its id in reading_points, times in integer ms. */
export interface JournalReading {
  pointId: number;
  wallTime: number;
  monoTime: number;
  value: number | null;
  quality: QualityCode;
  raw: number[];
}

const MAGIC = 0x4d474a31; // "MGJ1"
const HEADER_BYTES = 16;
const FRAME_HEAD_BYTES = 8;

export function journalFile(dbFile: string, gen: number): string {
  return `${dbFile}-open.${gen}`;
}

/** Journal files of this database, by generation. */
export function journalGenerations(dbFile: string): number[] {
  const dir = dirname(dbFile);
  const prefix = `${basename(dbFile)}-open.`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && /^\d+$/.test(f.slice(prefix.length)))
    .map((f) => Number(f.slice(prefix.length)))
    .sort((a, b) => a - b);
}

/** Appends frames to one generation's file. Every append is one write() at the known end. */
export class JournalAppender {
  private fd: number;
  private size: number;

  /** Open an existing file (after recovery, truncated to `validBytes`) or create it. */
  constructor(
    readonly file: string,
    readonly gen: number,
    validBytes?: number,
  ) {
    if (validBytes === undefined) {
      writeJournalFile(file, gen, []);
      this.size = HEADER_BYTES;
    } else {
      this.size = validBytes;
    }
    this.fd = openSync(file, 'r+');
    // A torn frame from a crash is cut off, so the next frame follows the last good one.
    ftruncateSync(this.fd, this.size);
  }

  /** One frame; on any error the file is cut back to its previous end and the error rethrown. */
  append(readings: readonly JournalReading[]): void {
    if (readings.length === 0) return;
    const frame = encodeFrame(readings);
    try {
      const n = writeSync(this.fd, frame, 0, frame.length, this.size);
      if (n !== frame.length) throw Object.assign(new Error(`short write to ${this.file} (${n} of ${frame.length} bytes)`), { code: 'EIO' });
      this.size += frame.length;
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The file keeps a torn frame; readers and recovery stop at it (CRC), so nothing wrong is read.
      }
      throw err;
    }
  }

  get bytes(): number {
    return this.size;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Write a complete journal file atomically (temp file, fsync, rename): used for a new generation. */
export function writeJournalFile(file: string, gen: number, readings: readonly JournalReading[]): void {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(1, 4);
  header.writeDoubleLE(gen, 8);
  const body = readings.length > 0 ? encodeFrame(readings) : Buffer.alloc(0);
  const tmp = join(dirname(file), `.${basename(file)}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, Buffer.concat([header, body]));
    // Once per compaction (every block span), not per batch: the rename must not outlive its data.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function removeJournalFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export interface JournalContents {
  gen: number;
  readings: JournalReading[];
  /** Bytes up to the end of the last intact frame. */
  validBytes: number;
}

/** Read a journal file, stopping at the first torn or damaged frame. Undefined when it does not exist. */
export function readJournal(file: string): JournalContents | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (buf.length < HEADER_BYTES || buf.readUInt32LE(0) !== MAGIC) throw new RangeError(`${file}: not a reading journal`);
  const gen = buf.readDoubleLE(8);
  const readings: JournalReading[] = [];
  let pos = HEADER_BYTES;
  while (pos + FRAME_HEAD_BYTES <= buf.length) {
    const len = buf.readUInt32LE(pos);
    const sum = buf.readUInt32LE(pos + 4);
    const end = pos + FRAME_HEAD_BYTES + len;
    if (end > buf.length) break;
    const payload = buf.subarray(pos + FRAME_HEAD_BYTES, end);
    if (crc32(payload) !== sum) break;
    decodeFrame(payload, readings);
    pos = end;
  }
  return { gen, readings, validBytes: pos };
}

// Frame payload: count, then per reading: point id, wall (delta to the previous reading of the
// frame), mono - wall (delta likewise), flags (quality, null, scaled value, raw as JSON), value,
// raw. Varints throughout: ~10 bytes for a typical reading.
const F_NULL = 0x08;
const F_SCALED = 0x10;
const F_RAW_JSON = 0x20;

function encodeFrame(readings: readonly JournalReading[]): Buffer {
  const w = new ByteWriter(readings.length * 16 + 16);
  w.varint(readings.length);
  let prevWall = 0;
  let prevOffset = 0;
  for (const r of readings) {
    w.varint(r.pointId);
    w.signed(r.wallTime - prevWall);
    prevWall = r.wallTime;
    const offset = r.monoTime - r.wallTime;
    w.signed(offset - prevOffset);
    prevOffset = offset;
    const q = QUALITY_CODES.indexOf(r.quality);
    const k = r.value === null ? undefined : decimalsOf(r.value);
    const rawJson = !r.raw.every((x) => Number.isSafeInteger(x) && Math.abs(x) < 2 ** 49);
    w.byte(q | (r.value === null ? F_NULL : 0) | (k !== undefined ? F_SCALED : 0) | (rawJson ? F_RAW_JSON : 0));
    if (r.value !== null) {
      if (k !== undefined) {
        w.byte(k);
        w.signed(Math.round(r.value * 10 ** k));
      } else w.double(r.value);
    }
    if (rawJson) w.text(JSON.stringify(r.raw));
    else {
      w.varint(r.raw.length);
      for (const x of r.raw) w.signed(x);
    }
  }
  const payload = w.done();
  const head = Buffer.alloc(FRAME_HEAD_BYTES);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

function decodeFrame(payload: Buffer, out: JournalReading[]): void {
  const r = new ByteReader(payload);
  const n = r.varint();
  let wall = 0;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const pointId = r.varint();
    wall += r.signed();
    offset += r.signed();
    const flags = r.byte();
    const quality = QUALITY_CODES[flags & 0x07];
    if (quality === undefined) throw new RangeError(`journal frame has quality code ${flags & 0x07}`);
    let value: number | null = null;
    if ((flags & F_NULL) === 0) {
      if (flags & F_SCALED) {
        const k = r.byte();
        value = r.signed() / 10 ** k;
      } else value = r.double();
    }
    let raw: number[];
    if (flags & F_RAW_JSON) raw = JSON.parse(r.text()) as number[];
    else {
      const len = r.varint();
      raw = new Array<number>(len);
      for (let j = 0; j < len; j++) raw[j] = r.signed();
    }
    out.push({ pointId, wallTime: wall, monoTime: wall + offset, value, quality, raw });
  }
}

/** Decimal places (<= 6) that carry the value exactly, bit for bit; undefined for other floats. */
function decimalsOf(v: number): number | undefined {
  if (!Number.isFinite(v) || Object.is(v, -0)) return undefined;
  for (let k = 0; k <= 6; k++) {
    const x = Math.round(v * 10 ** k);
    if (Math.abs(x) < 2 ** 49 && x / 10 ** k === v) return k;
  }
  return undefined;
}

class ByteWriter {
  private buf: Buffer;
  private pos = 0;
  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(this.buf.length * 2 + n);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  /** Unsigned LEB128 for integers below 2^53. */
  varint(n: number): void {
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  signed(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  text(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class ByteReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError('journal frame truncated');
    return this.buf[this.pos++]!;
  }
  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }
  signed(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  double(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  text(): string {
    const len = this.varint();
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}
