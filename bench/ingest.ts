// Outbox ingest: records/s from append() to sealed batches committed on disk, against a raw
// batched better-sqlite3 insert of the same records (one row each, 1000 per transaction, same
// pragmas) measured in the same run. `npm run bench -- ingest [records]` (default 200000).
//
// Three figures: the real CDSS stream (MT/T 1201 encoding + file assembly + seal + write), a JSON
// Lines stream (the outbox machinery without the national-format encoder), and the cost of
// append() alone (what the polling/safety path pays).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from '../edge/store/database.js';
import type { CdssRecord } from '../sync/formats/records/index.js';
import { syncMigrations } from '../sync/migrations.js';
import { Outbox } from '../sync/outbox.js';
import type { StreamDef } from '../sync/stream.js';
import { cdssStream } from '../sync/streams/index.js';
import { defineJsonlStream } from '../sync/streams/jsonl.js';
import type { BenchContext } from './harness.js';

const T0 = Date.UTC(2026, 0, 1);
const POINTS = 16;

const jsonlReadings = defineJsonlStream<CdssRecord>({
  name: 'bench-jsonl',
  type: 'BENCH',
  lane: 'realtime',
  criticality: 'routine',
  historyRetentionMs: null,
  timeOf: (r) => r.dataTime,
});

function records(n: number): CdssRecord[] {
  const out: CdssRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      pointCode: `CH4-${String(i % POINTS).padStart(2, '0')}`,
      sensorTypeName: '环境瓦斯',
      location: '3101回风巷',
      value: 0.3 + (i % 50) / 100,
      unit: '%CH4',
      status: 0,
      dataTime: T0 + Math.floor(i / POINTS) * 10_000,
    };
  }
  return out;
}

function throughOutbox(dir: string, stream: StreamDef<CdssRecord>, recs: CdssRecord[]): { perSecond: number; appendNs: number } {
  const db = openDatabase(join(dir, `${stream.name}.db`), { sync: syncMigrations });
  const outbox = new Outbox({
    db,
    mineCode: '150622000001',
    mineName: 'bench mine',
    substation: 'FZ01',
    signingKey: generateKeyPairSync('ed25519').privateKey,
    autoFlush: false,
    queueCapacity: recs.length,
    maxBytes: 1024 * 1024 * 1024,
  });
  const start = process.hrtime.bigint();
  for (const r of recs) outbox.append(stream, r);
  const appended = process.hrtime.bigint();
  while (outbox.stats().queued > 0) {
    if (!outbox.flush().ok) throw new Error(`flush failed: ${outbox.stats().lastError}`);
  }
  const done = process.hrtime.bigint();
  if (outbox.stats().storedRecords !== recs.length) throw new Error(`stored ${outbox.stats().storedRecords} of ${recs.length}`);
  outbox.close();
  db.close();
  return {
    perSecond: recs.length / (Number(done - start) / 1e9),
    appendNs: Number(appended - start) / recs.length,
  };
}

function rawInsert(dir: string, recs: CdssRecord[]): number {
  const db: Database.Database = openDatabase(join(dir, 'raw.db'), {
    raw: [
      {
        version: 1,
        description: 'bench table',
        up: (d) => d.exec('CREATE TABLE raw (point TEXT, type TEXT, location TEXT, value REAL, unit TEXT, status INTEGER, ts INTEGER)'),
      },
    ],
  });
  const insert = db.prepare('INSERT INTO raw VALUES (?, ?, ?, ?, ?, ?, ?)');
  const batch = db.transaction((rows: CdssRecord[]) => {
    for (const r of rows) insert.run(r.pointCode, r.sensorTypeName, r.location, r.value, r.unit, r.status, r.dataTime);
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < recs.length; i += 1000) batch(recs.slice(i, i + 1000));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  db.close();
  return recs.length / seconds;
}

export default async function ingest(ctx: BenchContext): Promise<void> {
  const n = Number(ctx.args[0] ?? 200_000);
  if (!Number.isSafeInteger(n) || n < 1000) throw new TypeError(`ingest: record count must be an integer ≥ 1000, got ${String(ctx.args[0])}`);
  const dir = mkdtempSync(join(tmpdir(), 'minegate-bench-ingest-'));
  try {
    const recs = records(n);
    // Warm-up on a slice so the JIT has compiled the encoders before anything is timed.
    throughOutbox(dir, cdssStream, recs.slice(0, 20_000));
    rmSync(join(dir, 'cdss.db'), { force: true });
    const raw = rawInsert(dir, recs);
    const cdss = throughOutbox(dir, cdssStream, recs);
    const jsonl = throughOutbox(dir, jsonlReadings, recs);
    ctx.report({ figure: 'outbox ingest, CDSS stream (append → MT/T 1201 file → sealed batch on disk)', value: Math.round(cdss.perSecond), unit: 'records/s', baseline: Math.round(raw) });
    ctx.report({ figure: 'outbox ingest, JSON Lines stream (outbox machinery without the MT/T encoder)', value: Math.round(jsonl.perSecond), unit: 'records/s', baseline: Math.round(raw) });
    ctx.report({ figure: 'outbox append() alone (in-memory stage, what the safety path pays)', value: Math.round(cdss.appendNs), unit: 'ns/record', baseline: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
