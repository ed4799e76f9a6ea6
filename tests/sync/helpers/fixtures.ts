// Shared set-up for sync tests: temp dirs, a real outbox database file, a key pair, and two small
// JSON Lines streams (one routine, one critical) so outbox behaviour is tested apart from MT/T 1201.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from '../../../edge/store/database.js';
import type { CdssRecord, YcbjRecord } from '../../../sync/formats/records/index.js';
import { syncMigrations } from '../../../sync/migrations.js';
import { Outbox, type OutboxOptions } from '../../../sync/outbox.js';
import { DAY_MS } from '../../../sync/stream.js';
import { defineJsonlStream } from '../../../sync/streams/jsonl.js';

export const MINE = '150622000001';
export const MINE_NAME = '测试煤矿';
export const SUBSTATION = 'FZ01';

export interface TestReading {
  point: string;
  value: number;
  at: number;
}
export interface TestAlarm {
  point: string;
  kind: string;
  at: number;
}

export const readingStream = defineJsonlStream<TestReading>({
  name: 'test-rt',
  type: 'TESTRT',
  lane: 'realtime',
  criticality: 'routine',
  historyRetentionMs: null,
  timeOf: (r) => r.at,
});

export const alarmStream = defineJsonlStream<TestAlarm>({
  name: 'test-ev',
  type: 'TESTEV',
  lane: 'event',
  criticality: 'critical',
  historyRetentionMs: 400 * DAY_MS,
  timeOf: (r) => r.at,
});

export function tempDir(prefix = 'minegate-sync-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export function openOutboxDb(file: string): Database.Database {
  return openDatabase(file, { sync: syncMigrations });
}

export function makeOutbox(db: Database.Database, key: KeyObject, extra: Partial<OutboxOptions> = {}): Outbox {
  return new Outbox({ db, mineCode: MINE, mineName: MINE_NAME, substation: SUBSTATION, signingKey: key, autoFlush: false, ...extra });
}

/** Rows of sync_batches, oldest first, without payloads. */
export function batchRows(db: Database.Database): { id: number; stream: string; first_seq: number; last_seq: number; critical: number; bytes: number }[] {
  return db.prepare('SELECT id, stream, first_seq, last_seq, critical, bytes FROM sync_batches ORDER BY id').all() as never;
}

/** A CDSS snapshot record of methane point `point` (MT/T 1201 real-time). */
export function cdssRecord(value: number, at: number, point = 'CH4-01'): CdssRecord {
  return { pointCode: point, sensorTypeName: '环境瓦斯', location: '3101回风巷', value, unit: '%CH4', status: 0, dataTime: at };
}

/** A YCBJ alarm record (abnormality 001 over-limit) started at `at`. */
export function ycbjRecord(at: number, point = 'CH4-01', reason: string | null = null): YcbjRecord {
  return {
    pointCode: point,
    typeName: '环境瓦斯',
    location: '3101回风巷',
    unit: '%CH4',
    abnormalityType: '001',
    startTime: at,
    endTime: null,
    maxValue: 1.2,
    maxTime: at,
    minValue: 1.2,
    minTime: at,
    averageValue: 1.2,
    reason,
    measures: null,
    enteredAt: null,
    enteredBy: null,
    dataTime: at,
  };
}

/** Flushes until nothing is queued (flush() itself writes at most maxFlushRecords per call). */
export function flushAll(outbox: Outbox): void {
  for (let guard = 0; outbox.stats().queued > 0 && guard < 10_000; guard++) {
    if (!outbox.flush().ok) throw new Error(`flush failed: ${outbox.stats().lastError}`);
  }
}
