// Real serial line time. PTYs and TCP converters deliver bytes instantly, so anything that must
// report honest poll-cycle figures (the slave simulator, benchmarks) adds this time itself.

export interface SerialCharacterFormat {
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

/** Bits on the wire per character: 1 start + data + parity (if any) + stop. */
export function bitsPerCharacter(format: SerialCharacterFormat): number {
  return 1 + (format.dataBits ?? 8) + ((format.parity ?? 'none') === 'none' ? 0 : 1) + (format.stopBits ?? 1);
}

/** Milliseconds to transmit `bytes` characters. */
export function lineTimeMs(bytes: number, format: SerialCharacterFormat): number {
  if (!Number.isFinite(format.baudRate) || format.baudRate <= 0) throw new TypeError(`baudRate must be positive, got ${String(format.baudRate)}`);
  return (bytes * bitsPerCharacter(format) * 1000) / format.baudRate;
}

/** The RTU inter-frame gap: 3.5 character times, fixed at 1.75 ms above 19200 baud (spec §2.5.1.1). */
export function interFrameGapMs(format: SerialCharacterFormat): number {
  return format.baudRate > 19_200 ? 1.75 : lineTimeMs(3.5, format);
}
