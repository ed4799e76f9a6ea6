// The frames of a segment file (segment-files.ts): one point's readings of one writer batch,
// encoded against the point's previous reading in the same file, so a file is a chain of small
// frames that decodes alone (the state restarts with every file).
//
// Frame: [payload length, LEB128][low 24 bits of CRC-32 over length bytes + payload][payload].
// Why this header: at 1 s polls and 250 ms batches a frame holds one reading (~3 B), so the header
// is most of the cost. The README's prototype had a 1-byte CRC; a power cut on a file system
// without ordered data (FAT on an SD card) can leave a tail of stale or garbage bytes, and a frame
// of garbage must practically never be accepted: 24 bits of CRC pass garbage 1 time in 16.7
// million, and the payload must then also decode to exactly its length. A zero length (a
// zero-filled tail) is never a frame. LEB128: any frame size, 1 byte below 128.
//
// Key frames: a frame whose first bit is 1 is encoded against a fresh state (its first wall time
// is absolute). The writer starts one every 10 minutes of wall time, so a reader can start
// decoding at any key frame: the newest readings, a range or newest-first order decode at most
// 10 minutes per point more than they return, not the whole day (~18 B per key frame, ~0.03 B
// per reading at 1 s).
//
// Payload (bits, bit-stream.ts): key bit, count-1, then per reading
//   wall time: delta-of-delta to the previous reading (prefix-coded zigzag);
//   quality: 0 = as before, else 1 + 4-bit code;
//   value: 0 + scaled-integer delta while the value is an exact decimal at the current number of
//     places; else 1 + 2-bit kind: null | new places (3 bits) + scaled value | 64-bit float pattern
//     (any bit pattern: -0, NaN payloads, infinities, 1/3);
//   monoTime: 0 = same offset to wall time as before, else 1 + delta of that offset;
//   raw words: 0 = each moved by the value's scaled delta (what our drivers produce), 10 = per-word
//     deltas (same count, integers), 11 = generic: count, then per word 0 + integer or 1 + 64 bits.
import { BitReader, BitWriter, isCodableInt, readVarBits, unzigzag, writeVarBits, zigzag } from './bit-stream.js';
import { QUALITY_CODES, type BlockReading, type QualityCode } from './reading-codec.js';

/** Encoder/decoder state: the previous reading of the file. */
export interface SegmentState {
  wall: number;
  dt: number;
  /** Decimal places of the scaled value; -1 before the first decimal value. */
  k: number;
  scaled: number;
  q: number;
  monoOff: number;
  raw: number[];
  /** Wall time of the first reading of the last key frame; NaN before the first frame. */
  keyWall: number;
}

export function freshSegmentState(): SegmentState {
  return { wall: 0, dt: 0, k: -1, scaled: 0, q: 0, monoOff: 0, raw: [], keyWall: Number.NaN };
}

/** A key frame at most this much wall time after the previous one (see the header). */
export const KEY_FRAME_EVERY_MS = 10 * 60_000;

const MAX_DECIMALS = 6;
const CRC_MASK = 0xffffff;
const CRC_BYTES = 3;
const VALUE_NULL = 0;
const VALUE_DECIMAL = 1;
const VALUE_FLOAT = 2;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian hosts (x86-64 and ARM Linux, every target we run on): u32[1] is the high word.
const HI = 1;
const LO = 0;

/** Integer words take the integer codes; -0 must keep its sign, so it goes as a float. */
function isWordInt(x: number): boolean {
  return isCodableInt(x) && !Object.is(x, -0);
}

/** Scaled integer of v at k places when that is exact (bit for bit), else undefined. */
function scaledAt(v: number, k: number): number | undefined {
  if (k < 0 || Object.is(v, -0)) return undefined;
  const p = 10 ** k;
  const s = Math.round(v * p);
  return isCodableInt(s) && s / p === v ? s : undefined;
}

function writeFloat(w: BitWriter, v: number): void {
  f64[0] = v;
  w.write(u32[HI]!, 32);
  w.write(u32[LO]!, 32);
}

function readFloat(r: BitReader): number {
  u32[HI] = r.read(32);
  u32[LO] = r.read(32);
  return f64[0]!;
}

