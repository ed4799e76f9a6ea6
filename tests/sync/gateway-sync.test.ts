// The sync capability in a running gateway, end to end: simulated field devices over Modbus, the
// real Gateway, a real Mosquitto and the reference receiver as the platform. What is asserted is
// what the platform receives (verified batches, parsed records) and what the field sees (relay
// coils on the simulator side).
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlServer } from '../../edge/control/server.js';
import { createLogger } from '../../edge/log.js';
import { PlatformCommander } from '../../sync/platform-commander.js';
import { runCli } from '../cli/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { HEADING_COIL, RIG_POINTS, SyncRig } from './helpers/gateway-rig.js';

// MT/T 1201 CDSS fields: 测点编码;传感器类型名称;安装位置;监测值;单位;测点状态;数据时间
const CDSS = { code: 0, typeName: 1, location: 2, value: 3, unit: 4, status: 5 } as const;
// YCBJ fields: 测点编码 … 异常类型 (4), 开始时间 (5), 结束时间 (6), 最大值 (7)
const YCBJ = { code: 0, type: 4, start: 5, end: 6, max: 7 } as const;

type Fields = string[];
const recordsOf = (b: { records: unknown[] }): Fields[] => b.records as Fields[];

describe('sync capability in a running gateway', () => {
  let rig: SyncRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('sends a CDSS snapshot of every point that the platform verifies, with values and status bits', async () => {
    rig = await SyncRig.start();
    rig.field(1).set('value', 0.42);
    // A snapshot taken once every point has been read: all codes present, good values, status 0.
    const batch = await rig.waitBatch(
      'cdss',
      (b) => {
        const rows = recordsOf(b);
        const t1 = rows.find((r) => r[CDSS.code] === 'T1');
        return RIG_POINTS.every((p) => rows.some((r) => r[CDSS.code] === p)) && t1?.[CDSS.value] === '0.42';
      },
      'a CDSS batch with every point and T1 = 0.42',
    );
    const rows = recordsOf(batch);
    const t1 = rows.find((r) => r[CDSS.code] === 'T1')!;
    expect(t1[CDSS.typeName]).toBe('环境瓦斯');
    expect(t1[CDSS.location]).toBe('3101掘进工作面');
    expect(t1[CDSS.unit]).toBe('%CH4');
    expect(t1[CDSS.status]).toBe('0');
    // A switch point goes up as its state, not as a decimal.
    const feed = rows.find((r) => r[CDSS.code] === 'FEED-H')!;
    expect(feed[CDSS.value]).toMatch(/^[01]$/);
    expect(rig.receiver.stats().failures).toBe(0);
    // FZSS: the substation's own status goes up too.
    await rig.waitBatch('fzss', (b) => recordsOf(b).some((r) => r[0] === 'S01'), 'an FZSS record of S01');
    expect(rig.upstream()).toMatchObject({ enabled: true, connected: true });
  });

  it('a methane cut-off produces YCBJ records upstream (alarm 001 and cut-off 002), and its end', async () => {
    rig = await SyncRig.start();
    await rig.waitRunning();
    rig.field(1).set('value', 1.6);
    await rig.waitCoil(HEADING_COIL, false);
    const cut = await rig.waitBatch('ycbj', (b) => recordsOf(b).some((r) => r[YCBJ.code] === 'T1' && r[YCBJ.type] === '002'), 'a YCBJ cut-off record of T1');
    const row = recordsOf(cut).find((r) => r[YCBJ.code] === 'T1' && r[YCBJ.type] === '002')!;
    expect(row[YCBJ.end]).toBe('');
    expect(Number(row[YCBJ.max])).toBeCloseTo(1.6, 2);
    expect(rig.stream('ycbj').some((b) => recordsOf(b).some((r) => r[YCBJ.code] === 'T1' && r[YCBJ.type] === '001'))).toBe(true);
    // While cut, the CDSS status of T1 carries the alarm and cut-off bits (1 | 2).
    await rig.waitBatch('cdss', (b) => recordsOf(b).some((r) => r[CDSS.code] === 'T1' && r[CDSS.status] === '3'), 'CDSS T1 with status 3 (alarm + cut-off)');

    // Back below restore: the power returns and the cut-off's end goes up with its end time.
    rig.field(1).set('value', 0.3);
    await rig.waitCoil(HEADING_COIL, true);
    const ended = await rig.waitBatch('ycbj', (b) => recordsOf(b).some((r) => r[YCBJ.code] === 'T1' && r[YCBJ.type] === '002' && r[YCBJ.end] !== ''), 'the end of the T1 cut-off');
    const end = recordsOf(ended).find((r) => r[YCBJ.code] === 'T1' && r[YCBJ.type] === '002' && r[YCBJ.end] !== '')!;
    expect(end[YCBJ.start]).toBe(row[YCBJ.start]);
    expect(rig.receiver.stats().failures).toBe(0);
  });

  it('a signed remote cut from the platform cuts the zone at the relay module and is acked upstream', async () => {
    rig = await SyncRig.start();
    await rig.waitRunning();
    const id = await rig.sendCommand('cutoff', { zones: ['heading'], durationMs: 600_000, reason: 'test: dispatch orders the heading cut' });
    await rig.waitCoil(HEADING_COIL, false);
    expect(rig.gateway.safety.engine.holds().some((h) => h.rule === 'remote-cut' && h.authority === 'platform')).toBe(true);
    const acks = await waitFor(
      () => {
        const all = rig!.stream('cmdack').flatMap((b) => b.records as { commandId: string; status: string; result: unknown }[]);
        const mine = all.filter((a) => a.commandId === id);
        return mine.some((a) => a.status === 'completed') ? mine : undefined;
      },
      { timeoutMs: 10_000, what: 'a completed ack of the remote cut' },
    );
    expect(acks.map((a) => a.status)).toEqual(['accepted', 'completed']);
    expect(acks[1]!.result).toMatchObject({ zones: ['heading'], outputs: ['heading-power'], confirmed: true });

    // The platform lifts its own cut: power returns.
    await rig.sendCommand('cutoff', { action: 'release', cutId: `platform-${id}` });
    await rig.waitCoil(HEADING_COIL, true);
  });

  it('a command not signed by the platform key cuts nothing and is reported as a security event', async () => {
    rig = await SyncRig.start();
    await rig.waitRunning();
    const intruder = new PlatformCommander({ brokerUrl: rig.broker.url, platformKey: generateKeyPairSync('ed25519').privateKey });
    await intruder.start();
    try {
      await intruder.send('140212000001', 'S01', 'cutoff', { zones: ['heading'] });
    } finally {
      await intruder.stop();
    }
    const ev = await rig.waitBatch('security', () => true, 'a security event upstream');
    expect((ev.records as { reason: string }[])[0]!.reason).toBe('bad-signature');
    expect(rig.coil(HEADING_COIL)).toBe(true);
  });

  it('without its signing key, sync is disabled with the fix named, and the interlocks run on', async () => {
    rig = await SyncRig.start();
    await rig.gateway.stop();
    rmSync(join(rig.dataDir, 'keys', 'substation.key.pem'));
    await rig.startGateway();
    expect(rig.upstream()).toMatchObject({ enabled: false, state: 'disabled' });
    expect(rig.upstream().disabledReason).toContain('minegate keys generate');
    expect(rig.sync.status()[0]!.body).toMatch(/^upstream: DISABLED/);
    await rig.waitRunning();
    rig.field(1).set('value', 1.6);
    await rig.waitCoil(HEADING_COIL, false);
  });

  it('with a file-drop directory, every national batch the platform gets is also there as the same file', async () => {
    rig = await SyncRig.start({ fileDropDir: 'drop' });
    const dropDir = join(rig.dataDir, 'drop');
    const batch = await rig.waitBatch('cdss', () => true, 'a CDSS batch at the platform');
    const file = await waitFor(() => readdirSync(dropDir, { withFileTypes: true }).find((f) => f.isFile() && !f.name.startsWith('.') && f.name.includes('_CDSS_') && readFileSync(join(dropDir, f.name)).equals(batch.payload)), {
      timeoutMs: 10_000,
      what: 'the same CDSS file in the drop directory',
    });
    expect(file.name).toMatch(/^140212000001_CDSS_\d{14}\.txt$/);
    // minegate's own JSON Lines streams are not national files: never dropped. (Dot names are the
    // exporter's temp files while a file is being written; pickup hosts skip them.)
    expect(readdirSync(dropDir).filter((n) => !n.startsWith('.')).every((n) => /^140212000001_[A-Z]+_\d{14}\.txt$/.test(n))).toBe(true);
    expect(rig.upstream().fileDrop).toMatchObject({ failures: 0 });
  });

  it('minegate sync status reads the running gateway through its control socket', async () => {
    rig = await SyncRig.start();
    const control = new ControlServer(rig.gateway, { dataDir: rig.dataDir, logger: createLogger({}) });
    for (const h of rig.sync.controlHandlers()) control.register(h);
    await control.start();
    try {
      await waitFor(() => rig!.upstream().acked.batches > 0, { timeoutMs: 10_000, what: 'a batch acked' });
      const r = await runCli(['sync', 'status', '-d', rig.dataDir, '--json']);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout) as { connected: boolean; broker: string; acked: { batches: number } };
      expect(s).toMatchObject({ schema: 'minegate.sync-status/1', gateway: true, connected: true, broker: rig.broker.url, delivery: 'receipt' });
      expect(s.acked.batches).toBeGreaterThan(0);
      // Same keys when only the outbox file can be read (schema minegate.sync-status/1).
      await control.stop();
      await rig.gateway.stop();
      const off = await runCli(['sync', 'status', '-d', rig.dataDir, '--json']);
      expect(off.code).toBe(0);
      const o = JSON.parse(off.stdout) as Record<string, unknown>;
      expect(o).toMatchObject({ schema: 'minegate.sync-status/1', gateway: false, state: 'not-running' });
      expect(Object.keys(o).sort()).toEqual(Object.keys(s).sort());
      expect(Object.keys(o.backlog as object).sort()).toEqual(Object.keys((s as unknown as { backlog: object }).backlog).sort());
      expect(Array.isArray(o.streams)).toBe(true);
    } finally {
      await control.stop();
    }
  });

  it('broker stopped and restarted while polling goes on: the backlog drains with no gap', async () => {
    rig = await SyncRig.start();
    const key = rig.streamKey('cdss');
    await waitFor(() => rig!.receiver.received(key).length > 0, { timeoutMs: 10_000, what: 'first CDSS batch at the platform' });
    await rig.broker.stop();
    const writtenAtStop = rig.gateway.status().store.written;
    // Polling and snapshots go on: at least three CDSS batches wait on disk.
    await waitFor(() => rig!.upstream().backlog.realtime.batches >= 3 || undefined, { timeoutMs: 15_000, what: 'three realtime batches in the backlog' });
    expect(rig.upstream().connected).toBe(false);
    expect(rig.gateway.status().store.written).toBeGreaterThan(writtenAtStop);
    await rig.broker.start();
    await waitFor(() => rig!.upstream().connected && rig!.upstream().backlog.realtime.batches === 0, { timeoutMs: 20_000, what: 'backlog drained after the broker came back' });
    // Everything the outbox numbered reached the platform, in one unbroken range, verified.
    const next = rig.sync.sync!.outbox.streamState('cdss').nextSeq;
    await waitFor(() => {
      const ranges = rig!.receiver.received(key);
      return ranges.length === 1 && ranges[0]![0] === 1 && ranges[0]![1] >= next - 1;
    }, { timeoutMs: 10_000, what: `CDSS 1..${next - 1} received as one range` });
    expect(rig.receiver.gaps(key)).toEqual([]);
    expect(rig.receiver.stats().failures).toBe(0);
    expect(rig.upstream().dropped).toMatchObject({ 'over-cap': 0, 'too-old': 0, 'disk-full': 0, 'queue-overflow': 0 });
  });
  it('with the store and the outbox full (max_page_count), a methane over-limit still cuts within the 2 s limit, and the cut-off record reaches the platform once space returns', async () => {
    rig = await SyncRig.start();
    await rig.waitRunning();
    await rig.waitBatch('cdss', () => true, 'first CDSS batch');
    // Freeze both files at their current size: every further write fails with SQLITE_FULL,
    // exactly as a full disk does.
    const outboxDb = rig.sync.sync!.db;
    const storeDb = rig.gateway.database;
    for (const db of [outboxDb, storeDb]) db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    // Both files now refuse anything that needs a new page. (The reading store keeps taking
    // batches into its open-span journal, its own file, so it does not report failures here.)
    // Probe: a 1 MB write in a transaction that is rolled back either way.
    const probe = (db: typeof storeDb): string => {
      try {
        db.transaction(() => {
          db.exec('CREATE TABLE full_probe (x)');
          db.prepare('INSERT INTO full_probe VALUES (zeroblob(1000000))').run();
          throw new Error('the write fitted');
        })();
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    for (const db of [outboxDb, storeDb]) expect(probe(db)).toMatch(/full/);

    const t0 = performance.now();
    rig.field(1).set('value', 1.6);
    await rig.waitCoil(HEADING_COIL, false, 2000);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(rig.gateway.safety.engine.holds().some((h) => h.point === 'T1')).toBe(true);

    // Space comes back: the critical cut-off record was kept (never dropped before acknowledgement) and goes up.
    for (const db of [outboxDb, storeDb]) db.pragma('max_page_count = 1073741823');
    await rig.waitBatch('ycbj', (b) => recordsOf(b).some((r) => r[YCBJ.code] === 'T1' && r[YCBJ.type] === '002'), 'the T1 cut-off record after the disk recovered', 20_000);
    expect(rig.receiver.stats().failures).toBe(0);
  });
});
