import { describe, expect, it } from 'vitest';
import { type BlockReading, decodeBlock, encodeBlock, QUALITY_CODES } from '../../edge/store/reading-codec.js';
import { EDGE_VALUES, randomBlock, rng } from '../helpers/random-readings.js';

function expectSame(decoded: BlockReading[], original: BlockReading[]): void {
  expect(decoded.length).toBe(original.length);
  for (let i = 0; i < original.length; i++) {
    const a = decoded[i]!;
    const b = original[i]!;
    // Object.is: -0 stays -0, NaN stays NaN (and the exact bits are checked below).
    if (!Object.is(a.value, b.value)) throw new Error(`reading ${i}: value ${String(a.value)} decoded, ${String(b.value)} stored`);
    expect([a.wallTime, a.monoTime, a.quality, a.raw]).toEqual([b.wallTime, b.monoTime, b.quality, b.raw]);
  }
}

function bitsOf(v: number): string {
  return Buffer.from(new Float64Array([v]).buffer).toString('hex');
}

describe('reading block codec', () => {
  it('round-trips random blocks exactly: every float bit pattern, -0, subnormals, NaN, infinities, nulls', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const block = randomBlock(r, 1 + Math.floor(r() * 400), seed % 3 === 0);
      const decoded = decodeBlock(encodeBlock(block));
      try {
        expectSame(decoded, block);
        for (let i = 0; i < block.length; i++) {
          if (block[i]!.value !== null) expect(bitsOf(decoded[i]!.value!)).toBe(bitsOf(block[i]!.value!));
        }
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`);
      }
    }
  });

  it('round-trips every edge value alone and next to each other', () => {
    const block = EDGE_VALUES.flatMap((v, i) => [v, EDGE_VALUES[(i * 7) % EDGE_VALUES.length]!]).map((value, i) => ({ wallTime: i, monoTime: 0, value, quality: 'good' as const, raw: [] }));
    expectSame(decodeBlock(encodeBlock(block)), block);
    for (const value of EDGE_VALUES) {
      const one = [{ wallTime: 5, monoTime: 7, value, quality: 'stale' as const, raw: [1, 2] }];
      expectSame(decodeBlock(encodeBlock(one)), one);
    }
  });

  it('keeps raw words it cannot pack as integers (fractions, huge numbers)', () => {
    const block = [{ wallTime: 1, monoTime: 1, value: 1, quality: 'good' as const, raw: [0.5, 2 ** 60] }, { wallTime: 2, monoTime: 2, value: 2, quality: 'good' as const, raw: [] }];
    expectSame(decodeBlock(encodeBlock(block)), block);
  });

  it('stores a periodic 2-decimal noisy signal in under 4 bytes per reading', () => {
    const r = rng(7);
    const block: BlockReading[] = [];
    for (let i = 0; i < 900; i++) {
      const value = Math.round((0.35 + (r() - 0.5) * 0.02) * 100) / 100;
      block.push({ wallTime: 1_750_000_000_000 + i * 1000 + Math.floor(r() * 4), monoTime: 1000 + i * 1000, value, quality: 'good', raw: [Math.round(value * 100)] });
    }
    const bytes = encodeBlock(block).length;
    expect(bytes / block.length).toBeLessThan(4);
    expectSame(decodeBlock(encodeBlock(block)), block);
  });

  it('refuses what it cannot store exactly instead of storing something else', () => {
    expect(() => encodeBlock([])).toThrow(/no readings/);
    expect(() => encodeBlock([{ wallTime: 1.5, monoTime: 0, value: 1, quality: 'good', raw: [] }])).toThrow(/integer ms/);
    expect(() => encodeBlock([{ wallTime: 1, monoTime: 0, value: 1, quality: 'bogus' as 'good', raw: [] }])).toThrow(/quality/);
  });
});
