// Typed Modbus errors: callers (poller, interlocks) branch on `code`, never on message text.
import { MinegateError } from '../../core/minegate-error.js';

/**
 * - timeout:   no valid reply within the response timeout (the link stays open).
 * - exception: the slave answered with a Modbus exception (`exceptionCode`).
 * - offline:   the link is down (unplugged adapter, refused/closed TCP connection).
 * - malformed: a request or reply violates the protocol (bad length, bad echo, out-of-range value).
 * - closed:    the master was closed by its owner while the request was pending.
 */
export type ModbusErrorCode = 'timeout' | 'exception' | 'offline' | 'malformed' | 'closed';

export interface ModbusErrorDetails {
  /** Modbus exception code (exception replies; also what a slave should answer for a malformed request). */
  exceptionCode?: number;
  /** Unit id (slave address) the request was for. */
  unit?: number;
  cause?: unknown;
}

const EXCEPTION_NAMES: Record<number, string> = {
  0x01: 'illegal function',
  0x02: 'illegal data address',
  0x03: 'illegal data value',
  0x04: 'server device failure',
  0x05: 'acknowledge',
  0x06: 'server device busy',
  0x08: 'memory parity error',
  0x0a: 'gateway path unavailable',
  0x0b: 'gateway target device failed to respond',
};

/** Human name of a Modbus exception code, e.g. 2 → "illegal data address". */
export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `exception 0x${code.toString(16).padStart(2, '0')}`;
}

export class ModbusError extends MinegateError<ModbusErrorCode> {
  override readonly name = 'ModbusError';
  readonly exceptionCode?: number;
  readonly unit?: number;

  constructor(code: ModbusErrorCode, message: string, details: ModbusErrorDetails = {}) {
    super(code, message, { cause: details.cause });
    if (details.exceptionCode !== undefined) this.exceptionCode = details.exceptionCode;
    if (details.unit !== undefined) this.unit = details.unit;
  }
}

export function isModbusError(err: unknown, code?: ModbusErrorCode): err is ModbusError {
  return err instanceof ModbusError && (code === undefined || err.code === code);
}
