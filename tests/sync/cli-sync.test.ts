// The sync commands as a technician runs them (the built CLI in a separate process): keys
// generate, export of stored readings, sync status without a running gateway, receive with a bad key.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { parseFile } from '../../sync/formats/mt1201-file.js';
import { loadPrivateKey } from '../../sync/integrity.js';
import { cdssStream } from '../../sync/streams/index.js';
import { openSyncDatabase } from '../../sync/sync-database.js';
import { runCli } from '../cli/run-cli.js';
import { cdssRecord, flushAll, makeOutbox, tempDir, testKeys } from './helpers/fixtures.js';

const CONFIG = `
mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: S01, name: export test }
buses:
  - { id: field, type: tcp, host: 127.0.0.1, port: 1502 }
devices:
  - { id: ch4-1, bus: field, unit: 1, profile: methane-sensor }
points:
  - { code: T1, sensorType: "0001", device: ch4-1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: 3101掘进工作面, role: main-return }
`;

const T0 = Date.UTC(2026, 0, 10, 0, 0, 0); // 08:00:00 mine time

/** A store with `n` readings of T1 one second apart from T0, the 3rd one stale, plus one of an unknown point. */
function storeWithReadings(dataDir: string, n: number): void {
  const db = openDatabase(path.join(dataDir, 'minegate.db'), { store: readingMigrations });
  const writer = new ReadingWriter(db);
  for (let i = 0; i < n; i++) writer.enqueue({ point: 'T1', value: 0.3 + i / 100, unit: '%CH4', quality: i === 2 ? 'stale' : 'good', wallTime: T0 + i * 1000, monoTime: i * 1000, raw: [] });
  writer.enqueue({ point: 'OLD-POINT', value: 1, unit: '', quality: 'good', wallTime: T0 + 500, monoTime: 500, raw: [] });
  writer.close();
  db.close();
}

describe('sync CLI', () => {
  let t: ReturnType<typeof tempDir> | undefined;
  afterEach(() => {
    t?.cleanup();
    t = undefined;
  });

  it('keys generate writes a 0600 key pair, prints the fingerprint, and refuses to replace it', async () => {
    t = tempDir();
    const first = await runCli(['keys', 'generate', '-d', t.dir]);
    expect(first.code).toBe(0);
    const key = path.join(t.dir, 'keys', 'substation.key.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(loadPrivateKey(key).asymmetricKeyType).toBe('ed25519');
    expect(first.stdout).toMatch(/fingerprint: ([0-9a-f]{4}:){15}[0-9a-f]{4}/);
    const before = readFileSync(key, 'utf8');
    const second = await runCli(['keys', 'generate', '-d', t.dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already exists');
    expect(readFileSync(key, 'utf8')).toBe(before);
  });

  it('export --format csv writes the range as CSV with units and status bits', async () => {
    t = tempDir();
    storeWithReadings(t.dir, 5);
    const cfg = path.join(t.dir, 'substation.yaml');
    writeFileSync(cfg, CONFIG);
    const r = await runCli(['export', '--from', new Date(T0).toISOString(), '--to', new Date(T0 + 3000).toISOString(), '--format', 'csv', '-c', cfg, '-d', t.dir, '--point', 'T1']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'time,epoch_ms,point,value,unit,quality,status',
      `2026-01-10 08:00:00+08:00,${T0},T1,0.3,%CH4,good,0`,
      `2026-01-10 08:00:01+08:00,${T0 + 1000},T1,0.31,%CH4,good,0`,
      `2026-01-10 08:00:02+08:00,${T0 + 2000},T1,0.32,%CH4,stale,32`,
    ]);
    // The time column states its zone: it means the same instant on any host (and replay reads it back).
    for (const line of r.stdout.trim().split('\n').slice(1)) {
      const [time, epoch] = line.split(',');
      expect(Date.parse(time!)).toBe(Number(epoch));
    }
    expect(r.stderr).toContain('exporting');
  });

  it('export --format mt1201 writes CDSS files the format parser reads back, one record per reading', async () => {
    t = tempDir();
    storeWithReadings(t.dir, 2500);
    const cfg = path.join(t.dir, 'substation.yaml');
    writeFileSync(cfg, CONFIG);
    const outDir = path.join(t.dir, 'cdss');
    const r = await runCli(['export', '--from', new Date(T0 - 1000).toISOString(), '--to', new Date(T0 + 3_600_000).toISOString(), '--format', 'mt1201', '-c', cfg, '-d', t.dir, '--out', outDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2500 readings in 3 CDSS files');
    expect(r.stdout).toContain('1 readings of points not in the config skipped');
    const files = readdirSync(outDir).sort();
    expect(files).toHaveLength(3);
    const parsed = files.map((f) => parseFile(f, readFileSync(path.join(outDir, f))));
    expect(parsed.map((p) => p.records.length)).toEqual([1000, 1000, 500]);
    expect(parsed[0]!.records[0]).toEqual(['T1', '环境瓦斯', '3101掘进工作面', '0.30', '%CH4', '0', '2026-01-10 08:00:00']);
    // The stale reading goes with status 32 and no value.
    expect(parsed[0]!.records[2]!.slice(3, 6)).toEqual(['', '%CH4', '32']);
  });

  it('export refuses an empty range and mt1201 without a config (usage, exit 2)', async () => {
    t = tempDir();
    const backwards = await runCli(['export', '--from', '2026-01-10T09:00', '--to', '2026-01-10T08:00', '-d', t.dir]);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--to must be after --from');
    const noConfig = await runCli(['export', '--from', '1h', '--format', 'mt1201', '--out', t.dir, '-d', t.dir]);
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain('--config');
  });

  it('sync status without a running gateway reads the outbox file: batches waiting per lane and stream', async () => {
    t = tempDir();
    const db = openSyncDatabase(path.join(t.dir, 'outbox.db'));
    const outbox = makeOutbox(db, testKeys().privateKey);
    for (let i = 0; i < 30; i++) outbox.append(cdssStream, cdssRecord(0.3, T0 + i * 1000));
    flushAll(outbox);
    outbox.close();
    db.close();
    const r = await runCli(['sync', 'status', '-d', t.dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no gateway running');
    expect(r.stdout).toMatch(/realtime 1 batches\/30 records/);
    expect(r.stdout).toMatch(/cdss\s+1\s+30\s+31\s+0/);
    const json = await runCli(['sync', 'status', '-d', t.dir, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ schema: 'minegate.sync-status/1', gateway: false, backlog: { realtime: { batches: 1, records: 30 } }, streams: [{ stream: 'cdss', waitingBatches: 1, nextSeq: 31 }] });
  });

  it('sync status with neither a gateway nor an outbox fails with both reasons (exit 1)', async () => {
    t = tempDir();
    const r = await runCli(['sync', 'status', '-d', t.dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no gateway is running');
    expect(r.stderr).toContain('outbox.db cannot be read');
  });

  it('receive fails at once with a clear message when the substation key cannot be read', async () => {
    t = tempDir();
    const r = await runCli(['receive', '--broker', 'mqtt://127.0.0.1:1', '--out', t.dir, '--key', path.join(t.dir, 'missing.pub.pem')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read key file');
  });
});
