import { describe, expect, it } from 'vitest';
import {
  buildFrame,
  CardFrameParser,
  chunkRecords,
  encodeCardFrame,
  MAX_FRAME,
  MAX_RECORDS_PER_FRAME,
} from '../../../protocols/card-reader/frame.js';
import { ALL_CARDS, type CardFrame, type CardRecord } from '../../../protocols/card-reader/types.js';
import { mulberry32 as rng } from '../../helpers/prng.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');


// The README's worked examples, computed by an independent CRC implementation.
const GOLDEN: [string, CardFrame, string][] = [
  [
    'card report with two records',
    {
      type: 'card-report',
      reader: 3,
      seq: 0x17,
      records: [
        { tag: 123456, rssi: -62, distanceM: 12.5, lowBattery: false, sos: false, sosDouble: false },
        { tag: 12345678, rssi: -75, distanceM: -3.4, lowBattery: true, sos: true, sosDouble: false },
      ],
    },
    'A5 5A 14 03 17 01 02 00 01 E2 40 C2 00 7D 00 00 BC 61 4E B5 00 22 0B 5F BC',
  ],
  ['empty report (heartbeat)', { type: 'card-report', reader: 3, seq: 0x18, records: [] }, 'A5 5A 04 03 18 01 00 54 13'],
  ['status', { type: 'status', reader: 3, seq: 0x19, power: 'ac', canPage: true, cardsInRange: 2 }, 'A5 5A 07 03 19 02 01 01 00 02 98 D9'],
  ['page command', { type: 'page', reader: 3, seq: 5, tag: 123456, mode: 'call' }, 'A5 5A 08 03 05 81 00 01 E2 40 01 37 FE'],
  ['page ack', { type: 'page-ack', reader: 3, seq: 0x1a, commandSeq: 5, tag: 123456, result: 'delivered' }, 'A5 5A 09 03 1A 82 05 00 01 E2 40 00 07 FC'],
];

function randomFrame(next: () => number): CardFrame {
  const reader = 1 + Math.floor(next() * 254);
  const seq = Math.floor(next() * 256);
  const kind = next();
  if (kind < 0.7) {
    const count = Math.floor(next() * (MAX_RECORDS_PER_FRAME + 1));
    const records: CardRecord[] = [];
    for (let i = 0; i < count; i++) {
      const dm = Math.floor(next() * 0x10000);
      const double = next() < 0.05;
      records.push({
        tag: Math.floor(next() * 0x100000000),
        rssi: Math.floor(next() * 256) - 128,
        distanceM: dm === 0 ? 0 : (next() < 0.5 ? -dm : dm) / 10,
        lowBattery: next() < 0.1,
        sos: double || next() < 0.05,
        sosDouble: double,
      });
    }
    return { type: 'card-report', reader, seq, records };
  }
  if (kind < 0.85) return { type: 'status', reader, seq, power: (['dc', 'ac', 'fault', 'unknown'] as const)[Math.floor(next() * 4)]!, canPage: next() < 0.5, cardsInRange: Math.floor(next() * 0x10000) };
  if (kind < 0.93) return { type: 'page-ack', reader, seq, commandSeq: Math.floor(next() * 256), tag: Math.floor(next() * 0x100000000), result: (['delivered', 'not-in-range', 'unsupported'] as const)[Math.floor(next() * 3)]! };
  return { type: 'page', reader, seq, tag: next() < 0.2 ? ALL_CARDS : Math.floor(next() * 0x100000000), mode: (['call', 'evacuate', 'cancel'] as const)[Math.floor(next() * 3)]! };
}