/** Returns the scaled delta when the value was coded as one (raw words may follow it). */
function encodeValue(w: BitWriter, s: SegmentState, v: number | null): number | undefined {
  if (v !== null) {
    const scaled = scaledAt(v, s.k);
    if (scaled !== undefined && isCodableInt(scaled - s.scaled)) {
      const delta = scaled - s.scaled;
      w.bit(0);
      writeVarBits(w, zigzag(delta));
      s.scaled = scaled;
      return delta;
    }
  }
  w.bit(1);
  if (v === null) {
    w.write(VALUE_NULL, 2);
    return undefined;
  }
  for (let k = 0; k <= MAX_DECIMALS; k++) {
    const scaled = scaledAt(v, k);
    if (scaled === undefined) continue;
    w.write(VALUE_DECIMAL, 2);
    w.write(k, 3);
    writeVarBits(w, zigzag(scaled));
    s.k = k;
    s.scaled = scaled;
    return undefined;
  }
  w.write(VALUE_FLOAT, 2);
  writeFloat(w, v);
  return undefined;
}

function encodeRaw(w: BitWriter, s: SegmentState, raw: readonly number[], valueDelta: number | undefined): void {
  const prev = s.raw;
  const sameShape = raw.length === prev.length && raw.every(isWordInt) && prev.every(isWordInt);
  if (sameShape && valueDelta !== undefined && raw.every((x, i) => x - prev[i]! === valueDelta)) w.bit(0);
  else if (sameShape) {
    w.write(2, 2);
    for (let i = 0; i < raw.length; i++) writeVarBits(w, zigzag(raw[i]! - prev[i]!));
  } else {
    w.write(3, 2);
    writeVarBits(w, raw.length);
    for (const x of raw) {
      if (isWordInt(x)) {
        w.bit(0);
        writeVarBits(w, zigzag(x));
      } else {
        w.bit(1);
        writeFloat(w, x);
      }
    }
  }
  s.raw = raw.slice();
}

function encodeReading(w: BitWriter, s: SegmentState, r: BlockReading): void {
  if (!isCodableInt(r.wallTime) || !isCodableInt(r.monoTime) || Math.abs(r.wallTime) >= 2 ** 48) {
    throw new TypeError(`segment: times must be integer ms below 2^48, got ${r.wallTime}/${r.monoTime}`);
  }
  const d = r.wallTime - s.wall;
  writeVarBits(w, zigzag(d - s.dt));
  s.dt = d;
  s.wall = r.wallTime;
  const q = QUALITY_CODES.indexOf(r.quality);
  if (q < 0) throw new TypeError(`segment: unknown quality ${String(r.quality)}`);
  if (q === s.q) w.bit(0);
  else {
    w.bit(1);
    w.write(q, 4);
    s.q = q;
  }
  const valueDelta = encodeValue(w, s, r.value);
  const off = r.monoTime - r.wallTime;
  if (off === s.monoOff) w.bit(0);
  else {
    w.bit(1);
    writeVarBits(w, zigzag(off - s.monoOff));
    s.monoOff = off;
  }
  encodeRaw(w, s, r.raw, valueDelta);
}

function decodeReading(rd: BitReader, s: SegmentState): BlockReading {
  s.dt += unzigzag(readVarBits(rd));
  s.wall += s.dt;
  if (rd.bit()) s.q = rd.read(4);
  const quality = QUALITY_CODES[s.q];
  if (quality === undefined) throw new RangeError(`segment: quality code ${s.q}`);
  let value: number | null;
  let valueDelta: number | undefined;
  if (rd.bit() === 0) {
    valueDelta = unzigzag(readVarBits(rd));
    s.scaled += valueDelta;
    value = s.scaled / 10 ** s.k;
  } else {
    const kind = rd.read(2);
    if (kind === VALUE_NULL) value = null;
    else if (kind === VALUE_DECIMAL) {
      s.k = rd.read(3);
      s.scaled = unzigzag(readVarBits(rd));
      value = s.scaled / 10 ** s.k;
    } else if (kind === VALUE_FLOAT) value = readFloat(rd);
    else throw new RangeError('segment: value kind 3');
  }
  if (rd.bit()) s.monoOff += unzigzag(readVarBits(rd));
  let raw: number[];
  if (rd.bit() === 0) raw = s.raw.map((x) => x + valueDelta!);
  else if (rd.bit() === 0) raw = s.raw.map((x) => x + unzigzag(readVarBits(rd)));
  else {
    const n = readVarBits(rd);
    raw = new Array<number>(n);
    for (let i = 0; i < n; i++) raw[i] = rd.bit() === 0 ? unzigzag(readVarBits(rd)) : readFloat(rd);
  }
  s.raw = raw;
  return { wallTime: s.wall, monoTime: s.wall + s.monoOff, value, quality: quality as QualityCode, raw };
}

