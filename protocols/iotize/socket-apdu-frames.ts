// IoTize's framing of Tap APDUs on a TCP socket, as its own clients use it (a Wi-Fi TapNLink
// listens on port 2000; TapDeviceClientSwift's socket protocol writes the request and reads the
// reply with one socket read): there is no envelope at all.
// - A request APDU is self-delimiting: CLA INS P1 P2 Lc, then Lc bytes.
// - A reply APDU is data + a 2-byte status word, with no length: it ends where the Tap stopped
//   sending. TCP may deliver one reply in several segments, so here a reply ends once `replyGapMs`
//   passed with no further byte (the socket equivalent of Modbus RTU's inter-frame silence).
// Studied, not verified against a TapNLink: see README "IoTize Tap".

export const IOTIZE_SOCKET_DEFAULTS = {
  /** Silence that ends a reply. A Tap sends a reply in one burst; Wi-Fi jitter between segments stays well under this. */
  replyGapMs: 30,
  /** A Tap APDU carries at most 255 data bytes; anything larger means the stream is out of step. */
  maxReplyBytes: 512,
} as const;

export const APDU_HEADER_LENGTH = 5;

/** Tap requests are written as they are: the APDU is its own frame. */
export function encodeSocketRequest(apdu: Uint8Array): Buffer {
  if (apdu.length < APDU_HEADER_LENGTH) throw new RangeError(`a Tap request APDU needs at least ${APDU_HEADER_LENGTH} bytes (CLA INS P1 P2 Lc), got ${apdu.length}`);
  const lc = apdu[4]!;
  if (apdu.length !== APDU_HEADER_LENGTH + lc) throw new RangeError(`Tap request APDU length ${apdu.length} does not match its Lc (${lc} data bytes)`);
  return Buffer.from(apdu);
}

/**
 * Client side: a reply is the bytes received until `replyGapMs` of silence. `onReply` gets each
 * reply; `onOverflow` when more than maxReplyBytes arrive without a gap (the owner drops the link).
 */
export class SocketReplyReader {
  private parts: Buffer[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly onReply: (reply: Uint8Array) => void,
    private readonly onOverflow: (bytes: number) => void,
    private readonly replyGapMs: number = IOTIZE_SOCKET_DEFAULTS.replyGapMs,
    private readonly maxReplyBytes: number = IOTIZE_SOCKET_DEFAULTS.maxReplyBytes,
  ) {
    if (!Number.isFinite(replyGapMs) || replyGapMs <= 0) throw new TypeError(`SocketReplyReader replyGapMs must be a positive number of ms, got ${String(replyGapMs)}`);
    if (!Number.isInteger(maxReplyBytes) || maxReplyBytes < 2) throw new TypeError(`SocketReplyReader maxReplyBytes must be an integer >= 2, got ${String(maxReplyBytes)}`);
  }

  push(chunk: Buffer): void {
    this.parts.push(Buffer.from(chunk));
    this.size += chunk.length;
    if (this.size > this.maxReplyBytes) {
      const n = this.size;
      this.clear();
      this.onOverflow(n);
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(this.flush, this.replyGapMs);
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.parts = [];
    this.size = 0;
  }

  private readonly flush = (): void => {
    this.timer = null;
    const reply = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    // A reply is at least the 2-byte status word; a lone byte is noise.
    if (reply.length >= 2) this.onReply(reply);
  };
}

/**
 * Tap side (the fake Tap): splits the byte stream into request APDUs by their Lc. Returns the
 * complete requests; a partial one waits for its remaining bytes.
 */
export class SocketRequestReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): Uint8Array[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: Uint8Array[] = [];
    while (this.buffer.length >= APDU_HEADER_LENGTH) {
      const total = APDU_HEADER_LENGTH + this.buffer[4]!;
      if (this.buffer.length < total) break;
      out.push(new Uint8Array(this.buffer.subarray(0, total)));
      this.buffer = this.buffer.subarray(total);
    }
    return out;
  }

  clear(): void {
    this.buffer = Buffer.alloc(0);
  }
}