describe('card-reader frame encoding', () => {
  it.each(GOLDEN)('%s: golden bytes both ways', (_name, frame, bytes) => {
    expect(encodeCardFrame(frame).toString('hex').toUpperCase()).toBe(bytes.replace(/ /g, ''));
    const parser = new CardFrameParser();
    expect(parser.push(hex(bytes))).toEqual([frame]);
    expect(parser.stats()).toMatchObject({ frames: 1, discardedBytes: 0, badCrc: 0 });
  });

  it('keeps the field limits: tags, RSSI, distance, side and flags', () => {
    const records: CardRecord[] = [
      { tag: 0, rssi: -128, distanceM: 0, lowBattery: false, sos: false, sosDouble: false },
      { tag: 0xffffffff, rssi: 127, distanceM: 6553.5, lowBattery: true, sos: true, sosDouble: true },
      { tag: 42, rssi: -1, distanceM: -6553.5, lowBattery: false, sos: true, sosDouble: false },
      { tag: 43, rssi: -90, distanceM: -0.04, lowBattery: false, sos: false, sosDouble: false },
    ];
    const [decoded] = new CardFrameParser().push(encodeCardFrame({ type: 'card-report', reader: 254, seq: 255, records }));
    expect(decoded).toEqual({
      type: 'card-report',
      reader: 254,
      seq: 255,
      // -0.04 m rounds to 0 dm: no negative zero, no side bit.
      records: [records[0], records[1], records[2], { ...records[3], distanceM: 0 }],
    });
  });

  it('a double-press is also an SOS, even if the caller forgot the sos flag', () => {
    const [decoded] = new CardFrameParser().push(
      encodeCardFrame({ type: 'card-report', reader: 1, seq: 0, records: [{ tag: 7, rssi: -50, distanceM: 1, lowBattery: false, sos: false, sosDouble: true }] }),
    );
    expect((decoded as Extract<CardFrame, { type: 'card-report' }>).records[0]).toMatchObject({ sos: true, sosDouble: true });
  });

  it('refuses frames it cannot encode, naming the bad value', () => {
    const rec = { tag: 1, rssi: -50, distanceM: 1, lowBattery: false, sos: false };
    expect(() => encodeCardFrame({ type: 'card-report', reader: 0, seq: 0, records: [] })).toThrow(/reader address must be an integer 1\.\.254, got 0/);
    expect(() => encodeCardFrame({ type: 'card-report', reader: 255, seq: 0, records: [] })).toThrow(TypeError);
    expect(() => encodeCardFrame({ type: 'card-report', reader: 1, seq: 256, records: [] })).toThrow(/seq .* got 256/);
    expect(() => encodeCardFrame({ type: 'card-report', reader: 1, seq: 0, records: [{ ...rec, rssi: -129 }] })).toThrow(/records\[0\]\.rssi .* got -129/);
    expect(() => encodeCardFrame({ type: 'card-report', reader: 1, seq: 0, records: [{ ...rec, tag: 2 ** 32 }] })).toThrow(/records\[0\]\.tag/);
    expect(() => encodeCardFrame({ type: 'card-report', reader: 1, seq: 0, records: [rec, { ...rec, distanceM: 7000 }] })).toThrow(/records\[1\]\.distanceM .* got 7000/);
    expect(() => encodeCardFrame({ type: 'card-report', reader: 1, seq: 0, records: [{ ...rec, distanceM: Number.NaN }] })).toThrow(/got NaN/);
    expect(() => encodeCardFrame({ type: 'card-report', reader: 1, seq: 0, records: Array(MAX_RECORDS_PER_FRAME + 1).fill(rec) })).toThrow(/at most 31 records, got 32/);
    expect(() => encodeCardFrame({ type: 'page', reader: 1, seq: 0, tag: 1, mode: 'shout' as 'call' })).toThrow(/got shout/);
    expect(() => encodeCardFrame({ type: 'page-ack', reader: 1, seq: 0, commandSeq: 0, tag: 1, result: 'maybe' as 'delivered' })).toThrow(/got maybe/);
    expect(() => encodeCardFrame({ type: 'status', reader: 1, seq: 0, power: 'solar' as 'ac', canPage: true, cardsInRange: 0 })).toThrow(/got solar/);
    expect(() => encodeCardFrame({ type: 'hello', reader: 1, seq: 0 } as unknown as CardFrame)).toThrow(/got hello/);
  });

  it('chunkRecords splits a crowd into frame-sized groups (and an empty list into one empty report)', () => {
    expect(chunkRecords([]).map((c) => c.length)).toEqual([0]);
    expect(chunkRecords(Array.from({ length: 70 }, (_, i) => i)).map((c) => c.length)).toEqual([31, 31, 8]);
    expect(() => chunkRecords([1], 32)).toThrow(/1\.\.31, got 32/);
  });
});

