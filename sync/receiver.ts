// Reference receiver ("the platform" for tests and the demo): subscribes to every substation's
// batches, checks each one (signature, hash, chain link to the previous batch of its stream,
// record count against the MT/T 1201 file), drops duplicates by (stream, sequence), reports gaps
// and whether a gap marker explains them, and writes the files it accepted to a directory.
// With `stateFile` its ledger is durable (receiver-store.ts); with `receiptKey` it publishes signed
// receipts (receipts.ts) for what it committed, so substations free batches end to end.
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { parseFile } from './formats/mt1201-file.js';
import { isMt1201Type } from './formats/records/index.js';
import { GENESIS_HASH, loadPrivateKey, loadPublicKey, verifyBatch, type BatchIdentity } from './integrity.js';
import { signReceipt, RECEIPT_VERSION } from './receipts.js';
import { addRange, coverage } from './seq-ranges.js';
import { ReceiverStore, type StoredMarker, type StoredRange } from './receiver-store.js';
import { parseJsonlBatch } from './streams/jsonl.js';
import type { GapMarker, GapReason } from './streams/gap.js';
import { messageOf, silentLogger, type SyncLogger } from './sync-error.js';
import { ALL_BATCHES, COMMAND_SUFFIX, RECEIPT_SUFFIX, parseTopic, receiptTopic } from './topics.js';
import type { TlsFiles } from './uplink.js';

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

interface Ledger {
  /** Received sequence ranges, sorted and merged. */
  ranges: [number, number][];
  /** Hash of the batch ending at a sequence number / prevHash of the batch starting at one. */
  hashByLast: Map<number, string>;
  prevByFirst: Map<number, string>;
  /** Hash per first sequence number, for the duplicate-conflict check. */
  hashByFirst: Map<number, string>;
  records: number;
}

interface MarkerRange {
  fromSeq: number;
  toSeq: number;
  reason: GapReason;
  prevHash: string | null;
  lastHash: string | null;
}

const HASH_MEMORY = 100_000;

export class Receiver extends EventEmitter<ReceiverEvents> {
  private client: MqttClient | null = null;
  private readonly ledgers = new Map<string, Ledger>();
  private readonly markers = new Map<string, MarkerRange[]>();
  private readonly failures: VerificationFailure[] = [];
  private readonly counters: ReceiverStats = { batches: 0, records: 0, bytes: 0, duplicates: 0, failures: 0, gapMarkers: 0, reportedDropped: 0, receipts: 0, storeFailures: 0 };
  private readonly log: SyncLogger;
  private readonly opts: ReceiverOptions;
  private store: ReceiverStore;
  /** This turn's accepted batches and markers, committed together before their receipts go out. */
  private pendingRows: StoredRange[] = [];
  private pendingMarkers: StoredMarker[] = [];
  /** "<mine>/<substation>" → stream → ranges to receipt after the next commit. */
  private pendingReceipts = new Map<string, Map<string, [number, number][]>>();
  private commitTimer: NodeJS.Immediate | null = null;

  constructor(options: ReceiverOptions) {
    super();
    if (!options || typeof options !== 'object') throw new TypeError(`Receiver: options must be an object, got ${String(options)}`);
    if (typeof options.brokerUrl !== 'string' || !/^(mqtts?|tcp|ssl):\/\//.test(options.brokerUrl)) {
      throw new TypeError(`Receiver: brokerUrl must look like mqtt://host:port, got ${JSON.stringify(options.brokerUrl)}`);
    }
    if (!options.publicKey || typeof options.publicKey !== 'object') throw new TypeError('Receiver: publicKey must be a KeyObject or a map of them');
    this.opts = options;
    this.log = options.logger ?? silentLogger;
    if (options.outDir) mkdirSync(options.outDir, { recursive: true });
    if (options.receiptKey && (options.receiptKey.asymmetricKeyType !== 'ed25519' || options.receiptKey.type !== 'private')) {
      throw new TypeError('Receiver: receiptKey must be the platform Ed25519 private KeyObject');
    }
    this.store = new ReceiverStore(options.stateFile ?? null);
    this.load();
  }

