// `minegate bus scan` as a built CLI process: which simulated boards answer, which profile each
// is, what the config expects there, progress on stderr, JSON on stdout.
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { minegate } from './helpers/cli.js';
import { configText, type Rig, RIG_DEVICES, startRig } from './helpers/rig.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

interface ScanJson {
  bus: string;
  elapsedMs: number;
  found: { unit: number; candidates: { profile: string; ok: number; total: number; unitIdMatches: boolean }[]; configured?: { device: string }; matchesConfig?: boolean }[];
  missing: { device: string; unit: number }[];
}

describe('minegate bus scan', () => {
  it('finds every board on a Modbus TCP bus (all 247 ids) and names its profile', async () => {
    rig = await startRig({ operators: false });
    const r = await minegate(['bus', 'scan', 'field-bus', '-c', rig.configFile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const scan = JSON.parse(r.stdout) as ScanJson;
    expect(scan.found.map((h) => [h.unit, h.candidates[0]!.profile, h.matchesConfig])).toEqual([
      [1, 'methane-sensor', true],
      [2, 'methane-sensor', true],
      [3, 'co-sensor', true],
      [10, 'relay-module', true],
    ]);
    expect(scan.found[0]!.candidates[0]).toEqual({ profile: 'methane-sensor', ok: 8, total: 8, unitIdMatches: true });
    expect(scan.missing).toEqual([]);
    // Progress never pollutes stdout; in a pipe it is plain lines.
    expect(r.stderr).toMatch(/scanning field-bus: 247\/247 ids probed \(up to unit 247\), 4 answered/);
  });

  it('flags a board that differs from the config and a configured board that is silent', async () => {
    rig = await startRig({ operators: false });
    // The config claims a temperature sensor on unit 3 (a CO sensor is there) and a feed sensor on 20 (nobody).
    const devices = [...RIG_DEVICES.filter((d) => d.id !== 'co-1'), { id: 'temp-1', profile: 'temperature-sensor', unit: 3 }, { id: 'feed-9', profile: 'feed-sensor', unit: 20 }];
    writeFileSync(rig.configFile, configText(rig.port, devices));
    const r = await minegate(['bus', 'scan', 'field-bus', '-c', rig.configFile, '--to', '30']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/field-bus: 4 of 30 unit ids answered/);
    expect(r.stdout).toMatch(/3\s+co-sensor\s+6\/6, unit-id param agrees\s+.*temp-1 \(temperature-sensor\) MISMATCH/);
    expect(r.stdout).toMatch(/10\s+relay-module\s+10\/10, unit-id param agrees/);
    expect(r.stdout).toContain('missing: feed-9 (feed-sensor) is configured on unit 20 but did not answer');
  });

  it('on a line where absent units stay silent, each costs one short timeout', async () => {
    rig = await startRig({ operators: false, busType: 'rtu-over-tcp' });
    const r = await minegate(['bus', 'scan', 'field-bus', '-c', rig.configFile, '--from', '1', '--to', '20', '--timeout-ms', '50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const scan = JSON.parse(r.stdout) as ScanJson;
    expect(scan.found.map((h) => h.unit)).toEqual([1, 2, 3, 10]);
    // 16 silent ids × 50 ms, plus matching reads; generous bound for a loaded 2-core box.
    expect(scan.elapsedMs).toBeGreaterThanOrEqual(16 * 50);
    expect(scan.elapsedMs).toBeLessThan(16 * 50 * 4);
  });

  it('bad ranges are usage errors; an unknown bus names the known ones', async () => {
    rig = await startRig({ operators: false });
    const range = await minegate(['bus', 'scan', 'field-bus', '-c', rig.configFile, '--from', '0']);
    expect(range.code).toBe(2);
    const unknown = await minegate(['bus', 'scan', 'rs485-9', '-c', rig.configFile]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no bus "rs485-9" .*buses: field-bus/);
  });
});
