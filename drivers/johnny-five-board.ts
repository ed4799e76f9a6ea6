// A Firmata board (johnny-five 2.1) as an output driver plus the operator inputs next to it:
// relays for power outputs, an ACTIVE buzzer on a digital pin (never Piezo tones: they cost a full
// core, libraries.md §3), LED beacons, an acknowledge button and a key switch for the manual fan
// unlock. An explicit IO plugin is always passed (firmata-io in production, drivers/test-io.ts in
// tests): without it johnny-five auto-detects ports with the serialport v8 API and throws.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Backoff } from '../core/backoff.js';
import type { OutputDriver } from './output-driver.js';

const require = createRequire(import.meta.url);

/** What johnny-five needs from an IO plugin (firmata-io's Firmata, TestIO). */
export interface IoPlugin extends EventEmitter {
  isReady: boolean;
  name?: string;
}

// Minimal typings of the johnny-five 2.1 classes used here (the package ships none).
interface FiveBoard extends EventEmitter {
  isReady: boolean;
}
interface FiveRelay {
  close(): unknown;
  open(): unknown;
  readonly isClosed: boolean;
}
interface FiveLed {
  on(): unknown;
  off(): unknown;
}
interface FivePin {
  high(): unknown;
  low(): unknown;
}
type FiveButton = EventEmitter;
interface FiveModule {
  Board: (new (opts: Record<string, unknown>) => FiveBoard) & { readonly cache: FiveBoard[] };
  Relay: new (opts: Record<string, unknown>) => FiveRelay;
  Led: new (opts: Record<string, unknown>) => FiveLed;
  Pin: new (opts: Record<string, unknown>) => FivePin;
  Button: new (opts: Record<string, unknown>) => FiveButton;
}

let fiveModule: FiveModule | undefined;
function five(): FiveModule {
  fiveModule ??= require('johnny-five') as FiveModule;
  return fiveModule;
}

export interface BoardOutputPin {
  pin: number | string;
  /** relay: Relay close()/open(); buzzer: active buzzer switched on a digital pin; led: beacon LED. */
  type: 'relay' | 'buzzer' | 'led';
  /** Relay contact type ('NC' inverts the pin level). */
  relayType?: 'NO' | 'NC';
}

export interface BoardInputPin {
  pin: number | string;
  /** Input with the internal pull-up: pressed reads LOW. */
  pullup?: boolean;
}

export interface UnlockKeyPin extends BoardInputPin {
  /** How long the key must stay turned (default JOHNNY_FIVE_BOARD_DEFAULTS.unlockHoldMs). */
  holdMs?: number;
  /** The local fan it unlocks and the identity the unlock is recorded under. */
  fan: string;
  operator: string;
}

export interface JohnnyFiveBoardOptions {
  id: string;
  io: IoPlugin;
  /** Channel name → pin. */
  outputs: Record<string, BoardOutputPin>;
  /** Silences the audible alarm ('acknowledge' event). */
  acknowledgeButton?: BoardInputPin;
  /** The special tool of interlock clause e: a key switch held for holdMs unlocks a fan lock ('unlock' event). One per fan. */
  unlockKeys?: UnlockKeyPin[];
  /** How long to wait for the board to report ready. */
  readyTimeoutMs?: number;
  /** refresh() probes a Firmata board (firmware query); no answer this long means offline. */
  livenessTimeoutMs?: number;
}

export const JOHNNY_FIVE_BOARD_DEFAULTS = {
  readyTimeoutMs: 10_000,
  livenessTimeoutMs: 2_000,
  unlockHoldMs: 2_000,
} as const;

export interface JohnnyFiveBoardEvents {
  acknowledge: [];
  unlock: [{ fan: string; operator: string }];
  offline: [Error];
  online: [];
}

type Actuator = { type: 'relay'; part: FiveRelay } | { type: 'buzzer'; part: FivePin } | { type: 'led'; part: FiveLed };

export class JohnnyFiveBoard extends EventEmitter<JohnnyFiveBoardEvents> implements OutputDriver {
  readonly id: string;
  private readonly board: FiveBoard;
  private readonly parts = new Map<string, Actuator>();
  private readonly states = new Map<string, boolean>();
  private readonly buttons: FiveButton[] = [];
  private readonly opts: JohnnyFiveBoardOptions;
  private readonly readyPromise: Promise<void>;
  private connected = false;
  private closed = false;
  private probe: NodeJS.Timeout | undefined;
  private cancelReady: (() => void) | undefined;

