// Packs the readings of one point (one time block) into a few bytes each, losslessly, and back.
//
// Why this layout (see edge/store/README.md for the measurements):
// - Time: Gorilla's delta-of-delta. Polling is periodic, so the second difference is 0 or a few ms
//   of jitter: 1-6 bits instead of 8 bytes.
// - Values: our values are decimals rounded by the driver (0.35 %CH4, 24.1 °C). Gorilla's XOR of
//   IEEE bits does badly on those (the mantissa of 0.35 is all noise), so a block whose values are
//   all exact decimals with k <= 6 places is stored as scaled integers (value * 10^k), as
//   TimescaleDB and InfluxDB do for integers: first differences for noisy signals, second
//   differences for ramps, whichever is shorter for this block. A block with any other value
//   (e.g. -0, 1/3, subnormals, Infinity) falls back to Gorilla XOR, exact for every float.
// - Quality and "no value": one 4-bit symbol, repeated with a single bit (run-length in effect).
// - raw register words: one bit when unchanged, else per-word deltas with the same integer code.
// - monoTime: kept to the millisecond, as its offset to wallTime (constant while clocks run
//   together, so one bit). It is the performance.now() of a process that is gone once stored;
//   replay and export never use it.
import { BitReader, BitWriter, isCodableInt, readVarBits, unzigzag, writeVarBits, zigzag } from './bit-stream.js';

// Stored codes: never reorder (new qualities go at the end; 4 bits leave room for 8).
export const QUALITY_CODES = ['good', 'calibrating', 'over-range', 'stale', 'sensor-fault', 'comm-fault'] as const;
export type QualityCode = (typeof QUALITY_CODES)[number];

/** One reading of a block, as stored: times in integer ms, the point known from the block. */
export interface BlockReading {
  wallTime: number;
  /** Integer ms (see the header). */
  monoTime: number;
  value: number | null;
  quality: QualityCode;
  raw: number[];
}

const FORMAT_VERSION = 1;
const MODE_XOR = 0;
const MODE_SCALED_DELTA = 1;
const MODE_SCALED_DOD = 2;
const MAX_DECIMALS = 6;
const RAW_INT = 0;
const RAW_JSON = 1;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian hosts (x86-64 and ARM Linux, every target we run on): u32[1] is the high word.
const HI = 1;
const LO = 0;

/** Encode readings (in insertion order; times need not be sorted). Throws TypeError on a reading it cannot store. */
export function encodeBlock(readings: readonly BlockReading[]): Uint8Array {
  if (readings.length === 0) throw new TypeError('encodeBlock: no readings');
  const k = commonDecimals(readings);
  let valueMode = MODE_XOR;
  let values: Uint8Array | undefined;
  if (k !== undefined) {
    const a = encodeScaled(readings, k, false);
    const b = encodeScaled(readings, k, true);
    values = a.length <= b.length ? a : b;
    valueMode = a.length <= b.length ? MODE_SCALED_DELTA : MODE_SCALED_DOD;
  } else {
    values = encodeXor(readings);
  }
  const rawMode = readings.every((r) => r.raw.every(isCodableInt) && r.raw.length < 256) ? RAW_INT : RAW_JSON;

  const w = new BitWriter(readings.length * 4 + 64);
  w.write(FORMAT_VERSION, 4);
  w.write(valueMode, 2);
  w.write(k ?? 0, 3);
  w.write(rawMode, 1);
  writeVarBits(w, readings.length);
  // Times and quality symbols.
  let prevWall = 0;
  let prevDelta = 0;
  let prevOffset = 0;
  let prevSymbol = -1;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    if (!isCodableInt(r.wallTime) || !isCodableInt(r.monoTime)) throw new TypeError(`encodeBlock: times must be integer ms, got ${r.wallTime}/${r.monoTime}`);
    if (i === 0) writeVarBits(w, zigzag(r.wallTime));
    else {
      const delta = r.wallTime - prevWall;
      writeVarBits(w, zigzag(i === 1 ? delta : delta - prevDelta));
      prevDelta = delta;
    }
    prevWall = r.wallTime;
    const offset = r.monoTime - r.wallTime;
    writeVarBits(w, zigzag(offset - prevOffset));
    prevOffset = offset;
    const symbol = symbolOf(r);
    if (symbol === prevSymbol) w.bit(0);
    else {
      w.bit(1);
      w.write(symbol, 4);
      prevSymbol = symbol;
    }
  }
  // raw words.
  let json: string | undefined;
  if (rawMode === RAW_INT) {
    let prev: number[] = [];
    for (const r of readings) {
      if (sameWords(r.raw, prev)) {
        w.bit(0);
        continue;
      }
      w.bit(1);
      if (r.raw.length === prev.length) w.bit(0);
      else {
        w.bit(1);
        w.write(r.raw.length, 8);
      }
      for (let j = 0; j < r.raw.length; j++) writeVarBits(w, zigzag(r.raw[j]! - (prev[j] ?? 0)));
      prev = r.raw;
    }
  } else {
    json = JSON.stringify(readings.map((r) => r.raw));
  }
  const head = w.bytes();
  const tail = json === undefined ? new Uint8Array(0) : new TextEncoder().encode(json);
  // [head][values][json], with the head's and the values' lengths up front so each part starts on a byte.
  const out = new Uint8Array(8 + head.length + values.length + tail.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length, true);
  view.setUint32(4, values.length, true);
  out.set(head, 8);
  out.set(values, 8 + head.length);
  out.set(tail, 8 + head.length + values.length);
  return out;
}

