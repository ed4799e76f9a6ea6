// The transport under @iotize/tap: the library's QueueComProtocol (one request at a time, its own
// send/connect timeouts) over one of our Links, in one of two framings:
// - 'iotize-socket' (protocols/iotize/socket-apdu-frames.ts): IoTize's own on a TCP socket, as a
//   Wi-Fi TapNLink (port 2000) and IoTize's clients use it: the APDU as is, a reply ending on silence.
// - 'length-prefixed' (protocols/iotize/length-prefixed-frames.ts): minegate's own 2-byte length,
//   for a bridge of our own (no real Tap speaks it).
import { createRequire } from 'node:module';
import type * as TapProtocolApi from '@iotize/tap/protocol/api';
import type * as TapProtocolCore from '@iotize/tap/protocol/core';
import type * as Rx from 'rxjs';
import type { Link } from '../protocols/links/link.js';
import { encodeFrame, FrameError, FrameReader, TAP_FRAME_DEFAULTS } from '../protocols/iotize/length-prefixed-frames.js';
import { encodeSocketRequest, IOTIZE_SOCKET_DEFAULTS, SocketReplyReader } from '../protocols/iotize/socket-apdu-frames.js';
import { MinegateError } from '../core/minegate-error.js';

export type TapFraming = 'iotize-socket' | 'length-prefixed';
export const TAP_FRAMINGS: readonly TapFraming[] = ['iotize-socket', 'length-prefixed'];

// @iotize/tap ships UMD bundles in sub-folders without an "exports" map, which Node's ESM loader
// cannot import (directory import); CommonJS require resolves them.
const require = createRequire(import.meta.url);
const core = require('@iotize/tap/protocol/core') as typeof TapProtocolCore;
const api = require('@iotize/tap/protocol/api') as typeof TapProtocolApi;
const rx = require('rxjs') as typeof Rx;

export const TAP_TRANSPORT_DEFAULTS = {
  connectTimeoutMs: 2_000,
  /** Request + reply; the library's own default is 500 ms. */
  sendTimeoutMs: 1_000,
  disconnectTimeoutMs: 1_000,
  maxFrameBytes: TAP_FRAME_DEFAULTS.maxFrameBytes,
  replyGapMs: IOTIZE_SOCKET_DEFAULTS.replyGapMs,
} as const;

export interface TapTransportOptions {
  link: Link;
  /** How APDUs travel on the link (default 'iotize-socket', IoTize's own on TCP). */
  framing?: TapFraming;
  /** iotize-socket: silence that ends a reply. */
  replyGapMs?: number;
  connectTimeoutMs?: number;
  sendTimeoutMs?: number;
  maxFrameBytes?: number;
}

/** 'link-closed': the link went down with a reply outstanding. 'out-of-step': a frame length made no sense. */
export class TapTransportError extends MinegateError<'link-closed' | 'out-of-step'> {
  constructor(
    code: 'link-closed' | 'out-of-step',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, { cause: options?.cause });
    this.name = 'TapTransportError';
  }
}

interface Waiter {
  resolve: (frame: Uint8Array) => void;
  reject: (err: Error) => void;
}

export class LinkTapProtocol extends core.QueueComProtocol {
  readonly link: Link;
  readonly framing: TapFraming;
  private readonly reader: FrameReader;
  private readonly socketReader: SocketReplyReader;
  private readonly maxFrameBytes: number;
  private readonly received: Uint8Array[] = [];
  private readonly waiters: Waiter[] = [];
  /** Replies that arrived for nobody (late answers to a timed-out request), dropped. */
  staleFrames = 0;