  constructor(opts: JohnnyFiveBoardOptions) {
    super();
    validate(opts);
    this.id = opts.id;
    this.opts = opts;
    // repl/debug off (no console takeover); sigint off: johnny-five would otherwise install a
    // SIGINT handler that force-exits the whole gateway.
    this.board = new (five().Board)({ io: opts.io, repl: false, debug: false, sigint: false, timeout: opts.readyTimeoutMs ?? JOHNNY_FIVE_BOARD_DEFAULTS.readyTimeoutMs });
    const timeoutMs = opts.readyTimeoutMs ?? JOHNNY_FIVE_BOARD_DEFAULTS.readyTimeoutMs;
    this.readyPromise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`board ${this.id}: not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = () => {
        cleanup();
        try {
          this.attach();
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.cancelReady = undefined;
        this.board.removeListener('ready', onReady);
        this.board.removeListener('error', onError);
        opts.io.removeListener('error', onError);
      };
      this.cancelReady = () => onError(new Error(`board ${this.id}: closed before it was ready`));
      this.board.once('ready', onReady);
      this.board.once('error', onError);
      // johnny-five listens to the IO's errors only once ready: a serial port that cannot be
      // opened would otherwise be an unhandled 'error' event, i.e. a crashed gateway.
      opts.io.once('error', onError);
    });
    // Never let an unhandled 'error' crash the process: it means offline.
    const offline = (err: unknown) => this.markOffline(err instanceof Error ? err : new Error(String(err)));
    this.board.on('error', offline);
    opts.io.on('error', offline);
    this.readyPromise.catch(() => undefined);
  }

  /** Resolves once the board is ready and every pin is set up; rejects on timeout or error. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  get online(): boolean {
    return this.connected && !this.closed;
  }

  /**
   * Firmata has no read-back of output pins, so "confirmed" means: the board is connected and the
   * write was handed to it without error.
   */
  async set(channel: string, on: boolean): Promise<boolean> {
    const actuator = this.parts.get(channel);
    if (!actuator) {
      if (!(channel in this.opts.outputs)) throw new TypeError(`JohnnyFiveBoard(${this.id}): no output channel "${channel}" (channels: ${Object.keys(this.opts.outputs).join(', ')})`);
      return false;
    }
    if (!this.online) return false;
    try {
      switch (actuator.type) {
        case 'relay':
          if (on) actuator.part.close();
          else actuator.part.open();
          break;
        case 'buzzer':
          if (on) actuator.part.high();
          else actuator.part.low();
          break;
        case 'led':
          if (on) actuator.part.on();
          else actuator.part.off();
          break;
      }
      this.states.set(channel, on);
      return true;
    } catch (err) {
      this.markOffline(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
  }

  state(channel: string): boolean | undefined {
    return this.online ? this.states.get(channel) : undefined;
  }

  /**
   * Liveness probe, called by the actuator about once a second: a Firmata firmware query whose
   * answer must come within livenessTimeoutMs, else the board is offline (a hung board, or a port
   * whose hang-up the reader did not notice). Never waits for the answer: resolves with what is
   * known now. IO plugins without the query (TestIO) count as alive while connected.
   */
  async refresh(): Promise<boolean> {
    if (!this.online) return false;
    const io = this.opts.io as { queryFirmware?: (callback: () => void) => void };
    if (typeof io.queryFirmware !== 'function' || this.probe) return this.online;
    const timeoutMs = this.opts.livenessTimeoutMs ?? JOHNNY_FIVE_BOARD_DEFAULTS.livenessTimeoutMs;
    this.probe = setTimeout(() => {
      this.probe = undefined;
      this.markOffline(new Error(`board ${this.id}: no answer to a firmware query within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      io.queryFirmware(() => {
        clearTimeout(this.probe);
        this.probe = undefined;
      });
    } catch (err) {
      clearTimeout(this.probe);
      this.probe = undefined;
      this.markOffline(err instanceof Error ? err : new Error(String(err)));
    }
    return this.online;
  }

  /**
   * Stop listening to the board and release its serial port. Outputs are left as they are (the
   * watchdog relay covers a dead gateway).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.probe);
    this.probe = undefined;
    this.cancelReady?.();
    for (const b of this.buttons) b.removeAllListeners();
    this.removeAllListeners('acknowledge');
    this.removeAllListeners('unlock');
    // johnny-five keeps every Board in a module-wide cache; a reconnecting gateway must not pile them up.
    const cache = five().Board.cache;
    const at = cache.indexOf(this.board);
    if (at >= 0) cache.splice(at, 1);
    // firmata-io keeps its serial port as `transport`; TestIO has none.
    const transport = (this.opts.io as { transport?: { isOpen?: boolean; close?: (cb?: (err?: Error | null) => void) => void } }).transport;
    if (transport && typeof transport.close === 'function' && transport.isOpen !== false) {
      try {
        transport.close(() => undefined);
      } catch {
        // Already closing or gone: nothing left to release.
      }
    }
  }

  private attach(): void {
    const f = five();
    const board = this.board;
    for (const [channel, out] of Object.entries(this.opts.outputs)) {
      if (out.type === 'relay') this.parts.set(channel, { type: 'relay', part: new f.Relay({ pin: out.pin, type: out.relayType ?? 'NO', board }) });
      else if (out.type === 'buzzer') this.parts.set(channel, { type: 'buzzer', part: new f.Pin({ pin: out.pin, type: 'digital', board }) });
      else this.parts.set(channel, { type: 'led', part: new f.Led({ pin: out.pin, board }) });
    }
    const ack = this.opts.acknowledgeButton;
    if (ack) {
      const button = new f.Button({ pin: ack.pin, isPullup: ack.pullup ?? false, board });
      button.on('press', () => this.emit('acknowledge'));
      this.buttons.push(button);
    }
    for (const key of this.opts.unlockKeys ?? []) {
      const button = new f.Button({ pin: key.pin, isPullup: key.pullup ?? false, holdtime: key.holdMs ?? JOHNNY_FIVE_BOARD_DEFAULTS.unlockHoldMs, board });
      // 'hold' repeats while the key stays turned: one unlock per turn of the key.
      let fired = false;
      button.on('hold', () => {
        if (fired) return;
        fired = true;
        this.emit('unlock', { fan: key.fan, operator: key.operator });
      });
      // A new turn of the key re-arms it even if its release was never reported (a lost
      // Firmata message must not make the key dead until the board restarts).
      button.on('press', () => {
        fired = false;
      });
      button.on('release', () => {
        fired = false;
      });
      this.buttons.push(button);
    }
    for (const type of ['close', 'disconnect'] as const) board.on(type, () => this.markOffline(new Error(`board ${this.id}: ${type}`)));
    this.connected = true;
    this.emit('online');
  }

  private markOffline(err: Error): void {
    if (!this.connected) return;
    this.connected = false;
    this.states.clear();
    this.emit('offline', err);
  }
}

export interface ReconnectingBoardOptions {
  id: string;
  /** A fresh board on a fresh IO (a new serial port open each time). */
  open: () => JohnnyFiveBoard;
  /** Delay before reopening a lost board: starts at min, doubles up to max. */
  reopenMinMs?: number;
  reopenMaxMs?: number;
}

