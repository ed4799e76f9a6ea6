// The reference receiver's ledger on disk: every accepted batch's sequence range and hashes, and
// every gap marker, per "<mine>/<substation>/<stream>". A receipt frees the substation's copy, so
// the receiver must never forget what it receipted: rows are committed (synchronous = FULL, one
// transaction per event-loop turn of batches) before the receipts naming them are published. A
// restarted receiver reloads the ledger and recognises re-sent batches as duplicates.
import Database from 'better-sqlite3';
import { openDatabase, type Migration } from '../edge/store/database.js';
import type { GapReason } from './streams/gap.js';

export const receiverMigrations: Migration[] = [
  {
    version: 1,
    description: 'receiver ledger: accepted batches and gap markers per substation stream',
    up: (db) => {
      db.exec(`
        CREATE TABLE rx_batches (
          stream TEXT NOT NULL,          -- <mine>/<substation>/<stream>
          first_seq INTEGER NOT NULL,
          last_seq INTEGER NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL,
          records INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          received_at INTEGER NOT NULL,
          PRIMARY KEY (stream, first_seq)
        ) WITHOUT ROWID;
        CREATE TABLE rx_markers (
          stream TEXT NOT NULL,          -- the stream whose records the substation dropped
          from_seq INTEGER NOT NULL,
          to_seq INTEGER NOT NULL,
          reason TEXT NOT NULL,
          prev_hash TEXT,
          last_hash TEXT,
          PRIMARY KEY (stream, from_seq, to_seq)
        ) WITHOUT ROWID;
      `);
    },
  },
];

export interface StoredRange {
  stream: string;
  firstSeq: number;
  lastSeq: number;
  prevHash: string;
  hash: string;
  records: number;
  bytes: number;
}

export interface StoredMarker {
  stream: string;
  fromSeq: number;
  toSeq: number;
  reason: GapReason;
  prevHash: string | null;
  lastHash: string | null;
}

export class ReceiverStore {
  private readonly db: Database.Database;
  private readonly insBatch: Database.Statement;
  private readonly insMarker: Database.Statement;

  /** `file` null: the same ledger in RAM (tests and the demo without a state file). */
  constructor(file: string | null) {
    if (file === null) {
      this.db = new Database(':memory:');
      for (const m of receiverMigrations) m.up(this.db);
    } else {
      this.db = openDatabase(file, { receiver: receiverMigrations });
      // A receipt is a promise to the substation that it may delete its copy: survive a power cut.
      this.db.pragma('synchronous = FULL');
    }
    this.insBatch = this.db.prepare('INSERT OR IGNORE INTO rx_batches (stream, first_seq, last_seq, prev_hash, hash, records, bytes, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.insMarker = this.db.prepare('INSERT OR IGNORE INTO rx_markers (stream, from_seq, to_seq, reason, prev_hash, last_hash) VALUES (?, ?, ?, ?, ?, ?)');
  }

  /** Every stored batch, by stream then sequence (for rebuilding the in-memory ledger). */
  *batches(): IterableIterator<StoredRange> {
    const rows = this.db.prepare('SELECT stream, first_seq AS firstSeq, last_seq AS lastSeq, prev_hash AS prevHash, hash, records, bytes FROM rx_batches ORDER BY stream, first_seq').iterate();
    for (const r of rows) yield r as StoredRange;
  }

  markers(): StoredMarker[] {
    return this.db.prepare('SELECT stream, from_seq AS fromSeq, to_seq AS toSeq, reason, prev_hash AS prevHash, last_hash AS lastHash FROM rx_markers ORDER BY stream, from_seq').all() as StoredMarker[];
  }

  /** Commits one turn's accepted batches and markers together; throws if the disk refuses. */
  commit(batches: readonly StoredRange[], markers: readonly StoredMarker[], at: number): void {
    this.db.transaction(() => {
      for (const b of batches) this.insBatch.run(b.stream, b.firstSeq, b.lastSeq, b.prevHash, b.hash, b.records, b.bytes, at);
      for (const m of markers) this.insMarker.run(m.stream, m.fromSeq, m.toSeq, m.reason, m.prevHash, m.lastHash);
    })();
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
