// Modbus PDUs (function code + data), both directions, per the Modbus Application Protocol v1.1b3.
// Framing (RTU CRC, MBAP header) lives in rtu-framing.ts / mbap-framing.ts; this file only knows PDUs.
import { ModbusError } from './errors.js';
import { ExceptionCode, FunctionCode, type ModbusTable, type SlaveRequest, type SlaveResponse } from './types.js';

/** Quantity limits per request (spec §6.1–6.12). */
export const PDU_LIMITS = {
  readRegisters: 125,
  readBits: 2000,
  writeRegisters: 123,
  writeBits: 1968,
} as const;

const READ_FUNCTION: Record<ModbusTable, 0x01 | 0x02 | 0x03 | 0x04> = {
  coil: FunctionCode.ReadCoils,
  discrete: FunctionCode.ReadDiscreteInputs,
  holding: FunctionCode.ReadHoldingRegisters,
  input: FunctionCode.ReadInputRegisters,
};

const COIL_ON = 0xff00;

function malformed(message: string, exceptionCode?: number): ModbusError {
  return new ModbusError('malformed', message, exceptionCode === undefined ? {} : { exceptionCode });
}

function checkAddressRange(address: number, count: number, max: number, what: string): void {
  if (!Number.isInteger(address) || address < 0 || address > 0xffff) {
    throw malformed(`address must be an integer 0..65535, got ${String(address)}`);
  }
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw malformed(`${what} count must be an integer 1..${max}, got ${String(count)}`);
  }
  if (address + count > 0x10000) {
    throw malformed(`address ${address} + count ${count} runs past register 65535`);
  }
}

function isBitFunction(fn: number): boolean {
  return fn === FunctionCode.ReadCoils || fn === FunctionCode.ReadDiscreteInputs;
}

// ---------------------------------------------------------------- master side

/** Read request PDU: FC 01/02/03/04 + address + quantity. */
export function encodeReadRequest(table: ModbusTable, address: number, count: number): Buffer {
  const fn = READ_FUNCTION[table];
  if (fn === undefined) throw malformed(`unknown table ${String(table)}`);
  const bits = isBitFunction(fn);
  checkAddressRange(address, count, bits ? PDU_LIMITS.readBits : PDU_LIMITS.readRegisters, bits ? 'bit' : 'register');
  const pdu = Buffer.allocUnsafe(5);
  pdu[0] = fn;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(count, 3);
  return pdu;
}

/**
 * Write request PDU. One value uses the single-write function (05 coil / 06 register),
 * several use 0F / 10. Coil values must be 0 or 1: anything else is a caller bug, not "on".
 */
export function encodeWriteRequest(table: 'coil' | 'holding', address: number, values: number[]): Buffer {
  if (table !== 'coil' && table !== 'holding') throw malformed(`only coil and holding tables are writable, got ${String(table)}`);
  if (!Array.isArray(values) || values.length === 0) throw malformed('values must be a non-empty array');
  const coils = table === 'coil';
  checkAddressRange(address, values.length, coils ? PDU_LIMITS.writeBits : PDU_LIMITS.writeRegisters, coils ? 'coil' : 'register');
  for (const v of values) {
    if (coils ? v !== 0 && v !== 1 : !Number.isInteger(v) || v < 0 || v > 0xffff) {
      throw malformed(`${coils ? 'coil value must be 0 or 1' : 'register value must be an integer 0..65535'}, got ${String(v)}`);
    }
  }
  if (values.length === 1) {
    const pdu = Buffer.allocUnsafe(5);
    pdu[0] = coils ? FunctionCode.WriteSingleCoil : FunctionCode.WriteSingleRegister;
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(coils ? (values[0] === 1 ? COIL_ON : 0) : values[0]!, 3);
    return pdu;
  }
  const byteCount = coils ? Math.ceil(values.length / 8) : values.length * 2;
  const pdu = Buffer.alloc(6 + byteCount);
  pdu[0] = coils ? FunctionCode.WriteMultipleCoils : FunctionCode.WriteMultipleRegisters;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = byteCount;
  if (coils) packBits(values, pdu, 6);
  else for (let i = 0; i < values.length; i++) pdu.writeUInt16BE(values[i]!, 6 + i * 2);
  return pdu;
}

