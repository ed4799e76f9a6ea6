// A fake IoTize Tap for tests and the bench: variables as bytes, answering Tap APDUs decoded and
// encoded with @iotize/tap's own codecs (so the request/response bytes are the library's), framed
// as a Wi-Fi TapNLink frames them on TCP ('iotize-socket': the APDU as is, one reply per request in
// one write), or in minegate's own 2-byte length framing ('length-prefixed', for a bridge; the only
// one offered on a serial port, a socat PTY in tests). A fake is a fake: see README "IoTize Tap".
// It replies asynchronously on purpose: a reply that arrives before the client starts listening
// is the classic way to lose it (libraries.md §4).
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import type * as TapClientApi from '@iotize/tap/client/api';
import type * as TapClientImpl from '@iotize/tap/client/impl';
import { SerialPort } from 'serialport';
import { encodeFrame, FrameReader } from '../protocols/iotize/length-prefixed-frames.js';
import { SocketRequestReader } from '../protocols/iotize/socket-apdu-frames.js';

const require = createRequire(import.meta.url);
const impl = require('@iotize/tap/client/impl') as typeof TapClientImpl;
const clientApi = require('@iotize/tap/client/api') as typeof TapClientApi;

export type FakeTapEndpoint = { type: 'tcp'; host?: string; port: number } | { type: 'serial'; path: string; baudRate?: number };

export interface FakeTapOptions {
  /** Variables at start, by id. */
  variables?: Record<number, Uint8Array>;
  /** Ids a client may not write (answered 0x85 method not allowed). */
  readOnly?: number[];
  /** Delay before each reply, ms (> 0: see the note at the top). */
  replyDelayMs?: number;
  /** Default: 'iotize-socket' on TCP, 'length-prefixed' on serial. */
  framing?: 'iotize-socket' | 'length-prefixed';
}

export const FAKE_TAP_DEFAULTS = {
  host: '127.0.0.1',
  replyDelayMs: 2,
  baudRate: 115200,
} as const;

/** Emitted as 'request' for every APDU: method and path as the library prints them, e.g. "GET /1029/3/4". */
export interface FakeTapRequest {
  method: 'GET' | 'POST' | 'PUT' | string;
  path: string;
  payload: Uint8Array;
  status: number;
}

const VARIABLE_OBJECT = 1029;
const VALUE_RESOURCE = 4;
const SET_VALUE_RESOURCE = 5;

export class FakeTap extends EventEmitter {
  readonly endpoint: FakeTapEndpoint;
  private readonly variables = new Map<number, Uint8Array>();
  private readonly readOnly: Set<number>;
  private replyDelayMs: number;
  readonly framing: 'iotize-socket' | 'length-prefixed';
  private server: net.Server | null = null;
  private port: SerialPort | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private silent = false;
  /** Every request seen, in order. */
  readonly requests: FakeTapRequest[] = [];

  constructor(endpoint: FakeTapEndpoint, options: FakeTapOptions = {}) {
    super();
    if (!endpoint || (endpoint.type !== 'tcp' && endpoint.type !== 'serial')) throw new TypeError(`FakeTap endpoint must be {type:'tcp'|'serial'}, got ${JSON.stringify(endpoint)}`);
    const delay = options.replyDelayMs ?? FAKE_TAP_DEFAULTS.replyDelayMs;
    if (!Number.isFinite(delay) || delay < 0) throw new TypeError(`FakeTap replyDelayMs must be >= 0, got ${String(options.replyDelayMs)}`);
    this.endpoint = endpoint;
    this.replyDelayMs = delay;
    this.framing = options.framing ?? (endpoint.type === 'tcp' ? 'iotize-socket' : 'length-prefixed');
    if (this.framing !== 'iotize-socket' && this.framing !== 'length-prefixed') throw new TypeError(`FakeTap framing must be iotize-socket or length-prefixed, got ${String(options.framing)}`);
    this.readOnly = new Set(options.readOnly ?? []);
    for (const [id, bytes] of Object.entries(options.variables ?? {})) this.setVariable(Number(id), bytes);
  }

  setVariable(id: number, bytes: Uint8Array): void {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new TypeError(`FakeTap variable id must be 0..65535, got ${String(id)}`);
    this.variables.set(id, new Uint8Array(bytes));
  }

