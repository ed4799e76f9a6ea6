// End-to-end receipts on a real Mosquitto: the outbox frees a batch only when the platform's signed
// receipt covers it, so a broker that forgets the platform's session (restart WITHOUT persistence)
// loses nothing; the receiver's durable ledger makes a restarted receiver recognise re-sent batches.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Receiver } from '../../sync/receiver.js';
import { signReceipt } from '../../sync/receipts.js';
import { cdssStream } from '../../sync/streams/index.js';
import { receiptTopic } from '../../sync/topics.js';
import type { UplinkOptions } from '../../sync/uplink.js';
import { waitFor } from '../helpers/wait-for.js';
import { MINE, SUBSTATION, cdssRecord, tempDir } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { platformKeys, startGateway, startReceiver, streamKey, waitForSeqs, type Gateway } from './helpers/pipeline.js';
import mqtt from 'mqtt';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
let broker: Mosquitto | undefined;
let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway | undefined;
let receiver: Receiver | undefined;

beforeEach(() => (tmp = tempDir()));
afterEach(async () => {
  await gateway?.stop();
  await receiver?.stop();
  await broker?.close();
  gateway = receiver = broker = undefined;
  tmp.cleanup();
});

const withReceipts = (timeoutMs = 1_000): Partial<UplinkOptions> => ({ receipts: { platformKey: platformKeys.publicKey, timeoutMs } });

function appendCdss(g: Gateway, from: number, to: number): void {
  for (let i = from; i < to; i++) g.outbox.append(cdssStream, cdssRecord(0.3 + (i % 50) / 100, T0 + i * 1_000, `CH4-${i % 16}`));
}

/** Records in the files the receiver wrote for a stream, and the first sequence numbers (file name prefixes). */
function filesOf(outDir: string, stream: string): { firstSeqs: number[] } {
  const dir = join(outDir, MINE, SUBSTATION, stream);
  return { firstSeqs: readdirSync(dir).map((f) => Number(f.split('_')[0])) };
}