/** Length of the normal (non-exception) reply PDU to `requestPdu`; exception replies are always 2. */
export function expectedResponseLength(requestPdu: Uint8Array): number {
  const fn = requestPdu[0];
  if (requestPdu.length < 5) throw malformed(`request PDU too short (${requestPdu.length} bytes)`);
  const count = (requestPdu[3]! << 8) | requestPdu[4]!;
  switch (fn) {
    case FunctionCode.ReadCoils:
    case FunctionCode.ReadDiscreteInputs:
      return 2 + Math.ceil(count / 8);
    case FunctionCode.ReadHoldingRegisters:
    case FunctionCode.ReadInputRegisters:
      return 2 + count * 2;
    case FunctionCode.WriteSingleCoil:
    case FunctionCode.WriteSingleRegister:
    case FunctionCode.WriteMultipleCoils:
    case FunctionCode.WriteMultipleRegisters:
      return 5;
    default:
      throw malformed(`unsupported function code ${String(fn)}`);
  }
}

/**
 * Checks a reply PDU against the request that caused it and returns the values read
 * (bits as 0/1, registers as 0..65535); writes return [] once the echo matches.
 * Throws ModbusError 'exception' (with exceptionCode) for exception replies, 'malformed' otherwise.
 */
export function decodeResponse(requestPdu: Uint8Array, responsePdu: Uint8Array): number[] {
  const fn = requestPdu[0]!;
  const got = responsePdu[0];
  if (got === (fn | 0x80)) {
    if (responsePdu.length !== 2) throw malformed(`exception reply must be 2 bytes, got ${responsePdu.length}`);
    const exceptionCode = responsePdu[1]!;
    throw new ModbusError('exception', `slave answered exception ${exceptionCode}`, { exceptionCode });
  }
  if (got !== fn) throw malformed(`reply function ${String(got)} does not match request function ${fn}`);
  const expectedLength = expectedResponseLength(requestPdu);
  if (responsePdu.length !== expectedLength) {
    throw malformed(`reply to function ${fn} must be ${expectedLength} bytes, got ${responsePdu.length}`);
  }
  const count = (requestPdu[3]! << 8) | requestPdu[4]!;
  switch (fn) {
    case FunctionCode.ReadCoils:
    case FunctionCode.ReadDiscreteInputs: {
      if (responsePdu[1] !== expectedLength - 2) throw malformed(`byte count ${String(responsePdu[1])} does not match ${count} bits`);
      return unpackBits(responsePdu, 2, count);
    }
    case FunctionCode.ReadHoldingRegisters:
    case FunctionCode.ReadInputRegisters: {
      if (responsePdu[1] !== count * 2) throw malformed(`byte count ${String(responsePdu[1])} does not match ${count} registers`);
      const values = new Array<number>(count);
      for (let i = 0; i < count; i++) values[i] = (responsePdu[2 + i * 2]! << 8) | responsePdu[3 + i * 2]!;
      return values;
    }
    default: {
      // Writes echo address + value (05/06) or address + quantity (0F/10).
      for (let i = 1; i < 5; i++) {
        if (responsePdu[i] !== requestPdu[i]) throw malformed(`write echo does not match the request (byte ${i})`);
      }
      return [];
    }
  }
}

// ---------------------------------------------------------------- slave side

/**
 * Decodes a request PDU as a slave sees it. Throws ModbusError 'malformed'; its exceptionCode
 * (when set) is the exception a real slave answers: 01 unsupported function, 02 address overflow,
 * 03 bad quantity/length/value.
 */