  /** Rebuilds the in-memory ledger from the store (at start, and after a failed commit). */
  private load(): void {
    this.ledgers.clear();
    this.markers.clear();
    Object.assign(this.counters, { batches: 0, records: 0, bytes: 0 });
    for (const b of this.store.batches()) {
      const ledger = this.ledger(b.stream);
      addRange(ledger.ranges, b.firstSeq, b.lastSeq);
      remember(ledger.hashByLast, b.lastSeq, b.hash);
      remember(ledger.prevByFirst, b.firstSeq, b.prevHash);
      remember(ledger.hashByFirst, b.firstSeq, b.hash);
      ledger.records += b.records;
      this.counters.batches++;
      this.counters.records += b.records;
      this.counters.bytes += b.bytes;
    }
    for (const m of this.store.markers()) this.markerList(m.stream).push(m);
  }

  /** Connects and subscribes; resolves once the subscription is in place. */
  async start(): Promise<void> {
    const o = this.opts;
    if (!this.store.isOpen) {
      // Started again after stop(): the ledger comes back from its file (or an empty RAM one).
      this.store = new ReceiverStore(o.stateFile ?? null);
      this.load();
    }
    const clientOpts: IClientOptions = {
      protocolVersion: 5,
      clientId: o.clientId ?? 'minegate-receiver',
      clean: o.clean ?? false,
      reconnectPeriod: 500,
      properties: { sessionExpiryInterval: o.sessionExpirySec ?? 7 * 86_400 },
      messageIdProvider: new mqtt.UniqueMessageIdProvider(),
    };
    if (o.username !== undefined) clientOpts.username = o.username;
    if (o.password !== undefined) clientOpts.password = o.password;
    if (o.tls?.caPath) clientOpts.ca = readFileSync(o.tls.caPath);
    if (o.tls?.certPath) clientOpts.cert = readFileSync(o.tls.certPath);
    if (o.tls?.keyPath) clientOpts.key = readFileSync(o.tls.keyPath);
    if (o.tls) clientOpts.rejectUnauthorized = o.tls.rejectUnauthorized ?? true;
    const client = mqtt.connect(o.brokerUrl, clientOpts);
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      try {
        this.handle(topic, payload, packet.properties?.userProperties ?? {});
      } catch (err) {
        this.log.error({ topic, err: messageOf(err) }, 'receiver failed on a message');
      }
    });
    client.on('error', (err) => this.log.warn({ err: messageOf(err) }, 'receiver connection error'));
    await new Promise<void>((resolve, reject) => {
      const subscribe = (): void => {
        client.subscribe(o.topicFilter ?? ALL_BATCHES, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      };
      if (client.connected) subscribe();
      else client.once('connect', subscribe);
    });
    // After a reconnect, the persistent session keeps the subscription; subscribing again is harmless.
    client.on('connect', () => client.subscribe(o.topicFilter ?? ALL_BATCHES, { qos: 1 }));
  }

  async stop(): Promise<void> {
    this.commit();
    const client = this.client;
    this.client = null;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    // A file ledger is closed (start() reopens it); a RAM ledger stays, so a stopped and restarted
    // receiver object keeps what it received, as it always did.
    if (this.opts.stateFile) this.store.close();
  }

  /** Checks and records one batch. Public so a platform can feed batches that arrived another way. */
  handle(topic: string, payload: Buffer, props: Record<string, string | string[]>): void {
    const where = parseTopic(topic);
    const prop = (k: string): string | undefined => {
      const v = props[k];
      return Array.isArray(v) ? v[0] : v;
    };
    const streamName = prop('stream') ?? '?';
    const key = where ? `${where.mineCode}/${where.substation}/${streamName}` : `?/${topic}`;
    const firstSeq = Number(prop('firstSeq'));
    const lastSeq = Number(prop('lastSeq'));
    const fail = (reason: FailureReason, detail: string): void => {
      const failure: VerificationFailure = {
        stream: key,
        firstSeq: Number.isSafeInteger(firstSeq) ? firstSeq : null,
        lastSeq: Number.isSafeInteger(lastSeq) ? lastSeq : null,
        reason,
        detail,
        topic,
      };
      this.counters.failures++;
      if (this.failures.length < 10_000) this.failures.push(failure);
      this.log.error({ ...failure }, 'batch failed verification');
      this.emit('failure', failure);
    };

    if (where?.suffix === COMMAND_SUFFIX || where?.suffix === RECEIPT_SUFFIX) return; // the platform's own messages to the substation, not batches
    if (!where) return fail('malformed', `topic ${topic} is not minegate/<mine>/<substation>/<TYPE>`);
    const name = prop('name');
    const prevHash = prop('prevHash');
    const hash = prop('hash');
    const signature = prop('signature');
    if (prop('v') !== '1' || !prop('stream') || !name || !prevHash || !hash || !signature || !Number.isSafeInteger(firstSeq) || !Number.isSafeInteger(lastSeq)) {
      return fail('malformed', 'missing or unsupported batch properties (v, stream, firstSeq, lastSeq, name, prevHash, hash, signature)');
    }
    const key2 = `${where.mineCode}/${where.substation}`;
    const publicKey = isKeyObject(this.opts.publicKey) ? this.opts.publicKey : this.opts.publicKey[key2];
    if (!publicKey) return fail('unknown-key', `no public key configured for substation ${key2}`);

    const id: BatchIdentity = { mineCode: where.mineCode, substation: where.substation, stream: streamName, type: where.suffix, firstSeq, lastSeq, name };
    const verdict = verifyBatch(id, payload, { prevHash, hash, signature }, publicKey);
    if (!verdict.ok) return fail(verdict.reason, verdict.detail);

    // Content: the record count must match the sequence range, and the file must parse.
    let records: unknown[];
    try {
      records = isMt1201Type(where.suffix)
        ? parseFile(name, payload, { encoding: this.opts.encoding ?? 'utf-8' }).records
        : parseJsonlBatch(payload).records;
    } catch (err) {
      return fail('format', messageOf(err));
    }
    if (records.length !== lastSeq - firstSeq + 1) {
      return fail('format', `file holds ${records.length} records for sequence range ${firstSeq}..${lastSeq}`);
    }

    const ledger = this.ledger(key);
    const seen = coverage(ledger.ranges, firstSeq, lastSeq);
    if (seen === 'all') {
      const known = ledger.hashByFirst.get(firstSeq);
      if (known !== undefined && known !== hash) return fail('conflict', `sequence ${firstSeq}..${lastSeq} was already received with hash ${known}`);
      this.counters.duplicates++;
      // The substation did not get (or did not keep) our receipt: the same receipt again.
      this.queueReceipt(where.mineCode, where.substation, streamName, firstSeq, lastSeq);
      this.emit('duplicate', key, firstSeq, lastSeq);
      return;
    }
    if (seen === 'some') return fail('overlap', `sequence ${firstSeq}..${lastSeq} partly overlaps batches already received`);

    // Chain: the previous batch (if we have it, or a gap marker bridging to it) must be the one this batch names.
    const chainProblem = this.chainProblem(key, ledger, firstSeq, lastSeq, prevHash, hash);
    if (chainProblem) return fail('chain-break', chainProblem);

    const maxBefore = ledger.ranges.length > 0 ? ledger.ranges[ledger.ranges.length - 1]![1] : 0;
    addRange(ledger.ranges, firstSeq, lastSeq);
    remember(ledger.hashByLast, lastSeq, hash);
    remember(ledger.prevByFirst, firstSeq, prevHash);
    remember(ledger.hashByFirst, firstSeq, hash);
    ledger.records += records.length;
    this.counters.batches++;
    this.counters.records += records.length;
    this.counters.bytes += payload.length;
    if (firstSeq > maxBefore + 1) this.emit('gap', { stream: key, fromSeq: maxBefore + 1, toSeq: firstSeq - 1 });

    if (streamName === 'gap') {
      for (const r of records) this.noteMarker(`${where.mineCode}/${where.substation}`, r as unknown as GapMarker);
    }
    // The file first, then the ledger row: a crash in between re-receives the batch and rewrites the same file.
    if (this.opts.outDir) this.writeFile(where.mineCode, where.substation, streamName, firstSeq, name, payload);
    this.pendingRows.push({ stream: key, firstSeq, lastSeq, prevHash, hash, records: records.length, bytes: payload.length });
    this.queueReceipt(where.mineCode, where.substation, streamName, firstSeq, lastSeq);
    this.emit('batch', { stream: key, mineCode: where.mineCode, substation: where.substation, streamName, type: where.suffix, firstSeq, lastSeq, name, payload, records });
  }

  stats(): ReceiverStats {
    return { ...this.counters };
  }

  private queueReceipt(mineCode: string, substation: string, stream: string, firstSeq: number, lastSeq: number): void {
    const sub = `${mineCode}/${substation}`;
    let streams = this.pendingReceipts.get(sub);
    if (!streams) this.pendingReceipts.set(sub, (streams = new Map()));
    let ranges = streams.get(stream);
    if (!ranges) streams.set(stream, (ranges = []));
    const last = ranges[ranges.length - 1];
    if (last && last[1] + 1 === firstSeq) last[1] = lastSeq; // in-order delivery: one range per turn
    else ranges.push([firstSeq, lastSeq]);
    if (!this.commitTimer) this.commitTimer = setImmediate(() => this.commit());
  }

  /** Commits this turn's ledger rows, then publishes the receipts that name them. */
  private commit(): void {
    if (this.commitTimer) clearImmediate(this.commitTimer);
    this.commitTimer = null;
    const rows = this.pendingRows;
    const markers = this.pendingMarkers;
    const receipts = this.pendingReceipts;
    this.pendingRows = [];
    this.pendingMarkers = [];
    this.pendingReceipts = new Map();
    if (rows.length > 0 || markers.length > 0) {
      try {
        this.store.commit(rows, markers, Date.now());
      } catch (err) {
        // Not durable → no receipt, and forget them so the substation's re-send is taken again.
        this.counters.storeFailures++;
        this.log.error({ err: messageOf(err), batches: rows.length }, 'receiver ledger commit failed; those batches get no receipt');
        this.load();
        return;
      }
    }
    const key = this.opts.receiptKey;
    const client = this.client;
    if (!key || !client) return;
    for (const [sub, streams] of receipts) {
      const [mineCode, substation] = sub.split('/') as [string, string];
      const { payload, signature } = signReceipt({ v: RECEIPT_VERSION, mineCode, substation, issuedAt: Date.now(), streams: Object.fromEntries(streams) }, key);
      // QoS 1; if it is lost anyway, the substation's receipt timeout re-sends and we receipt the duplicate.
      client.publish(receiptTopic(mineCode, substation), payload, { qos: 1, properties: { userProperties: { signature } } });
      this.counters.receipts++;
    }
  }

  /** Failures so far (the first 10,000). */
  failureList(): VerificationFailure[] {
    return [...this.failures];
  }

  /** Stream keys seen: "<mine>/<substation>/<stream>". */
  streams(): string[] {
    return [...this.ledgers.keys()];
  }

  /** Received sequence ranges of a stream, merged. */
  received(stream: string): [number, number][] {
    return (this.ledgers.get(stream)?.ranges ?? []).map((r) => [r[0], r[1]]);
  }

  /** Records accepted for a stream (after dedupe). */
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

  private ledger(key: string): Ledger {
    let l = this.ledgers.get(key);
    if (!l) this.ledgers.set(key, (l = { ranges: [], hashByLast: new Map(), prevByFirst: new Map(), hashByFirst: new Map(), records: 0 }));
    return l;
  }

  private chainProblem(key: string, ledger: Ledger, firstSeq: number, lastSeq: number, prevHash: string, hash: string): string | null {
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

  private noteMarker(substationKey: string, m: GapMarker): void {
    this.counters.gapMarkers++;
    this.counters.reportedDropped += typeof m.records === 'number' ? m.records : 0;
    const key = `${substationKey}/${m.stream}`;
    if (typeof m.firstSeq === 'number' && typeof m.lastSeq === 'number') {
      const range: StoredMarker = { stream: key, fromSeq: m.firstSeq, toSeq: m.lastSeq, reason: m.reason, prevHash: m.prevHash, lastHash: m.lastHash };
      this.markerList(key).push(range);
      this.pendingMarkers.push(range);
    }
    this.log.warn({ stream: key, reason: m.reason, records: m.records, firstSeq: m.firstSeq, lastSeq: m.lastSeq }, 'substation reports dropped records');
    this.emit('marker', key, m);
  }

  private markerList(key: string): MarkerRange[] {
    let list = this.markers.get(key);
    if (!list) this.markers.set(key, (list = []));
    return list;
  }

  private writeFile(mine: string, substation: string, stream: string, firstSeq: number, name: string, payload: Buffer): void {
    const dir = join(this.opts.outDir!, mine, substation, stream);
    try {
      mkdirSync(dir, { recursive: true });
      // The sequence prefix keeps two files sealed in the same second apart; tmp + rename: never a half file.
      const file = join(dir, `${String(firstSeq).padStart(12, '0')}_${name}`);
      writeFileSync(`${file}.part`, payload);
      renameSync(`${file}.part`, file);
    } catch (err) {
      this.log.error({ dir, name, err: messageOf(err) }, 'receiver could not write a file');
    }
  }
}

