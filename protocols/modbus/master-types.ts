// The shapes a ModbusMaster is configured with and reports (options, per-request options, stats,
// 'discard' and 'resync' events), and a queued transaction. Types only, on purpose: a type-only
// import vanishes at compile time, so this file adds no module to the safety kernel's run-time
// graph (tests/architecture/dependencies.test.ts keeps that graph within its budget).
import type { Link } from '../links/link.js';
import type { ModbusError } from './errors.js';
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

export interface Transaction {
  unit: number;
  pdu: Buffer;
  timeoutMs: number;
  /** Modbus TCP transaction id. */
  tid: number;
  /** RTU broadcast (unit 0) write: executed by every slave, answered by none. */
  noReply: boolean;
  resolve: (values: number[]) => void;
  reject: (err: ModbusError) => void;
}
