// Uplink against a real Mosquitto, checked by the reference receiver: the round trip, priority
// lanes, link cuts, half-open links, the bandwidth cap, and restarts that must not replay history.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFile } from '../../sync/formats/mt1201-file.js';
import type { Receiver } from '../../sync/receiver.js';
import { cdssStream, ycbjStream } from '../../sync/streams/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { MINE, SUBSTATION, cdssRecord, flushAll, tempDir, ycbjRecord } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { startGateway, startReceiver, streamKey, waitForSeqs, type Gateway } from './helpers/pipeline.js';
import { startProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

let broker: Mosquitto;
let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway | undefined;
let receiver: Receiver | undefined;
let proxy: TcpProxy | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.close();
});
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await gateway?.stop();
  await receiver?.stop();
  await proxy?.close();
  gateway = receiver = proxy = undefined;
  if (!broker.running()) await broker.start();
  tmp.cleanup();
});

describe('uplink round trip', () => {
  it('delivers byte-exact MT/T 1201 files with seals the receiver verifies, alarms ahead of the real-time backlog', async () => {
    const outDir = join(tmp.dir, 'platform');
    receiver = await startReceiver(broker.url, { outDir });
    const order: string[] = [];
    receiver.on('batch', (b) => order.push(b.streamName));
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 20, autoFlush: false }, uplink: { maxInFlight: 1 } });
    gateway.uplink.stop(); // queue first, then connect, so the lanes decide the order
    for (let i = 0; i < 200; i++) gateway.outbox.append(cdssStream, cdssRecord(0.3 + (i % 10) / 100, T0 + i * 10_000));
    gateway.outbox.append(ycbjStream, ycbjRecord(T0 + 5000));
    gateway.outbox.flush();
    const sealed = gateway.outbox.claimNext('realtime', 0)!;
    gateway.outbox.releaseAll();
    await gateway.stop();

    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 20 }, uplink: { maxInFlight: 1 } });
    await waitForSeqs(receiver, 'cdss', 200);
    await waitForSeqs(receiver, 'ycbj', 1);
    expect(order[0]).toBe('ycbj'); // event lane first, although it was appended last
    expect(receiver.stats()).toMatchObject({ failures: 0, duplicates: 0, records: 201 });
    expect(receiver.gaps()).toEqual([]);

    // The file on the platform side is exactly the sealed payload, and a valid MT/T 1201 file.
    const dir = join(outDir, MINE, SUBSTATION, 'cdss');
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(10);
    const first = readFileSync(join(dir, files[0]!));
    expect(first.equals(sealed.payload)).toBe(true);
    const parsed = parseFile(sealed.name, first);
    expect(parsed.records[0]).toEqual(['CH4-01', '环境瓦斯', '3101回风巷', '0.30', '%CH4', '0', '2026-01-01 08:00:00']);
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { what: 'outbox empty after PUBACKs' });
  });

  it('never publishes while the broker is down, keeps everything in the outbox, and drains it when the broker is back', async () => {
    receiver = await startReceiver(broker.url);
    gateway = startGateway(tmp.dir, broker.url);
    await waitFor(() => gateway!.uplink.status().state === 'connected', { what: 'uplink connected' });
    await receiver.stop();
    await broker.stop();
    await waitFor(() => gateway!.uplink.status().state === 'backoff', { what: 'uplink noticed the broker is gone' });
    const publishedBefore = gateway.uplink.status().published;
    for (let i = 0; i < 300; i++) gateway.outbox.append(cdssStream, cdssRecord(0.4, T0 + i * 1000));
    for (let i = 0; i < 5; i++) gateway.outbox.append(ycbjStream, ycbjRecord(T0 + i));
    await waitFor(() => gateway!.outbox.stats().storedRecords === 305, { what: 'records flushed to the outbox' });
    expect(gateway.uplink.status().published).toBe(publishedBefore);

    await broker.start();
    // The platform resumes its persistent session (saved by the broker across its restart), so
    // whatever the gateway publishes before the platform is back is queued for it, not discarded.
    await receiver.start();
    await waitForSeqs(receiver, 'cdss', 300);
    await waitForSeqs(receiver, 'ycbj', 5);
    expect(receiver.stats().failures).toBe(0);
  });
});

