// End-to-end receipts: the platform's signed statement "I verified and durably stored these
// sequence ranges of these streams". A broker PUBACK only says the broker has a message; a broker
// that loses the platform's session (restart without persistence, a bridge, a failover) discards
// it. So the outbox frees a batch only when a receipt covers it (uplink.ts), and the reference
// receiver issues receipts only after its ledger committed (receiver.ts, receiver-store.ts).
//
// Topic minegate/<mine>/<substation>/receipt, QoS 1. Payload = JSON
// {v: 1, mineCode, substation, issuedAt, streams: {<stream>: [[firstSeq, lastSeq], …]}};
// MQTT 5 user property `signature` = base64 Ed25519 over the exact payload bytes with the platform
// key (the same key that signs commands). Receipts are idempotent: a range received twice, or a
// receipt for a batch already freed, changes nothing.
import { sign, verify, type KeyObject } from 'node:crypto';
import type { StoredBatch } from './outbox.js';
import { messageOf } from './sync-error.js';

export const RECEIPT_VERSION = 1;

export interface Receipt {
  v: typeof RECEIPT_VERSION;
  mineCode: string;
  substation: string;
  /** ms epoch, informational (a receipt does not expire: it states a fact). */
  issuedAt: number;
  /** Verified, stored sequence ranges per stream, inclusive. */
  streams: Record<string, [number, number][]>;
}

const MAX_RECEIPT_BYTES = 256 * 1024;

export function signReceipt(receipt: Receipt, platformPrivateKey: KeyObject): { payload: Buffer; signature: string } {
  const payload = Buffer.from(JSON.stringify(receipt), 'utf8');
  return { payload, signature: sign(null, payload, platformPrivateKey).toString('base64') };
}

/** The receipt, or why it is refused (unsigned, bad signature, malformed, another substation's). */
export function verifyReceipt(payload: Buffer, signature: string | undefined, platformPublicKey: KeyObject, expect: { mineCode: string; substation: string }): Receipt | string {
  if (!signature) return 'unsigned';
  if (payload.length > MAX_RECEIPT_BYTES) return `larger than ${MAX_RECEIPT_BYTES} bytes`;
  let good = false;
  try {
    good = verify(null, payload, platformPublicKey, Buffer.from(signature, 'base64'));
  } catch (err) {
    return `bad signature: ${messageOf(err)}`;
  }
  if (!good) return 'bad signature';
  let r: unknown;
  try {
    r = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'malformed: not JSON';
  }
  if (!isReceipt(r)) return 'malformed: not a v1 receipt';
  if (r.mineCode !== expect.mineCode || r.substation !== expect.substation) return `for ${r.mineCode}/${r.substation}, not this substation`;
  return r;
}

function isReceipt(r: unknown): r is Receipt {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  if (o.v !== RECEIPT_VERSION || typeof o.mineCode !== 'string' || typeof o.substation !== 'string' || typeof o.issuedAt !== 'number') return false;
  if (typeof o.streams !== 'object' || o.streams === null) return false;
  for (const ranges of Object.values(o.streams as Record<string, unknown>)) {
    if (!Array.isArray(ranges)) return false;
    for (const range of ranges) {
      if (!Array.isArray(range) || range.length !== 2) return false;
      const [a, b] = range as unknown[];
      if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || (a as number) < 1 || (b as number) < (a as number)) return false;
    }
  }
  return true;
}

/** A batch sent on the current connection that no receipt has covered yet. */
export interface AwaitingBatch {
  id: number;
  stream: string;
  firstSeq: number;
  lastSeq: number;
  records: number;
  bytes: number;
  /** performance.now() of the PUBACK; null while the broker has not acknowledged it. */
  pubackAt: number | null;
}

/**
 * The uplink's batches awaiting a receipt, in send order. Bounded by the uplink's window (it stops
 * publishing when `size` or `bytes` reach its caps), so scans here are over a few hundred entries.
 */
export class ReceiptTracker {
  private readonly byId = new Map<number, AwaitingBatch>();
  private totalBytes = 0;

  get size(): number {
    return this.byId.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  add(batch: StoredBatch): void {
    this.remove(batch.id);
    this.byId.set(batch.id, { id: batch.id, stream: batch.stream, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, records: batch.records, bytes: batch.bytes, pubackAt: null });
    this.totalBytes += batch.bytes;
  }

  pubacked(id: number, at: number): void {
    const b = this.byId.get(id);
    if (b && b.pubackAt === null) b.pubackAt = at;
  }

  /** Removes and returns the batches a receipt covers (each batch wholly inside one range). */
  cover(streams: Record<string, [number, number][]>): AwaitingBatch[] {
    const out: AwaitingBatch[] = [];
    for (const b of this.byId.values()) {
      const ranges = streams[b.stream];
      if (ranges && ranges.some(([a, z]) => a <= b.firstSeq && b.lastSeq <= z)) out.push(b);
    }
    for (const b of out) this.remove(b.id);
    return out;
  }

  /** The PUBACK time of the longest-waiting acknowledged batch, or null. */
  oldestPubackAt(): number | null {
    let oldest: number | null = null;
    for (const b of this.byId.values()) if (b.pubackAt !== null && (oldest === null || b.pubackAt < oldest)) oldest = b.pubackAt;
    return oldest;
  }

  clear(): void {
    this.byId.clear();
    this.totalBytes = 0;
  }

  private remove(id: number): void {
    const b = this.byId.get(id);
    if (!b) return;
    this.byId.delete(id);
    this.totalBytes -= b.bytes;
  }
}
