// Definition files (CDDY, FZDY; RYQY, RYJZ, RYXX with personnel) from a real gateway: in the file
// drop before the first real-time file that refers to them, valid against the MT/T 1201 layouts,
// over MQTT too, and a new CDDY after a config change that adds a point, before its first CDSS.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../sync/integrity.js';
import { parseFile } from '../../sync/formats/mt1201-file.js';
import { waitFor } from '../helpers/wait-for.js';
import { RuntimeRig } from '../runtime/rig.js';
import { SyncRig } from './helpers/gateway-rig.js';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.js';

let rig: SyncRig | undefined;
let runtime: RuntimeRig | undefined;
let broker: Mosquitto | undefined;
afterEach(async () => {
  await rig?.close();
  await runtime?.stop();
  await broker?.close();
  rig = runtime = broker = undefined;
});

interface DropFile {
  name: string;
  type: string;
  /** Write order: the file-drop exporter writes files one after the other in seal order. */
  mtimeNs: bigint;
  fields: string[][];
  header: string[];
}

function dropFiles(dir: string): DropFile[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.txt'))
    .map((name) => {
      const bytes = readFileSync(join(dir, name));
      const parsed = parseFile(name, bytes); // throws on anything off the reference layout
      const segments = bytes.toString('utf8').replace(/~\|\|$/, '').split('~');
      return { name, type: parsed.type, mtimeNs: statSync(join(dir, name), { bigint: true }).mtimeNs, fields: parsed.records as string[][], header: segments[0]!.split(';') };
    })
    .sort((a, b) => (a.mtimeNs < b.mtimeNs ? -1 : a.mtimeNs > b.mtimeNs ? 1 : a.name.localeCompare(b.name)));
}

const first = (files: DropFile[], type: string, match: (f: DropFile) => boolean = () => true): DropFile | undefined => files.find((f) => f.type === type && match(f));

