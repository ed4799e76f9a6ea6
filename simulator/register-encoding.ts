// Engineering value ↔ raw Modbus words on the simulated (slave) side.
// Written independently of drivers/register-codec.ts on purpose: the simulator is the gateway's
// test oracle, so a shared bug in one codec must not hide on both sides of the wire.
import type { ValueType } from '../board-configs/profile-schema.js';

export type WordOrder = 'high-first' | 'low-first';

/** How one value is stored: type, scaling (engineering = raw * scale + offset) and word order. */
export interface Encoding {
  type: ValueType;
  scale: number;
  offset: number;
  wordOrder: WordOrder;
}

const FLOAT32_MAX = 3.4028234663852886e38;

const RAW_LIMITS: Record<ValueType, { min: number; max: number }> = {
  bool: { min: 0, max: 1 },
  uint16: { min: 0, max: 0xffff },
  int16: { min: -0x8000, max: 0x7fff },
  uint32: { min: 0, max: 0xffffffff },
  int32: { min: -0x80000000, max: 0x7fffffff },
  float32: { min: -FLOAT32_MAX, max: FLOAT32_MAX },
};

/** Registers a value of this type occupies (bits in coil/discrete tables always take one). */
export function widthOf(type: ValueType): 1 | 2 {
  return type === 'uint32' || type === 'int32' || type === 'float32' ? 2 : 1;
}

/** The range of engineering values this encoding can represent. */
export function engineeringLimits(enc: Encoding): { low: number; high: number } {
  const { min, max } = RAW_LIMITS[enc.type];
  const a = min * enc.scale + enc.offset;
  const b = max * enc.scale + enc.offset;
  // A negative scale swaps the ends.
  return { low: Math.min(a, b), high: Math.max(a, b) };
}

/** Raw (unscaled) number for an engineering value: integers are rounded to the nearest LSB. */
export function toRaw(enc: Encoding, value: number): number {
  const raw = (value - enc.offset) / enc.scale;
  return enc.type === 'float32' ? raw : Math.round(raw);
}

/** True when a raw number fits the type (integer types after rounding). */
export function rawFits(type: ValueType, raw: number): boolean {
  const { min, max } = RAW_LIMITS[type];
  return Number.isFinite(raw) && raw >= min && raw <= max;
}

/** Words for a raw number that `rawFits`, in the encoding's word order. */
export function rawToWords(type: ValueType, raw: number, wordOrder: WordOrder): number[] {
  const ordered = (high: number, low: number): number[] => (wordOrder === 'low-first' ? [low, high] : [high, low]);
  switch (type) {
    case 'bool':
      return [raw ? 1 : 0];
    case 'uint16':
      return [raw];
    case 'int16':
      return [raw < 0 ? raw + 0x10000 : raw];
    case 'uint32':
      return ordered(Math.floor(raw / 0x10000), raw % 0x10000);
    case 'int32': {
      const unsigned = raw < 0 ? raw + 0x100000000 : raw;
      return ordered(Math.floor(unsigned / 0x10000), unsigned % 0x10000);
    }
    case 'float32': {
      const buf = Buffer.alloc(4);
      buf.writeFloatBE(raw, 0);
      return ordered(buf.readUInt16BE(0), buf.readUInt16BE(2));
    }
  }
}

/** Raw number from words in the encoding's word order. */
export function wordsToRaw(type: ValueType, words: readonly number[], wordOrder: WordOrder): number {
  const first = words[0] ?? 0;
  const second = words[1] ?? 0;
  const [high, low] = wordOrder === 'low-first' ? [second, first] : [first, second];
  switch (type) {
    case 'bool':
      return first ? 1 : 0;
    case 'uint16':
      return first;
    case 'int16':
      return first >= 0x8000 ? first - 0x10000 : first;
    case 'uint32':
      return high * 0x10000 + low;
    case 'int32': {
      const unsigned = high * 0x10000 + low;
      return unsigned >= 0x80000000 ? unsigned - 0x100000000 : unsigned;
    }
    case 'float32': {
      const buf = Buffer.alloc(4);
      buf.writeUInt16BE(high, 0);
      buf.writeUInt16BE(low, 2);
      return buf.readFloatBE(0);
    }
  }
}

/** Engineering value of stored words. */
export function wordsToEngineering(enc: Encoding, words: readonly number[]): number {
  return wordsToRaw(enc.type, words, enc.wordOrder) * enc.scale + enc.offset;
}
