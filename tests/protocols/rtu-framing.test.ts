import { describe, expect, it } from 'vitest';
import { encodeReadRequest, encodeResponse, encodeWriteRequest, decodeRequest, expectedResponseLength } from '../../protocols/modbus/pdu.js';
import { buildRtuFrame, RtuRequestReader, RtuResponseReader, type RtuReplyExpectation } from '../../protocols/modbus/rtu-framing.js';
import type { DiscardReason } from '../../protocols/modbus/rx-buffer.js';
import { mulberry32 as prng } from '../helpers/prng.js';


function registersReply(unit: number, values: number[]): Buffer {
  const req = decodeRequest(encodeReadRequest('holding', 0, values.length));
  return buildRtuFrame(unit, encodeResponse(req, { kind: 'registers', values }));
}

function expectRegisters(unit: number, count: number): RtuReplyExpectation {
  const request = encodeReadRequest('holding', 0, count);
  return { unit, fn: 0x03, pduLength: expectedResponseLength(request) };
}

function recordingReader() {
  const discards: Array<[number, DiscardReason]> = [];
  const reader = new RtuResponseReader((bytes, reason) => discards.push([bytes, reason]));
  return { reader, discards };
}

describe('buildRtuFrame', () => {
  it('appends the CRC low byte first (spec example)', () => {
    expect([...buildRtuFrame(0x11, Buffer.from([0x03, 0x00, 0x6b, 0x00, 0x03]))]).toEqual([0x11, 0x03, 0x00, 0x6b, 0x00, 0x03, 0x76, 0x87]);
  });
});

describe('RtuResponseReader (master side)', () => {
  it('returns the reply PDU whole or delivered one byte at a time', () => {
    const frame = registersReply(7, [0x1234, 0xabcd]);
    const { reader } = recordingReader();
    reader.expect(expectRegisters(7, 2));
    expect([...reader.push(frame)!]).toEqual([0x03, 0x04, 0x12, 0x34, 0xab, 0xcd]);

    reader.expect(expectRegisters(7, 2));
    const results = [...frame].map((byte) => reader.push(Buffer.from([byte])));
    expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
    expect([...results.at(-1)!]).toEqual([0x03, 0x04, 0x12, 0x34, 0xab, 0xcd]);
  });

  it('skips garbage before the reply, including garbage that looks like a long reply header', () => {
    const frame = registersReply(7, [42]);
    const { reader, discards } = recordingReader();
    reader.expect(expectRegisters(7, 1));
    // 07 03 F0 announces a 245-byte reply that never comes; the real reply is already complete after it.
    const garbage = Buffer.from([0x00, 0xff, 0x55, 0x07, 0x03, 0xf0, 0x07]);
    const pdu = reader.push(Buffer.concat([garbage, frame]));
    expect(pdu && [...pdu]).toEqual([0x03, 0x02, 0x00, 42]);
    expect(reader.counters.discardedBytes).toBe(garbage.length);
    expect(discards).toEqual([[garbage.length, 'garbage']]);
  });

  it('rejects a frame with garbage inside it and takes the next valid reply', () => {
    const frame = registersReply(7, [1, 2, 3]);
    const torn = Buffer.concat([frame.subarray(0, 4), Buffer.from([0xee]), frame.subarray(4)]);
    const { reader } = recordingReader();
    reader.expect(expectRegisters(7, 3));
    expect(reader.push(torn)).toBeNull();
    expect(reader.counters.crcErrors).toBe(1);
    const good = registersReply(7, [4, 5, 6]);
    expect([...reader.push(good)!]).toEqual([0x03, 0x06, 0, 4, 0, 5, 0, 6]);
  });

  it('leaves garbage after the reply buffered, to be flushed as stale before the next request', () => {
    const { reader, discards } = recordingReader();
    reader.expect(expectRegisters(7, 1));
    expect(reader.push(Buffer.concat([registersReply(7, [9]), Buffer.from([1, 2, 3])]))).not.toBeNull();
    expect(reader.buffered).toBe(3);
    expect(reader.clear()).toBe(3);
    expect(discards.at(-1)).toEqual([3, 'stale']);
  });

  it('discards valid frames of another unit, function, length or echo, and counts them', () => {
    const { reader, discards } = recordingReader();
    reader.expect(expectRegisters(7, 2));
    const otherUnit = registersReply(8, [1, 2]);
    const otherFunction = buildRtuFrame(7, Buffer.from([0x04, 0x04, 0, 1, 0, 2]));
    const otherLength = registersReply(7, [1, 2, 3]);
    const mine = registersReply(7, [5, 6]);
    expect([...reader.push(Buffer.concat([otherUnit, otherFunction, otherLength, mine]))!]).toEqual([3, 4, 0, 5, 0, 6]);
    expect(discards.map(([, reason]) => reason)).toEqual(['wrong-unit', 'wrong-function', 'wrong-length']);
    expect(reader.counters.discardedFrames).toBe(3);

    // A write: a late echo of a different write is not the confirmation of this one.
    const request = encodeWriteRequest('holding', 10, [500]);
    reader.expect({ unit: 7, fn: 0x06, pduLength: 5, echo: request });
    const lateEcho = buildRtuFrame(7, encodeWriteRequest('holding', 10, [400]));
    expect(reader.push(lateEcho)).toBeNull();
    expect(discards.at(-1)).toEqual([8, 'mismatched-echo']);
    expect([...reader.push(buildRtuFrame(7, request))!]).toEqual([...request]);
  });

  it('accepts a 5-byte exception reply for the awaited unit and function', () => {
    const { reader } = recordingReader();
    reader.expect(expectRegisters(7, 10));
    expect([...reader.push(buildRtuFrame(7, Buffer.from([0x83, 0x02])))!]).toEqual([0x83, 0x02]);
  });

  it('takes nothing when no reply is awaited, and never grows past its capacity', () => {
    const { reader, discards } = recordingReader();
    expect(reader.push(registersReply(7, [1]))).toBeNull();
    reader.push(Buffer.alloc(5000, 0x11));
    expect(reader.buffered).toBeLessThanOrEqual(1024);
    expect(discards.some(([, reason]) => reason === 'overflow')).toBe(true);
  });
});