describe('definition files', () => {
  it('CDDY and FZDY reach the file drop before the first CDSS / FZSS, valid and complete, and the platform over MQTT; a config change that adds a point sends a new CDDY before its first CDSS', { timeout: 60_000 }, async () => {
    rig = await SyncRig.start({ fileDropDir: 'drop' });
    const dropDir = join(rig.dataDir, 'drop');
    const files = await waitFor(
      () => {
        const f = dropFiles(dropDir);
        return first(f, 'CDSS') && first(f, 'FZSS') ? f : null;
      },
      { timeoutMs: 15_000, what: 'CDSS and FZSS files in the drop' },
    );
    const cddy = first(files, 'CDDY')!;
    const fzdy = first(files, 'FZDY')!;
    expect(cddy).toBeDefined();
    expect(fzdy).toBeDefined();
    expect(cddy.mtimeNs).toBeLessThan(first(files, 'CDSS')!.mtimeNs);
    expect(fzdy.mtimeNs).toBeLessThan(first(files, 'FZSS')!.mtimeNs);
    // Extended header: 煤矿编码;矿井名称;系统型号;系统名称;生产厂家;安标有效期;数据上传时间
    expect(cddy.header).toHaveLength(7);
    expect(cddy.header.slice(0, 2)).toEqual(['140212000001', '示范煤矿']);
    // Every configured point, 24 fields each, limits as the interlocks apply them (heading.T1 preset).
    expect(cddy.fields.map((r) => r[0])).toEqual(['T1', 'T2', 'FEED-H']);
    for (const r of cddy.fields) expect(r).toHaveLength(24);
    const t1 = cddy.fields[0]!;
    expect(t1.slice(1, 8)).toEqual(['01', 'S01', '0001', 'MN', '%CH4', '4.00', '0.00']);
    expect(t1[8]).toBe('1.00'); // 上限报警 = the heading T1 alarm the engine uses
    expect(t1[12]).toBe('1.50'); // 上限断电
    const feed = cddy.fields[2]!;
    expect(feed.slice(3, 5)).toEqual(['1011', 'KG']);
    expect(feed.slice(16, 18)).toEqual(['开', '停']);
    expect(fzdy.fields).toEqual([['S01', 'sync rig heading', '', '', '', expect.any(String)]]);
    // Over MQTT too: the platform verified them.
    await rig.waitBatch('cddy', () => true, 'CDDY at the platform');
    await rig.waitBatch('fzdy', () => true, 'FZDY at the platform');

    // A config change (a reload starts the gateway again with the new file) adds point T3.
    await rig.gateway.stop();
    rig.configYaml = rig.configYaml.replace(
      '\nzones:',
      '\n  - { code: T3, sensorType: "0001", device: ch4-t2, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: 3101回风巷, thresholds: { alarm: 1.0 } }\nzones:',
    );
    await rig.startGateway();
    const after = await waitFor(
      () => {
        const f = dropFiles(dropDir);
        return first(f, 'CDSS', (x) => x.fields.some((r) => r[0] === 'T3')) ? f : null;
      },
      { timeoutMs: 15_000, what: 'a CDSS file with T3' },
    );
    const newDef = first(after, 'CDDY', (x) => x.fields.some((r) => r[0] === 'T3'))!;
    expect(newDef).toBeDefined();
    expect(newDef.fields.map((r) => r[0])).toEqual(['T1', 'T2', 'FEED-H', 'T3']);
    expect(newDef.mtimeNs).toBeLessThan(first(after, 'CDSS', (x) => x.fields.some((r) => r[0] === 'T3'))!.mtimeNs);
  });

  it('with personnel and seals (the demo config): RYQY, RYJZ and RYXX reach the file drop before the first RYSS, CDDY/FZDY before the first CDSS/FZSS, each valid and complete', { timeout: 60_000 }, async () => {
    broker = await startMosquitto();
    const url = broker.url;
    let roster = 0;
    let areas = 0;
    let stations = 0;
    runtime = await RuntimeRig.start({
      configure: (c, dataDir) => {
        generateKeyPair(join(dataDir, 'keys'), { name: 'substation' });
        c.sync = { brokerUrl: url, fileDropDir: 'drop', snapshots: { cdssMs: 1000, ryssMs: 1000, jzssMs: 1000, fzssMs: 1000 } };
        roster = c.personnel.roster.length;
        areas = c.personnel.areas.length;
        stations = c.personnel.stations.length;
      },
    });
    const dropDir = join(runtime.dataDir, 'drop');
    const files = await waitFor(
      () => {
        const f = dropFiles(dropDir);
        return ['RYSS', 'JZSS', 'CDSS', 'FZSS'].every((t) => first(f, t)) ? f : null;
      },
      { timeoutMs: 20_000, what: 'RYSS, JZSS, CDSS and FZSS files in the drop' },
    );
    for (const [def, data] of [['RYQY', 'RYSS'], ['RYJZ', 'RYSS'], ['RYXX', 'RYSS'], ['RYJZ', 'JZSS'], ['CDDY', 'CDSS'], ['FZDY', 'FZSS']] as const) {
      const d = first(files, def);
      expect(d, `${def} in the drop`).toBeDefined();
      expect(d!.mtimeNs, `${def} before the first ${data}`).toBeLessThan(first(files, data)!.mtimeNs);
    }
    expect(roster).toBeGreaterThan(0);
    expect(first(files, 'RYXX')!.fields).toHaveLength(roster);
    expect(first(files, 'RYQY')!.fields).toHaveLength(areas);
    expect(first(files, 'RYJZ')!.fields).toHaveLength(stations);
    // RYXX extended header: 煤矿编码;矿井名称;核定下井人数;系统型号;系统名称;厂家名称;安标有效期;数据上传时间
    const ryxx = first(files, 'RYXX')!.header;
    expect(ryxx).toHaveLength(8);
    expect(Number(ryxx[2])).toBeGreaterThan(0);
    for (const r of first(files, 'RYXX')!.fields) expect(r).toHaveLength(9);
    for (const r of first(files, 'RYQY')!.fields) expect(r).toHaveLength(4);
    for (const r of first(files, 'RYJZ')!.fields) expect(r).toHaveLength(6);
  });
});