describe('end-to-end receipts', () => {
  it('a batch the broker acknowledged stays in the outbox until the receipt; lost by a broker restart without persistence, it is sent again and arrives exactly once', { timeout: 60_000 }, async () => {
    broker = await startMosquitto({ persistence: false });
    const stateFile = join(tmp.dir, 'rx.db');
    const clientId = `rx-receipts-${process.pid}`;
    receiver = await startReceiver(broker.url, { receipts: true, stateFile, clientId }); // the platform's persistent session
    await receiver.stop(); // the platform is away; the broker queues for it …
    receiver = undefined;
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 100 }, uplink: withReceipts(1_000) });
    appendCdss(gateway, 0, 1_000);
    await waitFor(() => gateway!.uplink.status().awaitingReceipt === 10 && gateway!.uplink.status().inFlight === 0, { what: '10 batches PUBACKed' });
    expect(gateway.outbox.stats().storedBatches).toBe(10); // PUBACK alone frees nothing
    await broker.restart(); // … and forgets it: no persistence
    receiver = await startReceiver(broker.url, { receipts: true, stateFile, clientId });
    await waitForSeqs(receiver, 'cdss', 1_000);
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { what: 'outbox freed by receipts' });
    expect(receiver.recordCount(streamKey('cdss'))).toBe(1_000);
    expect(receiver.gaps()).toEqual([]);
    expect(gateway.outbox.stats().ackedRecords).toBe(1_000);
    expect(gateway.uplink.status().receipts).toBeGreaterThan(0);
  });

  it('contrast: with PUBACK freeing batches (no receipts) the same broker restart loses them for good', { timeout: 30_000 }, async () => {
    broker = await startMosquitto({ persistence: false });
    const clientId = `rx-puback-${process.pid}`;
    receiver = await startReceiver(broker.url, { clientId });
    await receiver.stop();
    receiver = undefined;
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 100 } });
    appendCdss(gateway, 0, 1_000);
    await waitFor(() => gateway!.outbox.stats().ackedRecords === 1_000, { what: 'all PUBACKed and deleted' });
    await broker.restart();
    receiver = await startReceiver(broker.url, { clientId });
    appendCdss(gateway, 1_000, 1_100);
    await waitFor(() => receiver!.recordCount(streamKey('cdss')) === 100, { what: 'the records after the restart' });
    expect(receiver.received(streamKey('cdss'))).toEqual([[1_001, 1_100]]);
    expect(receiver.gaps()).toEqual([{ stream: streamKey('cdss'), fromSeq: 1, toSeq: 1_000, explained: false, reasons: [] }]);
  });

  it('broker restarted WITHOUT persistence during a drain: the receiver ends with every seq exactly once and the outbox empty', { timeout: 90_000 }, async () => {
    broker = await startMosquitto({ persistence: false });
    const outDir = join(tmp.dir, 'received');
    receiver = await startReceiver(broker.url, { receipts: true, stateFile: join(tmp.dir, 'rx.db'), outDir });
    // ~20,000 records in 400 batches (~1.4 MB) at 400 kB/s: a drain of a few seconds to restart into.
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 50 }, uplink: { ...withReceipts(1_000), bytesPerSecond: 400_000 } });
    const N = 20_000;
    appendCdss(gateway, 0, N);
    await waitFor(() => receiver!.recordCount(streamKey('cdss')) >= N / 5, { timeoutMs: 30_000, what: 'a fifth of the drain received' });
    expect(receiver.recordCount(streamKey('cdss'))).toBeLessThan(N); // the restart really is mid-drain
    await broker.restart();
    await waitForSeqs(receiver, 'cdss', N, 60_000);
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { timeoutMs: 20_000, what: 'outbox freed by receipts' });
    expect(receiver.recordCount(streamKey('cdss'))).toBe(N);
    expect(receiver.gaps()).toEqual([]);
    expect(receiver.stats().failures).toBe(0);
    const { firstSeqs } = filesOf(outDir, 'cdss');
    expect(firstSeqs.length).toBe(N / 50);
    expect(new Set(firstSeqs).size).toBe(firstSeqs.length);
    expect(gateway.uplink.status().disconnects).toBeGreaterThanOrEqual(1);
  });

  it('both sides restart: the receiver reloads its ledger from SQLite, takes re-sent batches as duplicates and receipts them; the reopened outbox is freed', { timeout: 60_000 }, async () => {
    broker = await startMosquitto();
    const stateFile = join(tmp.dir, 'rx.db');
    const clientId = `rx-restart-${process.pid}`;
    // A receiver that stores but never receipts (no key): everything arrives, nothing is freed.
    receiver = await startReceiver(broker.url, { stateFile, clientId });
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 100 }, uplink: withReceipts(500) });
    appendCdss(gateway, 0, 1_000);
    await waitForSeqs(receiver, 'cdss', 1_000);
    await gateway.stop(); // substation restarts with all 10 batches still in its outbox
    await receiver.stop(); // platform restarts
    expect(receiver.stats().receipts).toBe(0);

    receiver = await startReceiver(broker.url, { receipts: true, stateFile, clientId });
    expect(receiver.received(streamKey('cdss'))).toEqual([[1, 1_000]]); // from the file, before any message
    expect(receiver.recordCount(streamKey('cdss'))).toBe(1_000);
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 100 }, uplink: withReceipts(500) });
    expect(gateway.outbox.stats().storedBatches).toBe(10);
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { timeoutMs: 20_000, what: 'outbox freed by receipts for duplicates' });
    expect(receiver.stats().duplicates).toBeGreaterThanOrEqual(10);
    expect(receiver.recordCount(streamKey('cdss'))).toBe(1_000);
    expect(receiver.gaps()).toEqual([]);
  });

  it('a receipt signed with another key, or for another substation, frees nothing', { timeout: 30_000 }, async () => {
    broker = await startMosquitto();
    gateway = startGateway(tmp.dir, broker.url, { outbox: { batchMaxRecords: 100 }, uplink: withReceipts(60_000) });
    appendCdss(gateway, 0, 100);
    await waitFor(() => gateway!.uplink.status().awaitingReceipt === 1 && gateway!.uplink.status().inFlight === 0, { what: 'batch PUBACKed' });
    const forger = generateKeyPairSync('ed25519');
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `forger-${process.pid}` });
    const send = async (key: typeof forger.privateKey, substation: string): Promise<void> => {
      const { payload, signature } = signReceipt({ v: 1, mineCode: MINE, substation, issuedAt: Date.now(), streams: { cdss: [[1, 100]] } }, key);
      await client.publishAsync(receiptTopic(MINE, SUBSTATION), payload, { qos: 1, properties: { userProperties: { signature } } });
    };
    await send(forger.privateKey, SUBSTATION);
    await send(platformKeys.privateKey, 'FZ99');
    await waitFor(() => gateway!.uplink.status().badReceipts === 2, { what: 'two receipts refused' });
    expect(gateway.outbox.stats().storedBatches).toBe(1);
    await send(platformKeys.privateKey, SUBSTATION);
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { what: 'the genuine receipt frees it' });
    await client.endAsync();
  });
});
