// minegate's default framed protocol for RS-485 personnel card readers (see README.md here):
//   A5 5A | LEN | ADDR | SEQ | TYPE | PAYLOAD (LEN-3 bytes) | CRC-16/MODBUS lo hi
// No byte stuffing: frame ends come from LEN and every candidate must pass its CRC, so the parser
// resynchronises after any garbage by sliding one byte and looking for the next start.
import { crc16Modbus } from '../modbus/crc16.js';
import { RxBuffer } from '../modbus/rx-buffer.js';
import {
  type CardFrame,
  CardFrameType,
  type CardRecord,
  type PageMode,
  type PageResult,
  type ReaderPower,
} from './types.js';

export const START_0 = 0xa5;
export const START_1 = 0x5a;
/** ADDR + SEQ + TYPE. */
const HEADER_BODY = 3;
/** Start bytes + LEN before the body, CRC after it. */
const OVERHEAD = 5;
export const MAX_BODY = 255;
export const MAX_FRAME = MAX_BODY + OVERHEAD;
export const RECORD_BYTES = 8;
/** COUNT byte + records must fit the 252 payload bytes a LEN of 255 leaves. */
export const MAX_RECORDS_PER_FRAME = Math.floor((MAX_BODY - HEADER_BODY - 1) / RECORD_BYTES);
/** Reader addresses on a line; 0 and 255 are reserved. */
export const MIN_READER = 1;
export const MAX_READER = 254;
/** Largest |distance| the 16-bit decimetre field holds. */
export const MAX_DISTANCE_M = 0xffff / 10;

const FLAG_LOW_BATTERY = 0x01;
const FLAG_SOS = 0x02;
const FLAG_SOS_DOUBLE = 0x04;
const FLAG_SIDE_B = 0x08;
const CAP_PAGING = 0x01;

const STATUS_PAYLOAD = 4;
const PAGE_PAYLOAD = 5;
const ACK_PAYLOAD = 6;

const POWER_CODES: Record<Exclude<ReaderPower, 'unknown'>, number> = { dc: 0, ac: 1, fault: 2 };
const POWER_UNKNOWN = 9;
const PAGE_MODE_CODES: Record<PageMode, number> = { cancel: 0, call: 1, evacuate: 2 };
const PAGE_RESULT_CODES: Record<PageResult, number> = { delivered: 0, 'not-in-range': 1, unsupported: 2 };
const PAGE_MODES = invert(PAGE_MODE_CODES);
const PAGE_RESULTS = invert(PAGE_RESULT_CODES);

function invert<K extends string>(m: Record<K, number>): Map<number, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
}

// ------------------------------------------------------------------ encoder

function checkInt(what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`${what} must be an integer ${min}..${max}, got ${String(v)}`);
  return v;
}

