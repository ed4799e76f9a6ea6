// Long outages: a time-compressed 24 h with the broker down at full simulated rate (peer #3, #4,
// #18, #20), and a broker restart while everyone is offline (peer #17).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Receiver } from '../../sync/receiver.js';
import { cdssStream, fzssStream, tjsjStream, ycbjStream } from '../../sync/streams/index.js';
import type { GapMarker } from '../../sync/streams/gap.js';
import { waitFor } from '../helpers/wait-for.js';
import { SUBSTATION, cdssRecord, tempDir, ycbjRecord } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { startGateway, startReceiver, streamKey, waitForSeqs, type Gateway } from './helpers/pipeline.js';
import { startProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
// A typical substation: 16 analog/switch inputs (domain.md §1.3), each a CDSS record every 10 s.
const POINTS = 16;

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

function tjsj(point: number, start: number) {
  return {
    pointCode: `CH4-${point}`,
    typeName: '环境瓦斯',
    location: '3101回风巷',
    unit: '%CH4',
    startTime: start,
    endTime: start + 300_000,
    maxValue: 0.5,
    maxTime: start,
    minValue: 0.3,
    minTime: start,
    averageValue: 0.4,
    dataTime: start + 300_000,
  };
}

describe('24 h broker outage at full rate (time-compressed)', () => {
  it('stays within its byte cap, keeps every critical record, reports what it dropped, drains when the broker is back, and keeps flowing without a restart', { timeout: 120_000 }, async () => {
    const maxBytes = 2 * 1024 * 1024;
    let now = T0;
    receiver = await startReceiver(broker.url); // the platform's persistent session exists before the outage
    gateway = startGateway(tmp.dir, broker.url, { outbox: { maxBytes, autoFlush: false, now: () => now } });
    await waitFor(() => gateway!.uplink.status().state === 'connected', { what: 'gateway connected' });
    await receiver.stop();
    await broker.stop();
    await waitFor(() => gateway!.uplink.status().state === 'backoff', { what: 'gateway noticed the outage' });

    const markers: GapMarker[] = [];
    gateway.outbox.on('gap', (m) => markers.push(m));
    const sent = { cdss: 0, fzss: 0, ycbj: 0, tjsj: 0 };
    let peakStored = 0;
    let peakFile = 0;
    const dbFile = join(tmp.dir, 'outbox.db');
    const fileBytes = (): number => statSync(dbFile).size + statSync(`${dbFile}-wal`, { throwIfNoEntry: false })!.size;
    for (let t = 0; t < 86_400_000; t += 10_000) {
      now = T0 + t;
      for (let p = 0; p < POINTS; p++, sent.cdss++) gateway.outbox.append(cdssStream, cdssRecord(0.3 + (p % 10) / 100, now, `CH4-${p}`));
      if (t % 60_000 === 0) {
        gateway.outbox.append(fzssStream, { substationCode: SUBSTATION, runStatus: '0', powerStatus: '1', dataTime: now });
        sent.fzss++;
        gateway.outbox.flush(); // the timer would do this every 100 ms; once a simulated minute is plenty
        const s = gateway.outbox.stats();
        peakStored = Math.max(peakStored, s.storedBytes);
      }
      if (t % 300_000 === 0) for (let p = 0; p < POINTS; p++, sent.tjsj++) gateway.outbox.append(tjsjStream, tjsj(p, now - 300_000));
      if (t % 600_000 === 0) {
        gateway.outbox.append(ycbjStream, ycbjRecord(now, `CH4-${sent.ycbj % POINTS}`));
        sent.ycbj++;
      }
      if (t % 3_600_000 === 0) {
        gateway.outbox.housekeeping();
        peakFile = Math.max(peakFile, fileBytes());
        await new Promise((r) => setImmediate(r)); // let the uplink's reconnect attempts run
      }
    }
    gateway.outbox.flush();
    const during = gateway.outbox.stats();
    expect(sent.cdss).toBe(8640 * POINTS);
    expect(peakStored).toBeLessThanOrEqual(maxBytes);
    expect(during.dropped['over-cap']).toBeGreaterThan(0);
    expect(during.lostCritical).toBe(0);
    expect(during.queued).toBe(0);
    // The file (database + WAL) stays bounded too: the cap plus page/index overhead (measured ~1.4×) and
    // at most one WAL checkpoint's worth (SQLite checkpoints at 1000 pages = 4 MiB).
    expect(peakFile).toBeLessThan(maxBytes * 1.5 + 4.5 * 1024 * 1024);

    // The broker returns: the backlog drains by itself, the platform gets every critical record.
    await broker.start();
    await receiver.start();
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { timeoutMs: 60_000, what: 'backlog drained' });
    await waitForSeqs(receiver, 'ycbj', sent.ycbj);
    await waitForSeqs(receiver, 'tjsj', sent.tjsj);
    const droppedCdss = markers.filter((m) => m.stream === 'cdss').reduce((n, m) => n + m.records, 0);
    await waitFor(() => receiver!.recordCount(streamKey('cdss')) + droppedCdss === sent.cdss, { what: 'all kept CDSS records at the platform' });
    expect(receiver.gaps().every((g) => g.explained)).toBe(true);
    expect(receiver.stats().failures).toBe(0);
    expect(receiver.stats().reportedDropped).toBe(markers.reduce((n, m) => n + m.records, 0));
    // The newest data survived (oldest-first dropping): the last snapshot is at the platform.
    expect(receiver.received(streamKey('cdss')).at(-1)![1]).toBe(sent.cdss);

    // No restart needed: new readings go straight through, sequence numbers continue.
    now = T0 + 86_400_000;
    gateway.outbox.append(cdssStream, cdssRecord(0.42, now));
    gateway.outbox.flush();
    await waitFor(() => receiver!.received(streamKey('cdss')).at(-1)![1] === sent.cdss + 1, { what: 'fresh reading after the drain' });
    expect(gateway.outbox.stats().diskBlocked).toBe(false);
  });
});

describe('broker restart while offline (peer #17)', () => {
  it('loses nothing that the gateway buffered or the broker had queued for the offline platform', async () => {
    const receiverId = `platform-${process.pid}-restart`;
    receiver = await startReceiver(broker.url, { clientId: receiverId });
    await receiver.stop(); // the platform goes away; its persistent session queues at the broker
    proxy = await startProxy(broker.port);
    gateway = startGateway(tmp.dir, proxy.url);
    for (let i = 0; i < 100; i++) gateway.outbox.append(ycbjStream, ycbjRecord(T0 + i));
    await waitFor(() => gateway!.uplink.status().acked > 0 && gateway!.outbox.stats().storedBatches === 0, { what: 'first alarms acked by the broker' });

    // The gateway's link goes down, then the broker restarts while nobody is connected.
    proxy.refuse(true);
    proxy.cut();
    await waitFor(() => gateway!.uplink.status().state === 'backoff', { what: 'gateway offline' });
    for (let i = 100; i < 250; i++) gateway.outbox.append(ycbjStream, ycbjRecord(T0 + i));
    await broker.restart();
    await waitFor(() => gateway!.outbox.stats().storedRecords === 150, { what: 'offline alarms in the outbox' });

    proxy.refuse(false);
    receiver = await startReceiver(broker.url, { clientId: receiverId });
    await waitForSeqs(receiver, 'ycbj', 250);
    expect(receiver.recordCount(streamKey('ycbj'))).toBe(250);
    expect(receiver.stats().failures).toBe(0);
  });
});
