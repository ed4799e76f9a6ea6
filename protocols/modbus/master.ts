// The bus master: one transaction in flight per link (RS-485 is half-duplex, and Modbus TCP
// pipelining breaks past 256 outstanding ids), a FIFO queue with a high-priority lane for actuation,
// strict reply matching, and background reopening of a dropped link. No retries here: the poller
// decides what a failure means and when to try again.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Link } from '../links/link.js';
import { LinkReopener } from '../links/link-reopener.js';
import { ModbusError, exceptionName } from './errors.js';
import { encodeMbapFrame, MbapReader, type MbapHeader } from './mbap-framing.js';
import { decodeResponse, encodeReadRequest, encodeWriteRequest, expectedResponseLength } from './pdu.js';
import { buildRtuFrame, RtuResponseReader } from './rtu-framing.js';
import type { DiscardEvent, ModbusMasterOptions, ModbusMasterStats, RequestOptions, ResyncEvent, Transaction } from './master-types.js';
import type { DiscardReason } from './rx-buffer.js';
import type { ModbusTable } from './types.js';

// The option, stats and event types live in master-types.ts; callers keep importing them from here.
export type { DiscardEvent, ModbusMasterOptions, ModbusMasterStats, RequestOptions, ResyncEvent } from './master-types.js';

export const MODBUS_MASTER_DEFAULTS = {
  reopenMinMs: 200,
  reopenMaxMs: 5_000,
  turnaroundMs: 0,
  quietAfterTimeoutMs: 20,
  resyncAfterBadHeaders: 3,
  partialFrameMs: 50,
} as const;

const FRAME_REASONS: ReadonlySet<DiscardReason> = new Set(['wrong-unit', 'wrong-function', 'wrong-length', 'mismatched-echo', 'transaction-id', 'unsolicited']);

const toVoid = (): void => undefined;

/**
 * Events: 'open' (link up, first time and after every reopen), 'close' (err | undefined: the link
 * dropped and will be reopened; not emitted for close()), 'discard' (DiscardEvent), 'resync'
 * (ResyncEvent: a Modbus TCP connection was cycled to get the byte stream back in step; neither
 * 'close' nor 'open' is emitted for it, and queued requests carry on).
 */
export class ModbusMaster extends EventEmitter {
  readonly link: Link;
  readonly framing: 'rtu' | 'tcp';
  private readonly responseTimeoutMs: number;
  private readonly turnaroundMs: number;
  private readonly quietAfterTimeoutMs: number;
  private readonly resyncAfterBadHeaders: number;
  private readonly partialFrameMs: number;
  private partialTimer: NodeJS.Timeout | null = null;

  private readonly rtuReader: RtuResponseReader | null;
  private readonly mbapReader: MbapReader | null;
  private readonly high: Transaction[] = [];
  private readonly normal: Transaction[] = [];
  private current: Transaction | null = null;
  private responseTimer: NodeJS.Timeout | null = null;
  private pumpTimer: NodeJS.Timeout | null = null;
  private readonly reopener: LinkReopener;
  private nextTid = 0;
  /** performance.now() before which no request may be sent (turnaround). */
  private readyAt = 0;
  /** While > 0: after a timeout, wait for line silence until this deadline. */
  private quietDeadline = 0;
  private lastRxAt = 0;

  private readonly counters = { transactions: 0, timeouts: 0, exceptions: 0, discardedBytes: 0, discardedFrames: 0 };

