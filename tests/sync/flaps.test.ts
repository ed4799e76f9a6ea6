// 50 broker flaps while data keeps coming (peer #2, #3): nothing lost, nothing re-initialised —
// row ids and sequence numbers keep counting, the same outbox file keeps being used.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Receiver } from '../../sync/receiver.js';
import { cdssStream, ycbjStream } from '../../sync/streams/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { cdssRecord, tempDir, ycbjRecord } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { startGateway, startReceiver, streamKey, waitForSeqs, type Gateway } from './helpers/pipeline.js';
import { startProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
let broker: Mosquitto;
let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway | undefined;
let receiver: Receiver | undefined;
let proxy: TcpProxy | undefined;
let feeder: NodeJS.Timeout | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  tmp = tempDir();
});
afterEach(async () => {
  if (feeder) clearInterval(feeder);
  await gateway?.stop();
  await receiver?.stop();
  await proxy?.close();
});
afterAll(async () => {
  await broker?.close();
  tmp?.cleanup();
});

it('survives 50 flaps (45 link drops, 5 broker restarts) with continuous data: no loss, no gap, no re-initialisation', { timeout: 90_000 }, async () => {
  const receiverId = `platform-${process.pid}-flaps`;
  receiver = await startReceiver(broker.url, { clientId: receiverId });
  proxy = await startProxy(broker.port);
  gateway = startGateway(tmp.dir, proxy.url, { outbox: { batchMaxRecords: 20 }, uplink: { maxInFlight: 8 } });
  const dbFile = join(tmp.dir, 'outbox.db');
  const inode = statSync(dbFile).ino;
  const sequence = (): number => (gateway!.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'sync_batches'").pluck().get() as number | undefined) ?? 0;

  let cdss = 0;
  let ycbj = 0;
  feeder = setInterval(() => {
    for (let i = 0; i < 40; i++) gateway!.outbox.append(cdssStream, cdssRecord(0.4, T0 + cdss++ * 1000));
    gateway!.outbox.append(ycbjStream, ycbjRecord(T0 + ycbj++));
  }, 5);

  await waitFor(() => gateway!.uplink.status().state === 'connected', { what: 'gateway connected before the first flap' });
  const ids: number[] = [];
  for (let flap = 1; flap <= 50; flap++) {
    const connectsBefore = gateway.uplink.status().connects;
    if (flap % 10 === 0) {
      // A real broker restart; the platform's persistent session and the gateway's outbox must both survive.
      await receiver.stop();
      await broker.restart();
      await receiver.start(); // same platform, same session: it keeps its ledger
    } else {
      proxy.refuse(true);
      proxy.cut();
      await waitFor(() => gateway!.uplink.status().state !== 'connected', { what: `flap ${flap}: gateway notices the drop` });
      proxy.refuse(false);
    }
    await waitFor(() => gateway!.uplink.status().connects > connectsBefore, { what: `flap ${flap}: gateway reconnects` });
    ids.push(sequence());
  }
  clearInterval(feeder);
  feeder = undefined;

  // Everything appended arrives exactly once after dedupe, with no gap.
  await waitForSeqs(receiver, 'cdss', cdss, 30_000);
  await waitForSeqs(receiver, 'ycbj', ycbj, 30_000);
  expect(receiver.recordCount(streamKey('cdss'))).toBe(cdss);
  expect(receiver.stats().failures).toBe(0);
  expect(gateway.uplink.status().disconnects).toBeGreaterThanOrEqual(50);

  // Not re-initialised: same file, row ids only ever grew, sequence numbers continued, counters intact.
  expect(statSync(dbFile).ino).toBe(inode);
  for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThanOrEqual(ids[i - 1]!);
  expect(ids.at(-1)!).toBeGreaterThan(ids[0]!);
  expect(gateway.outbox.streamState('cdss').nextSeq).toBe(cdss + 1);
  expect(gateway.outbox.stats()).toMatchObject({ committedRecords: cdss + ycbj, rejected: 0, lostCritical: 0 });
});