export function decodeRequest(pdu: Uint8Array): SlaveRequest {
  if (pdu.length < 1) throw malformed('empty request PDU');
  const fn = pdu[0]!;
  const known = fn >= 0x01 && fn <= 0x06 ? true : fn === 0x0f || fn === 0x10;
  if (!known) throw malformed(`unsupported function code ${fn}`, ExceptionCode.IllegalFunction);
  if (pdu.length < 5) throw malformed(`request for function ${fn} too short (${pdu.length} bytes)`, ExceptionCode.IllegalDataValue);
  const address = (pdu[1]! << 8) | pdu[2]!;
  const word = (pdu[3]! << 8) | pdu[4]!;
  switch (fn) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04: {
      if (pdu.length !== 5) throw malformed(`read request must be 5 bytes, got ${pdu.length}`, ExceptionCode.IllegalDataValue);
      const max = fn <= 0x02 ? PDU_LIMITS.readBits : PDU_LIMITS.readRegisters;
      if (word < 1 || word > max) throw malformed(`read quantity ${word} outside 1..${max}`, ExceptionCode.IllegalDataValue);
      if (address + word > 0x10000) throw malformed(`read of ${word} at ${address} runs past 65535`, ExceptionCode.IllegalDataAddress);
      return { fn, address, count: word };
    }
    case 0x05: {
      if (pdu.length !== 5) throw malformed(`write-coil request must be 5 bytes, got ${pdu.length}`, ExceptionCode.IllegalDataValue);
      if (word !== COIL_ON && word !== 0) throw malformed(`coil value 0x${word.toString(16)} is neither FF00 nor 0000`, ExceptionCode.IllegalDataValue);
      return { fn, address, value: word === COIL_ON };
    }
    case 0x06: {
      if (pdu.length !== 5) throw malformed(`write-register request must be 5 bytes, got ${pdu.length}`, ExceptionCode.IllegalDataValue);
      return { fn, address, value: word };
    }
    default: {
      const coils = fn === 0x0f;
      const max = coils ? PDU_LIMITS.writeBits : PDU_LIMITS.writeRegisters;
      if (pdu.length < 6) throw malformed(`write-multiple request too short (${pdu.length} bytes)`, ExceptionCode.IllegalDataValue);
      const byteCount = pdu[5]!;
      const expectedBytes = coils ? Math.ceil(word / 8) : word * 2;
      if (word < 1 || word > max || byteCount !== expectedBytes || pdu.length !== 6 + byteCount) {
        throw malformed(`write-multiple quantity ${word} / byte count ${byteCount} / length ${pdu.length} inconsistent`, ExceptionCode.IllegalDataValue);
      }
      if (address + word > 0x10000) throw malformed(`write of ${word} at ${address} runs past 65535`, ExceptionCode.IllegalDataAddress);
      if (coils) return { fn: 0x0f, address, values: unpackBits(pdu, 6, word).map((b) => b === 1) };
      const values = new Array<number>(word);
      for (let i = 0; i < word; i++) values[i] = (pdu[6 + i * 2]! << 8) | pdu[7 + i * 2]!;
      return { fn: 0x10, address, values };
    }
  }
}

/** Reply PDU for a decoded request. Throws TypeError when the response does not fit the request (a device bug). */
export function encodeResponse(request: SlaveRequest, response: SlaveResponse): Buffer {
  const fn = request.fn;
  switch (response.kind) {
    case 'exception': {
      if (!Number.isInteger(response.code) || response.code < 1 || response.code > 0xff) {
        throw new TypeError(`exception code must be 1..255, got ${String(response.code)}`);
      }
      return Buffer.from([fn | 0x80, response.code]);
    }
    case 'bits': {
      if (fn !== 0x01 && fn !== 0x02) throw new TypeError(`bits answer to function ${fn}`);
      if (response.values.length !== request.count) {
        throw new TypeError(`${response.values.length} bits answered for a read of ${request.count}`);
      }
      const byteCount = Math.ceil(request.count / 8);
      const pdu = Buffer.alloc(2 + byteCount);
      pdu[0] = fn;
      pdu[1] = byteCount;
      packBits(response.values, pdu, 2);
      return pdu;
    }
    case 'registers': {
      if (fn !== 0x03 && fn !== 0x04) throw new TypeError(`registers answer to function ${fn}`);
      if (response.values.length !== request.count) {
        throw new TypeError(`${response.values.length} registers answered for a read of ${request.count}`);
      }
      const pdu = Buffer.allocUnsafe(2 + request.count * 2);
      pdu[0] = fn;
      pdu[1] = request.count * 2;
      for (let i = 0; i < request.count; i++) {
        const v = response.values[i]!;
        if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new TypeError(`register value must be 0..65535, got ${String(v)}`);
        pdu.writeUInt16BE(v, 2 + i * 2);
      }
      return pdu;
    }
    case 'write-ok': {
      const pdu = Buffer.allocUnsafe(5);
      pdu[0] = fn;
      pdu.writeUInt16BE(request.address, 1);
      if (fn === 0x05) pdu.writeUInt16BE(request.value ? COIL_ON : 0, 3);
      else if (fn === 0x06) pdu.writeUInt16BE(request.value, 3);
      else if (fn === 0x0f || fn === 0x10) pdu.writeUInt16BE(request.values.length, 3);
      else throw new TypeError(`write-ok answer to read function ${fn}`);
      return pdu;
    }
    default:
      throw new TypeError(`unknown response kind ${String((response as { kind?: unknown }).kind)}`);
  }
}

// ---------------------------------------------------------------- bit packing (LSB of the first byte = first bit)

function packBits(values: ArrayLike<number | boolean>, out: Buffer, offset: number): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i]) out[offset + (i >> 3)]! |= 1 << (i & 7);
  }
}

function unpackBits(buf: Uint8Array, offset: number, count: number): number[] {
  const bits = new Array<number>(count);
  for (let i = 0; i < count; i++) bits[i] = (buf[offset + (i >> 3)]! >> (i & 7)) & 1;
  return bits;
}
