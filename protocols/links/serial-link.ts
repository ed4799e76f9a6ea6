// RS-485/RS-232 transport on serialport 13. A fresh SerialPort per open(): after an unplug the old
// file descriptor is dead (peer-failures #11/#12), so nothing of it is reused.
// Never calls SerialPort.list(): it spawns udevadm and crashes the process where that is missing.
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { deviceIdentity, watchDevicePresence } from './device-presence.js';
import { LinkError, type Link } from './link.js';

export type Parity = 'none' | 'even' | 'odd';

export interface SerialLinkOptions {
  /** Prefer /dev/serial/by-id/...: USB adapters re-enumerate after a replug. */
  path: string;
  baudRate: number;
  parity?: Parity;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  /** Exclusive open, so a second process cannot share the bus by accident. */
  lock?: boolean;
  /** How often to check that the path still leads to the opened device (unplug detection); 0 = never. */
  presenceCheckMs?: number;
}

export const SERIAL_LINK_DEFAULTS = {
  parity: 'none',
  dataBits: 8,
  stopBits: 1,
  lock: true,
  presenceCheckMs: 500,
} as const satisfies Partial<SerialLinkOptions>;

const PARITY_LETTER: Record<Parity, string> = { none: 'N', even: 'E', odd: 'O' };

export class SerialLink extends EventEmitter implements Link {
  readonly description: string;
  readonly options: Readonly<Required<SerialLinkOptions>>;
  private port: SerialPort | null = null;
  private opening: Promise<void> | null = null;

  constructor(options: SerialLinkOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`SerialLink options must be an object, got ${String(options)}`);
    const o = { ...SERIAL_LINK_DEFAULTS, ...options };
    if (typeof o.path !== 'string' || o.path.length === 0) throw new TypeError(`SerialLink path must be a non-empty string, got ${String(o.path)}`);
    if (!Number.isInteger(o.baudRate) || o.baudRate <= 0) throw new TypeError(`SerialLink baudRate must be a positive integer, got ${String(o.baudRate)}`);
    if (!(o.parity in PARITY_LETTER)) throw new TypeError(`SerialLink parity must be none, even or odd, got ${String(o.parity)}`);
    if (o.dataBits !== 7 && o.dataBits !== 8) throw new TypeError(`SerialLink dataBits must be 7 or 8, got ${String(o.dataBits)}`);
    if (o.stopBits !== 1 && o.stopBits !== 2) throw new TypeError(`SerialLink stopBits must be 1 or 2, got ${String(o.stopBits)}`);
    if (!Number.isFinite(o.presenceCheckMs) || o.presenceCheckMs < 0) {
      throw new TypeError(`SerialLink presenceCheckMs must be >= 0, got ${String(o.presenceCheckMs)}`);
    }
    this.options = o;
    this.description = `serial ${o.path} ${o.baudRate} ${o.dataBits}${PARITY_LETTER[o.parity]}${o.stopBits}`;
  }

  get isOpen(): boolean {
    return this.port !== null && this.port.isOpen;
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    if (this.opening) return this.opening;
    const o = this.options;
    const port = new SerialPort({
      path: o.path,
      baudRate: o.baudRate,
      parity: o.parity,
      dataBits: o.dataBits,
      stopBits: o.stopBits,
      lock: o.lock,
      autoOpen: false,
    });
    // serialport emits 'error' for failures with no callback; an unhandled 'error' would crash the gateway.
    port.on('error', () => undefined);
    this.opening = new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          this.opening = null;
          reject(new LinkError('open-failed', this.description, err.message, err));
          return;
        }
        // Identify the device right after opening, so a later replug under the same path is noticed.
        deviceIdentity(o.path).then(
          (identity) => {
            this.opening = null;
            this.attach(port, identity);
            resolve();
          },
          (statErr: Error) => {
            this.opening = null;
            port.close(() => undefined);
            reject(new LinkError('open-failed', this.description, `opened but cannot stat: ${statErr.message}`, statErr));
          },
        );
      });
    });
    return this.opening;
  }

  private attach(port: SerialPort, identity: { rdev: number; ino: number }): void {
    this.port = port;
    let lastError: Error | undefined;
    // Read/write errors leave the port in an unknown state: close it so the master reopens cleanly.
    const fail = (err: Error) => {
      lastError ??= err;
      if (port.isOpen) port.close(() => undefined);
    };
    const stopWatching =
      this.options.presenceCheckMs > 0 ? watchDevicePresence(this.options.path, identity, this.options.presenceCheckMs, fail) : () => undefined;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('error', fail);
    port.once('close', (err?: Error | null) => {
      stopWatching();
      if (this.port !== port) return;
      this.port = null;
      port.removeAllListeners('data');
      this.emit('close', lastError ?? err ?? undefined);
    });
  }

  close(): Promise<void> {
    const port = this.port;
    if (!port) return this.opening ? this.opening.then(() => this.close(), () => undefined) : Promise.resolve();
    return new Promise<void>((resolve) => {
      port.once('close', () => resolve());
      if (port.isOpen) {
        port.close((err) => {
          // A close error means the fd is already gone; the 'close' event still ends the session.
          if (err && this.port === port) {
            this.port = null;
            this.emit('close', err);
            resolve();
          }
        });
      }
    });
  }

  write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port || !port.isOpen) return Promise.reject(new LinkError('not-open', this.description, 'write while the port is closed'));
    return new Promise<void>((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(new LinkError('write-failed', this.description, err.message, err)) : resolve()));
    });
  }
}
