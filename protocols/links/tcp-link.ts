// TCP transport for Modbus TCP and for RTU through a serial-to-Ethernet converter.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { LinkError, type Link } from './link.js';

export interface TcpLinkOptions {
  host: string;
  port: number;
  /** Give up connecting after this long (a dead converter must not hang the bus). */
  connectTimeoutMs: number;
  /** Idle time before TCP keep-alive probes start; finds half-open connections. */
  keepAliveDelayMs?: number;
}

export const TCP_LINK_DEFAULTS = {
  keepAliveDelayMs: 5_000,
} as const;

export class TcpLink extends EventEmitter implements Link {
  readonly description: string;
  private readonly options: Required<TcpLinkOptions>;
  private socket: net.Socket | null = null;
  private opening: Promise<void> | null = null;
  private connected = false;

  constructor(options: TcpLinkOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`TcpLink options must be an object, got ${String(options)}`);
    if (typeof options.host !== 'string' || options.host.length === 0) throw new TypeError(`TcpLink host must be a non-empty string, got ${String(options.host)}`);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new TypeError(`TcpLink port must be an integer 1..65535, got ${String(options.port)}`);
    if (!Number.isFinite(options.connectTimeoutMs) || options.connectTimeoutMs <= 0) {
      throw new TypeError(`TcpLink connectTimeoutMs must be a positive number, got ${String(options.connectTimeoutMs)}`);
    }
    this.options = { ...TCP_LINK_DEFAULTS, ...options };
    if (!Number.isFinite(this.options.keepAliveDelayMs) || this.options.keepAliveDelayMs < 0) {
      throw new TypeError(`TcpLink keepAliveDelayMs must be >= 0, got ${String(this.options.keepAliveDelayMs)}`);
    }
    this.description = `tcp ${options.host}:${options.port}`;
  }

  get isOpen(): boolean {
    return this.connected;
  }

  open(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.opening) return this.opening;
    this.opening = new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: this.options.host, port: this.options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        fail(new LinkError('connect-timeout', this.description, `no connection within ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      const fail = (err: LinkError) => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.destroy();
        this.opening = null;
        reject(err);
      };
      socket.once('error', (err) => fail(new LinkError('open-failed', this.description, err.message, err)));
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        socket.setKeepAlive(true, this.options.keepAliveDelayMs);
        this.attach(socket);
        this.opening = null;
        resolve();
      });
    });
    return this.opening;
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.connected = true;
    let lastError: Error | undefined;
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('error', (err) => {
      lastError = err;
    });
    // The peer closed its side: a Modbus peer never half-closes, so the session is over.
    socket.on('end', () => socket.destroy());
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.connected = false;
      this.emit('close', lastError);
    });
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return this.opening ? this.opening.then(() => this.close(), () => undefined) : Promise.resolve();
    return new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  write(bytes: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.connected) return Promise.reject(new LinkError('not-open', this.description, 'write while the link is closed'));
    return new Promise<void>((resolve, reject) => {
      socket.write(bytes, (err) => (err ? reject(new LinkError('write-failed', this.description, err.message, err)) : resolve()));
    });
  }
}
