// The UTF-8 bytes of a flush's record lines, each followed by '\n', written once into one scratch
// buffer. For JSON Lines streams this replaces a Buffer.byteLength per line (to split batches by
// size), a join of every line and a Buffer.from of the joined text: each line is encoded once and
// its exact size is where the next one starts (profile of `bench ingest`, JSON Lines: those three
// were 27 % of the flush).

export interface LineBytes {
  /** The lines' bytes, each line followed by '\n'. Valid until the next encodeLines() call. */
  bytes: Buffer;
  /** ends[i] = offset just past line i's '\n'. */
  ends: Uint32Array;
}

/** Scratch space is kept between flushes up to this size; a bigger flush gets a one-off buffer. */
const KEEP_SCRATCH_BYTES = 4 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(0);
let scratchEnds = new Uint32Array(0);

/** Encodes `lines` (UTF-8, '\n' after each). The result is overwritten by the next call: copy what you keep. */
export function encodeLines(lines: readonly string[]): LineBytes {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
  let upper = 0;
  for (const line of lines) upper += line.length * 3 + 1;
  let buf = scratch;
  if (buf.length < upper) {
    buf = Buffer.allocUnsafe(upper);
    if (upper <= KEEP_SCRATCH_BYTES) scratch = buf;
  }
  let ends = scratchEnds;
  if (ends.length < lines.length) {
    ends = new Uint32Array(lines.length);
    if (lines.length * 4 <= KEEP_SCRATCH_BYTES) scratchEnds = ends;
  }
  let off = 0;
  for (let i = 0; i < lines.length; i++) {
    // Room for the worst case was allocated above, so write() never stops short of a whole line.
    off += buf.write(lines[i]!, off, 'utf8');
    buf[off++] = 0x0a;
    ends[i] = off;
  }
  return { bytes: buf, ends };
}
