// PROTOTYPE, NOT WIRED (issue 17, "bytes written per reading <= 2x the stored size"): measures the
// write-once segment layout of edge/store/README.md "Next: write-once segment files" before the
// writer and readers are rewritten. Per point one append-only file; each writer batch appends that
// point's readings as one frame [u8 payload length][u8 CRC-32 low byte][bits], encoded against the
// point's previous reading in the file (time delta-of-delta, scaled-integer value delta, "same as
// before" bits for quality / monoTime offset, raw words predicted from the value delta). The bytes
// appended ARE the stored readings, so written/stored is 1x plus filesystem metadata.
// It decodes every file back and throws unless every reading round-trips (lossless check), and
// checks that a torn or zero-filled tail is cut at the last good frame.
// Usage: npm run bench -- store-segment-proto [--minutes 60] [--points 64] [--header 2|1]
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { BitReader, BitWriter, isCodableInt, readVarBits, unzigzag, writeVarBits, zigzag } from '../edge/store/bit-stream.js';
import { QUALITY_CODES, type BlockReading, type QualityCode } from '../edge/store/reading-codec.js';
import { type BenchContext, elapsedMs, intArg, nowNs } from './harness.js';
import { procIo, round2, signalMix } from './store-size.js';

interface State { t: number; dt: number; k: number; scaled: number; q: number; monoOff: number; raw: number[] }
const fresh = (): State => ({ t: 0, dt: 0, k: -1, scaled: 0, q: 0, monoOff: 0, raw: [] });
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function decimalsOf(v: number): number {
  for (let k = 0; k <= 6; k++) {
    const s = Math.round(v * 10 ** k);
    if (s / 10 ** k === v && isCodableInt(s) && !Object.is(v, -0)) return k;
  }
  return 7;
}

function encodeReading(w: BitWriter, s: State, r: BlockReading): void {
  const d = r.wallTime - s.t;
  writeVarBits(w, zigzag(d - s.dt));
  s.dt = d;
  s.t = r.wallTime;
  const q = QUALITY_CODES.indexOf(r.quality);
  if (q === s.q) w.bit(0);
  else { w.bit(1); w.write(q, 3); s.q = q; }
  let valueDelta: number | undefined;
  if (r.value === null) { w.bit(1); w.write(0, 1); } // null: escape + "null"
  else {
    const k = decimalsOf(r.value);
    if (k === s.k && k < 7 && isCodableInt(Math.round(r.value * 10 ** k) - s.scaled)) {
      const scaled = Math.round(r.value * 10 ** k);
      w.bit(0);
      valueDelta = scaled - s.scaled;
      writeVarBits(w, zigzag(valueDelta));
      s.scaled = scaled;
    } else {
      w.bit(1); w.write(1, 1); w.write(k, 3); s.k = k;
      if (k < 7) { s.scaled = Math.round(r.value * 10 ** k); writeVarBits(w, zigzag(s.scaled)); }
      else { f64[0] = r.value; w.write(u32[1]!, 32); w.write(u32[0]!, 32); }
    }
  }
  const off = r.monoTime - r.wallTime;
  if (off === s.monoOff) w.bit(0);
  else { w.bit(1); writeVarBits(w, zigzag(off - s.monoOff)); s.monoOff = off; }
  const same = r.raw.length === s.raw.length && r.raw.every(isCodableInt);
  if (same && valueDelta !== undefined && r.raw.every((x, i) => x - s.raw[i]! === valueDelta)) w.bit(0); // words moved with the value
  else if (same) { w.write(2, 2); for (let i = 0; i < r.raw.length; i++) writeVarBits(w, zigzag(r.raw[i]! - s.raw[i]!)); }
  else { w.write(3, 2); w.write(r.raw.length, 4); for (const x of r.raw) writeVarBits(w, zigzag(x)); } // prototype: <16 integer words
  s.raw = r.raw.slice();
}

