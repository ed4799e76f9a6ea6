// The CLI end of the control channel: connects to <data-dir>/control.sock, sends requests one
// line each and matches the answers. Every failure is a ControlError with a code: NO_GATEWAY when
// nothing runs there, TIMEOUT when the gateway does not answer, or the gateway's own code.
import net from 'node:net';
import { resolve } from 'node:path';
import { ControlError } from './errors.js';
import { type ControlAuth, type ControlRequest, controlSocketPath, LineSplitter, parseResponse } from './protocol.js';

export interface ControlClientOptions {
  /** Default time a request may take, connection included. */
  timeoutMs?: number;
}

export const CONTROL_CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
} as const;

export interface RequestOptions {
  auth?: ControlAuth;
  /** This request only (a relay pulse or a long wait takes longer than a status read). */
  timeoutMs?: number;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: ControlError) => void;
  timer: NodeJS.Timeout;
}

export class ControlClient {
  readonly dataDir: string;
  readonly socketPath: string;
  private readonly timeoutMs: number;
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(dataDir: string, opts: ControlClientOptions = {}) {
    if (typeof dataDir !== 'string' || dataDir.trim() === '') throw new TypeError(`ControlClient: dataDir must be a directory path, got ${JSON.stringify(dataDir)}`);
    this.timeoutMs = opts.timeoutMs ?? CONTROL_CLIENT_DEFAULTS.timeoutMs;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1) throw new TypeError(`ControlClient: timeoutMs must be a positive integer, got ${String(opts.timeoutMs)}`);
    this.dataDir = resolve(dataDir);
    this.socketPath = controlSocketPath(this.dataDir);
  }

  /** Send one command; resolves with its result or rejects with a ControlError. */
  async request<T = unknown>(command: string, args: Record<string, unknown> = {}, opts: RequestOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError(`ControlClient.request: timeoutMs must be a positive integer, got ${String(opts.timeoutMs)}`);
    const deadline = Date.now() + timeoutMs;
    const socket = await this.connect(timeoutMs);
    const id = this.nextId++;
    const request: ControlRequest = { id, command, args };
    if (opts.auth) request.auth = opts.auth;
    return new Promise<T>((resolveResult, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new ControlError('TIMEOUT', `the gateway on ${this.dataDir} did not answer "${command}" within ${timeoutMs} ms`));
          // Later answers would arrive out of step: start over on a new connection.
          this.drop();
        },
        Math.max(1, deadline - Date.now()),
      );
      this.pending.set(id, { resolve: resolveResult as (r: unknown) => void, reject, timer });
      socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.drop();
    this.failAll(new ControlError('CONNECTION_LOST', 'the control client was closed'));
  }

  private connect(timeoutMs: number): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolveSocket, reject) => {
      const socket = net.createConnection(this.socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ControlError('TIMEOUT', `the gateway on ${this.dataDir} did not accept a connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onConnectError);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          if (this.socket === socket) this.socket = undefined;
          this.failAll(new ControlError('CONNECTION_LOST', `the gateway on ${this.dataDir} closed the control connection (stopping or crashed)`));
        });
        const splitter = new LineSplitter(
          (line) => this.onLine(line),
          () => {
            this.failAll(new ControlError('BAD_RESPONSE', 'gateway answer line too long'));
            socket.destroy();
          },
        );
        socket.on('data', (chunk) => splitter.push(chunk));
        this.socket = socket;
        resolveSocket(socket);
      });
      const onConnectError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        reject(this.connectError(err));
      };
      socket.once('error', onConnectError);
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private connectError(err: NodeJS.ErrnoException): ControlError {
    switch (err.code) {
      case 'ENOENT':
        return new ControlError('NO_GATEWAY', `no gateway is running on ${this.dataDir} (no control socket): start it with minegate run`);
      case 'ECONNREFUSED':
        return new ControlError('NO_GATEWAY', `no gateway is running on ${this.dataDir} (its control socket is stale: nobody answers): start it with minegate run`);
      case 'EACCES':
        return new ControlError('NO_GATEWAY', `permission denied on ${this.socketPath}: run as the gateway's user or a member of its group`);
      default:
        return new ControlError('NO_GATEWAY', `cannot reach the gateway on ${this.dataDir}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '));
    }
  }

  private onLine(line: string): void {
    let response;
    try {
      response = parseResponse(line);
    } catch (err) {
      this.failAll(err as ControlError);
      this.drop();
      return;
    }
    const id = typeof response.id === 'number' ? response.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending) {
      // An answer with no id is the server rejecting the line itself: it concerns the oldest request.
      if (response.id === null && !response.ok) this.failAll(new ControlError(response.error.code, response.error.message, true));
      return;
    }
    this.pending.delete(id!);
    clearTimeout(pending.timer);
    if (response.ok) pending.resolve(response.result);
    else pending.reject(new ControlError(response.error.code, response.error.message, true));
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  private failAll(err: ControlError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }
}
