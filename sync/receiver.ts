// Reference receiver ("the platform" for tests and the demo): subscribes to every substation's
// batches, checks each one (signature, hash, chain link to the previous batch of its stream,
// record count against the MT/T 1201 file), drops duplicates by (stream, sequence), reports gaps
// and whether a gap marker explains them, and writes the files it accepted to a directory.
// With `stateFile` its ledger is durable (receiver-store.ts); with `receiptKey` it publishes signed
// receipts (receipts.ts) for what it committed, so substations free batches end to end.
// Its parts: receiver-ledger.ts (ranges, hashes, markers in memory), receiver-turn.ts (one turn's
// rows and receipts), receiver-mqtt.ts (client and receipts), receive-main.ts (`minegate receive`).
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { parseFile } from './formats/mt1201-file.js';
import { isMt1201Type } from './formats/records/index.js';
import { verifyBatch, type BatchIdentity } from './integrity.js';
import { ReceiverLedger } from './receiver-ledger.js';
import { connectReceiver, publishReceipts } from './receiver-mqtt.js';
import { ReceiverStore, type StoredMarker } from './receiver-store.js';
import { ReceiverTurn } from './receiver-turn.js';
import type { FailureReason, GapReport, ReceiverEvents, ReceiverOptions, ReceiverStats, VerificationFailure } from './receiver-types.js';
import { parseJsonlBatch } from './streams/jsonl.js';
import type { GapMarker } from './streams/gap.js';
import { messageOf, silentLogger, type SyncLogger } from './sync-error.js';
import { COMMAND_SUFFIX, RECEIPT_SUFFIX, parseTopic } from './topics.js';

export type { AcceptedBatch, FailureReason, GapReport, ReceiverEvents, ReceiverOptions, ReceiverStats, VerificationFailure } from './receiver-types.js';

/** Where a failure is reported: the topic and what the properties claimed, checked or not. */
interface FailureSite {
  topic: string;
  key: string;
  firstSeq: number;
  lastSeq: number;
}

/** A batch whose signature, hash and content checked out, before dedupe and the chain check. */
interface VerifiedBatch extends FailureSite {
  mineCode: string;
  substation: string;
  streamName: string;
  type: string;
  name: string;
  prevHash: string;
  hash: string;
  payload: Buffer;
  records: unknown[];
}

