// The seals config section: schema defaults and refusals, and the cross-checks against devices,
// points, profiles and the personnel section, each reported at the field that is wrong.
import { describe, expect, it } from 'vitest';
import { SEAL_DEFAULTS, SealSchema, type SealConfigInput } from '../../board-configs/seal-schema.js';
import type { CheckContext, ConfigPath } from '../../edge/config/check-context.js';
import { parseConfigText } from '../../edge/config/load-config.js';
import { sealChecks, sealStructureProblems } from '../../edge/seals/config-checks.js';
import { SealEngine } from '../../edge/seals/engine.js';
import { FakePersonnel, sealConfig } from './rig.js';

const BASE = `mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: F001, name: 井口分站 }
buses:
  - { id: seal-bus, type: tcp, host: 127.0.0.1 }
devices:
  - { id: seal-main-1, bus: seal-bus, unit: 1, profile: seal-camera }
  - { id: seal-aux-1, bus: seal-bus, unit: 2, profile: seal-camera }
  - { id: hoist-meter, bus: seal-bus, unit: 3, profile: energy-meter }
  - { id: fan-meter, bus: seal-bus, unit: 4, profile: energy-meter }
  - { id: fan-run-1, bus: seal-bus, unit: 5, profile: fan-run-sensor }
points:
  - { code: F001A20, sensorType: "1004", device: hoist-meter, channel: power, unit: kW, range: { low: 0, high: 2000 }, location: 主井绞车房 }
  - { code: F001A21, sensorType: "1004", device: hoist-meter, channel: energy, unit: kWh, range: { low: 0, high: 100000000 }, location: 主井绞车房 }
  - { code: F001A22, sensorType: "1004", device: fan-meter, channel: power, unit: kW, range: { low: 0, high: 2000 }, location: 主通风机房 }
  - { code: F001D01, sensorType: "1001", device: fan-run-1, channel: state, unit: "", range: { low: 0, high: 1 }, location: 井口 }
`;
const loaded = parseConfigText(BASE, '/site/f001.yaml');

function check(input: SealConfigInput, personnel?: object): { path: string; message: string }[] {
  const seals = SealSchema.parse(input);
  const issues: { path: string; message: string }[] = [];
  const config = { ...loaded.config, seals, ...(personnel ? { personnel } : {}) };
  const ctx: CheckContext = {
    file: loaded.file,
    config: config as CheckContext['config'],
    profiles: loaded.profiles,
    profileProblems: new Map(),
    busesById: loaded.busesById,
    devicesById: loaded.devicesById,
    pointsByCode: loaded.pointsByCode,
    zonesById: new Map(),
    outputsById: new Map(),
    profileOf: (id) => {
      const d = loaded.devicesById.get(id);
      return d ? loaded.profiles.get(d.profile) : undefined;
    },
    report: (path: ConfigPath, message: string) => issues.push({ path: path.join('.'), message }),
    lineOf: () => 0,
  };
  for (const rule of sealChecks) rule(ctx);
  return issues;
}

describe('seals schema', () => {
  it('fills every default from SEAL_DEFAULTS', () => {
    const s = SealSchema.parse({ shaftMouths: [{ id: 'main', name: '主井口', cameras: [{ device: 'c1', position: 'p' }] }] });
    expect(s.shaftMouths[0]).toMatchObject({ mode: 'producing', cameras: [{ inMeans: 'into-mine' }] });
    expect(s.shifts).toEqual({ starts: SEAL_DEFAULTS.shiftStarts, tzOffsetMinutes: 480, baseline: 'positioning' });
    expect(s.checks.cardWindowMs).toBe(SEAL_DEFAULTS.cardWindowMs);
    expect(s.cameras.offlineAfterFailures).toBe(SEAL_DEFAULTS.offlineAfterFailures);
    expect(s.loads).toEqual([]);
  });

  it('refuses a load without an explicit production flag, bad times and a grace longer than the window', () => {
    const bad = (input: unknown) => SealSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    const mouth = { id: 'main', name: '主井口', cameras: [{ device: 'c1', position: 'p' }] };
    expect(bad({ shaftMouths: [mouth], loads: [{ id: 'h', name: 'h', shaftMouth: 'main', powerPoint: 'P', idleKw: 1 }] })).toEqual([expect.stringMatching(/^loads\.0\.production:/)]);
    expect(bad({ shaftMouths: [mouth], shifts: { starts: ['8:00'] } })).toEqual([expect.stringMatching(/^shifts\.starts\.0: .*HH:MM/)]);
    expect(bad({ shaftMouths: [mouth], checks: { cardWindowMs: 20_000, cardGraceMs: 30_000 } })).toEqual([expect.stringMatching(/cardGraceMs: cardGraceMs must be shorter than cardWindowMs/)]);
    expect(bad({ shaftMouths: [{ ...mouth, cameras: [{ device: 'c1', position: 'p', snapshotUrl: 'ftp://10.0.0.5/x.jpg' }] }] })).toEqual([expect.stringMatching(/snapshotUrl/)]);
    expect(bad({ shaftMouths: [{ ...mouth, cameras: [{ device: 'c1', position: 'p', snapshotUrl: 'http://10.0.0.5/x.jpg' }] }] })).toEqual([]);
    expect(bad({ shaftMouths: [] })).toEqual([expect.stringMatching(/^shaftMouths:/)]);
  });
});

