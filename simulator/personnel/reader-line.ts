// The readers' side of one RS-485 line: the simulator end of a PTY pair, or an RS-485-over-TCP
// converter listening for the gateway (no socat needed). One frame is on the line at a time and each
// takes its real time at the configured baud rate (a PTY or a socket alone delivers 100 KB in
// milliseconds), which is how slotted readers share a half-duplex line without colliding.
// Downlink bytes (page commands from the gateway) are parsed and handed to the network.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { CardFrameParser } from '../../protocols/card-reader/frame.js';
import type { PageCommand } from '../../protocols/card-reader/types.js';
import { deviceIdentity, watchDevicePresence } from '../../protocols/links/device-presence.js';
import { lineTimeMs } from '../../protocols/modbus/line-timing.js';

export interface ReaderLineOptions {
  /** Simulator end of the PTY pair; or '' with `tcp`. */
  path: string;
  /**
   * Serve the line as an RS-485-over-TCP converter instead: the gateway connects here (port 0: a
   * free port, see `tcpPort`). The newest connection is the line's client; bytes sent while nobody
   * is connected are lost, as on a converter.
   */
  tcp?: { host: string; port: number };
  baudRate: number;
  /** Frames waiting for the line; beyond this the newest are dropped (a reader that missed its slot). */
  maxQueuedFrames?: number;
  /** A killed PTY does not always wake a pending read: the path is checked this often. */
  presenceCheckMs?: number;
  /** Quiet time that ends a half-received downlink frame. */
  idleFlushMs?: number;
}

export const READER_LINE_DEFAULTS = {
  maxQueuedFrames: 256,
  presenceCheckMs: 200,
  idleFlushMs: 100,
} as const;

export interface ReaderLineStats {
  framesSent: number;
  bytesSent: number;
  /** Frames dropped: queue full, or the line was down. */
  dropped: number;
}

interface Outgoing {
  bytes: Buffer;
  /** Time before the frame starts (e.g. a reader processing a command). */
  leadMs: number;
}

/** Events: 'command' (PageCommand from the gateway), 'close' (err | undefined: the PTY went away). */
export class ReaderLine extends EventEmitter<{ command: [PageCommand]; close: [Error | undefined] }> {
  readonly options: Readonly<Required<Omit<ReaderLineOptions, 'tcp'>>> & Pick<ReaderLineOptions, 'tcp'>;
  private port: SerialPort | null = null;
  private server: Server | null = null;
  private client: Socket | null = null;
  private boundPort: number | null = null;
  private readonly queue: Outgoing[] = [];
  private sendTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly parser = new CardFrameParser();
  private readonly counters: ReaderLineStats = { framesSent: 0, bytesSent: 0, dropped: 0 };

