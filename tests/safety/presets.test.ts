import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPresetFile, loadPresets, PresetError, presetsDir } from '../../board-configs/presets/load-presets.js';

describe('threshold presets', () => {
  const library = loadPresets();
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('ships the methane, CO, wind-speed, temperature, smoke and duct-airflow presets, all valid', () => {
    const names = readdirSync(presetsDir()).filter((f) => f.endsWith('.yaml')).map((f) => f.replace('.yaml', '')).sort();
    expect(names).toEqual(['co', 'duct-airflow', 'methane', 'smoke', 'temperature', 'wind-speed']);
    expect(library.presets.map((p) => p.name).sort()).toEqual(names);
  });

  it('holds the AQ 1029-2019 methane table as data (alarm / cut-off / restore and tag per role)', () => {
    const row = (role: string) => library.row('0001', role)!.row;
    expect(row('heading.T1')).toMatchObject({ alarm: 1.0, cutoff: 1.5, restore: 1.0, tag: 'V' });
    expect(row('heading.T2')).toMatchObject({ alarm: 1.0, cutoff: 1.0, restore: 1.0, tag: 'V' });
    expect(row('heading.T3')).toMatchObject({ alarm: 0.5, cutoff: 0.5, restore: 0.5 });
    expect(row('longwall.T0')).toMatchObject({ alarm: 1.0, cutoff: 1.5, restore: 1.5, tag: 'V' });
    expect(row('longwall.T1')).toMatchObject({ alarm: 1.0, cutoff: 1.5, restore: 1.0 });
    expect(row('longwall.T3')).toMatchObject({ alarm: 0.5, cutoff: 0.5, restore: 0.5 });
    expect(row('shearer')).toMatchObject({ cutoff: 1.5, cutoffRange: 'shearer power' });
    expect(row('main-return')).toMatchObject({ alarm: 0.75, tag: 'I' });
    expect(row('main-return').cutoff).toBeUndefined();
    expect(row('belt-return-shaft')).toMatchObject({ alarm: 0.5, cutoff: 0.7, restore: 0.7, tag: 'I' });
    expect(row('coal-bunker')).toMatchObject({ alarm: 1.5, cutoff: 1.5, restore: 1.5 });
    expect(row('trolley-loading')).toMatchObject({ alarm: 0.5, cutoff: 0.5, restore: 0.5 });
    for (const role of ['longwall.T2', 'longwall.T4', 'heading.T4', 'roadheader', 'district-return']) expect(library.row('0001', role)).toBeDefined();
    // Laser and high/low-range methane sensors use the same table.
    expect(library.forSensorType('0043')?.name).toBe('methane');
    expect(library.forSensorType('0011')?.name).toBe('methane');
  });

  it('every row cites its source, and cut-off rows describe their range and restore no higher than they cut', () => {
    for (const preset of library.presets) {
      for (const [role, row] of Object.entries(preset.roles)) {
        expect(row.source.length, `${preset.name}/${role}`).toBeGreaterThan(5);
        if (row.cutoff !== undefined) {
          expect(row.cutoffRange, `${preset.name}/${role}`).toBeTruthy();
          expect(row.restore!).toBeLessThanOrEqual(row.cutoff);
        }
      }
    }
  });

  it('gives wind-speed limits by roadway class', () => {
    expect(library.row('0002', 'heading.rock')!.row).toMatchObject({ alarmLow: 0.15, alarm: 4 });
    expect(library.row('0002', 'trolley-roadway')!.row).toMatchObject({ alarmLow: 1.0, alarm: 8 });
    expect(library.row('0002', 'fan-drift')!.row).toMatchObject({ alarm: 15 });
    expect(library.row('0004', 'district-return')!.row).toMatchObject({ alarm: 24 });
    expect(library.byName('co')!.unit).toBe('ppm');
  });

  it('refuses a preset whose restore is above its cutoff, naming the file and field', () => {
    dir = mkdtempSync(join(tmpdir(), 'presets-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\ndescription: x\nsensorTypes: ["0001"]\nunit: "%CH4"\nroles:\n  x.T1: { location: here, alarm: 1, cutoff: 1.5, restore: 2, tag: V, source: test source }\n');
    expect(() => loadPresetFile(file)).toThrow(PresetError);
    expect(() => loadPresetFile(file)).toThrow(/roles\.x\.T1\.restore: restore must not exceed cutoff/);
  });

  it('refuses two presets claiming the same sensor type', () => {
    dir = mkdtempSync(join(tmpdir(), 'presets-'));
    for (const name of ['a', 'b']) {
      writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\ndescription: x\nsensorTypes: ["0001"]\nunit: "%CH4"\nroles:\n  r: { location: here, alarm: 1, tag: V, source: test source }\n`);
    }
    expect(() => loadPresets(dir)).toThrow(/sensor type 0001 is claimed by presets "a" and "b"/);
  });
});
