// The MQTT uplink: drains sealed batches from the outbox to the national platform's broker.
//
// Rules (see sync/README.md for the delivery contract):
// - QoS 1, MQTT 5; a batch is deleted from the outbox only after its PUBACK, or, with `receipts`,
//   only once the platform's signed receipt covers it (the PUBACK then only ends the in-flight
//   state; batches without a receipt `timeoutMs` after their PUBACK are sent again, see receipts.ts);
// - strictly in order per stream: lanes are drained event → realtime → backlog, and within a lane
//   in outbox id order; after any reconnect everything unacked is sent again from the oldest;
// - never publish while disconnected: mqtt.js's in-memory offline queue and its own re-send of
//   unacked packets are never used (each connection is a fresh client, auto-reconnect is off);
// - half-open links are detected by keepalive and by a PUBACK timeout that forces a reconnect;
// - reconnect with exponential backoff and jitter; in-flight cap (count and bytes); optional
//   bandwidth cap; the drain publishes for up to 2 ms per event-loop turn (one corked socket write)
//   and then yields, so the loop never waits on it longer than that.
//
// Options and defaults: uplink-options.ts; the MQTT.js options of one connection:
// uplink-client-options.ts; topic, payload and properties of a published batch: batch-message.ts.
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Backoff } from '../core/backoff.js';
import { batchMessage } from './batch-message.js';
import type { Outbox, StoredBatch } from './outbox.js';
import { ReceiptTracker, verifyReceipt } from './receipts.js';
import { LANES, type Lane } from './stream.js';
import { messageOf, silentLogger, type SyncLogger } from './sync-error.js';
import { TokenBucket } from './token-bucket.js';
import { receiptTopic } from './topics.js';
import { uplinkClientOptions, type UplinkCredentials } from './uplink-client-options.js';
import { validateUplinkOptions, type ResolvedUplinkOptions, type TlsFiles, type UplinkOptions } from './uplink-options.js';

export { batchMessage } from './batch-message.js';
export { RECEIPT_DEFAULTS, UPLINK_DEFAULTS, type ReceiptOptions, type TlsFiles, type UplinkOptions } from './uplink-options.js';

export type UplinkState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopped';

/**
 * Longest the drain publishes in one event-loop turn before it yields. A batch costs ~0.2–0.5 ms
 * here (claim = blob read, publish), so a slice holds a few batches; well under the 10 ms stall
 * budget of the gateway process's timers (the safety kernel runs in its own process anyway).
 */
const PUMP_SLICE_MS = 2;

export interface UplinkStatus {
  state: UplinkState;
  connects: number;
  disconnects: number;
  published: number;
  acked: number;
  ackedRecords: number;
  ackTimeouts: number;
  publishErrors: number;
  inFlight: number;
  inFlightBytes: number;
  lastError: string | null;
  /** With receipts: batches sent and not yet covered by a receipt, receipts taken, refused, timed out. */
  awaitingReceipt: number;
  receipts: number;
  badReceipts: number;
  receiptTimeouts: number;
  /** ms until the next connection attempt while in backoff. */
  nextAttemptInMs: number | null;
}

export interface AckedBatch {
  id: number;
  stream: string;
  firstSeq: number;
  lastSeq: number;
  records: number;
}

export type MessageHandler = (topic: string, payload: Buffer, userProperties: Record<string, string | string[]>) => void;

export interface UplinkEvents {
  connected: [];
  disconnected: [reason: string];
  acked: [batch: AckedBatch];
}

interface InFlight {
  id: number;
  bytes: number;
  sentAt: number;
}

export class Uplink extends EventEmitter<UplinkEvents> {
  private readonly outbox: Outbox;
  private readonly o: ResolvedUplinkOptions;
  private readonly credentials: UplinkCredentials;
  /** Batches awaiting the platform's receipt (receipts mode only). */
  private readonly awaiting: ReceiptTracker | null;
  private readonly tls: TlsFiles | undefined;
  private readonly log: SyncLogger;
  private readonly backoff: Backoff;
  private readonly bucket: TokenBucket | null;
  private readonly subscriptions = new Map<string, MessageHandler>();