export class Receiver extends EventEmitter<ReceiverEvents> {
  private client: MqttClient | null = null;
  private readonly ledger = new ReceiverLedger();
  private readonly failures: VerificationFailure[] = [];
  private readonly counters: ReceiverStats = { batches: 0, records: 0, bytes: 0, duplicates: 0, failures: 0, gapMarkers: 0, reportedDropped: 0, receipts: 0, storeFailures: 0 };
  private readonly log: SyncLogger;
  private readonly opts: ReceiverOptions;
  private store: ReceiverStore;
  /** This turn's accepted batches and markers, committed together before their receipts go out. */
  private readonly turn = new ReceiverTurn();
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
    Object.assign(this.counters, this.ledger.restore(this.store));
  }

  /** Connects and subscribes; resolves once the subscription is in place. */
  async start(): Promise<void> {
    if (!this.store.isOpen) {
      // Started again after stop(): the ledger comes back from its file (or an empty RAM one).
      this.store = new ReceiverStore(this.opts.stateFile ?? null);
      this.load();
    }
    const { client, subscribed } = connectReceiver(this.opts, (topic, payload, props) => this.handle(topic, payload, props), this.log);
    this.client = client;
    await subscribed;
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
    const site: FailureSite = { topic, key: where ? `${where.mineCode}/${where.substation}/${streamName}` : `?/${topic}`, firstSeq: Number(prop('firstSeq')), lastSeq: Number(prop('lastSeq')) };
    const { firstSeq, lastSeq } = site;

    if (where?.suffix === COMMAND_SUFFIX || where?.suffix === RECEIPT_SUFFIX) return; // the platform's own messages to the substation, not batches
    if (!where) return this.fail(site, 'malformed', `topic ${topic} is not minegate/<mine>/<substation>/<TYPE>`);
    const name = prop('name');
    const prevHash = prop('prevHash');
    const hash = prop('hash');
    const signature = prop('signature');
    if (prop('v') !== '1' || !prop('stream') || !name || !prevHash || !hash || !signature || !Number.isSafeInteger(firstSeq) || !Number.isSafeInteger(lastSeq)) {
      return this.fail(site, 'malformed', 'missing or unsupported batch properties (v, stream, firstSeq, lastSeq, name, prevHash, hash, signature)');
    }
    const key2 = `${where.mineCode}/${where.substation}`;
    const publicKey = isKeyObject(this.opts.publicKey) ? this.opts.publicKey : this.opts.publicKey[key2];
    if (!publicKey) return this.fail(site, 'unknown-key', `no public key configured for substation ${key2}`);

    const id: BatchIdentity = { mineCode: where.mineCode, substation: where.substation, stream: streamName, type: where.suffix, firstSeq, lastSeq, name };
    const verdict = verifyBatch(id, payload, { prevHash, hash, signature }, publicKey);
    if (!verdict.ok) return this.fail(site, verdict.reason, verdict.detail);

    const records = this.contents(site, where.suffix, name, payload);
    if (records) this.accept({ topic, key: site.key, firstSeq, lastSeq, mineCode: where.mineCode, substation: where.substation, streamName, type: where.suffix, name, prevHash, hash, payload, records });
  }

  stats(): ReceiverStats {
    return { ...this.counters };
  }

  /** The batch's records when the file parses and holds one record per sequence number; null after reporting why not. */
  private contents(site: FailureSite, type: string, name: string, payload: Buffer): unknown[] | null {
    let records: unknown[];
    try {
      records = isMt1201Type(type) ? parseFile(name, payload, { encoding: this.opts.encoding ?? 'utf-8' }).records : parseJsonlBatch(payload).records;
    } catch (err) {
      this.fail(site, 'format', messageOf(err));
      return null;
    }
    if (records.length !== site.lastSeq - site.firstSeq + 1) {
      this.fail(site, 'format', `file holds ${records.length} records for sequence range ${site.firstSeq}..${site.lastSeq}`);
      return null;
    }
    return records;
  }

  /** Dedupe and chain check against the ledger, then records the batch for this turn's commit. */
  private accept(b: VerifiedBatch): void {
    const { key, firstSeq, lastSeq, records, payload } = b;
    const ledger = this.ledger.stream(key);
    const seen = this.ledger.seen(ledger, firstSeq, lastSeq);
    if (seen === 'all') {
      const known = ledger.hashByFirst.get(firstSeq);
      if (known !== undefined && known !== b.hash) return this.fail(b, 'conflict', `sequence ${firstSeq}..${lastSeq} was already received with hash ${known}`);
      this.counters.duplicates++;
      // The substation did not get (or did not keep) our receipt: the same receipt again.
      this.queueReceipt(b.mineCode, b.substation, b.streamName, firstSeq, lastSeq);
      this.emit('duplicate', key, firstSeq, lastSeq);
      return;
    }
    if (seen === 'some') return this.fail(b, 'overlap', `sequence ${firstSeq}..${lastSeq} partly overlaps batches already received`);

    // Chain: the previous batch (if we have it, or a gap marker bridging to it) must be the one this batch names.
    const chainProblem = this.ledger.chainProblem(key, ledger, firstSeq, lastSeq, b.prevHash, b.hash);
    if (chainProblem) return this.fail(b, 'chain-break', chainProblem);

    const maxBefore = this.ledger.highest(ledger);
    this.ledger.record(ledger, { firstSeq, lastSeq, prevHash: b.prevHash, hash: b.hash, records: records.length });
    this.counters.batches++;
    this.counters.records += records.length;
    this.counters.bytes += payload.length;
    if (firstSeq > maxBefore + 1) this.emit('gap', { stream: key, fromSeq: maxBefore + 1, toSeq: firstSeq - 1 });

    if (b.streamName === 'gap') {
      for (const r of records) this.noteMarker(`${b.mineCode}/${b.substation}`, r as unknown as GapMarker);
    }
    // The file first, then the ledger row: a crash in between re-receives the batch and rewrites the same file.
    if (this.opts.outDir) this.writeFile(b.mineCode, b.substation, b.streamName, firstSeq, b.name, payload);
    this.turn.addRow({ stream: key, firstSeq, lastSeq, prevHash: b.prevHash, hash: b.hash, records: records.length, bytes: payload.length });
    this.queueReceipt(b.mineCode, b.substation, b.streamName, firstSeq, lastSeq);
    this.emit('batch', { stream: key, mineCode: b.mineCode, substation: b.substation, streamName: b.streamName, type: b.type, firstSeq, lastSeq, name: b.name, payload, records });
  }

  private fail(site: FailureSite, reason: FailureReason, detail: string): void {
    const failure: VerificationFailure = {
      stream: site.key,
      firstSeq: Number.isSafeInteger(site.firstSeq) ? site.firstSeq : null,
      lastSeq: Number.isSafeInteger(site.lastSeq) ? site.lastSeq : null,
      reason,
      detail,
      topic: site.topic,
    };
    this.counters.failures++;
    if (this.failures.length < 10_000) this.failures.push(failure);
    this.log.error({ ...failure }, 'batch failed verification');
    this.emit('failure', failure);
  }

  private queueReceipt(mineCode: string, substation: string, stream: string, firstSeq: number, lastSeq: number): void {
    this.turn.addReceipt(mineCode, substation, stream, firstSeq, lastSeq);
    if (!this.commitTimer) this.commitTimer = setImmediate(() => this.commit());
  }

  /** Commits this turn's ledger rows, then publishes the receipts that name them. */
  private commit(): void {
    if (this.commitTimer) clearImmediate(this.commitTimer);
    this.commitTimer = null;
    const { rows, markers, receipts } = this.turn.take();
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
    this.counters.receipts += publishReceipts(client, key, receipts);
  }

  /** Failures so far (the first 10,000). */
  failureList(): VerificationFailure[] {
    return [...this.failures];
  }

  /** Stream keys seen: "<mine>/<substation>/<stream>". */
  streams(): string[] {
    return this.ledger.streams();
  }

  /** Received sequence ranges of a stream, merged. */
  received(stream: string): [number, number][] {
    return this.ledger.received(stream);
  }

  /** Records accepted for a stream (after dedupe). */
  recordCount(stream: string): number {
    return this.ledger.recordCount(stream);
  }

  /** Holes between 1 and the highest sequence received, per stream, and whether gap markers explain them. */
  gaps(stream?: string): GapReport[] {
    return this.ledger.gaps(stream);
  }

  private noteMarker(substationKey: string, m: GapMarker): void {
    this.counters.gapMarkers++;
    this.counters.reportedDropped += typeof m.records === 'number' ? m.records : 0;
    const key = `${substationKey}/${m.stream}`;
    if (typeof m.firstSeq === 'number' && typeof m.lastSeq === 'number') {
      const range: StoredMarker = { stream: key, fromSeq: m.firstSeq, toSeq: m.lastSeq, reason: m.reason, prevHash: m.prevHash, lastHash: m.lastHash };
      this.ledger.addMarker(range);
      this.turn.addMarker(range);
    }
    this.log.warn({ stream: key, reason: m.reason, records: m.records, firstSeq: m.firstSeq, lastSeq: m.lastSeq }, 'substation reports dropped records');
    this.emit('marker', key, m);
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

function isKeyObject(k: unknown): k is KeyObject {
  return typeof k === 'object' && k !== null && 'asymmetricKeyType' in k && typeof (k as KeyObject).export === 'function';
}
