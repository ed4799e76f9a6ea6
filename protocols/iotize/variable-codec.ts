// Tap variables are raw bytes; what they mean (an integer, a float, text) is set in the Tap's
// configuration, not on the wire. These helpers turn a typed value into bytes and back, with the
// byte order stated explicitly (IoTize's own converters default to most significant byte first;
// little-endian targets such as STM32 memory need 'little').
import { MinegateError } from '../../core/minegate-error.js';

export const TAP_VALUE_TYPES = ['hex', 'uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32', 'float32', 'string'] as const;
export type TapValueType = (typeof TAP_VALUE_TYPES)[number];
export type ByteOrder = 'big' | 'little';

const INTEGER: Record<string, { bytes: 1 | 2 | 4; signed: boolean }> = {
  uint8: { bytes: 1, signed: false },
  uint16: { bytes: 2, signed: false },
  uint32: { bytes: 4, signed: false },
  int8: { bytes: 1, signed: true },
  int16: { bytes: 2, signed: true },
  int32: { bytes: 4, signed: true },
};

export class TapValueError extends MinegateError<'invalid-value'> {
  constructor(message: string) {
    super('invalid-value', message);
    this.name = 'TapValueError';
  }
}

/** Bytes for a value given as text (what the technician typed). */
export function encodeTapValue(text: string, type: TapValueType, order: ByteOrder = 'big'): Uint8Array {
  if (type === 'hex') {
    const clean = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
    if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) {
      throw new TapValueError(`"${text}" is not hex bytes (e.g. 0a1b or "0a 1b")`);
    }
    return new Uint8Array(Buffer.from(clean, 'hex'));
  }
  if (type === 'string') return new Uint8Array(Buffer.from(text, 'utf8'));
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new TapValueError(`${type} needs a number, got "${text}"`);
  const buf = Buffer.alloc(type === 'float32' ? 4 : INTEGER[type]!.bytes);
  if (type === 'float32') {
    if (order === 'big') buf.writeFloatBE(n);
    else buf.writeFloatLE(n);
    return new Uint8Array(buf);
  }
  const { bytes, signed } = INTEGER[type]!;
  const max = signed ? 2 ** (bytes * 8 - 1) - 1 : 2 ** (bytes * 8) - 1;
  const min = signed ? -(2 ** (bytes * 8 - 1)) : 0;
  if (!Number.isInteger(n) || n < min || n > max) throw new TapValueError(`${type} takes whole numbers ${min}..${max}, got ${text}`);
  if (signed) buf.writeIntBE(n, 0, bytes);
  else buf.writeUIntBE(n, 0, bytes);
  if (order === 'little') buf.reverse();
  return new Uint8Array(buf);
}

/** The value of bytes read from a Tap, as a number, text, or hex. */
export function decodeTapValue(bytes: Uint8Array, type: TapValueType, order: ByteOrder = 'big'): number | string {
  if (type === 'hex') return Buffer.from(bytes).toString('hex');
  if (type === 'string') return Buffer.from(bytes).toString('utf8').replace(/\0+$/, '');
  const width = type === 'float32' ? 4 : INTEGER[type]!.bytes;
  if (bytes.length !== width) throw new TapValueError(`${type} needs ${width} bytes, the variable has ${bytes.length} (${Buffer.from(bytes).toString('hex') || 'empty'})`);
  const buf = Buffer.from(bytes);
  if (order === 'little') buf.reverse();
  if (type === 'float32') return buf.readFloatBE(0);
  const { signed } = INTEGER[type]!;
  return signed ? buf.readIntBE(0, width) : buf.readUIntBE(0, width);
}
