import { describe, expect, it } from 'vitest';
import { ModbusError } from '../../protocols/modbus/errors.js';
import {
  decodeRequest,
  decodeResponse,
  encodeReadRequest,
  encodeResponse,
  encodeWriteRequest,
  expectedResponseLength,
} from '../../protocols/modbus/pdu.js';
import type { ModbusTable, SlaveRequest, SlaveResponse } from '../../protocols/modbus/types.js';

function caught(fn: () => unknown): ModbusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModbusError) return err;
    throw err;
  }
  throw new Error('expected a ModbusError');
}

const rnd = (n: number) => Math.floor(Math.random() * n);

/** A slave that answers reads with given values and acknowledges writes. */
function answer(req: SlaveRequest, values: number[]): SlaveResponse {
  if (req.fn === 0x01 || req.fn === 0x02) return { kind: 'bits', values: values.map((v) => v === 1) };
  if (req.fn === 0x03 || req.fn === 0x04) return { kind: 'registers', values };
  return { kind: 'write-ok' };
}

describe('master-side encoding', () => {
  it('encodes read requests with the table function code', () => {
    expect([...encodeReadRequest('coil', 0x13, 0x25)]).toEqual([0x01, 0x00, 0x13, 0x00, 0x25]);
    expect([...encodeReadRequest('discrete', 0xc4, 22)]).toEqual([0x02, 0x00, 0xc4, 0x00, 0x16]);
    expect([...encodeReadRequest('holding', 0x6b, 3)]).toEqual([0x03, 0x00, 0x6b, 0x00, 0x03]);
    expect([...encodeReadRequest('input', 0x08, 1)]).toEqual([0x04, 0x00, 0x08, 0x00, 0x01]);
  });

  it('uses 05/06 for one value and 0F/10 for several (spec examples)', () => {
    expect([...encodeWriteRequest('coil', 0xac, [1])]).toEqual([0x05, 0x00, 0xac, 0xff, 0x00]);
    expect([...encodeWriteRequest('coil', 0xac, [0])]).toEqual([0x05, 0x00, 0xac, 0x00, 0x00]);
    expect([...encodeWriteRequest('holding', 0x01, [3])]).toEqual([0x06, 0x00, 0x01, 0x00, 0x03]);
    // 10 coils 1,0,1,1,0,0,1,1, 1,0 → CD 01
    expect([...encodeWriteRequest('coil', 0x13, [1, 0, 1, 1, 0, 0, 1, 1, 1, 0])]).toEqual([0x0f, 0x00, 0x13, 0x00, 0x0a, 0x02, 0xcd, 0x01]);
    expect([...encodeWriteRequest('holding', 0x01, [0x000a, 0x0102])]).toEqual([0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0a, 0x01, 0x02]);
  });

  it('enforces the per-request limits of the spec', () => {
    expect(() => encodeReadRequest('holding', 0, 125)).not.toThrow();
    expect(caught(() => encodeReadRequest('holding', 0, 126)).code).toBe('malformed');
    expect(() => encodeReadRequest('coil', 0, 2000)).not.toThrow();
    expect(caught(() => encodeReadRequest('coil', 0, 2001)).code).toBe('malformed');
    expect(caught(() => encodeReadRequest('input', 0, 0)).code).toBe('malformed');
    expect(caught(() => encodeReadRequest('input', 65530, 10)).message).toMatch(/65535/);
    expect(caught(() => encodeReadRequest('input', -1, 1)).message).toMatch(/-1/);
    expect(() => encodeWriteRequest('holding', 0, new Array(123).fill(1))).not.toThrow();
    expect(caught(() => encodeWriteRequest('holding', 0, new Array(124).fill(1))).code).toBe('malformed');
    expect(() => encodeWriteRequest('coil', 0, new Array(1968).fill(1))).not.toThrow();
    expect(caught(() => encodeWriteRequest('coil', 0, new Array(1969).fill(1))).code).toBe('malformed');
    expect(caught(() => encodeWriteRequest('coil', 0, [2])).message).toMatch(/0 or 1, got 2/);
    expect(caught(() => encodeWriteRequest('holding', 0, [70000])).message).toMatch(/70000/);
    expect(caught(() => encodeWriteRequest('holding', 0, [])).code).toBe('malformed');
  });
});