export interface ReceiveMainOptions {
  broker: string;
  out: string;
  /** Path of the substation public key (PEM). */
  key: string;
  /** The ledger's SQLite file; default <out>/ledger.db. */
  state?: string;
  /** Path of the platform's private key (PEM): publish signed receipts. */
  receiptKey?: string;
  clientId?: string;
  tls?: TlsFiles;
  logger?: SyncLogger;
  /** Where the periodic one-line summary goes; default stdout. */
  print?: (line: string) => void;
  /** Summary interval; 0 = none. */
  reportEveryMs?: number;
}

/** `minegate receive --broker <url> --out <dir> --key <substation public key>`: runs until stop() is called. */
export async function receiveMain(opts: ReceiveMainOptions): Promise<{ receiver: Receiver; stop: () => Promise<void> }> {
  const receiver = new Receiver({
    brokerUrl: opts.broker,
    publicKey: loadPublicKey(opts.key),
    outDir: opts.out,
    stateFile: opts.state ?? join(opts.out, 'ledger.db'),
    ...(opts.receiptKey ? { receiptKey: loadPrivateKey(opts.receiptKey) } : {}),
    ...(opts.clientId ? { clientId: opts.clientId } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  receiver.on('failure', (f) => print(`VERIFICATION FAILED ${f.stream} ${f.firstSeq ?? '?'}..${f.lastSeq ?? '?'}: ${f.reason}: ${f.detail}`));
  receiver.on('marker', (stream, m) => print(`gap reported by substation: ${stream} ${m.firstSeq ?? '-'}..${m.lastSeq ?? '-'} ${m.records} records (${m.reason})`));
  await receiver.start();
  print(`receiving from ${opts.broker} into ${opts.out}`);
  const every = opts.reportEveryMs ?? 10_000;
  const timer =
    every > 0
      ? setInterval(() => {
          const s = receiver.stats();
          const open = receiver.gaps().filter((g) => !g.explained).length;
          print(`batches ${s.batches} records ${s.records} duplicates ${s.duplicates} failures ${s.failures} reported-dropped ${s.reportedDropped} unexplained-gaps ${open}`);
        }, every)
      : null;
  return {
    receiver,
    stop: async () => {
      if (timer) clearInterval(timer);
      await receiver.stop();
    },
  };
}

function isKeyObject(k: unknown): k is KeyObject {
  return typeof k === 'object' && k !== null && 'asymmetricKeyType' in k && typeof (k as KeyObject).export === 'function';
}

function remember(map: Map<number, string>, k: number, v: string): void {
  map.set(k, v);
  if (map.size > HASH_MEMORY) map.delete(map.keys().next().value!);
}
