// The reference receiver as "the platform": tampering, duplicates, conflicts, chain breaks, gaps.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Outbox, StoredBatch } from '../../sync/outbox.js';
import { receiveMain } from '../../sync/receive-main.js';
import { Receiver } from '../../sync/receiver.js';
import { cdssStream, ycbjStream } from '../../sync/streams/index.js';
import { LANES } from '../../sync/stream.js';
import { batchMessage } from '../../sync/uplink.js';
import { waitFor } from '../helpers/wait-for.js';
import { MINE, SUBSTATION, cdssRecord, makeOutbox, openOutboxDb, tempDir, ycbjRecord } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { keys, startGateway, startReceiver, streamKey, type Gateway } from './helpers/pipeline.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
let tmp: ReturnType<typeof tempDir>;
const open: { db: Database.Database; outbox: Outbox }[] = [];

beforeEach(() => (tmp = tempDir()));
afterEach(() => {
  for (const o of open.splice(0)) {
    o.outbox.close();
    o.db.close();
  }
  tmp.cleanup();
});

function outboxAt(name: string, extra: Parameters<typeof makeOutbox>[2] = {}): Outbox {
  const db = openOutboxDb(join(tmp.dir, `${name}.db`));
  const outbox = makeOutbox(db, keys.privateKey, { batchMaxRecords: 10, ...extra });
  open.push({ db, outbox });
  return outbox;
}

/** Every stored batch, in the order the uplink would send them (lanes, then id). */
function claimAll(outbox: Outbox): StoredBatch[] {
  const out: StoredBatch[] = [];
  for (const lane of LANES) {
    let after = 0;
    for (let b = outbox.claimNext(lane, after); b; b = outbox.claimNext(lane, after)) {
      after = b.id;
      out.push(b);
    }
  }
  return out;
}

function deliver(receiver: Receiver, batch: StoredBatch): void {
  const m = batchMessage(MINE, SUBSTATION, batch);
  receiver.handle(m.topic, m.payload, { ...m.properties });
}

function offlineReceiver(outDir?: string): Receiver {
  return new Receiver({ brokerUrl: 'mqtt://127.0.0.1:1', publicKey: keys.publicKey, ...(outDir ? { outDir } : {}) });
}

function fillReadings(outbox: Outbox, from: number, to: number, value = 0.5): void {
  for (let i = from; i < to; i++) outbox.append(cdssStream, cdssRecord(value, T0 + i * 10_000));
  outbox.flush();
}

describe('receiver checks (batches handed over directly)', () => {
  it('accepts each batch once, drops duplicates without rewriting files, and counts them', () => {
    const outbox = outboxAt('a');
    fillReadings(outbox, 0, 30);
    const outDir = join(tmp.dir, 'out');
    const rx = offlineReceiver(outDir);
    const batches = claimAll(outbox);
    for (const b of batches) deliver(rx, b);
    deliver(rx, batches[1]!);
    deliver(rx, batches[0]!);
    expect(rx.stats()).toMatchObject({ batches: 3, records: 30, duplicates: 2, failures: 0 });
    expect(rx.received(streamKey('cdss'))).toEqual([[1, 30]]);
    expect(readdirSync(join(outDir, MINE, SUBSTATION, 'cdss'))).toHaveLength(3);
  });

  it('flags a validly signed batch that reuses a sequence number with different content (a substation that lost its outbox)', () => {
    const first = outboxAt('first');
    const second = outboxAt('second');
    fillReadings(first, 0, 10, 0.5);
    fillReadings(second, 0, 10, 0.7);
    const rx = offlineReceiver();
    deliver(rx, claimAll(first)[0]!);
    deliver(rx, claimAll(second)[0]!);
    expect(rx.failureList()).toEqual([expect.objectContaining({ reason: 'conflict', firstSeq: 1, lastSeq: 10 })]);
  });

  it('flags a batch whose previous hash does not match the batch before it, whichever arrives first', () => {
    const a = outboxAt('a');
    const b = outboxAt('b');
    fillReadings(a, 0, 20, 0.5);
    fillReadings(b, 0, 20, 0.7);
    const [a1, a2] = claimAll(a);
    const [, b2] = claimAll(b);
    const rx = offlineReceiver();
    deliver(rx, a1!);
    deliver(rx, b2!);
    expect(rx.failureList()).toEqual([expect.objectContaining({ reason: 'chain-break', firstSeq: 11 })]);

    const late = offlineReceiver();
    deliver(late, b2!); // arrives first (nothing to check against yet)
    deliver(late, a1!); // its hash is not what b2 named
    expect(late.failureList()).toEqual([expect.objectContaining({ reason: 'chain-break', firstSeq: 1 })]);
    const inOrder = offlineReceiver();
    deliver(inOrder, a2!);
    deliver(inOrder, a1!);
    expect(inOrder.stats()).toMatchObject({ failures: 0, batches: 2 });
  });

  it('rejects batches without seal properties or on a foreign topic', () => {
    const outbox = outboxAt('a');
    fillReadings(outbox, 0, 10);
    const [batch] = claimAll(outbox);
    const m = batchMessage(MINE, SUBSTATION, batch!);
    const rx = offlineReceiver();
    const { signature: _signature, ...unsigned } = m.properties;
    rx.handle(m.topic, m.payload, unsigned);
    rx.handle('other/topic', m.payload, { ...m.properties });
    rx.handle(m.topic, m.payload, { ...m.properties, firstSeq: 'x' });
    expect(rx.failureList().map((f) => f.reason)).toEqual(['malformed', 'malformed', 'malformed']);
    expect(rx.stats().batches).toBe(0);
  });

  it('explains every gap from dropped routine data with the substation gap markers and re-links the chain across them', () => {
    const outbox = outboxAt('capped', { maxBytes: 16 * 1024, batchMaxBytes: 4 * 1024 });
    for (let round = 0; round < 20; round++) {
      fillReadings(outbox, round * 50, round * 50 + 50);
      outbox.append(ycbjStream, ycbjRecord(T0 + round));
      outbox.flush();
    }
    const dropped = outbox.stats().dropped['over-cap'];
    expect(dropped).toBeGreaterThan(0);
    const rx = offlineReceiver();
    for (const b of claimAll(outbox)) deliver(rx, b);
    expect(rx.stats().failures).toBe(0);
    const gaps = rx.gaps(streamKey('cdss'));
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.every((g) => g.explained && g.reasons.includes('over-cap'))).toBe(true);
    expect(rx.stats().reportedDropped).toBe(dropped);
    expect(rx.recordCount(streamKey('cdss')) + dropped).toBe(1000);
    expect(rx.received(streamKey('ycbj'))).toEqual([[1, 20]]);
  });

  it('reports a gap nobody explained as unexplained', () => {
    const outbox = outboxAt('a');
    fillReadings(outbox, 0, 30);
    const [b1, , b3] = claimAll(outbox);
    const rx = offlineReceiver();
    deliver(rx, b1!);
    deliver(rx, b3!);
    expect(rx.gaps()).toEqual([{ stream: streamKey('cdss'), fromSeq: 11, toSeq: 20, explained: false, reasons: [] }]);
  });
});

