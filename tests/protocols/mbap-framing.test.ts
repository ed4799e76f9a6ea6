import { describe, expect, it } from 'vitest';
import { decodeMbapHeader, encodeMbapFrame, isValidMbapHeader, MbapReader } from '../../protocols/modbus/mbap-framing.js';
import { encodeReadRequest } from '../../protocols/modbus/pdu.js';

function collect() {
  const frames: Array<[number, number, number[]]> = [];
  const reader = new MbapReader((tid, unit, pdu) => frames.push([tid, unit, [...pdu]]));
  return { reader, frames };
}

describe('MBAP framing', () => {
  it('encodes the header with protocol 0 and a length covering unit + PDU', () => {
    const frame = encodeMbapFrame(0x1234, 0x11, encodeReadRequest('holding', 0x6b, 3));
    expect([...frame]).toEqual([0x12, 0x34, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6b, 0x00, 0x03]);
    const header = decodeMbapHeader(frame)!;
    expect(header).toEqual({ transactionId: 0x1234, protocolId: 0, length: 6, unit: 0x11 });
    expect(isValidMbapHeader(header)).toBe(true);
    expect(decodeMbapHeader(frame.subarray(0, 6))).toBeNull();
    expect(() => encodeMbapFrame(70000, 1, Buffer.from([3]))).toThrow(/70000/);
  });

  it('reassembles frames split across chunks and several frames in one chunk', () => {
    const a = encodeMbapFrame(1, 1, Buffer.from([0x03, 0x02, 0x00, 0x07]));
    const b = encodeMbapFrame(2, 9, Buffer.from([0x83, 0x02]));
    const stream = Buffer.concat([a, b, a]);
    const { reader, frames } = collect();
    for (let i = 0; i < stream.length; i += 5) reader.push(stream.subarray(i, i + 5));
    expect(frames).toEqual([
      [1, 1, [0x03, 0x02, 0x00, 0x07]],
      [2, 9, [0x83, 0x02]],
      [1, 1, [0x03, 0x02, 0x00, 0x07]],
    ]);
    expect(reader.buffered).toBe(0);
  });

  it('drops everything buffered on a bad header (no byte after it can be trusted), counts bad headers in a row, and reads the next chunk afresh', () => {
    const good = encodeMbapFrame(7, 1, Buffer.from([0x06, 0x00, 0x01, 0x00, 0x02]));
    const badProtocol = Buffer.from(good);
    badProtocol[3] = 1;
    const bad: number[] = [];
    const frames: number[] = [];
    const reader = new MbapReader((tid) => frames.push(tid), undefined, (inARow) => bad.push(inARow));
    reader.push(Buffer.concat([badProtocol, good]));
    expect(frames).toEqual([]);
    expect(reader.buffered).toBe(0);
    expect(reader.counters.discardedBytes).toBe(2 * good.length);
    reader.push(badProtocol);
    expect(bad).toEqual([1, 2]);
    expect(reader.badHeadersInARow).toBe(2);
    reader.push(good);
    expect(frames).toEqual([7]);
    expect(reader.badHeadersInARow).toBe(0);
  });

  it('a payload whose bytes look like a header (01 90 00 00 ..) is never read as one after a bad header', () => {
    // A read reply whose registers hold 0x0190, 0x0000 and a small number: scanning on byte by
    // byte after the broken header finds "protocol 0, length 7" inside the payload.
    const payload = Buffer.from([0x03, 0x08, 0x01, 0x90, 0x00, 0x00, 0x00, 0x07, 0x11, 0x03]);
    const broken = encodeMbapFrame(5, 1, payload);
    broken[2] = 0x01;
    const genuine = encodeMbapFrame(6, 1, Buffer.from([0x03, 0x02, 0x00, 0x2a]));
    const { reader, frames } = collect();
    reader.push(broken);
    reader.push(genuine);
    expect(frames).toEqual([[6, 1, [0x03, 0x02, 0x00, 0x2a]]]);
  });

  it('survives 10^6 random bytes without throwing or growing', () => {
    const { reader, frames } = collect();
    let fed = 0;
    while (fed < 1_000_000) {
      const chunk = Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 200) }, () => Math.floor(Math.random() * 256)));
      reader.push(chunk);
      fed += chunk.length;
      expect(reader.buffered).toBeLessThanOrEqual(4 * 260);
    }
    reader.clear();
    reader.push(encodeMbapFrame(99, 3, Buffer.from([0x03, 0x02, 0x00, 0x01])));
    expect(frames.at(-1)).toEqual([99, 3, [0x03, 0x02, 0x00, 0x01]]);
  });
});