  constructor(opts: ModbusMasterOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError(`ModbusMaster options must be an object, got ${String(opts)}`);
    const link = opts.link;
    if (!link || typeof link.open !== 'function' || typeof link.write !== 'function' || typeof link.on !== 'function') {
      throw new TypeError(`ModbusMaster link must implement Link (open/close/write + events), got ${String(link)}`);
    }
    if (opts.framing !== 'rtu' && opts.framing !== 'tcp') throw new TypeError(`ModbusMaster framing must be 'rtu' or 'tcp', got ${String(opts.framing)}`);
    const o = { ...MODBUS_MASTER_DEFAULTS, ...opts };
    const positive = (name: string, v: number) => {
      if (!Number.isFinite(v) || v <= 0) throw new TypeError(`ModbusMaster ${name} must be a positive number of ms, got ${String(v)}`);
    };
    const nonNegative = (name: string, v: number) => {
      if (!Number.isFinite(v) || v < 0) throw new TypeError(`ModbusMaster ${name} must be >= 0 ms, got ${String(v)}`);
    };
    positive('responseTimeoutMs', o.responseTimeoutMs);
    positive('reopenMinMs', o.reopenMinMs);
    positive('reopenMaxMs', o.reopenMaxMs);
    if (o.reopenMaxMs < o.reopenMinMs) throw new TypeError(`ModbusMaster reopenMaxMs (${o.reopenMaxMs}) must be >= reopenMinMs (${o.reopenMinMs})`);
    nonNegative('turnaroundMs', o.turnaroundMs);
    nonNegative('quietAfterTimeoutMs', o.quietAfterTimeoutMs);
    positive('partialFrameMs', o.partialFrameMs);
    if (!Number.isInteger(o.resyncAfterBadHeaders) || o.resyncAfterBadHeaders < 1) {
      throw new TypeError(`ModbusMaster resyncAfterBadHeaders must be an integer >= 1, got ${String(o.resyncAfterBadHeaders)}`);
    }

    this.link = link;
    this.framing = o.framing;
    this.responseTimeoutMs = o.responseTimeoutMs;
    this.turnaroundMs = o.turnaroundMs;
    this.quietAfterTimeoutMs = o.quietAfterTimeoutMs;
    this.resyncAfterBadHeaders = o.resyncAfterBadHeaders;
    this.partialFrameMs = o.partialFrameMs;
    this.rtuReader = o.framing === 'rtu' ? new RtuResponseReader(this.onDiscard) : null;
    this.mbapReader = o.framing === 'tcp' ? new MbapReader(this.onMbapFrame, this.onDiscard, this.onBadHeader) : null;
    link.on('data', this.onData);
    this.reopener = new LinkReopener(link, {
      reopenMinMs: o.reopenMinMs,
      reopenMaxMs: o.reopenMaxMs,
      onOpen: this.onLinkOpen,
      onDrop: this.onLinkDrop,
      onCycled: this.onLinkCycled,
      closedWhileOpening: () => new ModbusError('closed', `${this.link.description}: master closed while opening`),
    });
  }

  /** The link is up, or being cycled for a resync (requests queue meanwhile). */
  get isOpen(): boolean {
    return this.reopener.isUp || this.reopener.isCycling;
  }