  constructor(options: TapTransportOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`LinkTapProtocol options must be an object, got ${String(options)}`);
    const link = options.link;
    if (!link || typeof link.open !== 'function' || typeof link.write !== 'function' || typeof link.on !== 'function') {
      throw new TypeError(`LinkTapProtocol link must implement Link (open/close/write + events), got ${String(link)}`);
    }
    const o = { ...TAP_TRANSPORT_DEFAULTS, ...options };
    for (const key of ['connectTimeoutMs', 'sendTimeoutMs'] as const) {
      if (!Number.isFinite(o[key]) || o[key] <= 0) throw new TypeError(`LinkTapProtocol ${key} must be a positive number of ms, got ${String(o[key])}`);
    }
    if (!TAP_FRAMINGS.includes(o.framing ?? 'iotize-socket')) throw new TypeError(`LinkTapProtocol framing must be ${TAP_FRAMINGS.join(' or ')}, got ${String(o.framing)}`);
    this.link = link;
    this.framing = o.framing ?? 'iotize-socket';
    this.maxFrameBytes = o.maxFrameBytes;
    this.reader = new FrameReader(o.maxFrameBytes);
    this.socketReader = new SocketReplyReader(this.deliver, this.onOverflow, o.replyGapMs);
    this.options = {
      connect: { timeout: o.connectTimeoutMs },
      disconnect: { timeout: o.disconnectTimeoutMs },
      send: { timeout: o.sendTimeoutMs },
    };
    link.on('data', this.onData);
    link.on('close', this.onClose);
  }

  _connect(): Rx.Observable<unknown> {
    this.reader.clear();
    this.socketReader.clear();
    return rx.from(this.link.open());
  }

  _disconnect(): Rx.Observable<unknown> {
    return rx.from(this.link.close());
  }

  /** Send one APDU. Anything still queued or awaited belongs to an earlier request: drop it. */
  write(data: Uint8Array): Promise<void> {
    this.staleFrames += this.received.length;
    this.received.length = 0;
    this.failWaiters(new TapTransportError('link-closed', 'superseded by a newer request'));
    // A reply still being assembled belongs to an earlier request too.
    this.socketReader.clear();
    let frame: Buffer;
    try {
      frame = this.framing === 'iotize-socket' ? encodeSocketRequest(data) : encodeFrame(data, this.maxFrameBytes);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.link.write(frame);
  }

  /**
   * The next frame. Frames that arrive before anyone asks are queued, so a fast reply is never
   * lost between write() resolving and the library calling read().
   */
  read(): Promise<Uint8Array> {
    const queued = this.received.shift();
    if (queued) return Promise.resolve(queued);
    if (!this.link.isOpen) return Promise.reject(new TapTransportError('link-closed', `${this.link.description} is closed`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * After a request timed out its reply may still be on the way, and Tap replies carry no request
   * id: the next request could take it for its own. Wait until that late reply arrives (it is
   * dropped) or `maxWaitMs` passes. Called by the board before the request after a timeout.
   */
  settle(maxWaitMs: number): Promise<void> {
    this.failWaiters(new TapTransportError('link-closed', 'superseded while settling'));
    if (this.received.length > 0 || !this.link.isOpen) {
      this.staleFrames += this.received.length;
      this.received.length = 0;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      }, maxWaitMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const waiter: Waiter = {
        resolve: () => {
          this.staleFrames++;
          done();
        },
        reject: done,
      };
      this.waiters.push(waiter);
    });
  }

  get sendTimeoutMs(): number {
    return this.options.send.timeout;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.framing === 'iotize-socket') {
      this.socketReader.push(chunk);
      return;
    }
    let frames: Uint8Array[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      // No frame markers to resynchronise on: start over on a fresh connection.
      const e = err instanceof FrameError ? new TapTransportError('out-of-step', `${this.link.description}: ${err.message}`, { cause: err }) : (err as Error);
      this.failWaiters(e);
      void this.link.close();
      return;
    }
    for (const frame of frames) this.deliver(frame);
  };

  private readonly deliver = (frame: Uint8Array): void => {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(frame);
    else this.received.push(frame);
  };

  private readonly onOverflow = (bytes: number): void => {
    // No reply is that long: the stream is out of step. Start over on a fresh connection.
    this.failWaiters(new TapTransportError('out-of-step', `${this.link.description}: ${bytes} bytes without a pause, more than any Tap reply`));
    void this.link.close();
  };

  private readonly onClose = (err?: Error): void => {
    this.reader.clear();
    this.socketReader.clear();
    this.received.length = 0;
    this.failWaiters(new TapTransportError('link-closed', `${this.link.description} went down${err ? `: ${err.message}` : ''}`, err ? { cause: err } : undefined));
    this.setConnectionState(api.ConnectionState.DISCONNECTED);
  };

  private failWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
