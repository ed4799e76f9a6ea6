// `minegate doctor` as a built CLI process: a healthy setup passes; a missing serial adapter, an
// unstable tty name, an unreachable TCP bus and broker, a clock behind the stored data, little free
// space and a broken config each show up with a fix, and any FAIL exits 1.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge/store/database.js';
import { ReadingWriter, readingMigrations } from '../../edge/store/reading-store.js';
import { PtyPair } from '../../simulator/pty-pair.js';
import { minegate } from './helpers/cli.js';
import { type Rig, startRig } from './helpers/rig.js';

interface DoctorJson {
  ok: boolean;
  failed: number;
  checks: { area: string; status: string; message: string; fix?: string }[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(): Promise<Rig> {
  const r = await startRig();
  cleanups.push(() => r.close());
  return r;
}

/** A TCP port that accepts connections (a stand-in broker). */
async function listening(): Promise<number> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function storeReading(dataDir: string, wallTime: number): void {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, 'minegate.db'), { store: readingMigrations });
  const writer = new ReadingWriter(db);
  writer.enqueue({ point: 'T09A01', value: 0.4, unit: '%CH4', quality: 'good', wallTime, monoTime: 0, raw: [40] });
  writer.close();
  db.close();
}

describe('minegate doctor', () => {
  it('a healthy setup: every check OK (or skipped/advisory), exit 0, JSON parses', async () => {
    const r = await rig();
    storeReading(r.dataDir, Date.now() - 60_000);
    const broker = await listening();
    const res = await minegate(['doctor', '-c', r.configFile, '-d', r.dataDir, '--broker', `mqtt://127.0.0.1:${broker}`, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as DoctorJson;
    expect(doc.ok).toBe(true);
    const byArea = (area: string) => doc.checks.filter((c) => c.area === area).map((c) => c.status);
    expect(byArea('config')).toEqual(['ok']);
    expect(byArea('bus')).toEqual(['ok']);
    expect(byArea('broker')).toEqual(['ok']);
    expect(byArea('clock')).toEqual(['ok']);
    expect(byArea('operators')).toEqual(['ok']);
    expect(byArea('data-dir').every((s) => s === 'ok')).toBe(true);
    // Capacity of the reading store at the current rate (one reading in the last day here).
    expect(doc.checks.find((c) => c.message.startsWith('readings:'))?.message).toMatch(/1 a day at [\d.]+ B each; cap \d+ MB holds >1000 days at this rate, full in >1000 days; free disk lasts/);
    // The other retention classes (AQ 6201-2019: a year), each with its own line.
    expect(doc.checks.find((c) => c.message.startsWith('statistics:'))?.message).toMatch(/^statistics: [\d.]+ MB, [\d.]+ MB a day, kept 400 days \(legal minimum 365\); cap 403 MB holds (>10000|\d+) days/);
    expect(doc.checks.find((c) => c.message.startsWith('records:'))?.message).toMatch(/^records: .*kept 400 days \(legal minimum 365\)/);
    expect(doc.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('fails when a class cap holds less than its legal minimum at the current rate, naming the key to raise', async () => {
    const r = await rig();
    storeReading(r.dataDir, Date.now() - 60_000);
    // One stored window a day (~100 B with its page share) against a cap of ~1 KB: days, not a year.
    appendFileSync(r.configFile, '\nstore:\n  retention:\n    statistics: { maxMB: 0.001 }\n');
    const res = await minegate(['doctor', '-c', r.configFile, '-d', r.dataDir, '--json']);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout) as DoctorJson;
    const stats = doc.checks.find((c) => c.message.startsWith('statistics:'))!;
    expect(stats.status).toBe('fail');
    expect(stats.fix).toMatch(/legal 365 days of statistics .* raise store\.retention\.statistics\.maxMB/);
    expect(doc.checks.find((c) => c.area === 'config')!.status).toBe('ok');
  });

  it('reports each problem with a fix and exits 1', async () => {
    const r = await rig();
    const pty = await PtyPair.create();
    cleanups.push(() => pty.dispose());
    const deadPort = await closedPort();
    writeFileSync(r.configFile, `mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: T09, name: 测试分站 }
buses:
  - { id: rs485-1, type: rtu-serial, path: /dev/serial/by-id/usb-FTDI_missing-if00-port0 }
  - { id: rs485-2, type: rtu-serial, path: "${pty.masterPath}" }
  - { id: field-bus, type: tcp, host: 127.0.0.1, port: ${deadPort} }
devices:
  - { id: ch4-t1, bus: rs485-1, unit: 1, profile: methane-sensor }
  - { id: ch4-t2, bus: rs485-2, unit: 2, profile: methane-sensor }
  - { id: co-1, bus: field-bus, unit: 3, profile: co-sensor }
`);
    // A reading stamped an hour ahead: the clock has gone back since it was stored.
    storeReading(r.dataDir, Date.now() + 3_600_000);
    const res = await minegate(['doctor', '-c', r.configFile, '-d', r.dataDir, '--broker', `mqtt://127.0.0.1:${deadPort}`, '--min-free-gib', '1000000000', '--timeout-ms', '500']);
    expect(res.code).toBe(1);
    const text = res.stdout;
    expect(text).toMatch(/FAIL  serial +rs485-1: \/dev\/serial\/by-id\/usb-FTDI_missing-if00-port0 does not exist\n +fix: plug in the RS-485 adapter/);
    expect(text).toMatch(new RegExp(`OK    serial +rs485-2: ${pty.masterPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} → /dev/pts/\\d+: readable and writable`));
    expect(text).toMatch(/WARN  serial +rs485-2: .* is not a \/dev\/serial\/by-id\/ path/);
    expect(text).toMatch(new RegExp(`FAIL  bus +field-bus: tcp 127\\.0\\.0\\.1:${deadPort} unreachable`));
    expect(text).toMatch(new RegExp(`FAIL  broker +127\\.0\\.0\\.1:${deadPort} unreachable \\(--broker\\)`));
    // Both times in mine time with their zone, as every time the CLI shows.
    expect(text).toMatch(/FAIL  clock +system clock \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00 is behind the newest stored reading \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00/);
    expect(text).toMatch(/WARN  data-dir +only [\d.]+ GiB free for the store/);
    expect(text).toMatch(/4 problems, \d+ warnings: fix the FAIL lines/);
  });

  it('a broken config is a FAIL, and the serial ports it names are still checked', async () => {
    const r = await rig();
    writeFileSync(r.configFile, `mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: T09, name: 测试分站 }
buses:
  - { id: rs485-1, type: rtu-serial, path: /dev/ttyUSB9, bauds: 9600 }
devices:
  - { id: ch4-t1, bus: rs485-1, unit: 1, profile: methane-sensor }
`);
    const res = await minegate(['doctor', '-c', r.configFile, '-d', r.dataDir, '--json']);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout) as DoctorJson;
    const config = doc.checks.find((c) => c.area === 'config')!;
    expect(config.status).toBe('fail');
    expect(config.message).toMatch(/buses\[0\]/);
    expect(config.fix).toMatch(/minegate config check/);
    expect(doc.checks.find((c) => c.area === 'serial')).toMatchObject({ status: 'fail', message: 'rs485-1: /dev/ttyUSB9 does not exist' });
    expect(doc.checks.find((c) => c.area === 'broker')).toMatchObject({ status: 'skip' });
  });

  it("probes the broker of the config's sync section", async () => {
    const r = await rig();
    const broker = await listening();
    writeFileSync(r.configFile, `${readFileSync(r.configFile, 'utf8')}sync:\n  brokerUrl: "mqtt://127.0.0.1:${broker}"\n`);
    const res = await minegate(['doctor', '-c', r.configFile, '-d', r.dataDir, '--json']);
    expect(res.code, res.stdout).toBe(0);
    const doc = JSON.parse(res.stdout) as DoctorJson;
    expect(doc.checks.find((c) => c.area === 'config')!.status).toBe('ok');
    expect(doc.checks.find((c) => c.area === 'broker')).toMatchObject({ status: 'ok', message: `127.0.0.1:${broker} accepts connections (sync.brokerUrl; TCP only, login not tried)` });
  });

  it('a missing data dir and no accounts are warnings with the commands that fix them', async () => {
    const r = await rig();
    const fresh = join(r.dir, 'fresh-data');
    const res = await minegate(['doctor', '-c', r.configFile, '-d', fresh, '--json']);
    expect(res.code, res.stdout).toBe(0);
    const doc = JSON.parse(res.stdout) as DoctorJson;
    expect(doc.checks).toContainEqual(expect.objectContaining({ area: 'data-dir', status: 'warn', message: `${fresh} does not exist yet (the gateway creates it at start)` }));
    expect(doc.checks).toContainEqual(expect.objectContaining({ area: 'operators', status: 'warn', fix: `minegate user add <name> --role safety-officer -d ${fresh}` }));
  });
});
