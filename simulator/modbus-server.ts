// The simulated slave side of a bus: hosts SlaveDevices behind Modbus TCP, RTU-over-TCP or a real
// (pseudo-)serial port, checks framing like a real slave (bad CRC → silence), applies the devices'
// wire faults, and adds real line time on serial endpoints because a PTY does not emulate baud rate.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { deviceIdentity, watchDevicePresence } from '../protocols/links/device-presence.js';
import { ModbusError } from '../protocols/modbus/errors.js';
import { lineTimeMs, type SerialCharacterFormat } from '../protocols/modbus/line-timing.js';
import { encodeMbapFrame, MbapReader } from '../protocols/modbus/mbap-framing.js';
import { decodeRequest, encodeResponse } from '../protocols/modbus/pdu.js';
import { buildRtuFrame, RtuRequestReader } from '../protocols/modbus/rtu-framing.js';
import { ExceptionCode, type SlaveDevice, type SlaveRequest, type SlaveResponse, type WireFault } from '../protocols/modbus/types.js';

export type ServerEndpoint =
  | { type: 'tcp'; host?: string; port: number }
  | { type: 'rtu-over-tcp'; host?: string; port: number; baudRate?: number }
  | { type: 'rtu-serial'; path: string; baudRate: number; parity?: 'none' | 'even' | 'odd'; dataBits?: 7 | 8; stopBits?: 1 | 2 };

export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  parity: 'none',
  dataBits: 8,
  stopBits: 1,
  /** A killed PTY does not always wake a pending read; the path is checked this often. */
  presenceCheckMs: 200,
} as const;

/** Emitted as 'request' for every well-framed request, before the reply (if any) is scheduled. */
export interface ServerRequestEvent {
  unit: number;
  /** Decoded request, or null when the PDU itself is malformed. */
  request: SlaveRequest | null;
  /** The device's wire fault for this request, null when it answers normally or is not hosted. */
  fault: WireFault | null;
  hosted: boolean;
}

/**
 * A byte stream from one master that is not a socket the server accepted: e.g. a MemoryConnection
 * (protocols/links/memory-link.ts), so unit tests run the real slave code without a port.
 * Events: 'data' (Buffer), 'close'.
 */
export interface ServedStream {
  write(bytes: Buffer): void;
  readonly alive: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** One place replies go back to: a TCP socket, or the serial port. */
interface Sink {
  write(bytes: Buffer): void;
  readonly alive: boolean;
}

const WRITE_FUNCTIONS: ReadonlySet<number> = new Set([0x05, 0x06, 0x0f, 0x10]);

/**
 * Events: 'request' (ServerRequestEvent), 'close' (err | undefined — serial endpoint only: the port
 * vanished, e.g. the PTY was killed; start() may be called again once it is back).
 */
export class ModbusSlaveServer extends EventEmitter {
  readonly endpoint: ServerEndpoint;
  private readonly devices = new Map<number, SlaveDevice>();
  private readonly lineFormat: SerialCharacterFormat | null;
  private readonly rtu: boolean;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private port: SerialPort | null = null;
  private serialSink: Sink | null = null;
  private serialIdentity: { rdev: number; ino: number } | null = null;
  private readonly replyTimers = new Set<NodeJS.Timeout>();
  private requestCount = 0;

  constructor(endpoint: ServerEndpoint, devices: SlaveDevice[] = []) {
    super();
    this.endpoint = validateEndpoint(endpoint);
    this.rtu = endpoint.type !== 'tcp';
    if (endpoint.type === 'rtu-serial') {
      this.lineFormat = {
        baudRate: endpoint.baudRate,
        parity: endpoint.parity ?? SERVER_DEFAULTS.parity,
        dataBits: endpoint.dataBits ?? SERVER_DEFAULTS.dataBits,
        stopBits: endpoint.stopBits ?? SERVER_DEFAULTS.stopBits,
      };
    } else if (endpoint.type === 'rtu-over-tcp' && endpoint.baudRate !== undefined) {
      this.lineFormat = { baudRate: endpoint.baudRate };
    } else {
      this.lineFormat = null;
    }
    if (!Array.isArray(devices)) throw new TypeError(`devices must be an array, got ${String(devices)}`);
    for (const d of devices) this.addDevice(d);
  }