function lengthBytes(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** One frame of readings (in write order), advancing `state`. Throws TypeError on a reading it cannot store. */
export function encodeFrame(state: SegmentState, readings: readonly BlockReading[]): Buffer {
  if (readings.length === 0) throw new TypeError('segment: empty frame');
  const first = readings[0]!.wallTime;
  // Also a key frame when the clock stepped back past the last one, so key times stay searchable.
  const key = !(first - state.keyWall < KEY_FRAME_EVERY_MS && first >= state.keyWall);
  // Encode against a copy: a reading that throws must leave the file's state as it was.
  const s: SegmentState = key ? { ...freshSegmentState(), keyWall: first } : { ...state };
  const w = new BitWriter(16 + readings.length * 8);
  w.bit(key ? 1 : 0);
  writeVarBits(w, readings.length - 1);
  for (const r of readings) encodeReading(w, s, r);
  const payload = w.bytes();
  const len = lengthBytes(payload.length);
  const out = Buffer.allocUnsafe(len.length + CRC_BYTES + payload.length);
  out.set(len, 0);
  out.set(payload, len.length + CRC_BYTES);
  const sum = crcOf(out, len.length);
  out.writeUIntLE(sum, len.length, CRC_BYTES);
  Object.assign(state, s);
  return out;
}

// CRC-32 (IEEE, the same as zlib's crc32) over a byte range, computed here rather than with
// node:zlib: a reader checks ~86,400 frames a day per point, and two native calls plus two
// subarrays per frame cost more than the checksum itself (measured on one day of one point: the scan took 37 ms with node:zlib, 3 ms with this).
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crcRange(buf: Uint8Array, start: number, end: number, crc: number): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC of a frame at `at`: its length bytes, then its payload (the CRC bytes between them skipped). */
function crcOf(frame: Uint8Array, lenBytes: number, at = 0, end = frame.length): number {
  return crcRange(frame, at + lenBytes + CRC_BYTES, end, crcRange(frame, at, at + lenBytes, 0)) & CRC_MASK;
}

/** Where a frame's payload lies, or undefined when no good frame starts at `at` (torn or garbage tail). */
function frameAt(buf: Buffer, at: number): { start: number; end: number } | undefined {
  let len = 0;
  let mul = 1;
  let i = at;
  for (; i < buf.length && i - at < 7; i++) {
    len += (buf[i]! & 0x7f) * mul;
    mul *= 128;
    if ((buf[i]! & 0x80) === 0) break;
  }
  const lenBytes = i - at + 1;
  const start = at + lenBytes + CRC_BYTES;
  if (i >= buf.length || len === 0 || start + len > buf.length) return undefined;
  if (crcOf(buf, lenBytes, at, start + len) !== buf.readUIntLE(at + lenBytes, CRC_BYTES)) return undefined;
  return { start, end: start + len };
}

/** The readings of one good frame, decoded against `s` (a copy is advanced); undefined when the payload does not decode to exactly its length. */
function decodePayload(payload: Buffer, s: SegmentState): { readings: BlockReading[]; state: SegmentState } | undefined {
  try {
    const rd = new BitReader(payload);
    const key = rd.bit() === 1;
    const next: SegmentState = key ? freshSegmentState() : { ...s };
    const n = readVarBits(rd) + 1;
    const readings: BlockReading[] = [];
    for (let k = 0; k < n; k++) readings.push(decodeReading(rd, next));
    if (key) next.keyWall = readings[0]!.wallTime;
    // The payload must end within its last byte: a frame that decodes short or long is not ours.
    if (rd.position !== payload.length) return undefined;
    return { readings, state: next };
  } catch {
    return undefined;
  }
}

export interface DecodedSegment {
  readings: BlockReading[];
  /** Bytes up to the end of the last good frame: a writer cuts the file here. */
  validBytes: number;
  state: SegmentState;
  /** False when some reading is older than one before it in the file (late or clock stepped back). */
  sorted: boolean;
}

/**
 * Decode a segment file's bytes from `from` (0 or a key frame's offset, see scanKeyFrames) up to
 * `to` or the first frame whose length, CRC or payload does not hold (a torn or garbage tail
 * after a power cut): everything before it is kept. `onReading` (optional) sees each reading
 * instead of the result collecting it.
 */
export function decodeSegment(buf: Uint8Array, onReading?: (r: BlockReading) => void, from = 0, to = buf.byteLength): DecodedSegment {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let s = freshSegmentState();
  const readings: BlockReading[] = [];
  let sorted = true;
  let prevWall = Number.NEGATIVE_INFINITY;
  let at = from;
  while (at < to) {
    const f = frameAt(bytes, at);
    if (!f) break;
    const got = decodePayload(bytes.subarray(f.start, f.end), s);
    if (!got) break;
    for (const r of got.readings) {
      if (r.wallTime < prevWall) sorted = false;
      prevWall = r.wallTime;
      if (onReading) onReading(r);
      else readings.push(r);
    }
    s = got.state;
    at = f.end;
  }
  return { readings, validBytes: at, state: s, sorted };
}

export interface KeyFrames {
  /** Byte offsets of the key frames, in file order. */
  offsets: number[];
  /** Wall time of each key frame's first reading. */
  walls: number[];
  /** End of the last good frame (CRC checked; payloads other than key frames' first reading not decoded). */
  validBytes: number;
}

/** Find the key frames without decoding the file: lengths, CRCs and one wall time per key frame. */
export function scanKeyFrames(buf: Uint8Array): KeyFrames {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const offsets: number[] = [];
  const walls: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    const f = frameAt(bytes, at);
    if (!f) break;
    if ((bytes[f.start]! & 0x80) !== 0) {
      try {
        const rd = new BitReader(bytes.subarray(f.start, f.end));
        rd.bit();
        readVarBits(rd);
        walls.push(unzigzag(readVarBits(rd)));
        offsets.push(at);
      } catch {
        break;
      }
    }
    at = f.end;
  }
  return { offsets, walls, validBytes: at };
}

