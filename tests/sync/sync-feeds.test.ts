// Unit tests of the pieces the sync capability is built from: YCBJ abnormalities from safety
// events, CDSS records from readings, the file-drop exporter's names, and the sync config checks.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SubstationConfigSchema } from '../../board-configs/schema.js';
import type { CheckContext } from '../../edge/config/check-context.js';
import type { SafetyEvent } from '../../edge/safety/events.js';
import { syncChecks } from '../../sync/config-checks.js';
import { AbnormalityTracker } from '../../sync/feeds/abnormalities.js';
import { upstreamPoints } from '../../sync/feeds/point-info.js';
import { cdssRecord, interlockState } from '../../sync/feeds/point-snapshots.js';
import { FileDropExporter } from '../../sync/file-drop-exporter.js';
import { encodeFile } from '../../sync/formats/mt1201-file.js';
import { CDSS, type YcbjRecord } from '../../sync/formats/records/index.js';
import { openSyncDatabase } from '../../sync/sync-database.js';
import { startWalCheckpointer } from '../../sync/wal-checkpointer.js';
import { waitFor } from '../helpers/wait-for.js';
import { tempDir } from './helpers/fixtures.js';

const POINTS = upstreamPoints([
  { code: 'T1', sensorType: '0001', location: '3101掘进工作面', unit: '%CH4' },
  { code: 'FEED-H', sensorType: '1011', location: '3101馈电', unit: '' },
]);

let seq = 0;
function event(e: Partial<SafetyEvent> & Pick<SafetyEvent, 'type'>, wallTime = 1_000_000): SafetyEvent {
  return { seq: ++seq, wallTime, monoTime: wallTime, message: `${e.type}`, ...e };
}

describe('AbnormalityTracker (YCBJ from safety events)', () => {
  it('sends an over-limit alarm (001) and a cut-off (002) as two records, each with a start and an end', () => {
    const out: YcbjRecord[] = [];
    const t = new AbnormalityTracker(POINTS, (r) => out.push(r));
    t.onSafetyEvent(event({ type: 'alarm-on', key: 'over-limit:T1', point: 'T1', value: 1.2, abnormality: '001' }, 1000));
    t.onSafetyEvent(event({ type: 'cut', key: 'over-limit:T1', point: 'T1', value: 1.6, abnormality: '002', message: 'T1 1.6 ≥ 1.5; cut heading' }, 2000));
    t.onReading('T1', 2.1, true, 3000);
    t.onReading('T1', 9.9, false, 3500); // not usable: not in the statistics
    t.onSafetyEvent(event({ type: 'release', key: 'over-limit:T1', point: 'T1', value: 0.8 }, 4000));
    t.onSafetyEvent(event({ type: 'alarm-off', key: 'over-limit:T1', point: 'T1' }, 4000));
    expect(out.map((r) => [r.abnormalityType, r.endTime])).toEqual([
      ['001', null],
      ['002', null],
      ['002', 4000],
      ['001', 4000],
    ]);
    const cutEnd = out[2]!;
    expect(cutEnd).toMatchObject({ pointCode: 'T1', typeName: '环境瓦斯', startTime: 2000, maxValue: 2.1, maxTime: 3000, minValue: 1.6, minTime: 2000 });
    expect(cutEnd.averageValue).toBeCloseTo((1.6 + 2.1) / 2, 6);
    // The engine's message goes into 异常原因 with the file separators made harmless.
    expect(out[1]!.reason).toBe('T1 1.6 ≥ 1.5  cut heading');
    expect(t.stats()).toEqual({ open: 0, started: 2, ended: 2, skipped: 0 });
  });

  it('merges one fault raised as alarm and lockout (same code) and ends it when the last one ends', () => {
    const out: YcbjRecord[] = [];
    const t = new AbnormalityTracker(POINTS, (r) => out.push(r));
    t.onSafetyEvent(event({ type: 'alarm-on', key: 'fault:T1', point: 'T1', abnormality: '006' }));
    t.onSafetyEvent(event({ type: 'lockout', key: 'fault-lockout:T1', point: 'T1', abnormality: '006' }));
    expect(out).toHaveLength(1);
    t.onSafetyEvent(event({ type: 'alarm-off', key: 'fault:T1', point: 'T1' }));
    expect(out).toHaveLength(1);
    t.onSafetyEvent(event({ type: 'release', key: 'fault-lockout:T1', point: 'T1' }, 5000));
    expect(out.map((r) => [r.abnormalityType, r.endTime])).toEqual([
      ['006', null],
      ['006', 5000],
    ]);
    // No value was ever usable: the statistics are empty, not zero.
    expect(out[1]).toMatchObject({ maxValue: null, minValue: null, averageValue: null });
  });

  it('sends 馈电异常 (003) keyed by its output, and counts events of no configured point', () => {
    const out: YcbjRecord[] = [];
    const t = new AbnormalityTracker(POINTS, (r) => out.push(r));
    t.onSafetyEvent(event({ type: 'feed-abnormal', point: 'FEED-H', outputs: ['heading-power'], value: 1, abnormality: '003' }, 100));
    t.onSafetyEvent(event({ type: 'feed-restored', point: 'FEED-H', outputs: ['heading-power'] }, 200));
    t.onSafetyEvent(event({ type: 'alarm-on', key: 'x', point: 'NOT-CONFIGURED', abnormality: '001' }));
    t.onSafetyEvent(event({ type: 'cut', key: 'fan-stopped:fan1', abnormality: '002' }));
    expect(out.map((r) => [r.pointCode, r.abnormalityType, r.endTime])).toEqual([
      ['FEED-H', '003', null],
      ['FEED-H', '003', 200],
    ]);
    expect(t.stats().skipped).toBe(2);
  });
});