describe('seals cross-checks', () => {
  it('accepts the rig configuration against a matching board config', () => {
    expect(check(sealConfig())).toEqual([]);
  });

  it('reports duplicates and references inside the section', () => {
    const c = sealConfig();
    c.shaftMouths.push({ id: 'main', name: 'again', cameras: [{ device: 'seal-main-1', position: 'x' }] });
    c.loads!.push({ id: 'hoist', name: 'h2', shaftMouth: 'nowhere', powerPoint: 'F001A20', idleKw: 1, production: true });
    expect(check(c)).toEqual([
      { path: 'seals.shaftMouths.2.id', message: 'duplicate shaft mouth id "main" (first at shaftMouths[0])' },
      { path: 'seals.shaftMouths.2.cameras.0.device', message: 'camera "seal-main-1" is already used at shaftMouths[0].cameras[0]; one camera belongs to one shaft mouth' },
      { path: 'seals.loads.2.id', message: 'duplicate load id "hoist" (first at loads[0])' },
      { path: 'seals.loads.2.shaftMouth', message: 'no shaft mouth "nowhere" (shaft mouths: main, aux)' },
      { path: 'seals.loads.2.powerPoint', message: 'point "F001A20" is already the power of load "hoist"' },
    ]);
  });

  it('reports a camera that is not a configured seal-camera device', () => {
    const c = sealConfig();
    c.shaftMouths[0]!.cameras[0]!.device = 'fan-run-1';
    c.shaftMouths[1]!.cameras[0]!.device = 'cam-9';
    expect(check(c)).toEqual([
      { path: 'seals.shaftMouths.0.cameras.0.device', message: 'device "fan-run-1" uses profile "fan-run-sensor", a switch-sensor, not a seal-camera' },
      { path: 'seals.shaftMouths.1.cameras.0.device', message: expect.stringMatching(/^no device "cam-9" \(devices: seal-main-1, /) },
    ]);
  });

  it('reports load points that are missing, not from an energy meter, in the wrong unit, or an unreachable idle level', () => {
    const c = sealConfig();
    c.loads![0]!.powerPoint = 'F001D01';
    c.loads![0]!.energyPoint = 'F001A99';
    c.loads![1]!.powerPoint = 'F001A21';
    c.loads!.push({ id: 'belt', name: '主运输皮带', shaftMouth: 'main', powerPoint: 'F001A22', idleKw: 2000, production: true });
    const fan = c.loads![1]!;
    fan.powerPoint = 'F001A21';
    expect(check(c)).toEqual([
      { path: 'seals.loads.0.powerPoint', message: 'point "F001D01" reads device "fan-run-1" whose profile "fan-run-sensor" is a switch-sensor, not an energy-meter' },
      { path: 'seals.loads.0.energyPoint', message: 'no point "F001A99"' },
      { path: 'seals.loads.1.powerPoint', message: 'point "F001A21" is in "kWh"; a load\'s power must be in kW' },
      { path: 'seals.loads.2.idleKw', message: 'idleKw 2000 is not below the top of point "F001A22"\'s range (2000 kW): the load could never be seen working' },
    ]);
  });

  it('checks shaft-mouth stations against the personnel section when there is one', () => {
    const c = sealConfig();
    expect(check(c, { stations: [{ code: '1402120000010001000001' }], areas: [{ id: 'ST-MAIN', code: '1402120000010001' }] })).toEqual([]);
    expect(check(c, { stations: [{ code: '1402120000010001000001' }], areas: [] })).toEqual([
      { path: 'seals.shaftMouths.0.personnelStation', message: 'no personnel station code, area id or area code "ST-MAIN"' },
    ]);
  });

  it('SealEngine refuses a section with structural problems, naming the field', () => {
    const c = sealConfig();
    c.shaftMouths[1]!.cameras[0]!.device = 'seal-main-1';
    expect(sealStructureProblems(SealSchema.parse(c))).toHaveLength(1);
    expect(() => new SealEngine({ config: c as never, personnel: new FakePersonnel() })).toThrow(/seals\.shaftMouths\.1\.cameras\.0\.device: camera "seal-main-1" is already used/);
    expect(() => new SealEngine({ config: { shaftMouths: [] } as never, personnel: new FakePersonnel() })).toThrow(/SealEngine config: seals\.shaftMouths/);
    expect(() => new SealEngine({ config: sealConfig() as never, personnel: {} as never })).toThrow(/must implement PersonnelView/);
  });
});