export function decodeBlock(block: Uint8Array): BlockReading[] {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const headLen = view.getUint32(0, true);
  const valuesLen = view.getUint32(4, true);
  const head = new BitReader(block.subarray(8, 8 + headLen));
  const version = head.read(4);
  if (version !== FORMAT_VERSION) throw new RangeError(`reading block format ${version} is not known to this build`);
  const valueMode = head.read(2);
  const k = head.read(3);
  const rawMode = head.read(1);
  const n = readVarBits(head);
  const out: BlockReading[] = new Array(n);
  let wall = 0;
  let delta = 0;
  let offset = 0;
  let symbol = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) wall = unzigzag(readVarBits(head));
    else {
      const d = unzigzag(readVarBits(head));
      delta = i === 1 ? d : delta + d;
      wall += delta;
    }
    offset += unzigzag(readVarBits(head));
    if (head.bit() === 1) symbol = head.read(4);
    const quality = QUALITY_CODES[symbol >> 1];
    if (quality === undefined) throw new RangeError(`reading block has quality code ${symbol >> 1}`);
    out[i] = { wallTime: wall, monoTime: wall + offset, value: (symbol & 1) === 1 ? null : 0, quality, raw: [] };
  }
  if (rawMode === RAW_INT) {
    let prev: number[] = [];
    for (let i = 0; i < n; i++) {
      if (head.bit() === 0) {
        out[i]!.raw = prev.slice();
        continue;
      }
      const len = head.bit() === 0 ? prev.length : head.read(8);
      const raw = new Array<number>(len);
      for (let j = 0; j < len; j++) raw[j] = (prev[j] ?? 0) + unzigzag(readVarBits(head));
      out[i]!.raw = raw;
      prev = raw;
    }
  } else {
    const json = new TextDecoder().decode(block.subarray(8 + headLen + valuesLen));
    const raws = JSON.parse(json) as number[][];
    for (let i = 0; i < n; i++) out[i]!.raw = raws[i]!;
  }
  const values = new BitReader(block.subarray(8 + headLen, 8 + headLen + valuesLen));
  if (valueMode === MODE_XOR) decodeXor(values, out);
  else decodeScaled(values, out, k, valueMode === MODE_SCALED_DOD);
  return out;
}

function symbolOf(r: BlockReading): number {
  const q = QUALITY_CODES.indexOf(r.quality);
  if (q < 0) throw new TypeError(`encodeBlock: unknown quality ${String(r.quality)}`);
  return q * 2 + (r.value === null ? 1 : 0);
}