/**
 * Payload offset and length of the frame at `at`, one scanKeyFrames has already checked (so the
 * LEB128 length is whole and the CRC is not read again).
 */
function checkedFrameAt(buf: Uint8Array, at: number): { start: number; len: number } {
  let len = 0;
  let mul = 1;
  let i = at;
  for (; (buf[i]! & 0x80) !== 0; i++) {
    len += (buf[i]! & 0x7f) * mul;
    mul *= 128;
  }
  len += (buf[i]! & 0x7f) * mul;
  return { start: i + 1 + CRC_BYTES, len };
}

/**
 * Decode frames in [from, to) that scanKeyFrames has already checked (lengths and CRCs), `from`
 * being a key frame's offset: the reader's fast path, decoding in place without re-checking the
 * CRCs or copying the state per frame. Stops quietly at a payload that does not decode.
 */
export function decodeCheckedFrames(buf: Uint8Array, from: number, to: number, onReading: (r: BlockReading) => void): void {
  const s = freshSegmentState();
  let at = from;
  try {
    while (at < to) {
      const { start, len } = checkedFrameAt(buf, at);
      const rd = new BitReader(buf.subarray(0, start + len), start);
      if (rd.bit() === 1) Object.assign(s, freshSegmentState());
      const n = readVarBits(rd) + 1;
      for (let k = 0; k < n; k++) onReading(decodeReading(rd, s));
      at = start + len;
    }
  } catch {
    // A payload that passed its CRC but does not decode: treated as the end of the file.
  }
}

/** Readings in the checked frames of [from, to), from each frame's count alone (nothing decoded). */
export function countCheckedFrames(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  let at = from;
  while (at < to) {
    const { start, len } = checkedFrameAt(buf, at);
    const rd = new BitReader(buf.subarray(0, start + len), start);
    rd.bit();
    n += readVarBits(rd) + 1;
    at = start + len;
  }
  return n;
}