  /**
   * Opens the link. If that fails the promise rejects (ModbusError 'offline') and the master keeps
   * retrying in the background with backoff, emitting 'open' once the link is up.
   */
  async open(): Promise<void> {
    try {
      await this.reopener.open();
    } catch (err) {
      throw new ModbusError('offline', `${this.link.description}: cannot open: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Stops reopening, rejects everything pending with 'closed' and releases the link. */
  async close(): Promise<void> {
    this.reopener.stop();
    this.clearTimer('pumpTimer');
    this.clearTimer('responseTimer');
    this.clearTimer('partialTimer');
    this.failAll((unit) => new ModbusError('closed', `${this.link.description}: master closed`, { unit }));
    this.resetReaders();
    await this.reopener.settled();
    await this.link.close();
  }

  read(unit: number, table: ModbusTable, address: number, count: number, opts?: RequestOptions): Promise<number[]> {
    let pdu: Buffer;
    try {
      this.checkUnit(unit, false);
      pdu = encodeReadRequest(table, address, count);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.submit(unit, pdu, opts, false);
  }

  /** Unit 0 on RTU is a broadcast: every slave executes it, none answers; resolves once sent. */
  write(unit: number, table: 'coil' | 'holding', address: number, values: number[], opts?: RequestOptions): Promise<void> {
    let pdu: Buffer;
    try {
      this.checkUnit(unit, true);
      pdu = encodeWriteRequest(table, address, values);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.submit(unit, pdu, opts, this.framing === 'rtu' && unit === 0).then(toVoid);
  }

  stats(): ModbusMasterStats {
    return {
      ...this.counters,
      reopens: this.reopener.reopens,
      badHeaders: this.mbapReader?.counters.badHeaders ?? 0,
      resyncs: this.reopener.cycles,
      crcErrors: this.rtuReader?.counters.crcErrors ?? 0,
      queued: this.high.length + this.normal.length,
    };
  }

  // ---------------------------------------------------------------- queue

  private checkUnit(unit: number, writing: boolean): void {
    // RTU: 1..247 are slaves, 0 is broadcast (writes only). TCP: the whole byte (gateways route on it).
    const min = this.framing === 'rtu' && !writing ? 1 : 0;
    const max = this.framing === 'rtu' ? 247 : 255;
    if (!Number.isInteger(unit) || unit < min || unit > max) {
      throw new ModbusError('malformed', `unit must be an integer ${min}..${max} for ${this.framing}${writing ? ' writes' : ' reads'}, got ${String(unit)}`);
    }
  }

  private submit(unit: number, pdu: Buffer, opts: RequestOptions | undefined, noReply: boolean): Promise<number[]> {
    const timeoutMs = opts?.timeoutMs ?? this.responseTimeoutMs;
    const priority = opts?.priority ?? 'normal';
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(new ModbusError('malformed', `timeoutMs must be a positive number, got ${String(timeoutMs)}`, { unit }));
    }
    if (priority !== 'high' && priority !== 'normal') {
      return Promise.reject(new ModbusError('malformed', `priority must be 'high' or 'normal', got ${String(priority)}`, { unit }));
    }
    if (this.reopener.stopped && this.reopener.everOpened) return Promise.reject(new ModbusError('closed', `${this.link.description}: master closed`, { unit }));
    if (!this.reopener.isUp && !this.reopener.isCycling) return Promise.reject(new ModbusError('offline', `${this.link.description} is down`, { unit }));
    return new Promise<number[]>((resolve, reject) => {
      const tx: Transaction = { unit, pdu, timeoutMs, tid: 0, noReply, resolve, reject };
      (priority === 'high' ? this.high : this.normal).push(tx);
      this.pump();
    });
  }

  private readonly onPumpTimer = (): void => {
    this.pumpTimer = null;
    this.pump();
  };

  private pump(): void {
    if (this.current !== null || !this.reopener.isUp || this.pumpTimer !== null) return;
    if (this.high.length === 0 && this.normal.length === 0) return;
    const now = performance.now();
    if (this.readyAt > now) {
      this.pumpTimer = setTimeout(this.onPumpTimer, this.readyAt - now);
      return;
    }
    if (this.quietDeadline > 0) {
      const silentFor = now - this.lastRxAt;
      if (silentFor < this.quietAfterTimeoutMs && now < this.quietDeadline) {
        this.pumpTimer = setTimeout(this.onPumpTimer, this.quietAfterTimeoutMs - silentFor);
        return;
      }
      this.quietDeadline = 0;
    }
    const stale = this.mbapReader?.buffered ?? 0;
    if (stale > 0) {
      // Part of a frame that arrived after its request was over: it would swallow the next reply.
      this.resync('partial-frame', `${stale} bytes of an unfinished earlier frame before the next request`);
      return;
    }
    const tx = this.high.length > 0 ? this.high.shift()! : this.normal.shift()!;
    this.send(tx);
  }

  private send(tx: Transaction): void {
    this.current = tx;
    this.counters.transactions++;
    let frame: Buffer;
    if (this.rtuReader !== null) {
      // Whatever is buffered now can only be stale: it arrived before this request existed.
      this.rtuReader.clear('stale');
      frame = buildRtuFrame(tx.unit, tx.pdu);
      if (!tx.noReply) {
        const fn = tx.pdu[0]!;
        const isWrite = fn === 0x05 || fn === 0x06 || fn === 0x0f || fn === 0x10;
        this.rtuReader.expect({ unit: tx.unit, fn, pduLength: expectedResponseLength(tx.pdu), ...(isWrite ? { echo: tx.pdu } : {}) });
      }
    } else {
      // TCP: stale replies are told apart by transaction id. Buffered bytes are not flushed here:
      // between requests the buffer is empty unless a frame is still arriving; a partial frame
      // left at a timeout cycles the connection instead (onResponseTimeout).
      this.nextTid = (this.nextTid + 1) & 0xffff;
      tx.tid = this.nextTid;
      frame = encodeMbapFrame(tx.tid, tx.unit, tx.pdu);
    }
    if (tx.noReply) {
      this.link.write(frame).then(
        () => this.finishBroadcast(tx),
        (err: unknown) => this.writeFailed(tx, err),
      );
      return;
    }
    this.responseTimer = setTimeout(this.onResponseTimeout, tx.timeoutMs);
    this.link.write(frame).catch((err: unknown) => this.writeFailed(tx, err));
  }

  private finishBroadcast(tx: Transaction): void {
    if (this.current !== tx) return;
    this.current = null;
    this.readyAt = performance.now() + this.turnaroundMs;
    tx.resolve([]);
    this.pump();
  }

  private writeFailed(tx: Transaction, err: unknown): void {
    if (this.current !== tx) return;
    this.clearTimer('responseTimer');
    this.clearTimer('partialTimer');
    this.current = null;
    this.rtuReader?.expect(null);
    tx.reject(new ModbusError('offline', `${this.link.description}: write failed: ${(err as Error).message}`, { unit: tx.unit, cause: err }));
    this.pump();
  }

  private readonly onResponseTimeout = (): void => {
    this.responseTimer = null;
    this.clearTimer('partialTimer');
    const tx = this.current;
    if (tx === null) return;
    this.current = null;
    this.counters.timeouts++;
    const now = performance.now();
    if (this.rtuReader !== null) {
      this.rtuReader.expect(null);
      this.quietDeadline = now + this.responseTimeoutMs;
      this.readyAt = now + this.turnaroundMs;
    }
    const pending = this.mbapReader?.buffered ?? 0;
    if (pending > 0) {
      // A frame that started and never finished (a truncated reply): its length field would
      // swallow the next genuine reply. Only a fresh connection gets the stream back in step.
      tx.reject(new ModbusError('timeout', `unit ${tx.unit}: reply cut short (${pending} bytes of a frame) within ${tx.timeoutMs} ms on ${this.link.description}; reconnecting`, { unit: tx.unit }));
      this.resync('partial-frame', `${pending} bytes of an unfinished frame at the response timeout`);
      return;
    }
    tx.reject(new ModbusError('timeout', `unit ${tx.unit}: no reply within ${tx.timeoutMs} ms on ${this.link.description}`, { unit: tx.unit }));
    this.pump();
  };

  /** A started reply got no further byte for partialFrameMs: it was cut short. */
  private readonly onPartialFrameStalled = (): void => {
    this.partialTimer = null;
    const tx = this.current;
    const pending = this.mbapReader?.buffered ?? 0;
    if (tx === null || pending === 0) return;
    this.clearTimer('responseTimer');
    this.current = null;
    this.counters.timeouts++;
    tx.reject(new ModbusError('timeout', `unit ${tx.unit}: reply cut short (${pending} bytes of a frame, nothing more for ${this.partialFrameMs} ms) on ${this.link.description}; reconnecting`, { unit: tx.unit }));
    this.resync('partial-frame', `${pending} bytes of an unfinished frame, nothing more for ${this.partialFrameMs} ms`);
  };

  /** Closes and reopens a Modbus TCP connection whose byte stream is out of step; the queue waits. */
  private resync(reason: ResyncEvent['reason'], detail: string): void {
    this.clearTimer('pumpTimer');
    this.clearTimer('partialTimer');
    this.mbapReader?.clear();
    if (this.listenerCount('resync') > 0) this.emit('resync', { reason, detail } satisfies ResyncEvent);
    this.reopener.cycle();
  }

  private readonly onBadHeader = (inARow: number, h: MbapHeader): void => {
    const what = `broken MBAP header (transaction ${h.transactionId}, protocol id ${h.protocolId}, length ${h.length}, unit ${h.unit})`;
    const tx = this.current;
    // The reply to the request in flight is broken: fail it now rather than let the neighbours
    // wait out its timeout. (A broken late reply to an earlier request costs this one a retry.)
    if (tx !== null && !tx.noReply) {
      this.clearTimer('responseTimer');
      this.current = null;
      tx.reject(new ModbusError('malformed', `unit ${tx.unit}: ${what} on ${this.link.description}`, { unit: tx.unit }));
    }
    if (inARow >= this.resyncAfterBadHeaders) this.resync('bad-headers', `${inARow} ${what.replace('broken MBAP header', 'broken MBAP headers in a row, last')}`);
    else this.pump();
  };

  // ---------------------------------------------------------------- receive

  private readonly onData = (chunk: Buffer): void => {
    this.lastRxAt = performance.now();
    if (this.rtuReader !== null) {
      const pdu = this.rtuReader.push(chunk);
      if (pdu !== null && this.current !== null) this.complete(this.current, pdu);
    } else {
      this.mbapReader!.push(chunk);
      // Part of a frame is in: the rest must follow promptly (re-armed on every chunk).
      this.clearTimer('partialTimer');
      if (this.current !== null && this.mbapReader!.buffered > 0) this.partialTimer = setTimeout(this.onPartialFrameStalled, Math.min(this.partialFrameMs, this.current.timeoutMs));
    }
  };

  private readonly onMbapFrame = (tid: number, unit: number, pdu: Buffer): void => {
    const tx = this.current;
    let reason: DiscardReason | null = null;
    if (tx === null || tx.noReply) reason = 'unsolicited';
    else if (tid !== tx.tid) reason = 'transaction-id';
    else if (unit !== tx.unit) reason = 'wrong-unit';
    else if (pdu[0] !== tx.pdu[0] && pdu[0] !== (tx.pdu[0]! | 0x80)) reason = 'wrong-function';
    if (reason !== null) this.onDiscard(7 + pdu.length, reason);
    else this.complete(tx!, pdu);
  };

  private complete(tx: Transaction, pdu: Buffer): void {
    this.clearTimer('responseTimer');
    this.clearTimer('partialTimer');
    this.current = null;
    if (this.turnaroundMs > 0 && this.rtuReader !== null) this.readyAt = performance.now() + this.turnaroundMs;
    let values: number[];
    try {
      values = decodeResponse(tx.pdu, pdu);
    } catch (err) {
      const e = err as ModbusError;
      if (e.code === 'exception') this.counters.exceptions++;
      const what = e.code === 'exception' ? `exception ${e.exceptionCode} (${exceptionName(e.exceptionCode!)})` : e.message;
      tx.reject(new ModbusError(e.code, `unit ${tx.unit}: ${what}`, { unit: tx.unit, ...(e.exceptionCode === undefined ? {} : { exceptionCode: e.exceptionCode }) }));
      this.pump();
      return;
    }
    tx.resolve(values);
    this.pump();
  }

  private readonly onDiscard = (bytes: number, reason: DiscardReason): void => {
    this.counters.discardedBytes += bytes;
    if (FRAME_REASONS.has(reason)) this.counters.discardedFrames++;
    if (this.listenerCount('discard') > 0) this.emit('discard', { bytes, reason } satisfies DiscardEvent);
  };

  // ---------------------------------------------------------------- link lifecycle

  private readonly onLinkOpen = (): void => {
    this.resetReaders();
    this.readyAt = 0;
    this.quietDeadline = 0;
    this.emit('open');
  };

  /** A resync cycle brought the connection back: fresh stream, same queue. */
  private readonly onLinkCycled = (): void => {
    this.resetReaders();
    this.pump();
  };

  /** The link dropped while up; the reopener schedules a reopen after this. */
  private readonly onLinkDrop = (err: Error | undefined): void => {
    this.clearTimer('responseTimer');
    this.clearTimer('partialTimer');
    this.clearTimer('pumpTimer');
    const cause = err ? `: ${err.message}` : '';
    this.failAll((unit) => new ModbusError('offline', `${this.link.description} went down${cause}`, { unit, ...(err ? { cause: err } : {}) }));
    this.resetReaders();
    this.emit('close', err);
  };

  private failAll(makeError: (unit: number) => ModbusError): void {
    const pending = this.current ? [this.current, ...this.high, ...this.normal] : [...this.high, ...this.normal];
    this.current = null;
    this.high.length = 0;
    this.normal.length = 0;
    for (const tx of pending) tx.reject(makeError(tx.unit));
  }

  private resetReaders(): void {
    this.rtuReader?.expect(null);
    this.rtuReader?.clear('stale');
    this.mbapReader?.clear();
  }

  private clearTimer(which: 'responseTimer' | 'pumpTimer' | 'partialTimer'): void {
    const t = this[which];
    if (t !== null) {
      clearTimeout(t);
      this[which] = null;
    }
  }
}
