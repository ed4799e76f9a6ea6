// `minegate bus scan` as a built CLI process: which simulated boards answer, which profile each
// is, what the config expects there, progress on stderr, JSON on stdout.
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlaveDevice, SlaveRequest, SlaveResponse } from '../../protocols/modbus/types.js';
import { minegate } from './helpers/cli.js';
import { configText, type Rig, RIG_DEVICES, startRig } from './helpers/rig.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * A board (or a TCP gateway's default route) that answers every address: zeros for any read, OK
 * for any write. Every profile's registers "answer" on it.
 */
class AnswersEverything implements SlaveDevice {
  constructor(readonly unit: number) {}
  handle(request: SlaveRequest): SlaveResponse {
    if ('count' in request) return request.fn <= 0x02 ? { kind: 'bits', values: new Array<boolean>(request.count).fill(false) } : { kind: 'registers', values: new Array<number>(request.count).fill(0) };
    return { kind: 'write-ok' };
  }
}

interface Candidate {
  profile: string;
  ok: number;
  total: number;
  unitIdMatches: boolean;
  score: number;
}

interface ScanJson {
  bus: string;
  elapsedMs: number;
  found: { unit: number; candidates: Candidate[]; answersAnyAddress: boolean; configured?: { device: string }; configuredMatch?: Candidate | null; matchesConfig?: boolean }[];
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
    expect(scan.found[0]!.candidates[0]).toEqual({ profile: 'methane-sensor', ok: 8, total: 8, unitIdMatches: true, score: 1 });
    // The simulated boards refuse unmapped addresses: a profile fitting a subset of a richer board scores lower.
    expect(scan.found.every((h) => !h.answersAnyAddress)).toBe(true);
    expect(scan.found[0]!.candidates[1]!.score).toBeLessThan(1);
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
    expect(r.stdout).toMatch(/3\s+co-sensor\s+6\/6, unit-id param agrees\s+.*temp-1 \(temperature-sensor\) MISMATCH \(scores 0\.83, 5\/5, unit-id param agrees\)/);
    expect(r.stdout).toMatch(/10\s+relay-module\s+10\/10, unit-id param agrees\s+.*relay-1 \(relay-module\) MATCH/);
    expect(r.stdout).toContain('missing: feed-9 (feed-sensor) is configured on unit 20 but did not answer');
  });

  it('a slave that answers every address: the configured profile MATCHes, whatever its size, and is reported even when not among the listed candidates', async () => {
    rig = await startRig({ operators: false });
    for (const unit of [20, 21, 22]) rig.server.addDevice(new AnswersEverything(unit));
    const devices = [...RIG_DEVICES, { id: 'co-9', profile: 'co-sensor', unit: 20 }, { id: 'temp-9', profile: 'temperature-sensor', unit: 21 }, { id: 'relay-9', profile: 'relay-module', unit: 22 }];
    writeFileSync(rig.configFile, configText(rig.port, devices));
    const r = await minegate(['bus', 'scan', 'field-bus', '-c', rig.configFile, '--from', '1', '--to', '25', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const scan = JSON.parse(r.stdout) as ScanJson;
    expect(scan.found.map((h) => [h.unit, h.answersAnyAddress, h.matchesConfig])).toEqual([
      [1, false, true],
      [2, false, true],
      [3, false, true],
      [10, false, true],
      [20, true, true],
      [21, true, true],
      [22, true, true],
    ]);
    for (const h of scan.found.filter((x) => x.unit >= 20)) {
      expect(h.configuredMatch).toMatchObject({ score: 1 });
      expect(h.candidates[0]!.score).toBe(1);
    }
    const table = await minegate(['bus', 'scan', 'field-bus', '-c', rig.configFile, '--from', '20', '--to', '22']);
    expect(table.stdout).toMatch(/answers any address\s+.*co-9 \(co-sensor\) MATCH/);
    expect(table.stdout).not.toMatch(/MISMATCH/);
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
