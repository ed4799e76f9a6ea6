// Bit-level writer and reader for the block codec (reading-codec.ts). Values up to 2^53 are
// written as a high and a low part because JavaScript's bit operators work on 32 bits.

const TWO_32 = 4294967296;

export class BitWriter {
  private buf: Uint8Array;
  private bytePos = 0;
  /** Bits already used in buf[bytePos] (0..7). */
  private bitPos = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Write the low `n` bits of `value` (0 <= n <= 32), most significant first. */
  write(value: number, n: number): void {
    if (n === 0) return;
    this.ensure(5);
    let remaining = n;
    const v = n === 32 ? value >>> 0 : (value & ((1 << n) - 1)) >>> 0;
    while (remaining > 0) {
      const free = 8 - this.bitPos;
      const take = remaining < free ? remaining : free;
      const chunk = (v >>> (remaining - take)) & ((1 << take) - 1);
      this.buf[this.bytePos]! |= chunk << (free - take);
      this.bitPos += take;
      remaining -= take;
      if (this.bitPos === 8) {
        this.bytePos++;
        this.bitPos = 0;
      }
    }
  }

  /** Write a non-negative integer below 2^53 in `n` bits (n <= 53). */
  writeLarge(value: number, n: number): void {
    if (n <= 32) return this.write(value, n);
    this.write(Math.floor(value / TWO_32), n - 32);
    this.write(value % TWO_32, 32);
  }

  bit(b: boolean | number): void {
    this.write(b ? 1 : 0, 1);
  }

  /** The written bytes (the last one zero-padded). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.bytePos + (this.bitPos > 0 ? 1 : 0));
  }

  private ensure(extra: number): void {
    if (this.bytePos + extra < this.buf.length) return;
    const next = new Uint8Array(this.buf.length * 2 + extra);
    next.set(this.buf);
    this.buf = next;
  }
}

export class BitReader {
  private bytePos: number;
  private bitPos = 0;

  constructor(
    private readonly buf: Uint8Array,
    offset = 0,
  ) {
    this.bytePos = offset;
  }

  /** Bytes read so far, counting a partly read byte (the end of a zero-padded payload). */
  get position(): number {
    return this.bytePos + (this.bitPos > 0 ? 1 : 0);
  }

  read(n: number): number {
    let out = 0;
    let remaining = n;
    while (remaining > 0) {
      if (this.bytePos >= this.buf.length) throw new RangeError('block truncated: read past its end');
      const free = 8 - this.bitPos;
      const take = remaining < free ? remaining : free;
      const chunk = (this.buf[this.bytePos]! >>> (free - take)) & ((1 << take) - 1);
      out = n === 32 ? out * (1 << take) + chunk : (out << take) | chunk;
      this.bitPos += take;
      remaining -= take;
      if (this.bitPos === 8) {
        this.bytePos++;
        this.bitPos = 0;
      }
    }
    return out >>> 0;
  }

  readLarge(n: number): number {
    if (n <= 32) return this.read(n);
    const hi = this.read(n - 32);
    return hi * TWO_32 + this.read(32);
  }

  bit(): number {
    return this.read(1);
  }
}

/** Zigzag: small magnitudes of either sign become small non-negative integers. Exact below 2^52. */
export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

// Prefix code for zigzagged integers: the common small deltas cost 1-8 bits, anything up to 2^53 fits.
const BUCKETS = [4, 8, 16, 32, 53] as const;

export function writeVarBits(w: BitWriter, z: number): void {
  if (z === 0) return w.write(0, 1);
  for (let i = 0; i < BUCKETS.length; i++) {
    const bits = BUCKETS[i]!;
    if (z < 2 ** bits || i === BUCKETS.length - 1) {
      // i+1 ones then a zero ('10', '110', ...); the last bucket has no terminating zero.
      if (i < BUCKETS.length - 1) w.write(((1 << (i + 1)) - 1) << 1, i + 2);
      else w.write((1 << (i + 1)) - 1, i + 1);
      w.writeLarge(z, bits);
      return;
    }
  }
}

export function readVarBits(r: BitReader): number {
  let ones = 0;
  while (ones < BUCKETS.length && r.bit() === 1) ones++;
  if (ones === 0) return 0;
  return r.readLarge(BUCKETS[ones - 1]!);
}

/**
 * True for integers the codec stores exactly: below 2^49, so that even a second difference of two
 * of them (< 2^51), zigzagged (< 2^52), fits the largest bucket of the prefix code.
 */
export function isCodableInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 49;
}
