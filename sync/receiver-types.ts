// What the reference receiver (receiver.ts) takes and gives: its options, the failures, gaps and
// accepted batches it reports, its counters and its events. Types only, so the receiver's parts
// (ledger, MQTT side, `minegate receive`) can share them without importing one another.
import type { KeyObject } from 'node:crypto';
import type { GapMarker, GapReason } from './streams/gap.js';
import type { SyncLogger } from './sync-error.js';
import type { TlsFiles } from './uplink-options.js';

export interface ReceiverOptions {
  brokerUrl: string;
  /** The substations' public keys: one key for all, or per "<mine code>/<substation>". */
  publicKey: KeyObject | Record<string, KeyObject>;
  /** Where accepted files are written: <outDir>/<mine>/<substation>/<stream>/<firstSeq>_<name>. */
  outDir?: string;
  topicFilter?: string;
  /** Stable id: with clean = false the broker queues batches while the receiver is away. */
  clientId?: string;
  clean?: boolean;
  sessionExpirySec?: number;
  username?: string;
  password?: string;
  tls?: TlsFiles;
  /** SQLite file of the ledger (seen ranges, hashes, gap markers); absent = RAM only (a restart forgets). */
  stateFile?: string;
  /** The platform's Ed25519 private key: publish signed receipts for committed batches (and duplicates of them). */
  receiptKey?: KeyObject;
  /** Encoding of MT/T 1201 files, for the record-count check. */
  encoding?: 'utf-8' | 'gb18030';
  logger?: SyncLogger;
}

export type FailureReason =
  | 'malformed'
  | 'unknown-key'
  | 'hash-mismatch'
  | 'bad-signature'
  | 'chain-break'
  | 'conflict'
  | 'overlap'
  | 'format';

export interface VerificationFailure {
  /** "<mine>/<substation>/<stream>" */
  stream: string;
  firstSeq: number | null;
  lastSeq: number | null;
  reason: FailureReason;
  detail: string;
  topic: string;
}

export interface GapReport {
  stream: string;
  fromSeq: number;
  toSeq: number;
  /** True when gap markers from the substation cover the whole range. */
  explained: boolean;
  reasons: GapReason[];
}

export interface AcceptedBatch {
  stream: string;
  mineCode: string;
  substation: string;
  streamName: string;
  type: string;
  firstSeq: number;
  lastSeq: number;
  name: string;
  payload: Buffer;
  /** Parsed records: MT/T 1201 field arrays, or objects for JSON Lines streams. */
  records: unknown[];
}

export interface ReceiverStats {
  batches: number;
  records: number;
  bytes: number;
  duplicates: number;
  failures: number;
  gapMarkers: number;
  /** Records the substations reported dropped (from gap markers). */
  reportedDropped: number;
  /** Receipt messages published. */
  receipts: number;
  /** Ledger commits that failed (the batches of that turn were forgotten and get no receipt). */
  storeFailures: number;
}

export interface ReceiverEvents {
  batch: [batch: AcceptedBatch];
  duplicate: [stream: string, firstSeq: number, lastSeq: number];
  failure: [failure: VerificationFailure];
  gap: [gap: { stream: string; fromSeq: number; toSeq: number }];
  marker: [stream: string, marker: GapMarker];
}
