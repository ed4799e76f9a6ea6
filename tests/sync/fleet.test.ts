// Fleet: 50 substations (in-process outboxes and uplinks, each on its own SQLite file with its own
// key, five mines) publish through ONE real Mosquitto (no persistence) to ONE reference receiver
// (durable ledger, signed receipts) while the broker is restarted twice and the receiver once.
// At the end every sequence number of every stream of every substation is at the receiver exactly
// once, nothing is left in any outbox, and there is no gap.
//
// Sizing: 50 substations × 8 CDSS records every 200 ms (2,000 records/s in all) plus a YCBJ alarm
// per substation every 5 s, for MINEGATE_FLEET_SECONDS (default 30 s so the suite fits CI on a
// shared 2-core box; MINEGATE_FLEET_SECONDS=60 is the full minute of the issue). The faults come
// at 25 % (broker restart), 50–55 % (receiver away, then restarted on its ledger) and 75 % (broker
// restart) of the run.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../sync/outbox.js';
import { Receiver } from '../../sync/receiver.js';
import { cdssStream, ycbjStream } from '../../sync/streams/index.js';
import { Uplink } from '../../sync/uplink.js';
import { waitFor } from '../helpers/wait-for.js';
import { cdssRecord, openOutboxDb, tempDir, ycbjRecord } from './helpers/fixtures.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';
import { platformKeys } from './helpers/pipeline.js';

const SUBSTATIONS = 50;
const SECONDS = Number(process.env.MINEGATE_FLEET_SECONDS ?? 30);
const TICK_MS = 200;
const POINTS = 8;
// Record times are real: the outbox's age cap (7 days) must not drop anything during the run.
const T0 = Date.now();

interface Substation {
  mineCode: string;
  code: string;
  db: Database.Database;
  outbox: Outbox;
  uplink: Uplink;
}

let broker: Mosquitto | undefined;
const tmp = tempDir('minegate-fleet-');
const fleet: Substation[] = [];
let receiver: Receiver | undefined;

afterAll(async () => {
  for (const s of fleet) {
    await s.uplink.stop();
    s.outbox.close();
    s.db.close();
  }
  await receiver?.stop();
  await broker?.close();
  tmp.cleanup();
});

describe('fleet: many substations into one receiver', () => {
  it(`${SUBSTATIONS} substations for ${SECONDS} s, two broker restarts without persistence and one receiver restart: every seq of every substation exactly once, no gaps`, { timeout: (SECONDS + 180) * 1000 }, async () => {
    broker = await startMosquitto({ persistence: false });
    const keys: Record<string, KeyObject> = {};
    for (let i = 0; i < SUBSTATIONS; i++) {
      const mineCode = `15062200000${1 + (i % 5)}`;
      const code = `FZ${String(i).padStart(2, '0')}`;
      const pair = generateKeyPairSync('ed25519');
      keys[`${mineCode}/${code}`] = pair.publicKey;
      const db = openOutboxDb(join(tmp.dir, `${mineCode}-${code}.db`));
      const outbox = new Outbox({ db, mineCode, mineName: `煤矿${1 + (i % 5)}`, substation: code, signingKey: pair.privateKey, flushIntervalMs: 100 });
      const uplink = new Uplink({
        outbox,
        brokerUrl: broker.url,
        mineCode,
        substation: code,
        clientId: `fleet-${process.pid}-${code}-${mineCode}`,
        reconnectInitialMs: 100,
        reconnectMaxMs: 2_000,
        receipts: { platformKey: platformKeys.publicKey, timeoutMs: 3_000 },
      });
      fleet.push({ mineCode, code, db, outbox, uplink });
    }
    const stateFile = join(tmp.dir, 'platform-ledger.db');
    const startReceiver = async (): Promise<Receiver> => {
      const r = new Receiver({ brokerUrl: broker!.url, publicKey: keys, stateFile, receiptKey: platformKeys.privateKey, clientId: `fleet-rx-${process.pid}` });
      await r.start();
      return r;
    };
    receiver = await startReceiver();
    for (const s of fleet) s.uplink.start();

    const ticks = Math.round((SECONDS * 1000) / TICK_MS);
    const faults: string[] = [];
    for (let t = 0; t < ticks; t++) {
      const at = T0 + t * TICK_MS;
      for (const s of fleet) {
        for (let p = 0; p < POINTS; p++) s.outbox.append(cdssStream, cdssRecord(0.3 + (t % 40) / 100, at, `CH4-${p}`));
        if (t % 25 === 0) s.outbox.append(ycbjStream, ycbjRecord(at));
      }
      if (t === Math.round(ticks * 0.25) || t === Math.round(ticks * 0.75)) {
        faults.push(`broker restart at tick ${t}`);
        await broker.restart();
      }
      if (t === Math.round(ticks * 0.5)) {
        faults.push(`receiver stopped at tick ${t}`);
        await receiver.stop();
        receiver = undefined;
      }
      if (t === Math.round(ticks * 0.55)) {
        faults.push(`receiver restarted at tick ${t}`);
        receiver = await startReceiver();
      }
      // The load schedule, not a synchronisation: one tick of field data every TICK_MS.
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    expect(faults).toHaveLength(4);

    await waitFor(() => fleet.every((s) => s.outbox.stats().queued === 0 && s.outbox.stats().storedBatches === 0), {
      timeoutMs: 150_000,
      intervalMs: 200,
      what: `every outbox freed by receipts (left: ${fleet.filter((s) => s.outbox.stats().storedBatches > 0).length} substations)`,
    });
    const rx = receiver!;
    let records = 0;
    for (const s of fleet) {
      for (const stream of ['cdss', 'ycbj']) {
        const last = s.outbox.streamState(stream).nextSeq - 1;
        const key = `${s.mineCode}/${s.code}/${stream}`;
        expect(last).toBeGreaterThan(0);
        expect(rx.received(key), key).toEqual([[1, last]]);
        expect(rx.recordCount(key), key).toBe(last);
        records += last;
      }
      expect(s.outbox.stats().gapMarkers).toBe(0);
    }
    expect(records).toBe(SUBSTATIONS * ticks * POINTS + SUBSTATIONS * Math.ceil(ticks / 25));
    expect(rx.gaps()).toEqual([]);
    expect(rx.stats().failures).toBe(0);
    expect(rx.streams()).toHaveLength(SUBSTATIONS * 2);
  });
});