  getVariable(id: number): Uint8Array | undefined {
    return this.variables.get(id);
  }

  /** Delay before each reply from now on, ms. */
  setReplyDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`FakeTap reply delay must be >= 0 ms, got ${String(ms)}`);
    this.replyDelayMs = ms;
  }

  /** While on, requests are received but never answered (a hung Tap). */
  setSilent(on: boolean): void {
    this.silent = on;
  }

  async start(): Promise<{ port?: number }> {
    if (this.server || this.port) throw new Error('FakeTap already started');
    const ep = this.endpoint;
    if (ep.type === 'serial') {
      const port = new SerialPort({ path: ep.path, baudRate: ep.baudRate ?? FAKE_TAP_DEFAULTS.baudRate, autoOpen: false, lock: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      port.on('error', () => undefined);
      this.port = port;
      this.attach((bytes) => port.write(bytes), (fn) => port.on('data', fn));
      return {};
    }
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      this.attach((bytes) => socket.write(bytes), (fn) => socket.on('data', fn), () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ep.port, ep.host ?? FAKE_TAP_DEFAULTS.host, () => resolve());
    });
    this.server = server;
    return { port: (server.address() as net.AddressInfo).port };
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (server) {
      this.server = null;
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const port = this.port;
    if (port) {
      this.port = null;
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    }
  }

  private attach(send: (bytes: Buffer) => void, onData: (fn: (chunk: Buffer) => void) => void, drop?: () => void): void {
    const socketFraming = this.framing === 'iotize-socket';
    const reader = new FrameReader();
    const requests = new SocketRequestReader();
    onData((chunk) => {
      let frames: Uint8Array[];
      try {
        frames = socketFraming ? requests.push(chunk) : reader.push(chunk);
      } catch {
        reader.clear();
        drop?.();
        return;
      }
      for (const frame of frames) {
        const reply = this.answer(frame);
        if (this.silent) continue;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send(socketFraming ? Buffer.from(reply) : encodeFrame(reply));
        }, this.replyDelayMs);
        this.timers.add(timer);
      }
    });
  }

  /** One APDU in, one APDU out: the variable service's value resources, everything else refused. */
  private answer(apdu: Uint8Array): Uint8Array {
    const { ResultCode } = clientApi;
    let status: number = ResultCode.BAD_REQUEST;
    let data: Uint8Array | undefined;
    let method = '?';
    let path = '?';
    let payload: Uint8Array = new Uint8Array(0);
    try {
      const request = new impl.TapApduRequestConverter().decode(apdu);
      method = clientApi.TapRequestFrame.MethodType[request.header.methodType] ?? String(request.header.methodType);
      path = impl.TapRequestHelper.pathToString(request.header.path);
      payload = request.payload ?? new Uint8Array(0);
      const { objectId, objectInstanceId: id, resourceId } = request.header.path;
      if (objectId !== VARIABLE_OBJECT || id === undefined) {
        status = ResultCode.NOT_FOUND;
      } else if (method === 'GET' && resourceId === VALUE_RESOURCE) {
        const value = this.variables.get(id);
        if (value) [status, data] = [ResultCode.OK, value];
        else status = ResultCode.NOT_FOUND;
      } else if ((method === 'POST' && resourceId === SET_VALUE_RESOURCE) || (method === 'PUT' && resourceId === VALUE_RESOURCE)) {
        if (!this.variables.has(id)) status = ResultCode.NOT_FOUND;
        else if (this.readOnly.has(id)) status = ResultCode.METHOD_NOT_ALLOWED;
        else {
          this.variables.set(id, new Uint8Array(payload));
          status = ResultCode.OK;
        }
      } else {
        status = ResultCode.METHOD_NOT_ALLOWED;
      }
    } catch {
      status = ResultCode.BAD_REQUEST;
    }
    this.requests.push({ method, path, payload, status });
    this.emit('request', { method, path, payload, status } satisfies FakeTapRequest);
    const frame = status === ResultCode.OK ? impl.TapResponseFrameBuilder.SUCCESS(data) : impl.TapResponseFrameBuilder.ERROR(status);
    return new impl.TapApduResponseConverter().encode(frame);
  }
}
