// What a stream is: one kind of record that goes upstream with its own sequence numbers and hash
// chain. Each stream says how urgent it is (lane), whether it may ever be dropped (criticality),
// how a domain record becomes one record line, and how a batch of lines becomes one file.
// The definitions live in sync/streams/, one file per stream.
import { SyncError } from './sync-error.js';

/** Priority lanes, drained in this order: events first, then real-time data, then backlog (statistics, definitions). */
export type Lane = 'event' | 'realtime' | 'backlog';
export const LANES: readonly Lane[] = ['event', 'realtime', 'backlog'];
export const LANE_RANK: Readonly<Record<Lane, number>> = { event: 0, realtime: 1, backlog: 2 };

/**
 * critical: alarms, cut-offs, feed abnormalities, evacuation and security events; never dropped
 * before the broker acknowledged them. routine: real-time snapshots; dropped oldest-first (with a
 * gap marker) when the outbox is full or the data is older than the outbox's age limit.
 */
export type Criticality = 'critical' | 'routine';

export interface BatchHeader {
  mineCode: string;
  mineName: string;
  /** Seal time, ms epoch; written into the file and its name, and fixed for every re-send. */
  uploadTime: number;
  encoding: 'utf-8' | 'gb18030';
}

export interface EncodedBatch {
  /** File name as delivered, e.g. 150622000001_CDSS_20260101080000.txt */
  name: string;
  /** The exact payload bytes: what is hashed, signed, published and written by the receiver. */
  bytes: Buffer;
}

export interface StreamDef<R> {
  /** Stable identifier; sequence numbers and the hash chain are per name. Lowercase, e.g. 'cdss'. */
  readonly name: string;
  /** File type and topic suffix, e.g. CDSS (MT/T 1201) or GAP (ours). */
  readonly type: string;
  readonly lane: Lane;
  readonly criticality: Criticality;
  /**
   * How long acknowledged batches stay in the local history table (sync_history), or null when
   * local history is kept elsewhere (real-time readings: edge/store's readings table, 8 days).
   */
  readonly historyRetentionMs: number | null;
  /** Default interval at which the runtime takes a snapshot for this stream, or null for event streams. */
  readonly snapshotIntervalMs: number | null;
  /** One record line. May throw (e.g. FormatError); the outbox counts and logs rejected records. */
  toLine(record: R): string;
  /** Acquisition time of the record, ms epoch (ages and gap markers use it). */
  timeOf(record: R): number;
  /** Wraps lines into the delivered file. */
  encodeBatch(lines: readonly string[], header: BatchHeader): EncodedBatch;
  /**
   * Optional fast path for files that are a head followed by each line's UTF-8 bytes and '\n'
   * (JSON Lines): the same file as encodeBatch(lines, header), byte for byte, from `body` = the
   * lines already encoded that way. `body` is the outbox's scratch space: copy it, never keep it.
   */
  encodeUtf8Body?(body: Buffer, header: BatchHeader): EncodedBatch;
}

const STREAM_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const STREAM_TYPE = /^[A-Z][A-Z0-9]{1,15}$/;
export const DAY_MS = 86_400_000;

/** Validates a stream definition once, at module load, so a typo fails loudly at start-up. */
export function defineStream<R>(def: StreamDef<R>): StreamDef<R> {
  const bad = (what: string): never => {
    throw new SyncError('bad-stream', `stream ${JSON.stringify(def?.name)}: ${what}`);
  };
  if (typeof def.name !== 'string' || !STREAM_NAME.test(def.name)) bad(`name must match ${STREAM_NAME}`);
  if (typeof def.type !== 'string' || !STREAM_TYPE.test(def.type)) bad(`type ${JSON.stringify(def.type)} must match ${STREAM_TYPE}`);
  if (!LANES.includes(def.lane)) bad(`lane ${JSON.stringify(def.lane)} must be one of ${LANES.join(', ')}`);
  if (def.criticality !== 'critical' && def.criticality !== 'routine') bad(`criticality ${JSON.stringify(def.criticality)} must be critical or routine`);
  if (def.historyRetentionMs !== null && !(Number.isSafeInteger(def.historyRetentionMs) && def.historyRetentionMs > 0)) {
    bad(`historyRetentionMs must be a positive integer or null, got ${String(def.historyRetentionMs)}`);
  }
  if (def.snapshotIntervalMs !== null && !(Number.isSafeInteger(def.snapshotIntervalMs) && def.snapshotIntervalMs > 0)) {
    bad(`snapshotIntervalMs must be a positive integer or null, got ${String(def.snapshotIntervalMs)}`);
  }
  for (const fn of ['toLine', 'timeOf', 'encodeBatch'] as const) {
    if (typeof def[fn] !== 'function') bad(`${fn} must be a function`);
  }
  if (def.encodeUtf8Body !== undefined && typeof def.encodeUtf8Body !== 'function') bad('encodeUtf8Body must be a function when given');
  return Object.freeze({ ...def });
}
