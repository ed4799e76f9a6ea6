import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { checkConfigFiles } from '../../edge/config/check-command.js';
import { tempTree } from './fixtures.js';

const examples = join(boardConfigsDir(), 'examples');

function run(files: string[]): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = checkConfigFiles(files, (line) => lines.push(line));
  return { code, lines };
}

describe('config check', () => {
  it('prints OK with counts and exits 0 for valid configs', () => {
    const demo = join(examples, 'demo-substation.yaml');
    const serial = join(examples, 'rtu-serial-substation.yaml');
    expect(run([demo, serial])).toEqual({
      code: 0,
      lines: [`OK ${demo} (4 buses, 13 devices, 11 points)`, `OK ${serial} (1 buses, 6 devices, 5 points)`],
    });
  });

  it('prints each issue as "file:line:col  path  message" and exits 1 when any file is invalid', () => {
    const demo = join(examples, 'demo-substation.yaml');
    const broken = join(examples, 'broken', '06-device-missing-bus.yaml');
    const { code, lines } = run([broken, demo]);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `${broken}:23:10  devices[2].bus  no bus "rs485-2" (buses: rs485-1)`,
      `FAIL ${broken} (1 issue)`,
      `OK ${demo} (4 buses, 13 devices, 11 points)`,
    ]);
  });

  it('fails on a file that does not exist', () => {
    const { code, lines } = run(['/nonexistent/site.yaml']);
    expect(code).toBe(1);
    expect(lines[0]).toBe('/nonexistent/site.yaml:0:0  (file)  cannot read the file (ENOENT)');
  });

  it('fails when given no files, and rejects a bad output sink', () => {
    expect(run([])).toEqual({ code: 1, lines: ['no config files given'] });
    expect(() => checkConfigFiles([], 'stdout' as unknown as (l: string) => void)).toThrow(TypeError);
  });
  // Issue 14, item 8: schema errors and cross-check errors of one file in one run, each at its
  // file:line:col; nothing false about the elements that were set aside for their schema errors.
  it('prints every schema error and every cross-check error of a file at once', () => {
    const tree = tempTree({
      'site.yaml': [
        'mine: { code: "14021200000", name: 示范煤矿 }',
        'substation: { code: F001, name: test }',
        'buses:',
        '  - { id: field, type: tcp, host: 127.0.0.1, port: 70000 }',
        '  - { id: line, type: tcp, host: 127.0.0.1 }',
        'devices:',
        '  - { id: co-1, bus: nowhere, unit: 3, profile: co-sensor }',
        '  - { id: bad-1, bus: line, unit: 0, profile: co-sensor }',
        '  - { id: co-2, bus: field, unit: 4, profile: co-sensor }',
        'points:',
        '  - { code: P2, sensorType: "0004", device: co-1, channel: nope, unit: ppm, range: { low: 0, high: 1000 }, location: face }',
        '  - { code: P3, sensorType: "0004", device: bad-1, channel: value, unit: ppm, range: { low: 0, high: 1000 }, location: face }',
        '  - { code: P4, sensorType: "04", device: co-1, channel: value, unit: ppm, range: { low: 0, high: 1000 }, location: face }',
        '  - { code: P2, sensorType: "0004", device: co-2, channel: value, unit: ppm, range: { low: 0, high: 1000 }, location: face }',
        '',
      ].join('\n'),
    });
    try {
      const file = tree.path('site.yaml');
      const { code, lines } = run([file]);
      expect(code).toBe(1);
      expect(lines).toEqual([
        `${file}:1:15  mine.code  expected the 12-digit mine code (煤矿编码); got "14021200000" (text)`,
        `${file}:4:52  buses[0].port  Too big: expected number to be <=65535; got 70000 (number)`,
        `${file}:7:22  devices[0].bus  no bus "nowhere" (buses: line)`,
        `${file}:8:35  devices[1].unit  Too small: expected number to be >=1; got 0 (number)`,
        `${file}:11:60  points[0].channel  profile "co-sensor" has no channel "nope" (channels: value)`,
        `${file}:13:29  points[2].sensorType  expected a 4-digit MT/T 1201 sensor type code, e.g. "0001"; got "04" (text)`,
        `${file}:14:13  points[3].code  duplicate point code "P2" (first defined on line 11)`,
        `FAIL ${file} (7 issues)`,
      ]);
      // Not reported: devices[2] on bus "field" and points[1] on device "bad-1": both exist in the
      // file (with schema errors of their own), so "no bus" / "no device" would be false.
    } finally {
      tree.cleanup();
    }
  });
});