describe('CardFrameParser', () => {
  const report = encodeCardFrame(GOLDEN[0]![1]);
  const status = encodeCardFrame(GOLDEN[2]![1]);

  it('reassembles frames delivered one byte at a time, and several frames in one chunk', () => {
    const parser = new CardFrameParser();
    const got: CardFrame[] = [];
    for (const byte of Buffer.concat([report, status])) got.push(...parser.push(Buffer.from([byte])));
    expect(got).toEqual([GOLDEN[0]![1], GOLDEN[2]![1]]);
    expect(parser.push(Buffer.concat([status, report, status]))).toHaveLength(3);
    expect(parser.pending).toBe(0);
  });

  it('resynchronises after garbage, counting what it dropped', () => {
    const parser = new CardFrameParser();
    const noise = hex('00 FF A5 A5 5A 02 13 37');
    expect(parser.push(Buffer.concat([noise, report, hex('A5'), status]))).toEqual([GOLDEN[0]![1], GOLDEN[2]![1]]);
    const s = parser.stats();
    // "A5 5A 02" has a LEN below 3: counted as a bad length; every noise byte is discarded.
    expect(s).toMatchObject({ frames: 2, badLength: 1, discardedBytes: noise.length + 1 });
  });

  it('rejects a frame with a broken CRC and still finds the frame after it', () => {
    const broken = Buffer.from(report);
    broken[10] ^= 0x01;
    const parser = new CardFrameParser();
    expect(parser.push(Buffer.concat([broken, status]))).toEqual([GOLDEN[2]![1]]);
    expect(parser.stats()).toMatchObject({ frames: 1, badCrc: 1, discardedBytes: broken.length });
  });

  it('skips CRC-valid frames with a wrong payload length, an unknown type or a reserved address', () => {
    const parser = new CardFrameParser();
    const wrongCount = buildFrame(3, 1, 0x01, hex('02 00 01 E2 40 C2 00 7D 00')); // says 2 records, carries 1
    const shortStatus = buildFrame(3, 2, 0x02, hex('01 01 00'));
    const future = buildFrame(3, 3, 0x33, hex('01 02 03'));
    const badAddress = buildFrame(0, 4, 0x01, hex('00'));
    const badMode = buildFrame(3, 5, 0x81, hex('00 00 00 01 07'));
    expect(parser.push(Buffer.concat([wrongCount, shortStatus, future, badAddress, badMode, status]))).toEqual([GOLDEN[2]![1]]);
    expect(parser.stats()).toMatchObject({ frames: 1, badLength: 2, unknownType: 1, malformed: 2, badCrc: 0 });
  });

  it('a false start in noise does not hold back a complete frame that follows it', () => {
    const parser = new CardFrameParser();
    // Noise that looks like the start of a 200-byte frame, then a real frame: returned at once.
    expect(parser.push(Buffer.concat([hex('A5 5A C8 01'), report]))).toEqual([GOLDEN[0]![1]]);
    expect(parser.pending).toBe(0);
    expect(parser.stats()).toMatchObject({ abandoned: 1, discardedBytes: 4 });
  });

  it('flush() (line idle) gives up a candidate that never completed', () => {
    const parser = new CardFrameParser();
    expect(parser.push(hex('A5 5A C8 01 02 03'))).toEqual([]);
    expect(parser.pending).toBe(6);
    expect(parser.flush()).toEqual([]);
    expect(parser.pending).toBe(0);
    expect(parser.stats()).toMatchObject({ abandoned: 1, discardedBytes: 6 });
    // A partial frame followed by silence and then the whole frame again: the repeat is parsed.
    expect(parser.push(report.subarray(0, 12))).toEqual([]);
    parser.flush();
    expect(parser.push(report)).toEqual([GOLDEN[0]![1]]);
  });

  it('a frame split across chunks is not flushed while it is still arriving', () => {
    const parser = new CardFrameParser();
    expect(parser.push(report.subarray(0, 10))).toEqual([]);
    expect(parser.push(report.subarray(10))).toEqual([GOLDEN[0]![1]]);
  });

  it('never throws on 10^6 random bytes, keeps its buffer bounded, and finds no frames in noise', () => {
    const next = rng(0xc0ffee);
    const parser = new CardFrameParser();
    const total = 1_000_000;
    let found = 0;
    let fed = 0;
    while (fed < total) {
      const size = Math.min(total - fed, 1 + Math.floor(next() * 700));
      const chunk = Buffer.allocUnsafe(size);
      for (let i = 0; i < size; i++) chunk[i] = Math.floor(next() * 256);
      // Bias some chunks towards start bytes so false starts are frequent, not one in 65536.
      if (next() < 0.2) chunk.set([0xa5, 0x5a], Math.floor(next() * Math.max(1, size - 1)));
      found += parser.push(chunk.subarray(0, size)).length;
      expect(parser.pending).toBeLessThan(MAX_FRAME);
      fed += size;
    }
    found += parser.flush().length;
    const s = parser.stats();
    expect(s.bytes).toBe(total);
    expect(found).toBe(0);
    expect(s.discardedBytes).toBe(total);
    expect(s.badCrc + s.badLength).toBeGreaterThan(100);
    expect(s.overflowBytes).toBe(0);
  });

  it('recovers every valid frame interleaved with random noise, in order, whatever the chunking', () => {
    const next = rng(7);
    const frames: CardFrame[] = [];
    const parts: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const noise = Buffer.allocUnsafe(Math.floor(next() * 40));
      for (let j = 0; j < noise.length; j++) noise[j] = Math.floor(next() * 256);
      if (next() < 0.3 && noise.length >= 3) noise.set([0xa5, 0x5a, Math.floor(next() * 256)], noise.length - 3); // false start right before a frame
      parts.push(noise);
      const frame = randomFrame(next);
      frames.push(frame);
      parts.push(encodeCardFrame(frame));
    }
    const stream = Buffer.concat(parts);
    const parser = new CardFrameParser();
    const got: CardFrame[] = [];
    for (let off = 0; off < stream.length; ) {
      const size = 1 + Math.floor(next() * 300);
      got.push(...parser.push(stream.subarray(off, off + size)));
      off += size;
    }
    got.push(...parser.flush());
    expect(got.length).toBe(frames.length);
    expect(got).toEqual(frames);
    expect(parser.stats().frames).toBe(frames.length);
  });

  it('takes a multi-megabyte chunk in one push without overflowing', () => {
    const one = encodeCardFrame(GOLDEN[0]![1]);
    const many = Buffer.concat(Array.from({ length: 100_000 }, () => one));
    const parser = new CardFrameParser();
    expect(parser.push(many)).toHaveLength(100_000);
    expect(parser.stats().overflowBytes).toBe(0);
  });

  it('validates its options and input type', () => {
    expect(() => new CardFrameParser({ capacity: 100 })).toThrow(/capacity must be an integer >= 520, got 100/);
    expect(() => new CardFrameParser().push('A55A' as unknown as Buffer)).toThrow(TypeError);
  });
});