  private client: MqttClient | null = null;
  /** Bumped on every new connection: callbacks of an older client are ignored. */
  private generation = 0;
  private state: UplinkState = 'idle';
  private cursors: Record<Lane, number> = { event: 0, realtime: 0, backlog: 0 };
  private readonly inFlight = new Map<number, InFlight>();
  private inFlightBytes = 0;
  private pumping = false;
  private pendingAcks: AckedBatch[] = [];
  private ackFlush: NodeJS.Immediate | null = null;
  /** A claimed batch waiting for bandwidth tokens. */
  private held: StoredBatch | null = null;
  private pumpAgain = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAt = 0;
  private ackTimer: NodeJS.Timeout | null = null;
  private bucketTimer: NodeJS.Timeout | null = null;
  private readonly onBatches = (): void => this.pump();
  private counters = { connects: 0, disconnects: 0, published: 0, acked: 0, ackedRecords: 0, ackTimeouts: 0, publishErrors: 0, receipts: 0, badReceipts: 0, receiptTimeouts: 0 };
  private lastError: string | null = null;

  constructor(options: UplinkOptions) {
    super();
    this.o = validateUplinkOptions(options);
    this.outbox = options.outbox;
    this.tls = options.tls;
    this.log = options.logger ?? silentLogger;
    this.backoff = new Backoff({ initialMs: this.o.reconnectInitialMs, maxMs: this.o.reconnectMaxMs, ...(options.random ? { random: options.random } : {}) });
    this.bucket = this.o.bytesPerSecond === null ? null : new TokenBucket(this.o.bytesPerSecond, this.o.burstBytes ?? this.o.bytesPerSecond);
    this.credentials = { username: options.username, password: options.password };
    this.awaiting = this.o.receipts ? new ReceiptTracker() : null;
    if (this.o.receipts) this.subscriptions.set(receiptTopic(this.o.mineCode, this.o.substation), (_t, payload, props) => this.onReceipt(payload, props));
  }

  /** Connects and keeps draining until stop(). */
  start(): void {
    if (this.state !== 'idle') return;
    this.outbox.on('batches', this.onBatches);
    this.connect();
  }

  /** Stops draining and closes the connection. Unacked batches stay in the outbox for next time. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.outbox.off('batches', this.onBatches);
    for (const t of [this.reconnectTimer, this.ackTimer, this.bucketTimer]) if (t) clearTimeout(t);
    this.reconnectTimer = this.ackTimer = this.bucketTimer = null;
    const client = this.client;
    this.client = null;
    this.generation++;
    this.dropInFlight();
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  /**
   * Subscribes to `topic` on every connection (used by the downlink for commands). Messages of a
   * topic are handed to its handler in arrival order.
   */
  subscribe(topic: string, handler: MessageHandler): void {
    this.subscriptions.set(topic, handler);
    if (this.state === 'connected' && this.client) this.client.subscribe(topic, { qos: 1 });
  }

  status(): UplinkStatus {
    return {
      state: this.state,
      ...this.counters,
      inFlight: this.inFlight.size,
      inFlightBytes: this.inFlightBytes,
      lastError: this.lastError,
      awaitingReceipt: this.awaiting?.size ?? 0,
      nextAttemptInMs: this.state === 'backoff' ? Math.max(0, this.reconnectAt - Date.now()) : null,
    };
  }

  /** Drops the current connection and reconnects after the backoff delay (also used on a PUBACK timeout). */
  forceReconnect(reason: string): void {
    if (this.state === 'stopped' || this.state === 'idle') return;
    this.lost(this.generation, reason);
  }