describe('RtuRequestReader (slave side)', () => {
  function collect() {
    const frames: Array<[number, number[]]> = [];
    const reader = new RtuRequestReader((unit, pdu) => frames.push([unit, [...pdu]]));
    return { reader, frames };
  }

  it('splits back-to-back requests, with byte counts for 0F/10, across arbitrary chunks', () => {
    const a = encodeReadRequest('input', 3, 4);
    const b = encodeWriteRequest('holding', 100, [1, 2, 3]);
    const c = encodeWriteRequest('coil', 7, [1, 0, 1, 1, 0, 1, 0, 0, 1]);
    const stream = Buffer.concat([buildRtuFrame(1, a), buildRtuFrame(2, b), buildRtuFrame(0, c)]);
    const { reader, frames } = collect();
    for (let i = 0; i < stream.length; i += 3) reader.push(stream.subarray(i, i + 3));
    expect(frames).toEqual([
      [1, [...a]],
      [2, [...b]],
      [0, [...c]],
    ]);
  });

  it('drops bad-CRC frames silently and resyncs on garbage before, inside and after frames', () => {
    const good = buildRtuFrame(5, encodeReadRequest('holding', 0, 10));
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1]! ^= 0xff;
    const torn = Buffer.concat([good.subarray(0, 3), Buffer.from([0x99]), good.subarray(3)]);
    const { reader, frames } = collect();
    reader.push(Buffer.concat([Buffer.from([0xfe, 0x01, 0x10, 0x00]), badCrc, torn, good, Buffer.from([0xff, 0x03, 0xff])]));
    reader.push(good);
    const pdu = [...encodeReadRequest('holding', 0, 10)];
    expect(frames).toEqual([
      [5, pdu],
      [5, pdu],
    ]);
    expect(reader.counters.discardedBytes).toBe(4 + badCrc.length + torn.length + 3);
  });
});

describe('fuzz: random bytes never throw and real frames are still found', () => {
  const TOTAL = 1_000_000;

  it('RtuResponseReader over 10^6 random bytes interleaved with replies', () => {
    const random = prng(0x5eed);
    const { reader } = recordingReader();
    let bytes = 0;
    let sent = 0;
    let recovered = 0;
    while (bytes < TOTAL) {
      const count = 1 + Math.floor(random() * 20);
      const values = Array.from({ length: count }, () => Math.floor(random() * 0x10000));
      reader.clear();
      reader.expect(expectRegisters(1 + Math.floor(random() * 247), count));
      const garbage = Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
      const unit = reader['expectation']!.unit;
      const frame = registersReply(unit, values);
      const stream = Buffer.concat([garbage, frame]);
      let got: Buffer | null = null;
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(random() * 64);
        got = reader.push(stream.subarray(i, i + n)) ?? got;
        i += n;
        if (got) break;
      }
      bytes += stream.length;
      sent++;
      if (got && got.equals(frame.subarray(1, frame.length - 2))) recovered++;
      expect(reader.buffered).toBeLessThanOrEqual(1024);
    }
    // A random tail can, with ~1e-4 odds per frame, form a CRC-valid frame overlapping the real one.
    expect(recovered / sent).toBeGreaterThan(0.99);
  });

  it('RtuRequestReader over 10^6 random bytes interleaved with requests', () => {
    const random = prng(0xbeef);
    const frames: Buffer[] = [];
    const reader = new RtuRequestReader((_unit, pdu) => frames.push(pdu));
    const sentPdus = new Set<string>();
    let bytes = 0;
    let sent = 0;
    while (bytes < TOTAL) {
      const pdu = random() < 0.5 ? encodeReadRequest('holding', Math.floor(random() * 1000), 1 + Math.floor(random() * 125)) : encodeWriteRequest('holding', Math.floor(random() * 1000), [1, 2, 3, Math.floor(random() * 0x10000)]);
      sentPdus.add(pdu.toString('hex'));
      const garbage = Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
      const stream = Buffer.concat([garbage, buildRtuFrame(1 + Math.floor(random() * 247), pdu)]);
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(random() * 64);
        reader.push(stream.subarray(i, i + n));
        i += n;
      }
      bytes += stream.length;
      sent++;
    }
    reader.push(Buffer.alloc(300, 0xff)); // flush any incomplete candidate at the end
    const genuine = frames.filter((f) => sentPdus.has(f.toString('hex'))).length;
    expect(genuine / sent).toBeGreaterThan(0.99);
  });

  it('both readers survive pure noise in every chunk size', () => {
    const random = prng(42);
    const { reader: master } = recordingReader();
    const slave = new RtuRequestReader(() => undefined);
    let fed = 0;
    while (fed < TOTAL) {
      if (random() < 0.01) master.expect(expectRegisters(1 + Math.floor(random() * 247), 1 + Math.floor(random() * 125)));
      const chunk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      master.push(chunk);
      slave.push(chunk);
      fed += chunk.length;
    }
    expect(master.buffered).toBeLessThanOrEqual(1024);
  });
});