export const RECONNECTING_BOARD_DEFAULTS = { reopenMinMs: 1_000, reopenMaxMs: 30_000 } as const;

/**
 * A board that comes back by itself: when it goes offline (unplugged, hung) or never gets ready,
 * it is closed and opened again with backoff, without restarting the gateway. Outputs written
 * while it is away are not confirmed; once it is back the actuator drives them again.
 */
export class ReconnectingBoard extends EventEmitter<JohnnyFiveBoardEvents> implements OutputDriver {
  readonly id: string;
  private board: JohnnyFiveBoard | undefined;
  private readonly open: () => JohnnyFiveBoard;
  /** No jitter: one panel board per serial port. */
  private readonly delay: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly firstReady: Promise<void>;
  private resolveFirst!: () => void;

  constructor(opts: ReconnectingBoardOptions) {
    super();
    if (!opts || typeof opts.id !== 'string' || opts.id === '') throw new TypeError(`ReconnectingBoard: id must be a non-empty string, got ${String(opts?.id)}`);
    if (typeof opts.open !== 'function') throw new TypeError(`ReconnectingBoard(${opts.id}): open must be a function returning a JohnnyFiveBoard`);
    this.id = opts.id;
    this.open = opts.open;
    const minMs = opts.reopenMinMs ?? RECONNECTING_BOARD_DEFAULTS.reopenMinMs;
    const maxMs = opts.reopenMaxMs ?? RECONNECTING_BOARD_DEFAULTS.reopenMaxMs;
    for (const [name, v] of [['reopenMinMs', minMs], ['reopenMaxMs', maxMs]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`ReconnectingBoard(${opts.id}): ${name} must be a positive integer, got ${String(v)}`);
    }
    this.delay = new Backoff({ initialMs: minMs, maxMs, jitter: 'none' });
    this.firstReady = new Promise((resolve) => (this.resolveFirst = resolve));
    this.connect();
  }

  /** Resolves the first time a board is ready (it may take several attempts). */
  ready(): Promise<void> {
    return this.firstReady;
  }

  get online(): boolean {
    return this.board?.online ?? false;
  }

  async set(channel: string, on: boolean): Promise<boolean> {
    return this.board ? this.board.set(channel, on) : false;
  }

  state(channel: string): boolean | undefined {
    return this.board?.state(channel);
  }

  async refresh(): Promise<boolean> {
    return this.board ? this.board.refresh() : false;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.board?.close();
    this.board = undefined;
  }

