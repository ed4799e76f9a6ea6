// The reference receiver's ledger in memory: per "<mine>/<substation>/<stream>" the sequence
// ranges received, the hashes that link neighbouring batches (for the chain check), and the gap
// markers the substation sent (for explaining holes and checking the chain across them). Rebuilt
// from the durable store (receiver-store.ts) at start and after a failed commit; holds no I/O.
import { GENESIS_HASH } from './integrity.js';
import type { GapReport } from './receiver-types.js';
import type { ReceiverStore, StoredMarker } from './receiver-store.js';
import { addRange, coverage } from './seq-ranges.js';

/** One stream's part of the ledger. */
export interface StreamLedger {
  /** Received sequence ranges, sorted and merged. */
  ranges: [number, number][];
  /** Hash of the batch ending at a sequence number / prevHash of the batch starting at one. */
  hashByLast: Map<number, string>;
  prevByFirst: Map<number, string>;
  /** Hash per first sequence number, for the duplicate-conflict check. */
  hashByFirst: Map<number, string>;
  records: number;
}

/** A batch as the ledger records it. */
export interface LedgerEntry {
  firstSeq: number;
  lastSeq: number;
  prevHash: string;
  hash: string;
  records: number;
}

/** Hashes kept per map and stream: bounds memory; the chain check needs only the neighbours of new batches. */
const HASH_MEMORY = 100_000;

export class ReceiverLedger {
  private readonly ledgers = new Map<string, StreamLedger>();
  private readonly markers = new Map<string, StoredMarker[]>();

  /** Forgets everything and refills from the store; returns the stored totals. */
  restore(store: ReceiverStore): { batches: number; records: number; bytes: number } {
    this.ledgers.clear();
    this.markers.clear();
    const totals = { batches: 0, records: 0, bytes: 0 };
    for (const b of store.batches()) {
      this.record(this.stream(b.stream), b);
      totals.batches++;
      totals.records += b.records;
      totals.bytes += b.bytes;
    }
    for (const m of store.markers()) this.markerList(m.stream).push(m);
    return totals;
  }

  /** The ledger of one stream, created empty on first use. */
  stream(key: string): StreamLedger {
    let l = this.ledgers.get(key);
    if (!l) this.ledgers.set(key, (l = { ranges: [], hashByLast: new Map(), prevByFirst: new Map(), hashByFirst: new Map(), records: 0 }));
    return l;
  }

  /** How much of first..last the stream has already received. */
  seen(ledger: StreamLedger, firstSeq: number, lastSeq: number): 'none' | 'some' | 'all' {
    return coverage(ledger.ranges, firstSeq, lastSeq);
  }

  /** Highest sequence number received so far (0 for none). */
  highest(ledger: StreamLedger): number {
    return ledger.ranges.length > 0 ? ledger.ranges[ledger.ranges.length - 1]![1] : 0;
  }

  record(ledger: StreamLedger, b: LedgerEntry): void {
    addRange(ledger.ranges, b.firstSeq, b.lastSeq);
    remember(ledger.hashByLast, b.lastSeq, b.hash);
    remember(ledger.prevByFirst, b.firstSeq, b.prevHash);
    remember(ledger.hashByFirst, b.firstSeq, b.hash);
    ledger.records += b.records;
  }

  addMarker(m: StoredMarker): void {
    this.markerList(m.stream).push(m);
  }

  /** Why a new batch does not fit the chain of its neighbours (or of a gap marker before it); null when it does. */
  chainProblem(key: string, ledger: StreamLedger, firstSeq: number, lastSeq: number, prevHash: string, hash: string): string | null {
    if (firstSeq === 1 && prevHash !== GENESIS_HASH) return `first batch of the stream must chain to the genesis hash, names ${prevHash}`;
    const before = ledger.hashByLast.get(firstSeq - 1);
    if (before !== undefined && before !== prevHash) return `batch ${firstSeq}..${lastSeq} names previous hash ${prevHash}, but the batch before it hashed to ${before}`;
    const after = ledger.prevByFirst.get(lastSeq + 1);
    if (after !== undefined && after !== hash) return `batch ${firstSeq}..${lastSeq} hashes to ${hash}, but the batch after it names ${after}`;
    if (before === undefined && firstSeq > 1) {
      // Across a gap: a marker that ends right before us must name our prevHash as its last hash.
      const bridge = (this.markers.get(key) ?? []).find((m) => m.toSeq === firstSeq - 1 && m.lastHash !== null);
      if (bridge && bridge.lastHash !== prevHash) return `gap marker ${bridge.fromSeq}..${bridge.toSeq} ends at hash ${bridge.lastHash}, but batch ${firstSeq} names ${prevHash}`;
    }
    return null;
  }

  /** Stream keys seen: "<mine>/<substation>/<stream>". */
  streams(): string[] {
    return [...this.ledgers.keys()];
  }

  /** Received sequence ranges of a stream, merged (a copy). */
  received(stream: string): [number, number][] {
    return (this.ledgers.get(stream)?.ranges ?? []).map((r) => [r[0], r[1]]);
  }

  recordCount(stream: string): number {
    return this.ledgers.get(stream)?.records ?? 0;
  }

  /** Holes between 1 and the highest sequence received, per stream, and whether gap markers explain them. */
  gaps(stream?: string): GapReport[] {
    const out: GapReport[] = [];
    for (const [key, ledger] of this.ledgers) {
      if (stream !== undefined && key !== stream) continue;
      let expected = 1;
      for (const [a, b] of ledger.ranges) {
        if (a > expected) out.push(this.explain(key, expected, a - 1));
        expected = b + 1;
      }
    }
    return out;
  }

  private explain(key: string, fromSeq: number, toSeq: number): GapReport {
    const markers = (this.markers.get(key) ?? []).filter((m) => m.toSeq >= fromSeq && m.fromSeq <= toSeq).sort((x, y) => x.fromSeq - y.fromSeq);
    let next = fromSeq;
    for (const m of markers) {
      if (m.fromSeq > next) break;
      next = Math.max(next, m.toSeq + 1);
    }
    return { stream: key, fromSeq, toSeq, explained: next > toSeq, reasons: [...new Set(markers.map((m) => m.reason))] };
  }

  private markerList(key: string): StoredMarker[] {
    let list = this.markers.get(key);
    if (!list) this.markers.set(key, (list = []));
    return list;
  }
}

function remember(map: Map<number, string>, k: number, v: string): void {
  map.set(k, v);
  if (map.size > HASH_MEMORY) map.delete(map.keys().next().value!);
}