  /** Count of well-framed requests seen (any unit, including ones this server does not host). */
  get requests(): number {
    return this.requestCount;
  }

  get isRunning(): boolean {
    return this.server !== null || this.port !== null;
  }

  addDevice(device: SlaveDevice): void {
    if (!device || typeof device.handle !== 'function') throw new TypeError(`device must implement SlaveDevice.handle, got ${String(device)}`);
    if (!Number.isInteger(device.unit) || device.unit < 1 || device.unit > 247) throw new TypeError(`device unit must be an integer 1..247, got ${String(device.unit)}`);
    if (this.devices.has(device.unit)) throw new TypeError(`unit ${device.unit} is already hosted on this bus`);
    this.devices.set(device.unit, device);
  }

  removeDevice(unit: number): void {
    this.devices.delete(unit);
  }

  async start(): Promise<{ port?: number }> {
    await this.dropVanishedSerialPort();
    if (this.isRunning) throw new Error(`server on ${describeEndpoint(this.endpoint)} is already running`);
    const ep = this.endpoint;
    if (ep.type === 'rtu-serial') {
      await this.openSerial(ep);
      return {};
    }
    const server = net.createServer((socket) => this.acceptSocket(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ep.port, ep.host ?? SERVER_DEFAULTS.host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    this.server = server;
    return { port: (server.address() as net.AddressInfo).port };
  }

  async stop(): Promise<void> {
    for (const t of this.replyTimers) clearTimeout(t);
    this.replyTimers.clear();
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
      this.serialSink = null;
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    }
  }

  /** A replug can come faster than the presence check: if the path names another device now, let go of the old one. */
  private async dropVanishedSerialPort(): Promise<void> {
    const port = this.port;
    if (port === null || this.endpoint.type !== 'rtu-serial' || this.serialIdentity === null) return;
    const was = this.serialIdentity;
    const now = await deviceIdentity(this.endpoint.path).catch(() => null);
    if (now !== null && now.rdev === was.rdev && now.ino === was.ino) return;
    const closed = new Promise<void>((resolve) => port.once('close', () => resolve()));
    if (port.isOpen) port.close(() => undefined);
    await closed;
  }

  /** Puts raw bytes on the line (garbage, foreign frames): to every connected client on TCP endpoints. */
  inject(bytes: Buffer): void {
    if (this.serialSink) this.serialSink.write(bytes);
    for (const s of this.sockets) if (!s.destroyed) s.write(bytes);
  }

  // ---------------------------------------------------------------- transports

  private openSerial(ep: Extract<ServerEndpoint, { type: 'rtu-serial' }>): Promise<void> {
    const port = new SerialPort({
      path: ep.path,
      baudRate: ep.baudRate,
      parity: ep.parity ?? SERVER_DEFAULTS.parity,
      dataBits: ep.dataBits ?? SERVER_DEFAULTS.dataBits,
      stopBits: ep.stopBits ?? SERVER_DEFAULTS.stopBits,
      autoOpen: false,
    });
    port.on('error', () => undefined);
    return new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(new Error(`cannot open ${ep.path}: ${err.message}`, { cause: err }));
          return;
        }
        deviceIdentity(ep.path).then(
          (identity) => {
            this.attachSerial(port, ep.path, identity);
            resolve();
          },
          (statErr: Error) => {
            port.close(() => undefined);
            reject(new Error(`cannot stat ${ep.path}: ${statErr.message}`, { cause: statErr }));
          },
        );
      });
    });
  }

  private attachSerial(port: SerialPort, path: string, identity: { rdev: number; ino: number }): void {
    let closeReason: Error | undefined;
    const fail = (e: Error) => {
      closeReason ??= e;
      if (port.isOpen) port.close(() => undefined);
    };
    const stopWatching = watchDevicePresence(path, identity, SERVER_DEFAULTS.presenceCheckMs, fail);
    const sink: Sink = {
      write: (bytes) => {
        if (port.isOpen) port.write(bytes);
      },
      get alive() {
        return port.isOpen;
      },
    };
    const reader = new RtuRequestReader((unit, pdu) => this.onRequest(unit, pdu, sink, 0));
    port.on('data', (chunk: Buffer) => reader.push(chunk));
    port.on('error', fail);
    port.once('close', (closeErr?: Error | null) => {
      stopWatching();
      if (this.port !== port) return;
      this.port = null;
      this.serialSink = null;
      for (const t of this.replyTimers) clearTimeout(t);
      this.replyTimers.clear();
      this.emit('close', closeReason ?? closeErr ?? undefined);
    });
    this.port = port;
    this.serialSink = sink;
    this.serialIdentity = identity;
  }

  private acceptSocket(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
    const sink: Sink = {
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      get alive() {
        return !socket.destroyed;
      },
    };
    this.readFrom(sink, (onChunk) => socket.on('data', onChunk));
  }

  /**
   * Serves one master over a stream that is not a TCP socket (an in-memory link in unit tests),
   * with this endpoint's framing, faults and line time. The endpoint need not be started.
   */
  serve(stream: ServedStream): void {
    const sink: Sink = {
      write: (bytes) => {
        if (stream.alive) stream.write(bytes);
      },
      get alive() {
        return stream.alive;
      },
    };
    this.readFrom(sink, (onChunk) => stream.on('data', onChunk));
  }

  private readFrom(sink: Sink, subscribe: (onChunk: (chunk: Buffer) => void) => void): void {
    if (this.rtu) {
      const reader = new RtuRequestReader((unit, pdu) => this.onRequest(unit, pdu, sink, 0));
      subscribe((chunk) => reader.push(chunk));
    } else {
      const reader = new MbapReader((tid, unit, pdu) => this.onRequest(unit, Buffer.from(pdu), sink, tid));
      subscribe((chunk) => reader.push(chunk));
    }
  }

  // ---------------------------------------------------------------- request handling

  private onRequest(unit: number, pdu: Buffer, sink: Sink, tid: number): void {
    this.requestCount++;
    let request: SlaveRequest | null = null;
    let replyPdu: Buffer | null = null;
    try {
      request = decodeRequest(pdu);
    } catch (err) {
      // A malformed request gets the exception a real slave sends (01/02/03), else silence.
      if (err instanceof ModbusError && err.exceptionCode !== undefined) replyPdu = Buffer.from([(pdu[0] ?? 0) | 0x80, err.exceptionCode]);
    }

    if (this.rtu && unit === 0) {
      // Broadcast: every device executes writes; nobody answers.
      if (request !== null && WRITE_FUNCTIONS.has(request.fn)) for (const d of this.devices.values()) this.execute(d, request);
      this.emit('request', { unit, request, fault: null, hosted: false } satisfies ServerRequestEvent);
      return;
    }

    const device = this.devices.get(unit);
    if (!device) {
      this.emit('request', { unit, request, fault: null, hosted: false } satisfies ServerRequestEvent);
      // On a serial bus an absent slave is silent; a TCP gateway says its target did not respond.
      if (!this.rtu) this.reply(sink, tid, unit, Buffer.from([(pdu[0] ?? 0) | 0x80, ExceptionCode.GatewayTargetFailedToRespond]), pdu.length, null, 0);
      return;
    }
    const fault = device.wireFault?.() ?? null;
    this.emit('request', { unit, request, fault, hosted: true } satisfies ServerRequestEvent);
    if (request !== null) {
      const response = this.execute(device, request);
      try {
        replyPdu = encodeResponse(request, response);
      } catch {
        replyPdu = Buffer.from([request.fn | 0x80, ExceptionCode.ServerDeviceFailure]);
      }
    }
    if (replyPdu === null || fault === 'no-response') return;
    const delay = device.responseDelayMs?.() ?? 0;
    this.reply(sink, tid, unit, replyPdu, pdu.length, fault, Number.isFinite(delay) && delay > 0 ? delay : 0);
  }

  private execute(device: SlaveDevice, request: SlaveRequest): SlaveResponse {
    try {
      return device.handle(request);
    } catch {
      return { kind: 'exception', code: ExceptionCode.ServerDeviceFailure };
    }
  }

  private reply(sink: Sink, tid: number, unit: number, pdu: Buffer, requestPduLength: number, fault: WireFault | null, deviceDelayMs: number): void {
    let frame: Buffer;
    if (fault === 'wrong-function') {
      pdu = Buffer.from(pdu);
      // Same shape, another function: a read of the other register table, or a read instead of a write.
      pdu[0] = (pdu[0]! & 0x80) | ((pdu[0]! & 0x7f) === 0x03 ? 0x04 : 0x03);
    }
    const replyUnit = fault === 'wrong-unit' ? (unit % 247) + 1 : unit;
    if (this.rtu) {
      frame = buildRtuFrame(replyUnit, pdu);
      if (fault === 'crc-error') frame[frame.length - 1]! ^= 0xff;
    } else {
      frame = encodeMbapFrame(tid, replyUnit, pdu);
      // TCP has no CRC: the nearest corruption is a header the master must refuse (protocol id ≠ 0).
      if (fault === 'crc-error') frame[3] = 0x01;
    }
    if (fault === 'garbage') frame = randomBytes(frame.length);
    // A reply cut short (a converter that lost the end of it): only its first half is sent.
    if (fault === 'truncate') frame = frame.subarray(0, Math.floor(frame.length / 2));

    // The request (unit + PDU + CRC) and the reply both cross the line at the configured speed.
    const lineMs = this.lineFormat ? lineTimeMs(requestPduLength + 3 + frame.length, this.lineFormat) : 0;
    const delay = lineMs + deviceDelayMs;
    if (delay <= 0) {
      sink.write(frame);
      return;
    }
    const timer = setTimeout(() => {
      this.replyTimers.delete(timer);
      if (sink.alive) sink.write(frame);
    }, delay);
    this.replyTimers.add(timer);
  }
}

