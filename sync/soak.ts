// Synthetic load through the real outbox and uplink, for field soak tests of a substation's uplink
// and for the crash tests (which SIGKILL this process while it writes and drains):
//
//   node dist/sync/soak.js --db outbox.db --broker mqtt://host:1883 --key substation.key.pem \
//        [--mine 150622000001] [--substation FZ01] [--rate 2000] [--count 100000] [--points 16]
//
// Appends CDSS snapshots of --points methane points at --rate records/s (plus one YCBJ alarm per
// 100 records) until --count records were appended, then waits until the outbox is drained and
// exits 0. --count 0 only drains what is already stored. Progress goes to stdout as JSON lines:
// {"event":"ready"}, {"event":"committed","cdss":<last durable seq>,"ycbj":<…>}, {"event":"drained"}.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../edge/store/database.js';
import { loadPrivateKey } from './integrity.js';
import { syncMigrations } from './migrations.js';
import { Outbox } from './outbox.js';
import { cdssStream, ycbjStream } from './streams/index.js';
import { Uplink } from './uplink.js';

export interface SoakOptions {
  db: string;
  broker: string;
  key: string;
  mine: string;
  substation: string;
  rate: number;
  count: number;
  points: number;
}

export async function soak(o: SoakOptions, print: (obj: object) => void): Promise<void> {
  const db = openDatabase(o.db, { sync: syncMigrations });
  const outbox = new Outbox({ db, mineCode: o.mine, mineName: 'soak test mine', substation: o.substation, signingKey: loadPrivateKey(o.key), flushIntervalMs: 20, batchMaxRecords: 50 });
  const uplink = new Uplink({ outbox, brokerUrl: o.broker, mineCode: o.mine, substation: o.substation, reconnectInitialMs: 50, reconnectMaxMs: 500, maxInFlight: 8 });
  outbox.on('batches', () => {
    // 'batches' fires after the commit: these sequence numbers are durable now.
    print({ event: 'committed', cdss: outbox.streamState('cdss').nextSeq - 1, ycbj: outbox.streamState('ycbj').nextSeq - 1 });
  });
  uplink.start();
  print({ event: 'ready' });

  let appended = 0;
  const perTick = Math.max(1, Math.round(o.rate / 100));
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = Date.now();
      for (let i = 0; i < perTick && appended < o.count; i++, appended++) {
        const point = `CH4-${String(appended % o.points).padStart(2, '0')}`;
        outbox.append(cdssStream, { pointCode: point, sensorTypeName: '环境瓦斯', location: 'soak', value: (appended % 100) / 100, unit: '%CH4', status: 0, dataTime: now });
        if (appended % 100 === 0) {
          outbox.append(ycbjStream, {
            pointCode: point, typeName: '环境瓦斯', location: 'soak', unit: '%CH4', abnormalityType: '001', startTime: now, endTime: null,
            maxValue: 1.1, maxTime: now, minValue: 1.1, minTime: now, averageValue: 1.1, reason: null, measures: null, enteredAt: null, enteredBy: null, dataTime: now,
          });
        }
      }
      if (appended >= o.count) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  outbox.flush();
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      const s = outbox.stats();
      if (s.queued === 0 && s.storedBatches === 0) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
  print({ event: 'drained', cdss: outbox.streamState('cdss').nextSeq - 1, ycbj: outbox.streamState('ycbj').nextSeq - 1 });
  await uplink.stop();
  outbox.close();
  db.close();
}

function main(): void {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      broker: { type: 'string' },
      key: { type: 'string' },
      mine: { type: 'string', default: '150622000001' },
      substation: { type: 'string', default: 'FZ01' },
      rate: { type: 'string', default: '2000' },
      count: { type: 'string', default: '100000' },
      points: { type: 'string', default: '16' },
    },
  });
  if (!values.db || !values.broker || !values.key) {
    process.stderr.write('usage: soak --db <file> --broker <mqtt url> --key <substation private key> [--rate n] [--count n] [--points n]\n');
    process.exit(2);
  }
  const num = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      process.stderr.write(`soak: --${name} must be a non-negative integer, got ${v}\n`);
      process.exit(2);
    }
    return n;
  };
  const opts: SoakOptions = {
    db: values.db,
    broker: values.broker,
    key: values.key,
    mine: values.mine,
    substation: values.substation,
    rate: Math.max(1, num('rate', values.rate)),
    count: num('count', values.count),
    points: Math.max(1, num('points', values.points)),
  };
  soak(opts, (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`)).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