function decodeReading(rd: BitReader, s: State): BlockReading {
  s.dt += unzigzag(readVarBits(rd));
  s.t += s.dt;
  if (rd.bit()) s.q = rd.read(3);
  let value: number | null;
  let valueDelta: number | undefined;
  if (rd.bit() === 0) { valueDelta = unzigzag(readVarBits(rd)); s.scaled += valueDelta; value = s.scaled / 10 ** s.k; }
  else if (rd.bit() === 0) value = null;
  else {
    s.k = rd.read(3);
    if (s.k < 7) { s.scaled = unzigzag(readVarBits(rd)); value = s.scaled / 10 ** s.k; }
    else { u32[1] = rd.read(32); u32[0] = rd.read(32); value = f64[0]!; }
  }
  if (rd.bit()) s.monoOff += unzigzag(readVarBits(rd));
  let raw: number[];
  if (rd.bit() === 0) raw = s.raw.map((x) => x + valueDelta!);
  else if (rd.bit() === 0) raw = s.raw.map((x) => x + unzigzag(readVarBits(rd)));
  else { const n = rd.read(4); raw = Array.from({ length: n }, () => unzigzag(readVarBits(rd))); }
  s.raw = raw;
  return { wallTime: s.t, monoTime: s.t + s.monoOff, value, quality: QUALITY_CODES[s.q] as QualityCode, raw };
}

/**
 * headerBytes 2: [u8 length][u8 CRC]. headerBytes 1: payloads of 1-15 bytes (nearly every frame at
 * one reading per frame) get one byte [4-bit length][4-bit CRC]; longer ones an escape nibble 0 and
 * the 2-byte header. A zero-filled tail (0x00 = escape, length 0) is never a valid frame.
 */
function frame(state: State, rs: readonly BlockReading[], headerBytes: 1 | 2): Buffer {
  const w = new BitWriter(64);
  writeVarBits(w, rs.length - 1);
  for (const r of rs) encodeReading(w, state, r);
  const payload = w.bytes();
  if (payload.length > 255) throw new RangeError('prototype frame > 255 bytes');
  if (headerBytes === 1 && payload.length <= 15) {
    const out = Buffer.allocUnsafe(payload.length + 1);
    out[0] = (payload.length << 4) | (crc32(payload) & 0xf);
    out.set(payload, 1);
    return out;
  }
  const lead = headerBytes === 1 ? 1 : 0;
  const out = Buffer.allocUnsafe(payload.length + 2 + lead);
  if (lead) out[0] = 0;
  out[lead] = payload.length;
  out[lead + 1] = crc32(payload) & 0xff;
  out.set(payload, lead + 2);
  return out;
}

function decodeFile(buf: Buffer, headerBytes: 1 | 2): BlockReading[] {
  const s = fresh();
  const out: BlockReading[] = [];
  for (let at = 0; at < buf.length;) {
    let len: number;
    let sum: number;
    let mask = 0xff;
    let head = 2;
    if (headerBytes === 1 && buf[at]! >> 4 !== 0) {
      len = buf[at]! >> 4;
      sum = buf[at]! & 0xf;
      mask = 0xf;
      head = 1;
    } else {
      if (headerBytes === 1) at++;
      if (at + 2 > buf.length) break;
      len = buf[at]!;
      sum = buf[at + 1]!;
    }
    const payload = buf.subarray(at + head, at + head + len);
    if (len === 0 || payload.length < len || (crc32(payload) & mask) !== sum) break; // torn tail
    const rd = new BitReader(payload);
    const n = readVarBits(rd) + 1;
    for (let i = 0; i < n; i++) out.push(decodeReading(rd, s));
    at += head + len;
  }
  return out;
}

