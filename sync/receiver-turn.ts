// What the reference receiver accepted in the current event-loop turn: ledger rows and gap markers
// to commit in one transaction, and the ranges to receipt once that commit is durable. Batching per
// turn keeps one fsync (synchronous = FULL) per broker read instead of one per batch.
import type { ReceiptRanges } from './receiver-mqtt.js';
import type { StoredMarker, StoredRange } from './receiver-store.js';

export interface TurnContents {
  rows: StoredRange[];
  markers: StoredMarker[];
  receipts: ReceiptRanges;
}

export class ReceiverTurn {
  private rows: StoredRange[] = [];
  private markers: StoredMarker[] = [];
  private receipts: ReceiptRanges = new Map();

  addRow(row: StoredRange): void {
    this.rows.push(row);
  }

  addMarker(marker: StoredMarker): void {
    this.markers.push(marker);
  }

  /** Adds first..last of a substation's stream to the next receipt. */
  addReceipt(mineCode: string, substation: string, stream: string, firstSeq: number, lastSeq: number): void {
    const sub = `${mineCode}/${substation}`;
    let streams = this.receipts.get(sub);
    if (!streams) this.receipts.set(sub, (streams = new Map()));
    let ranges = streams.get(stream);
    if (!ranges) streams.set(stream, (ranges = []));
    const last = ranges[ranges.length - 1];
    if (last && last[1] + 1 === firstSeq) last[1] = lastSeq; // in-order delivery: one range per turn
    else ranges.push([firstSeq, lastSeq]);
  }

  /** Hands over this turn's contents and starts the next turn empty. */
  take(): TurnContents {
    const taken = { rows: this.rows, markers: this.markers, receipts: this.receipts };
    this.rows = [];
    this.markers = [];
    this.receipts = new Map();
    return taken;
  }
}
