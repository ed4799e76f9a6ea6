// What a ModbusMaster is configured with, what it reports, and the checks on its options: kept
// apart from master.ts so the bus logic reads without the option plumbing.
import type { Link } from '../links/link.js';
import type { DiscardReason } from './rx-buffer.js';

export interface ModbusMasterOptions {
  link: Link;
  framing: 'rtu' | 'tcp';
  /** Required: there are no infinite waits. */
  responseTimeoutMs: number;
  /** Backoff for reopening a dropped link: starts at min, doubles up to max. */
  reopenMinMs?: number;
  reopenMaxMs?: number;
  /** Silence kept after each RTU transaction before the next request (slow slaves, t3.5). */
  turnaroundMs?: number;
  /**
   * After an RTU timeout, wait until the line has been silent this long before the next request,
   * so a late reply still on the wire is flushed instead of colliding with (or answering) the next one.
   * Bounded by responseTimeoutMs.
   */
  quietAfterTimeoutMs?: number;
  /**
   * Modbus TCP: after this many broken MBAP headers in a row the byte stream is out of step for
   * good, and the connection is closed and opened again (queued requests wait, they do not fail).
   */
  resyncAfterBadHeaders?: number;
  /**
   * Modbus TCP: a reply frame that has started but gets no further byte for this long is cut short
   * (a device or converter that lost the end of it): the request fails and the connection is
   * cycled, instead of the whole bus waiting out the response timeout. A Modbus TCP peer sends a
   * reply in one burst; bounded by the request's timeout.
   */
  partialFrameMs?: number;
}

export const MODBUS_MASTER_DEFAULTS = {
  reopenMinMs: 200,
  reopenMaxMs: 5_000,
  turnaroundMs: 0,
  quietAfterTimeoutMs: 20,
  resyncAfterBadHeaders: 3,
  partialFrameMs: 50,
} as const;

/** The options with every default filled in, after validateMasterOptions. */
export type ResolvedMasterOptions = ModbusMasterOptions & { -readonly [K in keyof typeof MODBUS_MASTER_DEFAULTS]: number };

/** Why a Modbus TCP connection was cycled ('resync' event). */
export interface ResyncEvent {
  reason: 'bad-headers' | 'partial-frame';
  /** Bytes that were buffered (partial frame) or the bad headers in a row. */
  detail: string;
}

export interface RequestOptions {
  /** Overrides responseTimeoutMs for this request. */
  timeoutMs?: number;
  /** 'high' (actuation, e.g. a cut-off) goes ahead of queued normal requests. */
  priority?: 'high' | 'normal';
}

export interface ModbusMasterStats {
  /** Requests put on the line. */
  transactions: number;
  timeouts: number;
  exceptions: number;
  crcErrors: number;
  discardedBytes: number;
  /** Valid frames not taken as an answer (wrong unit/function/length/echo/transaction id, unsolicited). */
  discardedFrames: number;
  /** Successful reopens after the link dropped. */
  reopens: number;
  /** Modbus TCP: broken MBAP headers seen (each drops the receive buffer). */
  badHeaders: number;
  /** Modbus TCP: connections closed and reopened because the byte stream was out of step. */
  resyncs: number;
  /** Requests waiting behind the one in flight. */
  queued: number;
}

export interface DiscardEvent {
  bytes: number;
  reason: DiscardReason;
}

/** Throws a TypeError naming the first bad option; returns the options with defaults filled in. */
export function validateMasterOptions(opts: ModbusMasterOptions): ResolvedMasterOptions {
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
  return o;
}