describe('CDSS record of a point', () => {
  const t1 = POINTS.get('T1')!;
  const feed = POINTS.get('FEED-H')!;
  const none = interlockState([], []);

  it('maps quality to status bits and sends no value it cannot vouch for', () => {
    expect(cdssRecord(t1, { value: 0.42, quality: 'good', wallTime: 500 }, none, 900)).toMatchObject({ value: 0.42, status: 0, dataTime: 500 });
    expect(cdssRecord(t1, { value: 0.42, quality: 'stale', wallTime: 500 }, none, 900)).toMatchObject({ value: null, status: 32, dataTime: 900 });
    expect(cdssRecord(t1, { value: null, quality: 'comm-fault', wallTime: 0 }, none, 900)).toMatchObject({ value: null, status: 16 });
    expect(cdssRecord(t1, { value: 4.5, quality: 'over-range', wallTime: 500 }, none, 900)).toMatchObject({ value: 4.5, status: 8 });
    expect(cdssRecord(feed, { value: 1, quality: 'good', wallTime: 500 }, none, 900).value).toBe('1');
  });

  it('sets 报警 for measurement alarms and 断电 for holds the point placed, not for integrity or remote cuts', () => {
    const state = interlockState(
      [{ point: 'T1', kind: 'over-limit' }, { point: 'FEED-H', kind: 'integrity' }],
      [{ point: 'T1', rule: 'over-limit' }, { point: 'FEED-H', rule: 'remote-cut' }],
    );
    expect(cdssRecord(t1, { value: 1.6, quality: 'good', wallTime: 1 }, state, 2).status).toBe(3);
    expect(cdssRecord(feed, { value: 0, quality: 'good', wallTime: 1 }, state, 2).status).toBe(0);
  });
});

describe('encodeFile with lines from the encoder (the outbox fast path)', () => {
  it('writes byte for byte the same file as the checked path', () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      CDSS.encode({ pointCode: `P${i}`, sensorTypeName: '环境瓦斯', location: '3101回风', value: i / 7, unit: '%CH4', status: i % 3, dataTime: Date.UTC(2026, 0, 1) + i * 1000 }),
    );
    const header = { mineCode: '140212000001', mineName: '示范煤矿', uploadTime: Date.UTC(2026, 0, 1, 1) };
    for (const encoding of ['utf-8', 'gb18030'] as const) {
      const checked = encodeFile('CDSS', header, lines, { encoding });
      const fast = encodeFile('CDSS', header, lines, { encoding, linesFromEncoder: true });
      expect(fast.bytes.equals(checked.bytes)).toBe(true);
      expect(fast.name).toBe(checked.name);
    }
    expect(encodeFile('CDSS', header, []).text).toBe('140212000001;示范煤矿;2026-01-01 09:00:00~||');
  });

  it('still checks lines from anywhere else', () => {
    const header = { mineCode: '140212000001', mineName: '示范煤矿', uploadTime: Date.UTC(2026, 0, 1, 1) };
    expect(() => encodeFile('CDSS', header, ['P1;环境瓦斯;x;0.30;%CH4;0'])).toThrow(/fields/);
  });
});

