// The sealer: turns one stream's record lines into sealed batches (one batch = one MT/T 1201 or
// JSON Lines file), each numbered on from the stream's chain state, hashed onto the previous
// batch and signed (integrity.ts). Pure: no database, no timers, no logging; the outbox decides
// what to do with the batches (write them in a transaction) and with the chunks that failed.
import type { KeyObject } from 'node:crypto';
import { sealBatch } from './integrity.js';
import { encodeLines } from './line-bytes.js';
import type { BatchHeader, StreamDef } from './stream.js';
import { messageOf } from './sync-error.js';

/** Where a stream's numbering and hash chain stand: the next sequence number and the last batch's hash. */
export interface ChainState {
  nextSeq: number;
  lastHash: string;
}

/** What sealing fixes about a batch: its range, times, file and seal. Written as is, read back as is. */
export interface SealedBatch {
  firstSeq: number;
  lastSeq: number;
  records: number;
  firstTime: number;
  lastTime: number;
  sealedAt: number;
  name: string;
  payload: Buffer;
  prevHash: string;
  hash: string;
  signature: string;
}

/** A sealed batch not yet written. */
export interface PendingBatch extends SealedBatch {
  def: StreamDef<unknown>;
}

/** Who seals and how batches are cut. */
export interface SealContext {
  mineCode: string;
  mineName: string;
  substation: string;
  encoding: 'utf-8' | 'gb18030';
  batchMaxRecords: number;
  /** Payload bytes per batch (approximate: counted on record lines). */
  batchMaxBytes: number;
  signingKey: KeyObject;
  now: () => number;
}

/** A chunk of records its stream could not encode into a file: they get no sequence numbers. */
export interface SealFailure {
  records: number;
  err: string;
}

/**
 * Splits `lines` (with their acquisition `times`) into batches of at most batchMaxRecords records
 * and about batchMaxBytes bytes and seals each against `chain`, which it advances (so the caller
 * passes a working copy and keeps it only if the write commits). Sealed batches go onto `out`.
 */
export function sealLines(def: StreamDef<unknown>, lines: string[], times: number[], chain: ChainState, ctx: SealContext, out: PendingBatch[]): SealFailure[] {
  const failures: SealFailure[] = [];
  let start = 0;
  // JSON Lines: every line encoded once, its exact size read off the offsets (line-bytes.ts).
  const utf8 = def.encodeUtf8Body ? encodeLines(lines) : null;
  const endOf = (i: number): number => utf8!.ends[i]!;
  while (start < lines.length) {
    let end = start;
    let bytes = 0;
    while (end < lines.length && end - start < ctx.batchMaxRecords) {
      const len = utf8 ? endOf(end) - (end === 0 ? 0 : endOf(end - 1)) : Buffer.byteLength(lines[end]!) + 1;
      if (end > start && bytes + len > ctx.batchMaxBytes) break;
      bytes += len;
      end++;
    }
    const count = end - start;
    const chunkTimes = times.slice(start, end);
    const chunkStart = start;
    start = end;
    const sealedAt = ctx.now();
    const header: BatchHeader = { mineCode: ctx.mineCode, mineName: ctx.mineName, uploadTime: sealedAt, encoding: ctx.encoding };
    try {
      const encoded = utf8
        ? def.encodeUtf8Body!(utf8.bytes.subarray(chunkStart === 0 ? 0 : endOf(chunkStart - 1), endOf(end - 1)), header)
        : def.encodeBatch(lines.slice(chunkStart, end), header);
      const firstSeq = chain.nextSeq;
      const lastSeq = firstSeq + count - 1;
      const seal = sealBatch(
        { mineCode: ctx.mineCode, substation: ctx.substation, stream: def.name, type: def.type, firstSeq, lastSeq, name: encoded.name },
        chain.lastHash,
        encoded.bytes,
        ctx.signingKey,
      );
      out.push({
        def,
        firstSeq,
        lastSeq,
        records: count,
        firstTime: minOf(chunkTimes),
        lastTime: maxOf(chunkTimes),
        sealedAt,
        name: encoded.name,
        payload: encoded.bytes,
        ...seal,
      });
      chain.nextSeq = lastSeq + 1;
      chain.lastHash = seal.hash;
    } catch (err) {
      failures.push({ records: count, err: messageOf(err) });
    }
  }
  return failures;
}

// Loops, not Math.min(...xs): a spread of a very large batch would overflow the call stack.
function minOf(xs: readonly number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}
function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}
