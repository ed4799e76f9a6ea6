// The byte stream a Modbus master talks through. Serial ports and TCP sockets both fit behind it,
// so the master never opens devices itself and tests can swap the transport.
import type { EventEmitter } from 'node:events';
import { MinegateError } from '../../core/minegate-error.js';

/**
 * Events:
 * - 'data' (chunk: Buffer) — bytes received.
 * - 'close' (err: Error | undefined) — emitted exactly once per successful open(), on error,
 *   peer close, EOF, unplug, or close(). The link can be opened again afterwards.
 */
export interface Link extends EventEmitter {
  /** Human-readable identity for logs, e.g. "serial /dev/ttyUSB0 9600 8N1", "tcp 127.0.0.1:502". */
  readonly description: string;
  readonly isOpen: boolean;
  /** Resolves once bytes can flow; rejects with LinkError (and emits no 'close') when it cannot. */
  open(): Promise<void>;
  /** Resolves once the underlying port/socket is released. Safe to call when already closed. */
  close(): Promise<void>;
  /** Resolves when the bytes were handed to the OS; rejects with LinkError when the link is down. */
  write(bytes: Buffer): Promise<void>;
}

/**
 * - not-open:        write() while the link is closed.
 * - open-failed:     the port/socket could not be opened (ENOENT, ECONNREFUSED, locked port...).
 * - connect-timeout: TCP connect did not complete in time.
 * - write-failed:    the OS refused the write.
 */
export type LinkErrorCode = 'not-open' | 'open-failed' | 'connect-timeout' | 'write-failed';

export class LinkError extends MinegateError<LinkErrorCode> {
  override readonly name = 'LinkError';
  constructor(
    code: LinkErrorCode,
    /** The link's description, so a log line says which bus failed. */
    readonly link: string,
    message: string,
    cause?: unknown,
  ) {
    super(code, `${link}: ${message}`, { cause });
  }
}
