import { describe, expect, it } from 'vitest';
import type { BlockReading } from '../../edge/store/reading-codec.js';
import { decodeSegment, encodeFrame, freshSegmentState, KEY_FRAME_EVERY_MS, scanKeyFrames } from '../../edge/store/segment-codec.js';
import { EDGE_VALUES, randomBlock, randomFloat, rng } from '../helpers/random-readings.js';

function bitsOf(v: number | null): string {
  return v === null ? 'null' : Buffer.from(new Float64Array([v]).buffer).toString('hex');
}

/** Bit for bit: -0 stays -0, NaN keeps its payload, raw words of any kind. */
function expectSame(decoded: readonly BlockReading[], original: readonly BlockReading[]): void {
  expect(decoded.length).toBe(original.length);
  for (let i = 0; i < original.length; i++) {
    const a = decoded[i]!;
    const b = original[i]!;
    expect([a.wallTime, a.monoTime, a.quality, bitsOf(a.value), a.raw.map(bitsOf)], `reading ${i}`).toEqual([b.wallTime, b.monoTime, b.quality, bitsOf(b.value), b.raw.map(bitsOf)]);
  }
}

/** A segment file's bytes: the readings cut into frames of 1..maxPerFrame, as the writer's batches do. */
function segmentOf(readings: readonly BlockReading[], r: () => number, maxPerFrame: number): Buffer {
  const state = freshSegmentState();
  const frames: Buffer[] = [];
  for (let i = 0; i < readings.length;) {
    const n = 1 + Math.floor(r() * maxPerFrame);
    frames.push(encodeFrame(state, readings.slice(i, i + n)));
    i += n;
  }
  return Buffer.concat(frames);
}

describe('segment codec', () => {
  it('round-trips chains of frames exactly: every float bit pattern, nulls, raw words of any kind and count', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const readings = randomBlock(r, 1 + Math.floor(r() * 300), seed % 3 === 0);
      // Raw words beyond what the drivers produce: long lists, fractions, NaN, infinities, -0.
      for (const x of readings) if (r() < 0.1) x.raw = Array.from({ length: Math.floor(r() * 40) }, () => (r() < 0.5 ? randomFloat(r) : Math.floor(r() * 2 ** 48)));
      const buf = segmentOf(readings, r, seed % 5 === 0 ? 400 : 4);
      const got = decodeSegment(buf);
      expect(got.validBytes, `seed ${seed}`).toBe(buf.length);
      expectSame(got.readings, readings);
    }
  });

  it('round-trips every edge value as value and raw word, in one frame and in frames of one', () => {
    const readings: BlockReading[] = EDGE_VALUES.flatMap((v, i) => [v, EDGE_VALUES[(i * 7) % EDGE_VALUES.length]!]).map((value, i) => ({
      wallTime: 1_700_000_000_000 + i * 1000,
      monoTime: i,
      value,
      quality: 'good',
      raw: [value, i],
    }));
    expectSame(decodeSegment(encodeFrame(freshSegmentState(), readings)).readings, readings);
    expectSame(decodeSegment(segmentOf(readings, () => 0, 1)).readings, readings);
  });

  it('takes frames of any size (multi-byte lengths) and keeps a 1 s decimal signal under 7 bytes a reading, header included', () => {
    const big = randomBlock(rng(9), 5_000, false);
    const buf = encodeFrame(freshSegmentState(), big);
    expect(buf.length).toBeGreaterThan(16_384); // a 3-byte length
    expectSame(decodeSegment(buf).readings, big);

    const state = freshSegmentState();
    let bytes = 0;
    const wall0 = 1_767_571_200_000;
    for (let s = 0; s < 3600; s++) {
      const value = Math.round((0.3 + 0.02 * Math.sin(s / 60) + (s % 7) * 0.01) * 100) / 100;
      bytes += encodeFrame(state, [{ wallTime: wall0 + s * 1000 + (s % 3), monoTime: s * 1000 + (s % 3), value, quality: 'good', raw: [Math.round(value * 100)] }]).length;
    }
    expect(bytes / 3600).toBeLessThan(7);
  });

  it('cuts a torn, zero-filled or garbage tail at the last good frame, and never accepts garbage', () => {
    const r = rng(42);
    const readings = randomBlock(r, 200, true);
    const good = segmentOf(readings, r, 3);
    const next = encodeFrame(decodeSegment(good).state, randomBlock(r, 5, true));
    for (let cut = 0; cut < next.length; cut++) {
      const got = decodeSegment(Buffer.concat([good, next.subarray(0, cut)]));
      expect(got.validBytes).toBe(good.length);
      expect(got.readings.length).toBe(readings.length);
    }
    expect(decodeSegment(Buffer.concat([good, Buffer.alloc(4096)])).validBytes).toBe(good.length);
    // 20,000 random garbage tails (what a power cut can leave on a file system without ordered data).
    const short = segmentOf(readings.slice(0, 10), r, 3);
    for (let i = 0; i < 20_000; i++) {
      const tail = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
      if (decodeSegment(Buffer.concat([short, tail])).validBytes !== short.length) throw new Error(`garbage tail accepted: ${tail.toString('hex')}`);
    }
    // A flipped bit inside a frame cuts the file there: the frames before it survive.
    const flipped = Buffer.from(good);
    flipped[Math.floor(good.length / 2)]! ^= 0x10;
    const cut = decodeSegment(flipped);
    expect(cut.validBytes).toBeLessThan(good.length);
    expectSame(cut.readings, readings.slice(0, cut.readings.length));
  });

  it('reports a file whose times go backwards as unsorted, and leaves the state as it was when a reading is refused', () => {
    const state = freshSegmentState();
    const a = encodeFrame(state, [{ wallTime: 2000, monoTime: 0, value: 1, quality: 'good', raw: [] }]);
    const before = { ...state };
    expect(() => encodeFrame(state, [{ wallTime: 2 ** 50, monoTime: 0, value: 1, quality: 'good', raw: [] }])).toThrow(TypeError);
    expect(state).toEqual(before);
    const b = encodeFrame(state, [{ wallTime: 1000, monoTime: 0, value: 2, quality: 'stale', raw: [] }]);
    expect(decodeSegment(Buffer.concat([a])).sorted).toBe(true);
    const both = decodeSegment(Buffer.concat([a, b]));
    expect(both.sorted).toBe(false);
    expect(both.readings.map((x) => [x.wallTime, x.value, x.quality])).toEqual([[2000, 1, 'good'], [1000, 2, 'stale']]);
  });

  it('starts a key frame every 10 minutes, from which the rest of the file decodes alone', () => {
    const state = freshSegmentState();
    const readings: BlockReading[] = Array.from({ length: 3600 }, (_, s) => ({ wallTime: 1_767_571_200_000 + s * 1000, monoTime: s * 1000, value: Math.round(Math.sin(s / 50) * 1000) / 100, quality: 'good', raw: [s] }));
    const buf = Buffer.concat(readings.map((r) => encodeFrame(state, [r])));
    const keys = scanKeyFrames(buf);
    expect(keys.validBytes).toBe(buf.length);
    expect(keys.walls).toEqual(Array.from({ length: 6 }, (_, i) => readings[0]!.wallTime + i * KEY_FRAME_EVERY_MS));
    for (let i = 0; i < keys.offsets.length; i++) {
      expectSame(decodeSegment(buf, undefined, keys.offsets[i]!).readings, readings.slice(i * 600));
      expectSame(decodeSegment(buf, undefined, keys.offsets[i]!, keys.offsets[i + 1] ?? buf.length).readings, readings.slice(i * 600, (i + 1) * 600));
    }
  });
});
