// Outbox drain: 1,000,000 buffered CDSS records published by the uplink to a real Mosquitto on
// loopback, against raw mqtt.js publishing the same payload bytes (same window of unacked
// messages, QoS 1) in the same run; plus the jitter of a 100 ms interval timer during the drain
// (the polling/interlock timers share this event loop).
// `npm run bench -- drain [records] [--broker mqtt://…] [--main-thread-checkpoints]` (default
// 1000000; without --broker a temporary /usr/sbin/mosquitto is started on a free loopback port).
// The outbox is opened as the runtime opens it, WAL checkpoints on a worker thread
// (wal-checkpointer.ts); --main-thread-checkpoints measures SQLite's own in-commit checkpoints.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { openDatabase } from '../edge/store/database.js';
import type { CdssRecord } from '../sync/formats/records/index.js';
import { openSyncDatabase } from '../sync/sync-database.js';
import { startWalCheckpointer } from '../sync/wal-checkpointer.js';
import { Outbox, type StoredBatch } from '../sync/outbox.js';
import { LANES } from '../sync/stream.js';
import { cdssStream } from '../sync/streams/index.js';
import { Uplink, batchMessage, UPLINK_DEFAULTS } from '../sync/uplink.js';
import { percentiles, type BenchContext } from './harness.js';
import { startMosquitto } from './mosquitto.js';

const MINE = '150622000001';
const SUBSTATION = 'FZ01';
const T0 = Date.UTC(2026, 0, 1);

interface DrainArgs {
  n: number;
  externalBroker: string | undefined;
  mainThreadCheckpoints: boolean;
}

function drainArgs(args: readonly string[]): DrainArgs {
  const brokerArg = args.indexOf('--broker');
  const externalBroker = brokerArg >= 0 ? args[brokerArg + 1] : undefined;
  const positional = args.filter((a, i) => !a.startsWith('--') && (brokerArg < 0 || i !== brokerArg + 1));
  const n = Number(positional[0] ?? 1_000_000);
  if (!Number.isSafeInteger(n) || n < 1000) throw new TypeError(`drain: record count must be an integer ≥ 1000, got ${String(positional[0])}`);
  return { n, externalBroker, mainThreadCheckpoints: args.includes('--main-thread-checkpoints') };
}