function checkBool(what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${what} must be a boolean, got ${String(v)}`);
  return v;
}

/** Encode one frame (any type, uplink or downlink). Throws TypeError naming the first bad field. */
export function encodeCardFrame(frame: CardFrame): Buffer {
  if (frame === null || typeof frame !== 'object') throw new TypeError(`frame must be an object, got ${String(frame)}`);
  const reader = checkInt('reader address', frame.reader, MIN_READER, MAX_READER);
  const seq = checkInt('seq', frame.seq, 0, 255);
  let type: number;
  let payload: Buffer;
  switch (frame.type) {
    case 'card-report':
      type = CardFrameType.CardReport;
      payload = encodeRecords(frame.records);
      break;
    case 'status': {
      type = CardFrameType.Status;
      payload = Buffer.alloc(STATUS_PAYLOAD);
      if (frame.power !== 'unknown' && !(frame.power in POWER_CODES)) throw new TypeError(`power must be dc, ac, fault or unknown, got ${String(frame.power)}`);
      payload[0] = frame.power === 'unknown' ? POWER_UNKNOWN : POWER_CODES[frame.power];
      payload[1] = checkBool('canPage', frame.canPage) ? CAP_PAGING : 0;
      payload.writeUInt16BE(checkInt('cardsInRange', frame.cardsInRange, 0, 0xffff), 2);
      break;
    }
    case 'page': {
      type = CardFrameType.PageCard;
      payload = Buffer.alloc(PAGE_PAYLOAD);
      payload.writeUInt32BE(checkInt('page tag', frame.tag, 0, 0xffffffff), 0);
      const mode = PAGE_MODE_CODES[frame.mode];
      if (mode === undefined) throw new TypeError(`page mode must be call, evacuate or cancel, got ${String(frame.mode)}`);
      payload[4] = mode;
      break;
    }
    case 'page-ack': {
      type = CardFrameType.PageAck;
      payload = Buffer.alloc(ACK_PAYLOAD);
      payload[0] = checkInt('commandSeq', frame.commandSeq, 0, 255);
      payload.writeUInt32BE(checkInt('page-ack tag', frame.tag, 0, 0xffffffff), 1);
      const result = PAGE_RESULT_CODES[frame.result];
      if (result === undefined) throw new TypeError(`page result must be delivered, not-in-range or unsupported, got ${String(frame.result)}`);
      payload[5] = result;
      break;
    }
    default:
      throw new TypeError(`frame type must be card-report, status, page or page-ack, got ${String((frame as { type?: unknown }).type)}`);
  }
  return buildFrame(reader, seq, type, payload);
}

/** Wrap a body in start bytes, LEN and CRC. Exposed for tests and the simulator's corrupted frames. */
export function buildFrame(reader: number, seq: number, type: number, payload: Uint8Array): Buffer {
  const len = HEADER_BODY + payload.length;
  if (len > MAX_BODY) throw new TypeError(`payload of ${payload.length} bytes does not fit one frame (max ${MAX_BODY - HEADER_BODY})`);
  const frame = Buffer.allocUnsafe(len + OVERHEAD);
  frame[0] = START_0;
  frame[1] = START_1;
  frame[2] = len;
  frame[3] = reader;
  frame[4] = seq;
  frame[5] = type;
  frame.set(payload, 6);
  const crc = crc16Modbus(frame, 2, 6 + payload.length);
  frame[6 + payload.length] = crc & 0xff;
  frame[7 + payload.length] = crc >>> 8;
  return frame;
}

function encodeRecords(records: readonly CardRecord[]): Buffer {
  if (!Array.isArray(records)) throw new TypeError(`records must be an array, got ${String(records)}`);
  if (records.length > MAX_RECORDS_PER_FRAME) throw new TypeError(`a frame holds at most ${MAX_RECORDS_PER_FRAME} records, got ${records.length} (split them with chunkRecords)`);
  const out = Buffer.alloc(1 + records.length * RECORD_BYTES);
  out[0] = records.length;
  records.forEach((r, i) => {
    const at = 1 + i * RECORD_BYTES;
    const what = `records[${i}]`;
    out.writeUInt32BE(checkInt(`${what}.tag`, r.tag, 0, 0xffffffff), at);
    out.writeInt8(checkInt(`${what}.rssi`, r.rssi, -128, 127), at + 4);
    if (typeof r.distanceM !== 'number' || !Number.isFinite(r.distanceM) || Math.abs(r.distanceM) > MAX_DISTANCE_M) {
      throw new TypeError(`${what}.distanceM must be a finite number of metres within ±${MAX_DISTANCE_M}, got ${String(r.distanceM)}`);
    }
    const dm = Math.round(Math.abs(r.distanceM) * 10);
    out.writeUInt16BE(dm, at + 5);
    let flags = 0;
    if (checkBool(`${what}.lowBattery`, r.lowBattery)) flags |= FLAG_LOW_BATTERY;
    if (checkBool(`${what}.sos`, r.sos)) flags |= FLAG_SOS;
    if (r.sosDouble !== undefined && checkBool(`${what}.sosDouble`, r.sosDouble)) flags |= FLAG_SOS_DOUBLE | FLAG_SOS;
    if (r.distanceM < 0 && dm > 0) flags |= FLAG_SIDE_B;
    out[at + 7] = flags;
  });
  return out;
}

/** Split records into frame-sized groups (a reader with many cards in range sends several frames). */
export function chunkRecords<T>(records: readonly T[], size = MAX_RECORDS_PER_FRAME): T[][] {
  if (!Number.isInteger(size) || size < 1 || size > MAX_RECORDS_PER_FRAME) throw new TypeError(`chunk size must be 1..${MAX_RECORDS_PER_FRAME}, got ${String(size)}`);
  const out: T[][] = [];
  for (let i = 0; i < records.length; i += size) out.push(records.slice(i, i + size));
  if (out.length === 0) out.push([]);
  return out;
}

// ------------------------------------------------------------------ parser

export interface CardParserStats {
  /** Frames returned. */
  frames: number;
  /** Bytes pushed. */
  bytes: number;
  /** Bytes that were not part of a returned frame (noise, broken or rejected frames). */
  discardedBytes: number;
  /** Candidates whose CRC did not match. */
  badCrc: number;
  /** LEN below the minimum, or CRC-valid frames whose LEN does not fit their type's payload. */
  badLength: number;
  /** CRC-valid frames of a type this parser does not know (a newer firmware). */
  unknownType: number;
  /** CRC-valid frames with a reserved reader address or an unknown enumeration code. */
  malformed: number;
  /** Incomplete candidates given up: a complete frame followed inside their span, or the line went idle. */
  abandoned: number;
  /** Bytes dropped because the buffer was full (cannot happen through push(); kept as a guard). */
  overflowBytes: number;
}

export interface CardFrameParserOptions {
  /** Receive buffer size in bytes; at least 2 × MAX_FRAME. */
  capacity?: number;
}

export const CARD_PARSER_DEFAULTS = {
  capacity: 4096,
} as const;

type Decoded = CardFrame | 'bad-length' | 'unknown-type' | 'malformed';

/**
 * Streaming parser: push() any chunks of line bytes, get back every complete valid frame.
 * Never throws on line data; memory is bounded by `capacity`.
 */
export class CardFrameParser {
  private readonly rx: RxBuffer;
  /** Bytes fed to the RxBuffer per step: leaves room for one incomplete frame, so nothing overflows. */
  private readonly step: number;
  private readonly counters: CardParserStats = { frames: 0, bytes: 0, discardedBytes: 0, badCrc: 0, badLength: 0, unknownType: 0, malformed: 0, abandoned: 0, overflowBytes: 0 };

  constructor(options: CardFrameParserOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`CardFrameParser options must be an object, got ${String(options)}`);
    const o = { ...CARD_PARSER_DEFAULTS, ...options };
    if (!Number.isInteger(o.capacity) || o.capacity < 2 * MAX_FRAME) throw new TypeError(`CardFrameParser capacity must be an integer >= ${2 * MAX_FRAME}, got ${String(o.capacity)}`);
    this.rx = new RxBuffer(o.capacity);
    this.step = o.capacity - MAX_FRAME;
  }

  /** Bytes held back: the start of a frame still arriving (or noise that looks like one). */
  get pending(): number {
    return this.rx.length;
  }

  stats(): CardParserStats {
    return { ...this.counters };
  }

  push(chunk: Uint8Array): CardFrame[] {
    if (!(chunk instanceof Uint8Array)) throw new TypeError(`push() takes a Buffer or Uint8Array, got ${String(chunk)}`);
    this.counters.bytes += chunk.length;
    const out: CardFrame[] = [];
    for (let off = 0; off < chunk.length; off += this.step) {
      const dropped = this.rx.append(chunk.subarray(off, Math.min(chunk.length, off + this.step)));
      if (dropped > 0) {
        this.counters.overflowBytes += dropped;
        this.counters.discardedBytes += dropped;
      }
      this.scan(false, out);
    }
    return out;
  }

  /**
   * The line went quiet: whatever is buffered will never be completed (a real frame's bytes come
   * back to back), so give up on it, rescan what follows the false start, and empty the buffer.
   */
  flush(): CardFrame[] {
    const out: CardFrame[] = [];
    this.scan(true, out);
    return out;
  }

  /** Drop everything buffered (e.g. the link was reopened). */
  reset(): void {
    this.counters.discardedBytes += this.rx.clear();
  }

  private discardTo(position: number): void {
    const n = position - this.rx.start;
    if (n > 0) {
      this.counters.discardedBytes += n;
      this.rx.consumeTo(position);
    }
  }

  /** True when a complete frame with a valid CRC starts somewhere in [from, end). */
  private completeFrameAfter(from: number, end: number): boolean {
    const b = this.rx.buf;
    for (let q = b.indexOf(START_0, from); q >= 0 && q < end - 2; q = b.indexOf(START_0, q + 1)) {
      if (b[q + 1] !== START_1) continue;
      const len = b[q + 2]!;
      if (len < HEADER_BODY || q + len + OVERHEAD > end) continue;
      const crc = crc16Modbus(b, q + 2, q + 3 + len);
      if (b[q + 3 + len] === (crc & 0xff) && b[q + 4 + len] === crc >>> 8) return true;
    }
    return false;
  }

  private scan(final: boolean, out: CardFrame[]): void {
    const b = this.rx.buf;
    for (;;) {
      const start = this.rx.start;
      const end = this.rx.end;
      if (end - start === 0) return;
      let p = b.indexOf(START_0, start);
      while (p >= 0 && p < end - 1 && b[p + 1] !== START_1) p = b.indexOf(START_0, p + 1);
      if (p < 0 || p >= end) {
        this.discardTo(end);
        return;
      }
      if (p === end - 1) {
        // A lone A5 at the end may be the first start byte of a frame still arriving.
        this.discardTo(final ? end : p);
        return;
      }
      this.discardTo(p);
      if (end - p < 3) {
        if (final) this.discardTo(p + 1);
        else return;
        continue;
      }
      const len = b[p + 2]!;
      if (len < HEADER_BODY) {
        this.counters.badLength++;
        this.discardTo(p + 1);
        continue;
      }
      const total = len + OVERHEAD;
      if (end - p < total) {
        // A real frame's bytes come back to back: if a complete valid frame starts inside this
        // candidate's span, the candidate was a false start in noise and must not hold it back.
        if (!final && !this.completeFrameAfter(p + 1, end)) return;
        this.counters.abandoned++;
        this.discardTo(p + 1);
        continue;
      }
      const crc = crc16Modbus(b, p + 2, p + 3 + len);
      if (b[p + 3 + len] !== (crc & 0xff) || b[p + 4 + len] !== crc >>> 8) {
        this.counters.badCrc++;
        this.discardTo(p + 1);
        continue;
      }
      const decoded = decodeBody(b, p + 3, len);
      if (typeof decoded === 'string') {
        if (decoded === 'bad-length') this.counters.badLength++;
        else if (decoded === 'unknown-type') this.counters.unknownType++;
        else this.counters.malformed++;
        // The CRC held, so the frame boundary is right: skip the whole frame.
        this.discardTo(p + total);
        continue;
      }
      this.counters.frames++;
      this.rx.consumeTo(p + total);
      out.push(decoded);
    }
  }
}

/** Decode ADDR..PAYLOAD (`len` bytes at `at`) of a CRC-valid frame. */
function decodeBody(b: Buffer, at: number, len: number): Decoded {
  const reader = b[at]!;
  const seq = b[at + 1]!;
  const type = b[at + 2]!;
  const p = at + HEADER_BODY;
  const payloadLength = len - HEADER_BODY;
  if (reader < MIN_READER || reader > MAX_READER) return 'malformed';
  switch (type) {
    case CardFrameType.CardReport: {
      if (payloadLength < 1) return 'bad-length';
      const count = b[p]!;
      if (payloadLength !== 1 + count * RECORD_BYTES) return 'bad-length';
      const records: CardRecord[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const r = p + 1 + i * RECORD_BYTES;
        const flags = b[r + 7]!;
        const dm = (b[r + 5]! << 8) | b[r + 6]!;
        records[i] = {
          tag: b.readUInt32BE(r),
          rssi: b.readInt8(r + 4),
          distanceM: dm === 0 ? 0 : flags & FLAG_SIDE_B ? -dm / 10 : dm / 10,
          lowBattery: (flags & FLAG_LOW_BATTERY) !== 0,
          sos: (flags & (FLAG_SOS | FLAG_SOS_DOUBLE)) !== 0,
          sosDouble: (flags & FLAG_SOS_DOUBLE) !== 0,
        };
      }
      return { type: 'card-report', reader, seq, records };
    }
    case CardFrameType.Status: {
      if (payloadLength !== STATUS_PAYLOAD) return 'bad-length';
      const code = b[p]!;
      const power: ReaderPower = code === 0 ? 'dc' : code === 1 ? 'ac' : code === 2 ? 'fault' : 'unknown';
      return { type: 'status', reader, seq, power, canPage: (b[p + 1]! & CAP_PAGING) !== 0, cardsInRange: b.readUInt16BE(p + 2) };
    }
    case CardFrameType.PageCard: {
      if (payloadLength !== PAGE_PAYLOAD) return 'bad-length';
      const mode = PAGE_MODES.get(b[p + 4]!);
      if (mode === undefined) return 'malformed';
      return { type: 'page', reader, seq, tag: b.readUInt32BE(p), mode };
    }
    case CardFrameType.PageAck: {
      if (payloadLength !== ACK_PAYLOAD) return 'bad-length';
      const result = PAGE_RESULTS.get(b[p + 5]!);
      if (result === undefined) return 'malformed';
      return { type: 'page-ack', reader, seq, commandSeq: b[p]!, tag: b.readUInt32BE(p + 1), result };
    }
    default:
      return 'unknown-type';
  }
}
