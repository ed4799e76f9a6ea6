import { describe, expect, it } from 'vitest';
import { crc16Modbus, hasValidCrc } from '../../protocols/modbus/crc16.js';

// Bitwise reference straight from the Modbus over Serial Line spec §6.2.2, to cross-check the table.
function referenceCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

describe('crc16Modbus', () => {
  it('matches the published check value and spec examples', () => {
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
    // "11 03 00 6B 00 03 76 87" — read 3 holding registers from unit 17 (Modbus spec example).
    expect(crc16Modbus(Buffer.from([0x11, 0x03, 0x00, 0x6b, 0x00, 0x03]))).toBe(0x8776);
    expect(crc16Modbus(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]))).toBe(0xcdc5);
    expect(crc16Modbus(new Uint8Array(0))).toBe(0xffff);
  });

  it('agrees with the bitwise reference on random data and sub-ranges', () => {
    for (let n = 0; n < 200; n++) {
      const buf = Buffer.from(Array.from({ length: 1 + (n % 260) }, () => Math.floor(Math.random() * 256)));
      expect(crc16Modbus(buf)).toBe(referenceCrc(buf));
      const start = Math.floor(buf.length / 3);
      expect(crc16Modbus(buf, start, buf.length - 1)).toBe(referenceCrc(buf.subarray(start, buf.length - 1)));
    }
  });

  it('hasValidCrc accepts a correct frame and rejects every single-bit corruption', () => {
    const frame = Buffer.from([0x11, 0x03, 0x00, 0x6b, 0x00, 0x03, 0x76, 0x87]);
    expect(hasValidCrc(frame, 0, frame.length)).toBe(true);
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const bad = Buffer.from(frame);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(hasValidCrc(bad, 0, bad.length)).toBe(false);
    }
    expect(hasValidCrc(frame, 0, 2)).toBe(false);
    expect(hasValidCrc(frame, 0, frame.length + 5)).toBe(false);
  });
});
