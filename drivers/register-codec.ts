// Raw Modbus words ↔ engineering values, as a profile channel describes them.
// Shared by the gateway's drivers and the simulator so both sides decode identically.
import type { Channel, ValueType } from '../board-configs/profile-schema.js';

/** Registers (or bits) a value of this type occupies. */
export function widthOf(type: ValueType): number {
  return type === 'uint32' || type === 'int32' || type === 'float32' ? 2 : 1;
}

const f32 = Buffer.alloc(4);

/** Decode the raw word(s) of one channel to its unscaled numeric value. */
export function decodeRaw(type: ValueType, words: readonly number[], wordOrder: Channel['wordOrder']): number {
  const a = words[0] ?? 0;
  const b = words[1] ?? 0;
  const [hi, lo] = wordOrder === 'low-first' ? [b, a] : [a, b];
  switch (type) {
    case 'bool':
      return a ? 1 : 0;
    case 'uint16':
      return a & 0xffff;
    case 'int16':
      return a & 0x8000 ? (a & 0xffff) - 0x10000 : a & 0xffff;
    case 'uint32':
      return (hi & 0xffff) * 0x10000 + (lo & 0xffff);
    case 'int32':
      return ((hi & 0xffff) << 16) | (lo & 0xffff);
    case 'float32':
      f32.writeUInt16BE(hi & 0xffff, 0);
      f32.writeUInt16BE(lo & 0xffff, 2);
      return f32.readFloatBE(0);
  }
}

/** Encode an unscaled numeric value into raw word(s), clamping to the type's range. */
export function encodeRaw(type: ValueType, raw: number, wordOrder: Channel['wordOrder']): number[] {
  const order = (hi: number, lo: number): number[] => (wordOrder === 'low-first' ? [lo, hi] : [hi, lo]);
  switch (type) {
    case 'bool':
      return [raw ? 1 : 0];
    case 'uint16':
      return [clamp(Math.round(raw), 0, 0xffff)];
    case 'int16':
      return [clamp(Math.round(raw), -0x8000, 0x7fff) & 0xffff];
    case 'uint32': {
      const v = clamp(Math.round(raw), 0, 0xffffffff);
      return order(Math.floor(v / 0x10000), v % 0x10000);
    }
    case 'int32': {
      const v = clamp(Math.round(raw), -0x80000000, 0x7fffffff) >>> 0;
      return order(v >>> 16, v & 0xffff);
    }
    case 'float32':
      f32.writeFloatBE(raw, 0);
      return order(f32.readUInt16BE(0), f32.readUInt16BE(2));
  }
}

/** Engineering value of a channel from its raw words. */
export function toEngineering(channel: Channel, words: readonly number[]): number {
  return decodeRaw(channel.type, words, channel.wordOrder) * channel.scale + channel.offset;
}

/** Raw words that represent an engineering value on a channel. */
export function fromEngineering(channel: Channel, value: number): number[] {
  return encodeRaw(channel.type, (value - channel.offset) / channel.scale, channel.wordOrder);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