  constructor(options: ReaderLineOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`ReaderLine options must be an object, got ${String(options)}`);
    const o = { ...READER_LINE_DEFAULTS, ...options };
    if (o.tcp !== undefined) {
      if (o.tcp === null || typeof o.tcp.host !== 'string' || o.tcp.host.length === 0) throw new TypeError(`ReaderLine tcp.host must be a non-empty string, got ${String(o.tcp?.host)}`);
      if (!Number.isInteger(o.tcp.port) || o.tcp.port < 0 || o.tcp.port > 65_535) throw new TypeError(`ReaderLine tcp.port must be an integer 0..65535, got ${String(o.tcp.port)}`);
    } else if (typeof o.path !== 'string' || o.path.length === 0) throw new TypeError(`ReaderLine path must be a non-empty string, got ${String(o.path)}`);
    if (!Number.isInteger(o.baudRate) || o.baudRate <= 0) throw new TypeError(`ReaderLine baudRate must be a positive integer, got ${String(o.baudRate)}`);
    if (!Number.isInteger(o.maxQueuedFrames) || o.maxQueuedFrames < 1) throw new TypeError(`ReaderLine maxQueuedFrames must be a positive integer, got ${String(o.maxQueuedFrames)}`);
    this.options = o;
  }

  get isOpen(): boolean {
    if (this.options.tcp) return this.server !== null;
    return this.port !== null && this.port.isOpen;
  }

  /** TCP mode: the port actually listened on (after start), kept across stop/start. */
  get tcpPort(): number | null {
    return this.boundPort;
  }

  stats(): ReaderLineStats {
    return { ...this.counters };
  }

  /** Opens the PTY end (or starts listening); a port left over from before a replug is let go first. */
  async start(): Promise<void> {
    await this.stop();
    if (this.options.tcp) return this.listen(this.options.tcp);
    const { path, baudRate } = this.options;
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new Error(`cannot open ${path}: ${err.message}`, { cause: err })) : resolve())));
    let identity: { rdev: number; ino: number };
    try {
      identity = await deviceIdentity(path);
    } catch (err) {
      port.close(() => undefined);
      throw new Error(`cannot stat ${path}: ${(err as Error).message}`, { cause: err });
    }
    let reason: Error | undefined;
    const fail = (e: Error) => {
      reason ??= e;
      if (port.isOpen) port.close(() => undefined);
    };
    const stopWatching = watchDevicePresence(path, identity, this.options.presenceCheckMs, fail);
    port.on('error', fail);
    port.on('data', this.onData);
    port.once('close', (err?: Error | null) => {
      stopWatching();
      port.removeListener('data', this.onData);
      if (this.port !== port) return;
      this.port = null;
      this.dropQueue();
      this.emit('close', reason ?? err ?? undefined);
    });
    this.port = port;
  }

  async stop(): Promise<void> {
    this.dropQueue();
    const server = this.server;
    this.server = null;
    this.client?.destroy();
    this.client = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /**
   * Queue a frame for the line. `urgent` frames (page acks) go ahead of queued reports.
   * Returns false when it was dropped (line down or queue full).
   */
  send(bytes: Buffer, opts: { urgent?: boolean; leadMs?: number } = {}): boolean {
    if (!this.isOpen || this.queue.length >= this.options.maxQueuedFrames) {
      this.counters.dropped++;
      return false;
    }
    const item = { bytes, leadMs: opts.leadMs ?? 0 };
    if (opts.urgent) this.queue.unshift(item);
    else this.queue.push(item);
    this.pump();
    return true;
  }

  /** Line time of `bytes` characters at this line's speed. */
  lineTimeMs(bytes: number): number {
    return lineTimeMs(bytes, { baudRate: this.options.baudRate });
  }

  private pump(): void {
    if (this.sendTimer !== null || this.queue.length === 0) return;
    const item = this.queue.shift()!;
    // The bytes arrive once the last one has crossed the line.
    this.sendTimer = setTimeout(() => {
      this.sendTimer = null;
      const port = this.port;
      const client = this.client;
      if (port?.isOpen) {
        port.write(item.bytes);
        this.counters.framesSent++;
        this.counters.bytesSent += item.bytes.length;
      } else if (client && !client.destroyed) {
        client.write(item.bytes);
        this.counters.framesSent++;
        this.counters.bytesSent += item.bytes.length;
      } else {
        this.counters.dropped++;
      }
      this.pump();
    }, item.leadMs + this.lineTimeMs(item.bytes.length));
  }

  private async listen(tcp: { host: string; port: number }): Promise<void> {
    const server = createServer((socket) => {
      // A converter serves one client: a reconnecting gateway replaces the one that went silent.
      this.client?.destroy();
      this.client = socket;
      this.parser.reset();
      socket.setNoDelay(true);
      socket.on('data', this.onData);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (this.client === socket) this.client = null;
      });
    });
    // After a stop the converter comes back on the port it had, even if the caller asked for 0.
    const port = this.boundPort ?? tcp.port;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, tcp.host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    this.server = server;
  }

  private dropQueue(): void {
    this.counters.dropped += this.queue.length;
    this.queue.length = 0;
    if (this.sendTimer !== null) {
      // The frame that was crossing the line is cut off too.
      this.counters.dropped++;
      clearTimeout(this.sendTimer);
      this.sendTimer = null;
    }
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    this.parser.reset();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.handle(this.parser.push(chunk));
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.parser.pending > 0) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        this.handle(this.parser.flush());
      }, this.options.idleFlushMs);
    }
  };

  private handle(frames: ReturnType<CardFrameParser['push']>): void {
    for (const f of frames) if (f.type === 'page') this.emit('command', f);
  }
}
