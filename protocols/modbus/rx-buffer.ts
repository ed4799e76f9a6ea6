// Bounded receive buffer shared by the frame readers, plus the vocabulary for discarded bytes.
// Fixed capacity: a babbling device or a noisy line can never grow memory, it only loses old bytes.

/** Why bytes on the line were not taken as the awaited reply. */
export type DiscardReason =
  | 'garbage' // bytes that do not form a valid frame (noise, broken CRC, cut-off frames)
  | 'wrong-unit' // a valid frame from/for another unit id
  | 'wrong-function' // a valid frame with another function code
  | 'wrong-length' // right unit and function, but not the length the request asked for
  | 'mismatched-echo' // a write echo that does not repeat the request (a late reply to another write)
  | 'transaction-id' // Modbus TCP: a reply to another (earlier, timed-out) transaction
  | 'stale' // bytes already buffered when a new request was sent
  | 'unsolicited' // a complete frame while no request was pending
  | 'overflow'; // oldest bytes dropped because the buffer was full

export type DiscardHandler = (bytes: number, reason: DiscardReason) => void;

export class RxBuffer {
  /** Backing store; valid bytes are buf[start, end). Readers index it directly for speed. */
  readonly buf: Buffer;
  start = 0;
  end = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 16) throw new TypeError(`RxBuffer capacity must be an integer >= 16, got ${String(capacity)}`);
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Appends a chunk; returns how many of the oldest bytes had to be dropped to make room. */
  append(chunk: Uint8Array): number {
    let dropped = 0;
    let data = chunk;
    if (data.length > this.capacity) {
      dropped += data.length - this.capacity + this.length;
      data = data.subarray(data.length - this.capacity);
      this.start = this.end = 0;
    }
    const overflow = this.length + data.length - this.capacity;
    if (overflow > 0) {
      this.start += overflow;
      dropped += overflow;
    }
    if (this.end + data.length > this.capacity) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
    return dropped;
  }

  /** Marks everything before `position` (an absolute index into buf) as consumed. */
  consumeTo(position: number): void {
    this.start = Math.min(Math.max(position, this.start), this.end);
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Drops everything buffered; returns the number of bytes dropped. */
  clear(): number {
    const n = this.length;
    this.start = this.end = 0;
    return n;
  }
}