export default async function drain(ctx: BenchContext): Promise<void> {
  const args = drainArgs(ctx.args);
  const dir = mkdtempSync(join(tmpdir(), 'minegate-bench-drain-'));
  let broker: { url: string; stop(): Promise<void> } | undefined;
  try {
    broker = args.externalBroker ? { url: args.externalBroker, stop: async () => {} } : await startMosquitto(dir);
    const buffered = bufferRecords(dir, args);
    const idle = await idleLoop();
    // Baseline: raw mqtt.js, same payloads and properties, same window of unacked messages.
    const raw = await rawPublish(broker.url, buffered.batches, UPLINK_DEFAULTS.maxInFlight);
    const drained = await drainThroughUplink(buffered, broker.url);
    reportDrain(ctx, args.n, buffered.batches, raw, drained, idle);
  } finally {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Buffered {
  db: ReturnType<typeof openSyncDatabase>;
  checkpoints: ReturnType<typeof startWalCheckpointer> | null;
  outbox: Outbox;
  batches: StoredBatch[];
}

/** Buffer n records, as after an outage, in the outbox's own file opened as the runtime opens it (sync-database.ts). */
function bufferRecords(dir: string, args: DrainArgs): Buffered {
  const db = openSyncDatabase(join(dir, 'outbox.db'));
  const checkpoints = args.mainThreadCheckpoints ? null : startWalCheckpointer(db, join(dir, 'outbox.db'));
  const outbox = new Outbox({
    db,
    mineCode: MINE,
    mineName: 'bench mine',
    substation: SUBSTATION,
    signingKey: generateKeyPairSync('ed25519').privateKey,
    autoFlush: false,
    maxBytes: 4 * 1024 * 1024 * 1024,
  });
  const flushAll = (): void => {
    while (outbox.stats().queued > 0) if (!outbox.flush().ok) throw new Error(`flush failed: ${outbox.stats().lastError}`);
  };
  for (let i = 0; i < args.n; i++) {
    outbox.append(cdssStream, cdssRecord(i));
    if (i % 20_000 === 19_999) flushAll();
  }
  flushAll();
  if (outbox.stats().storedRecords !== args.n) throw new Error(`buffered ${outbox.stats().storedRecords} of ${args.n} records`);
  if (checkpoints) outbox.delegateWalTruncate(() => checkpoints.truncate());
  return { db, checkpoints, outbox, batches: allBatches(outbox) };
}

interface LoopWatch {
  deviations: number[];
  stalls: ReturnType<typeof monitorEventLoopDelay>;
}

/**
 * The same timer on an idle loop: on a shared or loaded machine the OS scheduler alone causes
 * jitter, so this is the baseline the drain's figure is compared with.
 */
async function idleLoop(): Promise<LoopWatch> {
  const idle = watchTimer(100);
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  await new Promise((r) => setTimeout(r, 1500));
  stalls.disable();
  return { deviations: idle.stop(), stalls };
}

/** The uplink draining the outbox (delete on PUBACK), with a 100 ms timer watching the event loop. */
async function drainThroughUplink(buffered: Buffered, brokerUrl: string): Promise<LoopWatch & { seconds: number }> {
  const { outbox, batches } = buffered;
  const jitter = watchTimer(100);
  // The drain lasts about a second: a 100 ms timer ticks only a few times in it, so the longest
  // event-loop stall (sampled every ms) is the figure that bounds any timer's lateness.
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  const uplink = new Uplink({ outbox, brokerUrl, mineCode: MINE, substation: SUBSTATION, clientId: `bench-uplink-${process.pid}` });
  const start = process.hrtime.bigint();
  uplink.start();
  await new Promise<void>((resolve) => {
    // uplink.status() is in-memory; outbox.stats() reads three pragmas, too heavy for every PUBACK.
    const check = (): void => {
      if (uplink.status().acked >= batches.length) {
        outbox.off('batches', check);
        uplink.off('acked', check);
        resolve();
      }
    };
    uplink.on('acked', check);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const deviations = jitter.stop();
  stalls.disable();
  await uplink.stop();
  outbox.close();
  await buffered.checkpoints?.stop();
  buffered.db.close();
  return { seconds, deviations, stalls };
}

function reportDrain(ctx: BenchContext, n: number, batches: StoredBatch[], rawSeconds: number, drained: LoopWatch & { seconds: number }, idle: LoopWatch): void {
  const bytes = batches.reduce((s, b) => s + b.bytes, 0);
  const { deviations, stalls } = drained;
  const idleDeviations = idle.deviations;
  ctx.report({ figure: `outbox drain to Mosquitto, ${n} records in ${batches.length} batches (${(bytes / 1e6).toFixed(1)} MB)`, value: Math.round(n / drained.seconds), unit: 'records/s', baseline: Math.round(n / rawSeconds) });
  // Deviation from the 100 ms period, in % of the period (goal: < 10 %).
  const [p50, p99] = percentiles(deviations, [50, 99]).map((d) => Number(d.toFixed(2)));
  const [idle50, idle99] = percentiles(idleDeviations, [50, 99]).map((d) => Number(d.toFixed(2)));
  const ticks = `${deviations.length} ticks; baseline: same timer on an idle loop, ${idleDeviations.length} ticks`;
  ctx.report({ figure: `100 ms interval timer during the drain, p50 deviation (${ticks})`, value: p50!, unit: '% of interval', baseline: idle50!, ratio: null });
  ctx.report({ figure: `100 ms interval timer during the drain, p99 deviation (${ticks})`, value: p99!, unit: '% of interval', baseline: idle99!, ratio: null });
  // monitorEventLoopDelay reports delay beyond its 1 ms resolution, in ns.
  const stallMs = (h: ReturnType<typeof monitorEventLoopDelay>): number => Number((h.max / 1e6).toFixed(2));
  ctx.report({ figure: 'longest event-loop stall during the drain (baseline: idle loop)', value: stallMs(stalls), unit: 'ms', baseline: stallMs(idle.stalls), ratio: null });
  ctx.report({ figure: 'longest event-loop stall during the drain as a share of a 100 ms interval (goal < 10 %)', value: Number(stallMs(stalls).toFixed(2)), unit: '% of 100 ms', baseline: stallMs(idle.stalls), ratio: null });
  ctx.report({
    figure: `100 ms interval timer during the drain, max deviation (${ticks})`,
    value: Number(Math.max(...deviations).toFixed(2)),
    unit: '% of interval',
    baseline: Number(Math.max(...idleDeviations).toFixed(2)),
    ratio: null,
  });
}

function cdssRecord(i: number): CdssRecord {
  return {
    pointCode: `CH4-${String(i % 16).padStart(2, '0')}`,
    sensorTypeName: '环境瓦斯',
    location: '3101回风巷',
    value: 0.3 + (i % 50) / 100,
    unit: '%CH4',
    status: 0,
    dataTime: T0 + Math.floor(i / 16) * 10_000,
  };
}

function allBatches(outbox: Outbox): StoredBatch[] {
  const out: StoredBatch[] = [];
  for (const lane of LANES) {
    let after = 0;
    for (let b = outbox.claimNext(lane, after); b; b = outbox.claimNext(lane, after)) {
      after = b.id;
      out.push(b);
    }
  }
  outbox.releaseAll();
  return out;
}

/** Seconds to publish every batch with QoS 1 and at most `window` unacked, straight through mqtt.js. */
async function rawPublish(url: string, batches: StoredBatch[], window: number): Promise<number> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `bench-raw-${process.pid}`,
    reconnectPeriod: 0,
    messageIdProvider: new mqtt.UniqueMessageIdProvider(),
  });
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let acked = 0;
    let inFlight = 0;
    const pump = (): void => {
      while (inFlight < window && next < batches.length) {
        const m = batchMessage(MINE, SUBSTATION, batches[next++]!);
        inFlight++;
        client.publish(m.topic, m.payload, { qos: 1, properties: { userProperties: { ...m.properties } } }, (err) => {
          if (err) return reject(err);
          inFlight--;
          if (++acked === batches.length) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await client.endAsync();
  return seconds;
}

/** Deviations of a repeating timer from its period, in % of the period. */
function watchTimer(periodMs: number): { stop(): number[] } {
  const deviations: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    deviations.push((Math.abs(now - last - periodMs) / periodMs) * 100);
    last = now;
  }, periodMs);
  return {
    stop: () => {
      clearInterval(timer);
      return deviations.length > 0 ? deviations : [0];
    },
  };
}