describe('FileDropExporter names', () => {
  let t: ReturnType<typeof tempDir> | undefined;
  afterEach(() => {
    t?.cleanup();
    t = undefined;
  });

  const batch = (name: string, payload = 'x~||') => ({ stream: 'cdss', type: 'CDSS', firstSeq: 1, lastSeq: 1, records: 1, sealedAt: 0, name, payload: Buffer.from(payload) });

  it('gives two batches sealed in one second distinct, increasing names, also after the pickup host took the files and after a restart', async () => {
    t = tempDir();
    const dir = path.join(t.dir, 'drop');
    const db = openSyncDatabase(path.join(t.dir, 'outbox.db'));
    try {
      const name = '140212000001_CDSS_20260110083000.txt';
      const a = new FileDropExporter({ dir, db });
      a.enqueue(batch(name, 'first~||'));
      a.enqueue(batch(name, 'second~||'));
      await a.idle();
      expect((await readdir(dir)).sort()).toEqual(['140212000001_CDSS_20260110083000.txt', '140212000001_CDSS_20260110083001.txt']);
      // The networking host picked everything up: the directory is empty again.
      for (const f of await readdir(dir)) await rm(path.join(dir, f));
      a.enqueue(batch(name, 'third~||'));
      await a.idle();
      expect(await readdir(dir)).toEqual(['140212000001_CDSS_20260110083002.txt']);
      await a.stop();
      // A restart remembers the newest name from the outbox database.
      const b = new FileDropExporter({ dir, db });
      b.enqueue(batch(name, 'fourth~||'));
      // Another type keeps its own names.
      b.enqueue({ ...batch('140212000001_YCBJ_20260110083000.txt'), type: 'YCBJ' });
      // JSON Lines batches (minegate's own streams) are not national files: never dropped.
      b.enqueue({ ...batch('140212000001_GAP_20260110083000.jsonl'), type: 'GAP' });
      await b.idle();
      await b.stop();
      expect((await readdir(dir)).sort()).toEqual(['140212000001_CDSS_20260110083002.txt', '140212000001_CDSS_20260110083003.txt', '140212000001_YCBJ_20260110083000.txt']);
      expect(b.stats()).toMatchObject({ written: 2, failures: 0, queued: 0 });
    } finally {
      db.close();
    }
  });
});

describe('sync config checks', () => {
  const base = (sync: string, extra = '') => `
mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: S01, name: test }
buses:
  - { id: field, type: tcp, host: 127.0.0.1, port: 1502 }
devices:
  - { id: ch4-1, bus: field, unit: 1, profile: methane-sensor }
points:
  - { code: T1, sensorType: "0001", device: ch4-1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: "3101;回风" }
  - { code: X1, sensorType: "9999", device: ch4-1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: somewhere }
safety:
  remoteCut: { authorities: [dispatch] }
${extra}
sync:
${sync}
`;

  /** Runs the sync rules alone on a config that passed the schema (as the loader does after it). */
  function problems(yaml: string): string[] {
    const config = SubstationConfigSchema.parse(parseYaml(yaml));
    const found: string[] = [];
    const ctx = { config, report: (p: readonly (string | number)[], m: string) => found.push(`${p.join('.')}: ${m}`) } as unknown as CheckContext;
    for (const check of syncChecks) check(ctx);
    return found;
  }

  it('reports unwritable text, unknown sensor types, a refused platform authority, half TLS and weather evacuation without personnel', () => {
    const found = problems(base('  brokerUrl: "mqtt://platform:1883"\n  tls: { certPath: c.pem }\n  weatherEvacuation: { areas: [face] }'));
    expect(found).toEqual([
      expect.stringMatching(/^points\.0\.location: contains ";"/),
      expect.stringMatching(/^points\.1\.sensorType: sensor type "9999"/),
      expect.stringMatching(/^sync\.tls\.keyPath: a client certificate and its key go together/),
      expect.stringMatching(/^sync\.brokerUrl: TLS files are configured but mqtt:\/\/platform:1883 is a plain connection/),
      expect.stringMatching(/^sync\.remoteCutAuthority: "platform" is not in safety\.remoteCut\.authorities \(dispatch\)/),
      expect.stringMatching(/^sync\.weatherEvacuation: weather evacuation needs a personnel section/),
    ]);
  });

  it('is silent for a config without a sync section, whatever its points look like', () => {
    const yaml = base('  brokerUrl: "mqtt://x:1883"').replace(/\nsync:\n.*\n$/s, '\n');
    expect(yaml).not.toContain('sync:');
    expect(problems(yaml)).toEqual([]);
  });
});

describe('WAL checkpoints on a worker thread', () => {
  let t: ReturnType<typeof tempDir> | undefined;
  afterEach(() => {
    t?.cleanup();
    t = undefined;
  });

  it('takes over the checkpoints (main connection auto-checkpoint off) and hands them back on stop', async () => {
    t = tempDir();
    const file = path.join(t.dir, 'outbox.db');
    const db = openSyncDatabase(file);
    const cp = startWalCheckpointer(db, file, { intervalMs: 20 });
    try {
      await waitFor(() => cp.stats().checkpoints >= 2, { what: 'two worker checkpoints' });
      expect(cp.stats().running).toBe(true);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      expect(cp.truncate()).toBe(true);
    } finally {
      await cp.stop();
    }
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });

  it('falls back to SQLite checkpoints on the main connection when the worker cannot run', async () => {
    t = tempDir();
    const file = path.join(t.dir, 'outbox.db');
    const db = openSyncDatabase(file);
    db.pragma('wal_autocheckpoint = 0');
    // The worker opens a file that is not there (fileMustExist): it dies at once.
    const cp = startWalCheckpointer(db, path.join(t.dir, 'missing.db'), { intervalMs: 20 });
    try {
      await waitFor(() => db.pragma('wal_autocheckpoint', { simple: true }) === 1000, { what: 'auto-checkpoint restored' });
      expect(cp.stats().running).toBe(false);
      expect(cp.truncate()).toBe(false);
    } finally {
      await cp.stop();
      db.close();
    }
  });
});