describe('uplink on a bad link', () => {
  it('loses nothing when the link is cut mid-stream again and again: every seq arrives, duplicates only from re-sent unacked batches (peer #1, #10)', async () => {
    receiver = await startReceiver(broker.url);
    proxy = await startProxy(broker.port);
    gateway = startGateway(tmp.dir, proxy.url, { outbox: { batchMaxRecords: 10 }, uplink: { maxInFlight: 8 } });
    let cuts = 0;
    gateway.uplink.on('acked', () => {
      // Cut while batches are in flight, every 15 acks.
      if (gateway!.uplink.status().acked % 15 === 0 && cuts < 10) {
        cuts++;
        proxy!.cut();
      }
    });
    const n = 3000;
    for (let i = 0; i < n; i++) {
      gateway.outbox.append(cdssStream, cdssRecord(0.5, T0 + i * 1000));
      if (i % 100 === 0) gateway.outbox.append(ycbjStream, ycbjRecord(T0 + i));
      if (i % 300 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitForSeqs(receiver, 'cdss', n, 30_000);
    await waitForSeqs(receiver, 'ycbj', 30);
    expect(cuts).toBeGreaterThanOrEqual(5);
    expect(gateway.uplink.status().disconnects).toBeGreaterThanOrEqual(5);
    expect(receiver.recordCount(streamKey('cdss'))).toBe(n);
    expect(receiver.stats().failures).toBe(0);
    // Re-sends are bounded by the in-flight window per cut.
    expect(receiver.stats().duplicates).toBeLessThanOrEqual(cuts * 8);
  });

  it('detects a half-open link by the PUBACK timeout and delivers through a new connection (peer #10)', async () => {
    receiver = await startReceiver(broker.url);
    proxy = await startProxy(broker.port);
    gateway = startGateway(tmp.dir, proxy.url, { uplink: { ackTimeoutMs: 400, keepaliveSec: 60 } });
    await waitFor(() => gateway!.uplink.status().state === 'connected', { what: 'uplink connected' });
    proxy.freeze(); // packets vanish; no RST, no FIN
    for (let i = 0; i < 50; i++) gateway.outbox.append(ycbjStream, ycbjRecord(T0 + i));
    await waitForSeqs(receiver, 'ycbj', 50, 15_000);
    expect(gateway.uplink.status().ackTimeouts).toBeGreaterThanOrEqual(1);
    expect(receiver.stats().failures).toBe(0);
  });

  it('notices a silently dead idle link by keepalive and is connected again before the next record needs it', async () => {
    receiver = await startReceiver(broker.url);
    proxy = await startProxy(broker.port);
    gateway = startGateway(tmp.dir, proxy.url, { uplink: { keepaliveSec: 1 } });
    await waitFor(() => gateway!.uplink.status().state === 'connected', { what: 'uplink connected' });
    proxy.freeze(); // nothing in flight: only keepalive can tell
    await waitFor(() => gateway!.uplink.status().disconnects === 1, { timeoutMs: 5_000, what: 'keepalive timeout' });
    await waitFor(() => gateway!.uplink.status().state === 'connected', { what: 'reconnected through a fresh connection' });
    gateway.outbox.append(ycbjStream, ycbjRecord(T0));
    await waitForSeqs(receiver, 'ycbj', 1);
    expect(gateway.uplink.status().ackTimeouts).toBe(0);
  });

  it('holds the drain to the bandwidth cap', async () => {
    receiver = await startReceiver(broker.url);
    gateway = startGateway(tmp.dir, broker.url, {
      outbox: { autoFlush: false, batchMaxRecords: 20 },
      uplink: { bytesPerSecond: 40_000, burstBytes: 4_000 },
    });
    for (let i = 0; i < 1000; i++) gateway.outbox.append(cdssStream, cdssRecord(0.5, T0 + i * 1000));
    gateway.outbox.flush();
    const bytes = gateway.outbox.stats().storedBytes;
    expect(bytes).toBeGreaterThan(60_000);
    const started = performance.now();
    await waitForSeqs(receiver, 'cdss', 1000);
    const elapsed = (performance.now() - started) / 1000;
    // (bytes - burst) at 40 kB/s is the least it can take; well under twice that shows it is not stalling.
    const least = (bytes - 4_000) / 40_000;
    expect(elapsed).toBeGreaterThanOrEqual(least * 0.9);
    expect(elapsed).toBeLessThan(least * 2 + 1);
  });

  it('lets at most one second of the rate through at once by default (burst = bytesPerSecond), not a fixed 256 KiB', async () => {
    receiver = await startReceiver(broker.url);
    const rate = 60_000;
    gateway = startGateway(tmp.dir, broker.url, { outbox: { autoFlush: false, batchMaxRecords: 20 }, uplink: { bytesPerSecond: rate } });
    for (let i = 0; i < 3200; i++) gateway.outbox.append(cdssStream, cdssRecord(0.5, T0 + i * 1000));
    flushAll(gateway.outbox);
    const bytes = gateway.outbox.stats().storedBytes;
    expect(bytes).toBeGreaterThan(150_000); // more than two seconds of the rate, less than the old 256 KiB burst
    expect(bytes).toBeLessThan(256 * 1024);
    const started = performance.now();
    await waitForSeqs(receiver, 'cdss', 3200);
    const elapsed = (performance.now() - started) / 1000;
    // With a burst of one second the drain takes at least (bytes - rate) / rate; the old fixed 256 KiB burst sent it all at once.
    const least = (bytes - rate) / rate;
    expect(elapsed).toBeGreaterThanOrEqual(least * 0.9);
    expect(elapsed).toBeLessThan(least * 2 + 1);
  });

  it('keeps the number of unacked batches within maxInFlight', async () => {
    receiver = await startReceiver(broker.url);
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 5 }, uplink: { maxInFlight: 3 } });
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, gateway!.uplink.status().inFlight)), 0);
    try {
      for (let i = 0; i < 2000; i++) gateway.outbox.append(cdssStream, cdssRecord(0.5, T0 + i * 1000));
      await waitForSeqs(receiver, 'cdss', 2000);
    } finally {
      clearInterval(sample);
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
  });
});

describe('uplink across gateway restarts', () => {
  it('after a restart sends only what was never acknowledged, not the delivered backlog (peer #15)', async () => {
    receiver = await startReceiver(broker.url);
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 10 } });
    for (let i = 0; i < 1000; i++) gateway.outbox.append(cdssStream, cdssRecord(0.5, T0 + i * 1000));
    await waitForSeqs(receiver, 'cdss', 1000);
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { what: 'all acked' });
    await gateway.stop();
    const before = receiver.stats();

    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 10 } });
    for (let i = 1000; i < 1010; i++) gateway.outbox.append(cdssStream, cdssRecord(0.5, T0 + i * 1000));
    await waitForSeqs(receiver, 'cdss', 1010);
    const after = receiver.stats();
    expect(after.batches - before.batches).toBe(1);
    expect(after.duplicates).toBe(before.duplicates);
    expect(after.failures).toBe(0);
  });
});
