import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { checkConfigFiles } from '../../edge/config/check-command.js';

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
});
