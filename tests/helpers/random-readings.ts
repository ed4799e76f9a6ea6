// Seeded random readings for the store's codec tests (reading-codec.test.ts, segment-codec.test.ts):
// every float bit pattern, -0, subnormals, NaN, infinities, nulls, jittered and jumping times.
import { type BlockReading, QUALITY_CODES } from '../../edge/store/reading-codec.js';

// Seeded PRNG so a failure can be reproduced from the printed seed.
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const EDGE_VALUES = [0, -0, 1, -1, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308 / 3, Number.MAX_VALUE, -Number.MAX_VALUE,
  Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 0.1, 0.35, 1 / 3, 2 ** 53, 2 ** 60 + 4096, 123456.789012, 1e-7, 5e-324];

export function randomFloat(r: () => number): number {
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

export function randomBlock(r: () => number, n: number, decimalOnly: boolean): BlockReading[] {
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

