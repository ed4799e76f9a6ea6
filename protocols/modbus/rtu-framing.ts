// Modbus RTU framing: [unit][PDU][CRC lo][CRC hi]. Frame ends are found from the function code
// and byte counts (not from inter-character silence, which neither a PTY nor a TCP converter keeps),
// and every candidate must pass its CRC. Garbage is skipped one byte at a time; the readers never throw.
import { crc16Modbus, hasValidCrc } from './crc16.js';
import { RxBuffer, type DiscardHandler, type DiscardReason } from './rx-buffer.js';

/** Largest RTU frame: unit + 253-byte PDU + CRC. */
export const RTU_MAX_FRAME = 256;
const BUFFER_CAPACITY = 4 * RTU_MAX_FRAME;

export function buildRtuFrame(unit: number, pdu: Uint8Array): Buffer {
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw new TypeError(`unit must be an integer 0..255, got ${String(unit)}`);
  if (pdu.length < 1 || pdu.length > 253) throw new TypeError(`PDU must be 1..253 bytes, got ${pdu.length}`);
  const frame = Buffer.allocUnsafe(pdu.length + 3);
  frame[0] = unit;
  frame.set(pdu, 1);
  const crc = crc16Modbus(frame, 0, pdu.length + 1);
  frame[pdu.length + 1] = crc & 0xff;
  frame[pdu.length + 2] = crc >>> 8;
  return frame;
}

function isKnownFunction(fn: number): boolean {
  return (fn >= 0x01 && fn <= 0x06) || fn === 0x0f || fn === 0x10;
}

/** Length of a reply frame starting at `pos`: -1 not a reply start, 0 need more bytes, else the length. */
function replyFrameLength(b: Buffer, pos: number, end: number): number {
  if (end - pos < 2) return 0;
  const unit = b[pos]!;
  if (unit < 1 || unit > 247) return -1;
  const fn = b[pos + 1]!;
  if (fn & 0x80) return isKnownFunction(fn & 0x7f) ? 5 : -1;
  switch (fn) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04: {
      if (end - pos < 3) return 0;
      const byteCount = b[pos + 2]!;
      if (byteCount === 0 || byteCount > 250 || (fn >= 0x03 && byteCount & 1)) return -1;
      return 5 + byteCount;
    }
    case 0x05:
    case 0x06:
    case 0x0f:
    case 0x10:
      return 8;
    default:
      return -1;
  }
}

/** Smallest RTU frame: unit, function, CRC. */
const RTU_MIN_FRAME = 4;

/**
 * Length of a request frame starting at `pos`: -1 not a request start, 0 need more bytes, else the
 * length. A function code minegate does not implement (07, 08, 2B, 11, 41 …) has no length rule
 * here. A real slave ends such a frame on line silence; neither a PTY nor a TCP converter keeps
 * silence, so the stand-in is "nothing more has arrived": the frame runs from `pos` to the last
 * byte received, and its CRC must hold. A master waits for each reply before the next request, so
 * its request is the last thing on the line; accepting any CRC match inside a longer buffer instead
 * would let noise (a 1 in 65536 false match per length tried) swallow genuine requests behind it.
 */
function requestFrameLength(b: Buffer, pos: number, end: number): number {
  if (end - pos < 2) return 0;
  if (b[pos]! > 247) return -1;
  const fn = b[pos + 1]!;
  if (fn >= 0x01 && fn <= 0x06) return 8;
  if (fn === 0x0f || fn === 0x10) {
    if (end - pos < 7) return 0;
    return 9 + b[pos + 6]!;
  }
  // Requests never carry the exception bit; 0 is no function at all.
  if (fn === 0 || fn >= 0x80) return -1;
  const n = end - pos;
  if (n > RTU_MAX_FRAME) return -1;
  if (n >= RTU_MIN_FRAME && hasValidCrc(b, pos, end)) return n;
  return 0;
}

/** What the master waits for: the reply PDU length is known from the request. */
export interface RtuReplyExpectation {
  unit: number;
  fn: number;
  /** Length of the normal reply PDU (expectedResponseLength); exception replies are always 2. */
  pduLength: number;
  /** For writes: the request PDU, whose address/value (or quantity) the reply must echo. */
  echo?: Uint8Array;
}

export interface RtuReaderCounters {
  discardedBytes: number;
  discardedFrames: number;
  crcErrors: number;
}

/**
 * Master side: accumulates line bytes and extracts the reply to the one pending request.
 * Valid frames for another unit/function/length are counted and reported, never returned.
 */
export class RtuResponseReader {
  readonly counters: RtuReaderCounters = { discardedBytes: 0, discardedFrames: 0, crcErrors: 0 };
  private readonly rx = new RxBuffer(BUFFER_CAPACITY);
  private expectation: RtuReplyExpectation | null = null;

  constructor(private readonly onDiscard?: DiscardHandler) {}

  get buffered(): number {
    return this.rx.length;
  }

  /** Sets (or clears, with null) the reply being waited for. */
  expect(expectation: RtuReplyExpectation | null): void {
    this.expectation = expectation;
  }

  /**
   * Adds received bytes. Returns the reply PDU (without unit and CRC) once the expected frame is
   * complete, else null. The returned view is only valid until the next call on this reader.
   */
  push(chunk: Uint8Array): Buffer | null {
    const dropped = this.rx.append(chunk);
    if (dropped > 0) this.discard(dropped, 'overflow');
    return this.scan();
  }

  /** Drops everything buffered (stale bytes before a new request); returns the byte count. */
  clear(reason: DiscardReason = 'stale'): number {
    const n = this.rx.clear();
    if (n > 0) this.discard(n, reason);
    return n;
  }

