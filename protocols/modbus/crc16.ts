// CRC-16/MODBUS (poly 0x8005 reflected = 0xA001, init 0xFFFF), as appended to every RTU frame.
// Table-driven: one lookup per byte, because the master checks a CRC on every reply it scans.

const TABLE: Uint16Array = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[byte] = crc;
  }
  return table;
}

/**
 * CRC of `buf[start, end)`. On the wire the result goes low byte first.
 * Bounds are clamped, so a caller scanning arbitrary input never reads past the data.
 */
export function crc16Modbus(buf: Uint8Array, start = 0, end = buf.length): number {
  const stop = Math.min(end, buf.length);
  let crc = 0xffff;
  for (let i = Math.max(0, start); i < stop; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ buf[i]!) & 0xff]!;
  return crc;
}

/** True when the last two bytes of `buf[start, end)` are the CRC of the bytes before them. */
export function hasValidCrc(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 3 || end > buf.length || start < 0) return false;
  const crc = crc16Modbus(buf, start, end - 2);
  return buf[end - 2] === (crc & 0xff) && buf[end - 1] === crc >>> 8;
}
