// board-configs/README.md is the config reference a technician reads instead of the source (issue
// 14, item 10): every top-level key of the config and every point role of the threshold presets must
// be in it. (A per-key table of boards/safety/personnel/seals/sync is not checked: not written yet.)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { SubstationConfigSchema as ConfigSchema } from '../../board-configs/schema.js';

const readme = readFileSync(join(boardConfigsDir(), 'README.md'), 'utf8');

describe('board-configs/README.md config reference', () => {
  it('has a row for every top-level key of the config', () => {
    const keys = Object.keys(ConfigSchema.shape);
    expect(keys.filter((k) => !readme.includes(`| \`${k}\` |`))).toEqual([]);
  });

  it('lists every point role of every threshold preset', () => {
    const dir = join(boardConfigsDir(), 'presets');
    const roles = readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) => Object.keys((parse(readFileSync(join(dir, f), 'utf8')) as { roles: Record<string, unknown> }).roles));
    expect(roles.length).toBeGreaterThan(30);
    expect(roles.filter((r) => !readme.includes(`| \`${r}\` |`))).toEqual([]);
  });
});