function describeEndpoint(ep: ServerEndpoint): string {
  return ep.type === 'rtu-serial' ? `serial ${ep.path}` : `${ep.type} ${ep.host ?? SERVER_DEFAULTS.host}:${ep.port}`;
}

function validateEndpoint(ep: ServerEndpoint): ServerEndpoint {
  if (ep === null || typeof ep !== 'object') throw new TypeError(`endpoint must be an object, got ${String(ep)}`);
  switch (ep.type) {
    case 'tcp':
    case 'rtu-over-tcp':
      if (!Number.isInteger(ep.port) || ep.port < 0 || ep.port > 65535) throw new TypeError(`endpoint port must be an integer 0..65535, got ${String(ep.port)}`);
      if (ep.type === 'rtu-over-tcp' && ep.baudRate !== undefined && (!Number.isInteger(ep.baudRate) || ep.baudRate <= 0)) {
        throw new TypeError(`endpoint baudRate must be a positive integer, got ${String(ep.baudRate)}`);
      }
      return ep;
    case 'rtu-serial':
      if (typeof ep.path !== 'string' || ep.path.length === 0) throw new TypeError(`endpoint path must be a non-empty string, got ${String(ep.path)}`);
      if (!Number.isInteger(ep.baudRate) || ep.baudRate <= 0) throw new TypeError(`endpoint baudRate must be a positive integer, got ${String(ep.baudRate)}`);
      if (ep.parity !== undefined && !['none', 'even', 'odd'].includes(ep.parity)) throw new TypeError(`endpoint parity must be none, even or odd, got ${String(ep.parity)}`);
      if (ep.dataBits !== undefined && ep.dataBits !== 7 && ep.dataBits !== 8) throw new TypeError(`endpoint dataBits must be 7 or 8, got ${String(ep.dataBits)}`);
      if (ep.stopBits !== undefined && ep.stopBits !== 1 && ep.stopBits !== 2) throw new TypeError(`endpoint stopBits must be 1 or 2, got ${String(ep.stopBits)}`);
      return ep;
    default:
      throw new TypeError(`endpoint type must be tcp, rtu-over-tcp or rtu-serial, got ${String((ep as { type?: unknown }).type)}`);
  }
}