  private discard(bytes: number, reason: DiscardReason): void {
    this.counters.discardedBytes += bytes;
    if (reason !== 'garbage' && reason !== 'stale' && reason !== 'overflow') this.counters.discardedFrames++;
    this.onDiscard?.(bytes, reason);
  }

  private scan(): Buffer | null {
    const e = this.expectation;
    if (e === null) return null;
    const b = this.rx.buf;
    const end = this.rx.end;
    let pos = this.rx.start;
    let garbage = 0;
    let reply: Buffer | null = null;
    while (end - pos >= 2) {
      const n = replyFrameLength(b, pos, end);
      if (n < 0) {
        pos++;
        garbage++;
        continue;
      }
      if (n === 0 || pos + n > end) {
        // An incomplete candidate may just be garbage that looks like a header; if the awaited
        // reply is already complete further on, take it rather than wait for bytes that never come.
        const later = this.findCompleteReply(e, pos + 1, end);
        if (later < 0) break;
        garbage += later - pos;
        pos = later;
        continue;
      }
      if (!hasValidCrc(b, pos, pos + n)) {
        if (b[pos] === e.unit && (b[pos + 1] === e.fn || b[pos + 1] === (e.fn | 0x80))) this.counters.crcErrors++;
        pos++;
        garbage++;
        continue;
      }
      if (garbage > 0) {
        this.discard(garbage, 'garbage');
        garbage = 0;
      }
      const verdict = this.judge(e, b, pos, n);
      if (verdict === null) {
        reply = b.subarray(pos + 1, pos + n - 2);
        this.expectation = null;
        pos += n;
        break;
      }
      this.discard(n, verdict);
      pos += n;
    }
    if (garbage > 0) this.discard(garbage, 'garbage');
    this.rx.consumeTo(pos);
    return reply;
  }

  /** null when the valid frame at `pos` is the awaited reply, else why it is not. */
  private judge(e: RtuReplyExpectation, b: Buffer, pos: number, n: number): DiscardReason | null {
    if (b[pos] !== e.unit) return 'wrong-unit';
    const fn = b[pos + 1]!;
    if (fn === (e.fn | 0x80)) return null;
    if (fn !== e.fn) return 'wrong-function';
    if (n !== e.pduLength + 3) return 'wrong-length';
    if (e.echo !== undefined) {
      for (let i = 1; i < 5; i++) if (b[pos + 1 + i] !== e.echo[i]) return 'mismatched-echo';
    }
    return null;
  }

  private findCompleteReply(e: RtuReplyExpectation, from: number, end: number): number {
    const b = this.rx.buf;
    const normal = e.pduLength + 3;
    for (let j = from; j + 5 <= end; j++) {
      if (b[j] !== e.unit) continue;
      const fn = b[j + 1];
      if (fn === e.fn && j + normal <= end && hasValidCrc(b, j, j + normal)) return j;
      if (fn === (e.fn | 0x80) && hasValidCrc(b, j, j + 5)) return j;
    }
    return -1;
  }
}

export type RtuRequestHandler = (unit: number, pdu: Buffer) => void;

/**
 * Slave side: splits the line into request frames (length from the function code; 0F/10 carry a
 * byte count; other function codes end with the bytes received so far, see requestFrameLength) and silently drops anything
 * whose CRC fails, as a real slave does. Unknown function codes reach the handler, which answers
 * exception 01 (illegal function) like a real slave.
 */
export class RtuRequestReader {
  readonly counters = { frames: 0, discardedBytes: 0 };
  private readonly rx = new RxBuffer(BUFFER_CAPACITY);

  /** `onFrame` receives a copy of the PDU, safe to keep. */
  constructor(
    private readonly onFrame: RtuRequestHandler,
    private readonly onDiscard?: DiscardHandler,
  ) {}

  push(chunk: Uint8Array): void {
    const dropped = this.rx.append(chunk);
    if (dropped > 0) this.discard(dropped, 'overflow');
    const b = this.rx.buf;
    const end = this.rx.end;
    let pos = this.rx.start;
    let garbage = 0;
    const frames: Array<[number, Buffer]> = [];
    while (end - pos >= 2) {
      const n = requestFrameLength(b, pos, end);
      if (n < 0) {
        pos++;
        garbage++;
        continue;
      }
      if (n === 0 || pos + n > end) {
        const later = this.findCompleteRequest(pos + 1, end);
        if (later < 0) break;
        garbage += later - pos;
        pos = later;
        continue;
      }
      if (!hasValidCrc(b, pos, pos + n)) {
        pos++;
        garbage++;
        continue;
      }
      frames.push([b[pos]!, Buffer.from(b.subarray(pos + 1, pos + n - 2))]);
      pos += n;
    }
    if (garbage > 0) this.discard(garbage, 'garbage');
    this.rx.consumeTo(pos);
    // Handlers run after the buffer is settled, so one that writes or throws cannot corrupt the scan.
    for (const [unit, pdu] of frames) {
      this.counters.frames++;
      this.onFrame(unit, pdu);
    }
  }

  clear(): void {
    this.rx.clear();
  }

  private discard(bytes: number, reason: DiscardReason): void {
    this.counters.discardedBytes += bytes;
    this.onDiscard?.(bytes, reason);
  }

  private findCompleteRequest(from: number, end: number): number {
    const b = this.rx.buf;
    for (let j = from; j + RTU_MIN_FRAME <= end; j++) {
      const n = requestFrameLength(b, j, end);
      if (n > 0 && j + n <= end && hasValidCrc(b, j, j + n)) return j;
    }
    return -1;
  }
}
