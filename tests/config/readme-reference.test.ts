// board-configs/README.md is the config reference a technician reads instead of the source (issue
// 14, item 10): every key of the schema must have a row in its tables (key, type, default, unit,
// meaning), the generated section tables must be current with the schema and its comments, every
// section has a worked example that the loader accepts, and every point role of the threshold
// presets is listed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { SubstationConfigSchema as ConfigSchema } from '../../board-configs/schema.js';
import { parseConfigText } from '../../edge/config/load-config.js';
import { GENERATED_SECTIONS, schemaKeys, withGeneratedReference } from './config-reference.js';
import { validConfig } from './fixtures.js';

const readme = readFileSync(join(boardConfigsDir(), 'README.md'), 'utf8');

/** The text of the README section under `## <heading>` (up to the next `## `). */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

const row = (text: string, key: string): boolean => text.includes(`| \`${key}\` |`);

describe('board-configs/README.md config reference', () => {
  it('has a row for every top-level key of the config', () => {
    const keys = Object.keys(ConfigSchema.shape);
    expect(keys.filter((k) => !row(readme, k))).toEqual([]);
  });

  it('has a table row for every key of the schema, at any depth', () => {
    const keys = schemaKeys();
    expect(keys.length).toBeGreaterThan(300);
    const missing = keys
      .map((k) => k.path)
      .filter((path) => {
        if (row(readme, path)) return false;
        // `x[]` is the element of list `x`, which has its row.
        if (path.endsWith('[]') && row(readme, path.slice(0, -2).replace(/^[a-z]+\[\]\./, ''))) return false;
        // A list's own section may name its keys relative to the element: `## \`buses[]\`` → `path`.
        const list = /^([a-z]+)\[\]\.(.+)$/.exec(path);
        return !(list && row(section(`\`${list[1]}[]\``), list[2]!));
      });
    expect(missing).toEqual([]);
  });

  it('has generated tables that are current with the schema and its comments, each key with a meaning', () => {
    expect(withGeneratedReference(readme) === readme, 'regenerate: npx vite-node tests/config/config-reference.ts -- --write').toBe(true);
    const generated = readme.slice(readme.indexOf('<!-- config-reference:begin'), readme.indexOf('<!-- config-reference:end'));
    const rows = generated.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(200);
    expect(rows.filter((l) => /\|\s*\|$/.test(l))).toEqual([]);
  });

  it('has a worked example for every section, valid against the schema of its section', () => {
    const examples = section('Worked examples');
    const shape = ConfigSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }>;
    for (const name of [...GENERATED_SECTIONS, 'store']) {
      const block = new RegExp(`<!-- example: ${name} -->\\n\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(examples);
      expect(block, `no worked example for ${name}`).not.toBeNull();
      const doc = parse(block![1]!) as Record<string, unknown>;
      expect(Object.keys(doc)).toEqual([name]);
      const result = shape[name]!.safeParse(doc[name]);
      expect(result.success, `example ${name}: ${JSON.stringify(result.error)}`).toBe(true);
    }
    // The store example names no ids: it loads with the small test config as it stands.
    expect(() => parseConfigText(`${validConfig}\n${/<!-- example: store -->\n```yaml\n([\s\S]*?)```/.exec(examples)![1]}`, 'store example')).not.toThrow();
  });

  it('lists every point role of every threshold preset', () => {
    const dir = join(boardConfigsDir(), 'presets');
    const roles = readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) => Object.keys((parse(readFileSync(join(dir, f), 'utf8')) as { roles: Record<string, unknown> }).roles));
    expect(roles.length).toBeGreaterThan(30);
    expect(roles.filter((r) => !row(readme, r))).toEqual([]);
  });
});