describe('minegate receive (receiveMain)', () => {
  let broker: Mosquitto;
  let gateway: Gateway | undefined;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
  });
  afterEach(async () => {
    await gateway?.stop();
    await stop?.();
    gateway = stop = undefined;
  });

  it('loads the substation public key from a PEM file, writes received files and prints a summary', async () => {
    const keyFile = join(tmp.dir, 'substation.pub.pem');
    writeFileSync(keyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    const out = join(tmp.dir, 'platform');
    const lines: string[] = [];
    const main = await receiveMain({ broker: broker.url, out, key: keyFile, clientId: `rx-main-${process.pid}`, print: (l) => lines.push(l), reportEveryMs: 50 });
    stop = main.stop;
    gateway = startGateway(join(tmp.dir, 'gw'), broker.url);
    for (let i = 0; i < 30; i++) gateway.outbox.append(cdssStream, cdssRecord(0.5, T0 + i * 10_000));
    await waitFor(() => main.receiver.recordCount(streamKey('cdss')) === 30, { what: '30 records received' });
    await waitFor(() => lines.some((l) => l.includes('records 30')), { what: 'summary line' });
    expect(lines[0]).toContain(`receiving from ${broker.url}`);
    expect(readdirSync(join(out, MINE, SUBSTATION, 'cdss')).length).toBeGreaterThan(0);
  });

  it('refuses a key file that is not a public key, naming it', async () => {
    const bad = join(tmp.dir, 'bad.pem');
    writeFileSync(bad, 'nonsense');
    await expect(receiveMain({ broker: 'mqtt://127.0.0.1:1', out: tmp.dir, key: bad })).rejects.toMatchObject({ code: 'bad-key', message: expect.stringContaining(bad) });
  });
});

describe('tampering with the outbox file before drain (through Mosquitto)', () => {
  let broker: Mosquitto;
  let gateway: Gateway | undefined;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
  });
  afterEach(async () => {
    await gateway?.stop();
    await receiver?.stop();
    gateway = receiver = undefined;
  });

  it('makes the receiver flag exactly the altered batches and accept the rest', async () => {
    const db = openOutboxDb(join(tmp.dir, 'outbox.db'));
    const outbox = makeOutbox(db, keys.privateKey, { batchMaxRecords: 10 });
    fillReadings(outbox, 0, 40);
    outbox.close();
    // Someone with access to the SD card edits stored rows: a value, and a sequence range.
    const row = db.prepare("SELECT payload FROM sync_batches WHERE stream = 'cdss' AND first_seq = 11").get() as { payload: Buffer };
    const altered = Buffer.from(row.payload.toString('utf8').replace('0.50', '0.05'), 'utf8');
    expect(altered.equals(row.payload)).toBe(false);
    db.prepare("UPDATE sync_batches SET payload = ? WHERE stream = 'cdss' AND first_seq = 11").run(altered);
    db.prepare("UPDATE sync_batches SET first_seq = 22, last_seq = 31 WHERE stream = 'cdss' AND first_seq = 21").run();
    db.close();

    receiver = await startReceiver(broker.url);
    gateway = startGateway(tmp.dir, broker.url);
    await waitFor(() => gateway!.outbox.stats().storedBatches === 0, { what: 'all batches published and acked' });
    await waitFor(() => receiver!.stats().batches + receiver!.stats().failures === 4, { what: 'receiver saw all four batches' });
    expect(receiver.failureList().map((f) => [f.firstSeq, f.reason])).toEqual([
      [11, 'hash-mismatch'],
      [22, 'bad-signature'],
    ]);
    expect(receiver.received(streamKey('cdss'))).toEqual([
      [1, 10],
      [31, 40],
    ]);
    expect(receiver.gaps()).toEqual([expect.objectContaining({ fromSeq: 11, toSeq: 30, explained: false })]);
  });
});