function sameWords(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/** Smallest k such that every value is exactly int / 10^k (bit for bit), or undefined. */
function commonDecimals(readings: readonly BlockReading[]): number | undefined {
  let k = 0;
  for (const r of readings) {
    const v = r.value;
    if (v === null) continue;
    if (!Number.isFinite(v) || Object.is(v, -0)) return undefined;
    while (k <= MAX_DECIMALS && !exactAt(v, k)) k++;
    if (k > MAX_DECIMALS) return undefined;
  }
  return k;
}

function exactAt(v: number, k: number): boolean {
  const scaled = Math.round(v * POW10[k]!);
  return isCodableInt(scaled) && scaled / POW10[k]! === v;
}

function encodeScaled(readings: readonly BlockReading[], k: number, secondOrder: boolean): Uint8Array {
  const w = new BitWriter(readings.length * 2 + 16);
  let count = 0;
  let prev = 0;
  let prevDelta = 0;
  for (const r of readings) {
    if (r.value === null) continue;
    const x = Math.round(r.value * POW10[k]!);
    if (count === 0) writeVarBits(w, zigzag(x));
    else {
      const delta = x - prev;
      writeVarBits(w, zigzag(secondOrder && count > 1 ? delta - prevDelta : delta));
      prevDelta = delta;
    }
    prev = x;
    count++;
  }
  return w.bytes();
}

function decodeScaled(r: BitReader, out: BlockReading[], k: number, secondOrder: boolean): void {
  let count = 0;
  let x = 0;
  let delta = 0;
  for (const reading of out) {
    if (reading.value === null) continue;
    if (count === 0) x = unzigzag(readVarBits(r));
    else {
      const d = unzigzag(readVarBits(r));
      delta = secondOrder && count > 1 ? delta + d : d;
      x += delta;
    }
    reading.value = x / POW10[k]!;
    count++;
  }
}

// Gorilla XOR (Pelkonen et al., VLDB 2015, section 4.1.2): '0' same value; '10' meaningful bits
// inside the previous window; '11' + 5 bits leading zeros + 6 bits length + the bits.
function encodeXor(readings: readonly BlockReading[]): Uint8Array {
  const w = new BitWriter(readings.length * 8 + 16);
  let first = true;
  let prevHi = 0;
  let prevLo = 0;
  let lead = -1;
  let trail = 0;
  for (const r of readings) {
    if (r.value === null) continue;
    f64[0] = r.value;
    const hi = u32[HI]!;
    const lo = u32[LO]!;
    if (first) {
      w.write(hi, 32);
      w.write(lo, 32);
      first = false;
    } else {
      const xh = (hi ^ prevHi) >>> 0;
      const xl = (lo ^ prevLo) >>> 0;
      if (xh === 0 && xl === 0) w.bit(0);
      else {
        w.bit(1);
        const l = Math.min(xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl), 31);
        const t = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
        if (lead >= 0 && l >= lead && t >= trail) {
          w.bit(0);
          writeWindow(w, xh, xl, lead, trail);
        } else {
          w.bit(1);
          w.write(l, 5);
          w.write(64 - l - t - 1, 6); // length 1..64 stored as 0..63
          writeWindow(w, xh, xl, l, t);
          lead = l;
          trail = t;
        }
      }
    }
    prevHi = hi;
    prevLo = lo;
  }
  return w.bytes();
}

function decodeXor(r: BitReader, out: BlockReading[]): void {
  let first = true;
  let hi = 0;
  let lo = 0;
  let lead = 0;
  let trail = 0;
  for (const reading of out) {
    if (reading.value === null) continue;
    if (first) {
      hi = r.read(32);
      lo = r.read(32);
      first = false;
    } else if (r.bit() === 1) {
      if (r.bit() === 1) {
        lead = r.read(5);
        trail = 64 - lead - (r.read(6) + 1);
      }
      const [xh, xl] = readWindow(r, lead, trail);
      hi = (hi ^ xh) >>> 0;
      lo = (lo ^ xl) >>> 0;
    }
    u32[HI] = hi;
    u32[LO] = lo;
    reading.value = f64[0]!;
  }
}

/** Write bits [trail, 64 - lead) of the 64-bit value (xh:xl), most significant first. */
function writeWindow(w: BitWriter, xh: number, xl: number, lead: number, trail: number): void {
  const top = 64 - lead; // exclusive
  // The high word covers bits 32..63, the low word bits 0..31.
  if (top > 32) {
    const from = Math.max(trail, 32);
    const n = top - from;
    w.write(xh >>> (from - 32), n);
  }
  if (trail < 32) {
    const to = Math.min(top, 32);
    const n = to - trail;
    w.write(xl >>> trail, n);
  }
}

function readWindow(r: BitReader, lead: number, trail: number): [number, number] {
  const top = 64 - lead;
  let xh = 0;
  let xl = 0;
  if (top > 32) {
    const from = Math.max(trail, 32);
    const n = top - from;
    xh = n === 32 ? r.read(32) : (r.read(n) << (from - 32)) >>> 0;
  }
  if (trail < 32) {
    const to = Math.min(top, 32);
    const n = to - trail;
    xl = n === 32 ? r.read(32) : (r.read(n) << trail) >>> 0;
  }
  return [xh, xl];
}

function ctz32(x: number): number {
  if (x === 0) return 32;
  return 31 - Math.clz32(x & -x);
}