export default async function segmentPrototypeBench(ctx: BenchContext): Promise<void> {
  const minutes = intArg(ctx.args, '--minutes', 60);
  const points = intArg(ctx.args, '--points', 64);
  const headerBytes = intArg(ctx.args, '--header', 2) === 1 ? 1 : 2;
  const dir = mkdtempSync(join(tmpdir(), 'minegate-bench-seg-'));
  try {
    const readings = signalMix(points, minutes * 60);
    const asBlock = (r: (typeof readings)[number]): BlockReading => ({ wallTime: r.wallTime, monoTime: Math.round(r.monoTime), value: r.value, quality: r.quality as QualityCode, raw: r.raw });
    const fds = new Map<string, number>();
    const states = new Map<string, State>();
    const fileOf = (p: string): string => join(dir, `${p}.seg`);
    for (let p = 0; p < points; p++) {
      const code = `P${String(p).padStart(2, '0')}`;
      fds.set(code, openSync(fileOf(code), 'a'));
      states.set(code, fresh());
    }
    const before = procIo();
    const t0 = nowNs();
    for (let i = 0; i < readings.length; i += 16) { // one writer batch per 250 ms (16 readings at 64 points/s)
      const byPoint = new Map<string, BlockReading[]>();
      for (const r of readings.slice(i, i + 16)) {
        const list = byPoint.get(r.point);
        if (list) list.push(asBlock(r)); else byPoint.set(r.point, [asBlock(r)]);
      }
      for (const [p, rs] of byPoint) writeSync(fds.get(p)!, frame(states.get(p)!, rs, headerBytes));
    }
    const writeMs = elapsedMs(t0);
    const after = procIo();
    for (const fd of fds.values()) closeSync(fd);
    let stored = 0;
    let decodeMs = 0;
    let checked = 0;
    for (const code of fds.keys()) {
      stored += statSync(fileOf(code)).size;
      const buf = readFileSync(fileOf(code));
      const t = nowNs();
      const got = decodeFile(buf, headerBytes);
      decodeMs += elapsedMs(t);
      const want = readings.filter((r) => r.point === code).map(asBlock);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`prototype lost readings of ${code}`);
      checked += got.length;
    }
    // Torn tails (power cut): half of a next frame, or a zero-filled tail, must cut at the last good frame.
    const p0 = readFileSync(fileOf('P00'));
    const next = frame({ ...fresh() }, [asBlock(readings[0]!)], headerBytes);
    const good = decodeFile(p0, headerBytes).length;
    for (const tail of [next.subarray(0, next.length - 1), Buffer.alloc(8)]) {
      if (decodeFile(Buffer.concat([p0, tail]), headerBytes).length !== good) throw new Error('torn tail not cut at the last good frame');
    }
    const n = readings.length;
    if (checked !== n) throw new Error(`decoded ${checked} of ${n}`);
    const wchar = after.wchar - before.wchar;
    const device = after.write_bytes - after.cancelled_write_bytes - (before.write_bytes - before.cancelled_write_bytes);
    ctx.report({ figure: `PROTOTYPE segment files (${headerBytes}-byte frame header): bytes stored per reading, ${points} points x ${minutes} min`, value: round2(stored / n), unit: 'B/reading', baseline: null });
    ctx.report({ figure: 'PROTOTYPE segment files: bytes written per reading (wchar)', value: round2(wchar / n), unit: 'B/reading', baseline: null });
    ctx.report({ figure: 'PROTOTYPE segment files: bytes written / bytes stored (wchar)', value: round2(wchar / stored), unit: 'x', baseline: null });
    ctx.report({ figure: 'PROTOTYPE segment files: bytes to the block device per reading (write_bytes - cancelled)', value: round2(device / n), unit: 'B/reading', baseline: null });
    ctx.report({ figure: 'PROTOTYPE segment files: encode + append rate', value: Math.round(n / (writeMs / 1000)), unit: 'readings/s', baseline: null });
    ctx.report({ figure: 'PROTOTYPE segment files: 24 h of one point, projected from the decode rate', value: round2((decodeMs / n) * 86_400), unit: 'ms', baseline: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}