describe('round trips master → slave → master', () => {
  it('reads of every table return exactly the values the slave answered', () => {
    const tables: ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];
    for (let n = 0; n < 400; n++) {
      const table = tables[n % 4]!;
      const bits = table === 'coil' || table === 'discrete';
      const count = 1 + rnd(bits ? 2000 : 125);
      const address = rnd(0x10000 - count);
      const request = encodeReadRequest(table, address, count);
      const decoded = decodeRequest(request);
      expect(decoded).toEqual({ fn: request[0], address, count });
      const values = Array.from({ length: count }, () => (bits ? rnd(2) : rnd(0x10000)));
      const reply = encodeResponse(decoded, answer(decoded, values));
      expect(reply.length).toBe(expectedResponseLength(request));
      expect(decodeResponse(request, reply)).toEqual(values);
    }
  });

  it('writes arrive at the slave as sent and the echo is accepted', () => {
    for (let n = 0; n < 400; n++) {
      const coils = n % 2 === 0;
      const count = 1 + rnd(coils ? 1968 : 123);
      const address = rnd(0x10000 - count);
      const values = Array.from({ length: count }, () => (coils ? rnd(2) : rnd(0x10000)));
      const request = encodeWriteRequest(coils ? 'coil' : 'holding', address, values);
      const decoded = decodeRequest(request);
      expect(decoded.address).toBe(address);
      if ('values' in decoded) expect(decoded.values.map(Number)).toEqual(values);
      else if ('value' in decoded) expect(Number(decoded.value)).toBe(values[0]);
      else throw new Error('write decoded as a read');
      const reply = encodeResponse(decoded, { kind: 'write-ok' });
      expect(reply.length).toBe(expectedResponseLength(request));
      expect(decodeResponse(request, reply)).toEqual([]);
    }
  });
});

describe('decodeResponse rejects what does not answer the request', () => {
  const read = encodeReadRequest('holding', 10, 2);

  it('turns an exception reply into ModbusError exception with its code', () => {
    const err = caught(() => decodeResponse(read, Buffer.from([0x83, 0x02])));
    expect(err.code).toBe('exception');
    expect(err.exceptionCode).toBe(2);
  });

  it('flags wrong length, byte count, function and echo as malformed', () => {
    expect(caught(() => decodeResponse(read, Buffer.from([0x03, 0x04, 0, 1, 0]))).code).toBe('malformed');
    expect(caught(() => decodeResponse(read, Buffer.from([0x03, 0x02, 0, 1, 0, 2]))).code).toBe('malformed');
    expect(caught(() => decodeResponse(read, Buffer.from([0x04, 0x04, 0, 1, 0, 2]))).code).toBe('malformed');
    expect(caught(() => decodeResponse(read, Buffer.from([0x83, 0x02, 0x00]))).code).toBe('malformed');
    const write = encodeWriteRequest('holding', 5, [1234]);
    const wrongEcho = Buffer.from(write);
    wrongEcho[4] = 0;
    expect(caught(() => decodeResponse(write, wrongEcho)).message).toMatch(/echo/);
  });
});

describe('decodeRequest (slave side)', () => {
  it('reports the exception a real slave would answer', () => {
    expect(caught(() => decodeRequest(Buffer.from([0x2b, 0x0e, 0x01, 0x00]))).exceptionCode).toBe(1);
    expect(caught(() => decodeRequest(Buffer.from([0x03, 0x00, 0x00, 0x00, 0x00]))).exceptionCode).toBe(3);
    expect(caught(() => decodeRequest(Buffer.from([0x03, 0x00, 0x00, 0x00, 0x7e]))).exceptionCode).toBe(3);
    expect(caught(() => decodeRequest(Buffer.from([0x03, 0xff, 0xff, 0x00, 0x02]))).exceptionCode).toBe(2);
    expect(caught(() => decodeRequest(Buffer.from([0x05, 0x00, 0x01, 0x12, 0x34]))).exceptionCode).toBe(3);
    // 0F with a byte count that does not match the quantity
    expect(caught(() => decodeRequest(Buffer.from([0x0f, 0x00, 0x00, 0x00, 0x0a, 0x01, 0xff]))).exceptionCode).toBe(3);
    expect(caught(() => decodeRequest(Buffer.from([0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00]))).exceptionCode).toBe(3);
    expect(caught(() => decodeRequest(Buffer.alloc(0))).code).toBe('malformed');
  });

  it('refuses a device answer that does not fit the request', () => {
    const req = decodeRequest(encodeReadRequest('holding', 0, 3));
    expect(() => encodeResponse(req, { kind: 'registers', values: [1, 2] })).toThrow(TypeError);
    expect(() => encodeResponse(req, { kind: 'bits', values: [true, false, true] })).toThrow(TypeError);
    expect(() => encodeResponse(req, { kind: 'registers', values: [1, 2, 65536] })).toThrow(/65536/);
    expect(() => encodeResponse(req, { kind: 'write-ok' })).toThrow(TypeError);
    expect([...encodeResponse(req, { kind: 'exception', code: 2 })]).toEqual([0x83, 0x02]);
  });
});