  private connect(): void {
    if (this.closed) return;
    let board: JohnnyFiveBoard;
    try {
      board = this.open();
    } catch (err) {
      this.lost(undefined, err);
      return;
    }
    this.board = board;
    board.on('online', () => {
      this.delay.reset();
      this.resolveFirst();
      this.emit('online');
    });
    board.on('offline', (err) => {
      this.emit('offline', err);
      this.lost(board, err);
    });
    board.on('acknowledge', () => this.emit('acknowledge'));
    board.on('unlock', (cmd) => this.emit('unlock', cmd));
    // Never ready (port missing, no Firmata answering): that is a loss too.
    board.ready().catch((err: unknown) => {
      if (this.board !== board) return;
      this.emit('offline', err instanceof Error ? err : new Error(String(err)));
      this.lost(board, err);
    });
  }

  private lost(board: JohnnyFiveBoard | undefined, _err: unknown): void {
    if (board && this.board !== board) return;
    board?.close();
    this.board = undefined;
    if (this.closed || this.timer) return;
    const wait = this.delay.next();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, wait);
    this.timer.unref();
  }
}

/** The production IO: Firmata over a serial port (57600 baud StandardFirmata). */
export function createFirmataIo(path: string, opts: { baudRate?: number; reportVersionTimeoutMs?: number } = {}): IoPlugin {
  if (typeof path !== 'string' || path === '') throw new TypeError(`createFirmataIo: path must be a serial device path, got ${String(path)}`);
  const { SerialPort } = require('serialport') as { SerialPort: new (o: { path: string; baudRate: number }) => unknown };
  const { Firmata } = require('firmata-io') as { Firmata: new (port: unknown, o: { reportVersionTimeout: number }) => IoPlugin };
  return new Firmata(new SerialPort({ path, baudRate: opts.baudRate ?? 57600 }), { reportVersionTimeout: opts.reportVersionTimeoutMs ?? 200 });
}

function validate(opts: JohnnyFiveBoardOptions): void {
  if (!opts || typeof opts.id !== 'string' || opts.id === '') throw new TypeError(`JohnnyFiveBoard: id must be a non-empty string, got ${String(opts?.id)}`);
  if (!opts.io || typeof opts.io.on !== 'function') throw new TypeError(`JohnnyFiveBoard(${opts.id}): io must be a johnny-five IO plugin (firmata-io or TestIO), got ${String(opts.io)}`);
  const outputs = Object.entries(opts.outputs ?? {});
  if (outputs.length === 0) throw new TypeError(`JohnnyFiveBoard(${opts.id}): outputs must name at least one channel`);
  const pins = new Map<string, string>();
  const claim = (pin: number | string, what: string) => {
    if ((typeof pin !== 'number' || !Number.isInteger(pin) || pin < 0) && (typeof pin !== 'string' || pin === '')) {
      throw new TypeError(`JohnnyFiveBoard(${opts.id}): ${what}: pin must be a pin number or name, got ${String(pin)}`);
    }
    const key = String(pin);
    if (pins.has(key)) throw new TypeError(`JohnnyFiveBoard(${opts.id}): ${what}: pin ${key} is already used by ${pins.get(key)}`);
    pins.set(key, what);
  };
  for (const [channel, out] of outputs) {
    if (!out || !['relay', 'buzzer', 'led'].includes(out.type)) throw new TypeError(`JohnnyFiveBoard(${opts.id}): output "${channel}": type must be relay, buzzer or led, got ${String(out?.type)}`);
    claim(out.pin, `output "${channel}"`);
  }
  if (opts.acknowledgeButton) claim(opts.acknowledgeButton.pin, 'acknowledgeButton');
  if (opts.unlockKeys !== undefined && !Array.isArray(opts.unlockKeys)) throw new TypeError(`JohnnyFiveBoard(${opts.id}): unlockKeys must be an array, got ${String(opts.unlockKeys)}`);
  for (const [i, key] of (opts.unlockKeys ?? []).entries()) {
    claim(key?.pin, `unlockKeys[${i}]`);
    if (!key.fan || !key.operator) throw new TypeError(`JohnnyFiveBoard(${opts.id}): unlockKeys[${i}] needs the fan it unlocks and the operator identity it records`);
    if (key.holdMs !== undefined && (!Number.isInteger(key.holdMs) || key.holdMs < 1)) throw new TypeError(`JohnnyFiveBoard(${opts.id}): unlockKeys[${i}].holdMs must be a positive integer, got ${String(key.holdMs)}`);
  }
  for (const key of ['readyTimeoutMs', 'livenessTimeoutMs'] as const) {
    const v = opts[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new TypeError(`JohnnyFiveBoard(${opts.id}): ${key} must be a positive integer, got ${String(v)}`);
  }
}