  // ---- connection ---------------------------------------------------------------------------

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const gen = ++this.generation;
    let opts: IClientOptions;
    try {
      opts = uplinkClientOptions(this.o, this.credentials, this.tls);
    } catch (err) {
      this.lastError = messageOf(err);
      this.log.error({ err: this.lastError }, 'uplink cannot build its connection options');
      this.scheduleReconnect();
      return;
    }
    const client = mqtt.connect(this.o.brokerUrl, opts);
    this.client = client;
    client.on('connect', () => this.connected(gen));
    client.on('message', (topic, payload, packet) => {
      if (gen !== this.generation) return;
      const handler = this.subscriptions.get(topic);
      if (!handler) return;
      try {
        handler(topic, payload, packet.properties?.userProperties ?? {});
      } catch (err) {
        this.log.error({ topic, err: messageOf(err) }, 'message handler threw');
      }
    });
    client.on('error', (err) => {
      if (gen !== this.generation) return;
      this.lastError = messageOf(err);
      this.lost(gen, `error: ${this.lastError}`);
    });
    client.on('close', () => this.lost(gen, 'connection closed'));
  }

  private connected(gen: number): void {
    if (gen !== this.generation || this.state === 'stopped') return;
    this.state = 'connected';
    this.counters.connects++;
    this.backoff.reset();
    // A new connection starts from the oldest unacked batch of every lane.
    this.cursors = { event: 0, realtime: 0, backlog: 0 };
    this.dropInFlight();
    for (const topic of this.subscriptions.keys()) this.client?.subscribe(topic, { qos: 1 });
    this.log.info({ broker: this.o.brokerUrl }, 'uplink connected');
    this.startAckTimer();
    this.emit('connected');
    this.pump();
  }

  private lost(gen: number, reason: string): void {
    if (gen !== this.generation || this.state === 'stopped') return;
    const wasConnected = this.state === 'connected';
    this.generation++;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('connect');
      client.removeAllListeners('message');
      client.on('error', () => {}); // late errors of a discarded client
      client.end(true);
    }
    if (this.ackTimer) clearInterval(this.ackTimer);
    this.ackTimer = null;
    this.dropInFlight();
    if (wasConnected) {
      this.counters.disconnects++;
      this.log.warn({ reason }, 'uplink disconnected; unacked batches stay in the outbox');
      this.emit('disconnected', reason);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped') return;
    this.state = 'backoff';
    const delay = this.backoff.next();
    this.reconnectAt = Date.now() + delay;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private dropInFlight(): void {
    // Acknowledged batches are deleted before anything is re-claimed, so they are never sent again.
    this.commitAcks();
    this.held = null;
    this.inFlight.clear();
    this.inFlightBytes = 0;
    // Unreceipted batches are claimed again from the oldest on the next connection; a receipt for
    // them that arrives later frees the re-sent copy (the receiver receipts duplicates too).
    this.awaiting?.clear();
    this.outbox.releaseAll();
  }

  private startAckTimer(): void {
    if (this.ackTimer) clearInterval(this.ackTimer);
    const gen = this.generation;
    this.ackTimer = setInterval(() => {
      if (gen !== this.generation) return;
      const now = performance.now();
      for (const f of this.inFlight.values()) {
        if (now - f.sentAt > this.o.ackTimeoutMs) {
          this.counters.ackTimeouts++;
          this.lastError = `no PUBACK for batch ${f.id} within ${this.o.ackTimeoutMs} ms`;
          this.log.warn({ batch: f.id, ackTimeoutMs: this.o.ackTimeoutMs }, 'PUBACK timeout: treating the link as dead');
          this.lost(gen, 'puback-timeout');
          return;
        }
        break; // in-flight entries are in send order: the oldest decides
      }
      const r = this.o.receipts;
      const oldest = this.awaiting?.oldestPubackAt() ?? null;
      if (r && oldest !== null && now - oldest > r.timeoutMs) {
        // The broker had it but no receipt came: the platform's session may have been lost with
        // the broker. A fresh connection sends every unreceipted batch again, in order.
        this.counters.receiptTimeouts++;
        this.lastError = `no receipt within ${r.timeoutMs} ms of a PUBACK`;
        this.log.warn({ receiptTimeoutMs: r.timeoutMs, awaiting: this.awaiting!.size }, 'receipt timeout: sending unreceipted batches again');
        this.lost(gen, 'receipt-timeout');
      }
    }, Math.max(50, Math.floor(Math.min(this.o.ackTimeoutMs, this.o.receipts?.timeoutMs ?? Infinity) / 4)));
    this.ackTimer.unref();
  }

  // ---- drain --------------------------------------------------------------------------------

  /** Publishes batches until the window is full, the outbox is empty, or the bandwidth cap says wait. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async pumpLoop(): Promise<void> {
    let sliceEnd = performance.now() + PUMP_SLICE_MS;
    for (;;) {
      this.pumpAgain = false;
      if (this.state !== 'connected' || !this.client || !this.client.connected) return;
      if (this.inFlight.size >= this.o.maxInFlight || this.inFlightBytes >= this.o.maxInFlightBytes) return;
      if (this.awaiting && (this.awaiting.size >= this.o.receipts!.maxAwaiting || this.awaiting.bytes >= this.o.receipts!.maxAwaitingBytes)) return;
      const batch = this.held ?? this.nextBatch();
      this.held = null;
      if (!batch) return;
      if (this.bucket) {
        const wait = this.bucket.take(batch.bytes);
        if (wait > 0) {
          // Over the bandwidth cap: keep this batch (claimed, so it stays first) until tokens accrue.
          this.held = batch;
          if (!this.bucketTimer) {
            this.bucketTimer = setTimeout(() => {
              this.bucketTimer = null;
              this.pump();
            }, wait);
          }
          return;
        }
      }
      this.publish(batch);
      // Let the rest of the process (store, capabilities, control socket) run: yield once this
      // turn has spent its slice. Publishes of one turn leave in one socket write (mqtt-packet
      // corks the stream until the next tick) instead of one write per batch.
      if (performance.now() >= sliceEnd) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceEnd = performance.now() + PUMP_SLICE_MS;
      }
    }
  }

  private nextBatch(): StoredBatch | undefined {
    for (const lane of LANES) {
      const batch = this.outbox.claimNext(lane, this.cursors[lane]);
      if (batch) {
        this.cursors[lane] = batch.id;
        return batch;
      }
    }
    return undefined;
  }

  private publish(batch: StoredBatch): void {
    const client = this.client!;
    const gen = this.generation;
    const message = batchMessage(this.o.mineCode, this.o.substation, batch);
    this.inFlight.set(batch.id, { id: batch.id, bytes: batch.bytes, sentAt: performance.now() });
    this.inFlightBytes += batch.bytes;
    this.awaiting?.add(batch);
    this.counters.published++;
    client.publish(message.topic, message.payload, { qos: 1, properties: { userProperties: { ...message.properties } } }, (err) =>
      this.published(gen, batch, err),
    );
  }

  private published(gen: number, batch: StoredBatch, err: Error | undefined): void {
    if (gen !== this.generation) return; // a discarded connection: the batch is still in the outbox
    const f = this.inFlight.get(batch.id);
    if (!f) return;
    if (err) {
      this.counters.publishErrors++;
      this.lastError = `broker refused batch ${batch.id} (${batch.stream} ${batch.firstSeq}..${batch.lastSeq}): ${messageOf(err)}`;
      this.log.error({ batch: batch.id, err: messageOf(err) }, 'broker refused a batch; reconnecting to retry in order');
      this.lost(gen, 'publish refused');
      return;
    }
    this.inFlight.delete(batch.id);
    this.inFlightBytes -= f.bytes;
    if (this.awaiting) {
      // End-to-end mode: the broker has it; the batch stays in the outbox until a receipt covers it.
      this.awaiting.pubacked(batch.id, performance.now());
      this.pump();
      return;
    }
    this.queueAck(batch);
    // The window has room again now: refill it in this turn, not after the delete commits.
    this.pump();
  }

  private queueAck(b: { id: number; stream: string; firstSeq: number; lastSeq: number; records: number }): void {
    // PUBACKs and receipts arrive in bursts (one socket read holds many): delete them in one transaction.
    this.pendingAcks.push({ id: b.id, stream: b.stream, firstSeq: b.firstSeq, lastSeq: b.lastSeq, records: b.records });
    if (!this.ackFlush) this.ackFlush = setImmediate(() => this.commitAcks());
  }

  private onReceipt(payload: Buffer, props: Record<string, string | string[]>): void {
    const sig = props.signature;
    const receipt = verifyReceipt(payload, Array.isArray(sig) ? sig[0] : sig, this.o.receipts!.platformKey, this.o);
    if (typeof receipt === 'string') {
      this.counters.badReceipts++;
      this.log.warn({ reason: receipt }, 'receipt refused; the batches it names stay in the outbox');
      return;
    }
    this.counters.receipts++;
    for (const b of this.awaiting!.cover(receipt.streams)) {
      // A receipt may overtake the PUBACK: the batch is no longer in flight either way.
      const f = this.inFlight.get(b.id);
      if (f) {
        this.inFlight.delete(b.id);
        this.inFlightBytes -= f.bytes;
      }
      this.queueAck(b);
    }
  }

  /** Deletes acknowledged batches from the outbox, then keeps the drain going. */
  private commitAcks(): void {
    if (this.ackFlush) clearImmediate(this.ackFlush);
    this.ackFlush = null;
    const acked = this.pendingAcks.splice(0);
    if (acked.length === 0) return;
    this.outbox.ackMany(acked.map((b) => b.id));
    for (const b of acked) {
      this.counters.acked++;
      this.counters.ackedRecords += b.records;
      this.emit('acked', b);
    }
    this.pump();
  }
}
