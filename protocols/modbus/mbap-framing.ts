// Modbus TCP framing: MBAP header [transaction id:2][protocol id:2 = 0][length:2][unit:1] + PDU,
// where length counts the unit byte and the PDU. TCP keeps bytes in order and has no gap between
// frames, so after a bad header there is no safe place to resync inside the buffered bytes:
// scanning on byte by byte locks onto register bytes that look like a header (`00 00` then a
// plausible length) and swallows the genuine replies after it. The reader therefore drops
// everything buffered on a bad header, counts bad headers in a row, and lets its owner decide when
// the stream is out of step for good (the master reconnects). It never throws.
import { RxBuffer, type DiscardHandler } from './rx-buffer.js';

export const MBAP_HEADER_LENGTH = 7;
/** Largest Modbus TCP ADU: header + 253-byte PDU. */
export const MBAP_MAX_FRAME = MBAP_HEADER_LENGTH + 253;

export interface MbapHeader {
  transactionId: number;
  protocolId: number;
  /** Bytes following the length field: unit + PDU. */
  length: number;
  unit: number;
}

export function encodeMbapFrame(transactionId: number, unit: number, pdu: Uint8Array): Buffer {
  if (!Number.isInteger(transactionId) || transactionId < 0 || transactionId > 0xffff) {
    throw new TypeError(`transaction id must be an integer 0..65535, got ${String(transactionId)}`);
  }
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw new TypeError(`unit must be an integer 0..255, got ${String(unit)}`);
  if (pdu.length < 1 || pdu.length > 253) throw new TypeError(`PDU must be 1..253 bytes, got ${pdu.length}`);
  const frame = Buffer.allocUnsafe(MBAP_HEADER_LENGTH + pdu.length);
  frame.writeUInt16BE(transactionId, 0);
  frame.writeUInt16BE(0, 2);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame[6] = unit;
  frame.set(pdu, MBAP_HEADER_LENGTH);
  return frame;
}

/** Header at `offset`, or null when fewer than 7 bytes are there. Does not judge validity. */
export function decodeMbapHeader(buf: Uint8Array, offset = 0): MbapHeader | null {
  if (offset < 0 || buf.length - offset < MBAP_HEADER_LENGTH) return null;
  return {
    transactionId: (buf[offset]! << 8) | buf[offset + 1]!,
    protocolId: (buf[offset + 2]! << 8) | buf[offset + 3]!,
    length: (buf[offset + 4]! << 8) | buf[offset + 5]!,
    unit: buf[offset + 6]!,
  };
}

/** A plausible header: protocol 0 and a length that fits unit + 1..253 PDU bytes. */
export function isValidMbapHeader(h: MbapHeader): boolean {
  return h.protocolId === 0 && h.length >= 2 && h.length <= 254;
}

/** Receives each frame; `pdu` is a view valid only during the call (copy it to keep it). */
export type MbapFrameHandler = (transactionId: number, unit: number, pdu: Buffer) => void;

/** Told after each bad header, with how many came in a row (a good frame resets the count). */
export type MbapBadHeaderHandler = (inARow: number, header: MbapHeader) => void;

export class MbapReader {
  readonly counters = { frames: 0, discardedBytes: 0, badHeaders: 0 };
  private readonly rx = new RxBuffer(4 * MBAP_MAX_FRAME);
  private badInARow = 0;

  constructor(
    private readonly onFrame: MbapFrameHandler,
    private readonly onDiscard?: DiscardHandler,
    private readonly onBadHeader?: MbapBadHeaderHandler,
  ) {}

  get buffered(): number {
    return this.rx.length;
  }

  /** Bad headers since the last good frame. */
  get badHeadersInARow(): number {
    return this.badInARow;
  }

  push(chunk: Uint8Array): void {
    const dropped = this.rx.append(chunk);
    if (dropped > 0) this.discard(dropped, 'overflow');
    const b = this.rx.buf;
    // Re-read start/end each turn: a handler may call clear().
    while (this.rx.end - this.rx.start >= MBAP_HEADER_LENGTH) {
      const pos = this.rx.start;
      const protocolId = (b[pos + 2]! << 8) | b[pos + 3]!;
      const length = (b[pos + 4]! << 8) | b[pos + 5]!;
      if (protocolId !== 0 || length < 2 || length > 254) {
        const header: MbapHeader = { transactionId: (b[pos]! << 8) | b[pos + 1]!, protocolId, length, unit: b[pos + 6]! };
        // No byte after a broken header can be trusted to start a frame: drop them all.
        this.discard(this.rx.clear(), 'garbage');
        this.badInARow++;
        this.counters.badHeaders++;
        this.onBadHeader?.(this.badInARow, header);
        return;
      }
      const total = 6 + length;
      if (this.rx.end - pos < total) break;
      this.rx.consumeTo(pos + total);
      this.counters.frames++;
      this.badInARow = 0;
      // consumeTo never moves bytes, so the view stays valid for the duration of the call.
      this.onFrame((b[pos]! << 8) | b[pos + 1]!, b[pos + 6]!, b.subarray(pos + 7, pos + total));
    }
  }

  /** Drops a partial frame (e.g. after the connection was re-established) and the bad-header count. */
  clear(): number {
    this.badInARow = 0;
    return this.rx.clear();
  }

  private discard(bytes: number, reason: 'garbage' | 'overflow'): void {
    this.counters.discardedBytes += bytes;
    this.onDiscard?.(bytes, reason);
  }
}
