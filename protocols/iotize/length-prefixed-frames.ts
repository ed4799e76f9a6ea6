// Our framing for Tap APDUs on a byte stream (TCP socket or serial line): each frame is a 2-byte
// big-endian length followed by that many bytes. This is minegate's own framing, NOT IoTize's wire
// format (which is not published in @iotize/tap): both ends must be ours, or a bridge that speaks it.
import { MinegateError } from '../../core/minegate-error.js';

export const TAP_FRAME_DEFAULTS = {
  /** A Tap APDU is at most 256 bytes; anything far larger means the stream is out of step. */
  maxFrameBytes: 1024,
} as const;

export class FrameError extends MinegateError<'frame-too-large' | 'empty-frame'> {
  constructor(
    code: 'frame-too-large' | 'empty-frame',
    message: string,
  ) {
    super(code, message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(payload: Uint8Array, maxFrameBytes: number = TAP_FRAME_DEFAULTS.maxFrameBytes): Buffer {
  if (payload.length === 0) throw new FrameError('empty-frame', 'a frame needs at least one byte');
  if (payload.length > maxFrameBytes) throw new FrameError('frame-too-large', `frame of ${payload.length} bytes exceeds ${maxFrameBytes}`);
  const frame = Buffer.alloc(2 + payload.length);
  frame.writeUInt16BE(payload.length, 0);
  frame.set(payload, 2);
  return frame;
}

/**
 * Reassembles frames from chunks as they arrive. A length of 0 or above the limit cannot be
 * resynchronised (there are no frame markers), so push() throws and the owner must drop the link.
 */
export class FrameReader {
  private buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number = TAP_FRAME_DEFAULTS.maxFrameBytes) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffff) {
      throw new TypeError(`FrameReader maxFrameBytes must be an integer 1..65535, got ${String(maxFrameBytes)}`);
    }
  }

  /** Complete frames in this chunk (and any left from earlier ones). */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const frames: Uint8Array[] = [];
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (length === 0) throw new FrameError('empty-frame', 'zero-length frame: the stream is out of step');
      if (length > this.maxFrameBytes) throw new FrameError('frame-too-large', `frame length ${length} exceeds ${this.maxFrameBytes}: the stream is out of step`);
      if (this.buffer.length < 2 + length) break;
      frames.push(new Uint8Array(this.buffer.subarray(2, 2 + length)));
      this.buffer = this.buffer.subarray(2 + length);
    }
    return frames;
  }

  clear(): void {
    this.buffer = Buffer.alloc(0);
  }
}
