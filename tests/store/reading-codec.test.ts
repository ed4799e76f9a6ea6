import { describe, expect, it } from 'vitest';
import { type BlockReading, decodeBlock, encodeBlock, QUALITY_CODES } from '../../edge/store/reading-codec.js';

// Seeded PRNG so a failure can be reproduced from the printed seed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGE_VALUES = [0, -0, 1, -1, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308 / 3, Number.MAX_VALUE, -Number.MAX_VALUE,
  Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 0.1, 0.35, 1 / 3, 2 ** 53, 2 ** 60 + 4096, 123456.789012, 1e-7, 5e-324];

function randomFloat(r: () => number): number {
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  switch (Math.floor(r() * 6)) {
    case 0:
      return EDGE_VALUES[Math.floor(r() * EDGE_VALUES.length)]!;
    case 1: // any bit pattern: NaN payloads, subnormals, huge, tiny
      u32[0] = Math.floor(r() * 2 ** 32);
      u32[1] = Math.floor(r() * 2 ** 32);
      return f64[0]!;
    case 2:
      return Math.round((r() - 0.5) * 2000) / 100; // 2-decimal noise
    case 3:
      return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    default:
      return Math.round(r() * 1e6) / 10 ** Math.floor(r() * 7);
  }
}

function randomBlock(r: () => number, n: number, decimalOnly: boolean): BlockReading[] {
  const out: BlockReading[] = [];
  let wall = Math.floor(r() * 2 ** 42);
  let raw = [Math.floor(r() * 65536)];
  for (let i = 0; i < n; i++) {
    wall += r() < 0.05 ? Math.floor((r() - 0.7) * 1e7) : 1000 + Math.floor((r() - 0.5) * 20);
    if (r() < 0.3) raw = r() < 0.1 ? [] : Array.from({ length: 1 + Math.floor(r() * 3) }, () => Math.floor(r() * 65536) - (r() < 0.1 ? 70000 : 0));
    const value = r() < 0.1 ? null : decimalOnly ? Math.round((r() - 0.5) * 1e5) / 1000 : randomFloat(r);
    out.push({
      wallTime: wall,
      monoTime: wall - 1_700_000_000_000 + Math.floor((r() - 0.5) * (r() < 0.05 ? 1e9 : 3)),
      value,
      quality: QUALITY_CODES[Math.floor(r() * QUALITY_CODES.length)]!,
      raw: raw.slice(),
    });
  }
  return out;
}

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
