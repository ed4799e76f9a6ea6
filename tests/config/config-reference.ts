// The per-key tables of board-configs/README.md, generated from the zod schema (key, type,
// default) and the schema sources' own comments (meaning): one source of truth, so the reference
// cannot drift from what the loader accepts. tests/config/readme-reference.test.ts checks that
// every schema key has a row and that the generated block is current.
//   Regenerate: npx vite-node tests/config/config-reference.ts -- --write
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { z } from 'zod';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { SubstationConfigSchema } from '../../board-configs/schema.js';

export interface SchemaKey {
  /** Full path, lists marked `[]`: `safety.localFans[].runPoint`. */
  path: string;
  type: string;
  /** `required`, `none` (optional, no default) or the default value as YAML-ish text. */
  def: string;
  /** Key names of the mapping the key is in (matches it with its source comment). */
  siblings: string[];
}

// zod 4 internals are typed loosely on purpose: only the def fields read here are relied on.
type Def = { type: string; [k: string]: any };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Every key of the config schema, depth first, in schema order. */
export function schemaKeys(schema: z.ZodType = SubstationConfigSchema): SchemaKey[] {
  const out = new Map<string, SchemaKey>();
  const walk = (s: z.ZodType, path: string, siblings: string[], def: string): void => {
    const d = defOf(s);
    const add = (type: string): void => {
      if (path && !out.has(path)) out.set(path, { path, type, def, siblings });
    };
    switch (d.type) {
      case 'optional':
        return walk(d.innerType, path, siblings, def === 'required' ? 'none' : def);
      case 'nullable':
        return walk(d.innerType, path, siblings, def);
      case 'default':
      case 'prefault': {
        const v = typeof d.defaultValue === 'function' ? d.defaultValue() : d.defaultValue;
        const isEmptyMap = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
        return walk(d.innerType, path, siblings, d.type === 'prefault' || isEmptyMap ? (isEmptyMap ? 'defaults' : show(v)) : show(v));
      }
      case 'pipe':
        return walk(d.in, path, siblings, def);
      case 'object': {
        add('mapping');
        const keys = Object.keys(d.shape);
        for (const k of keys) walk(d.shape[k], path ? `${path}.${k}` : k, keys, 'required');
        return;
      }
      case 'array': {
        const el = defOf(d.element);
        const elementIsMapping = ['object', 'union'].includes(el.type) && (el.type === 'object' || (el.options as z.ZodType[]).some((o) => defOf(o).type === 'object'));
        add(elementIsMapping ? `list${minOf(d)}` : `list of ${describe(d.element)}${minOf(d)}`);
        if (elementIsMapping) walk(d.element, `${path}[]`, siblings, 'required');
        return;
      }
      case 'union': {
        const objects = (d.options as z.ZodType[]).filter((o) => defOf(o).type === 'object');
        if (objects.length === 0) return add(describe(s));
        add('mapping');
        for (const o of objects) walk(o, path, siblings, def);
        return;
      }
      default:
        add(describe(s));
    }
  };
  walk(schema, '', [], 'required');
  return [...out.values()];
}

function minOf(d: Def): string {
  for (const c of (d.checks ?? []) as z.ZodType[]) {
    const cd = defOf(c) as Def & { check?: string; minimum?: number };
    if (cd.check === 'min_length' && cd.minimum) return `, at least ${cd.minimum}`;
  }
  return '';
}

/** Human type of a leaf: "integer 100–30000", "one of a, b", "yes/no", "text". */
function describe(s: z.ZodType): string {
  const d = defOf(s);
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
      return describe(d.innerType);
    case 'pipe':
      return describe(d.in);
    case 'string':
      return 'text';
    case 'boolean':
      return 'true/false';
    case 'literal':
      return (d.values as unknown[]).map((v) => `\`${String(v)}\``).join(', ');
    case 'enum':
      return `one of ${Object.values(d.entries as Record<string, string>).map((v) => `\`${v}\``).join(', ')}`;
    case 'record':
      return `mapping ${describe(d.keyType)} → ${describe(d.valueType)}`;
    case 'array':
      return `list of ${describe(d.element)}`;
    case 'union':
      return (d.options as z.ZodType[]).map(describe).join(' or ');
    case 'object':
      return 'mapping';
    case 'number': {
      let int = false;
      let lo: string | undefined;
      let hi: string | undefined;
      for (const c of (d.checks ?? []) as z.ZodType[]) {
        const cd = defOf(c) as Def & { check?: string; value?: number; inclusive?: boolean; format?: string };
        if (cd.check === 'number_format' && /int/.test(cd.format ?? '')) int = true;
        if (cd.check === 'greater_than') lo = `${cd.inclusive ? '≥' : '>'} ${cd.value}`;
        if (cd.check === 'less_than') hi = `${cd.inclusive ? '≤' : '<'} ${cd.value}`;
      }
      const base = int ? 'integer' : 'number';
      if (lo?.startsWith('≥') && hi?.startsWith('≤')) return `${base} ${lo.slice(2)}–${hi.slice(2)}`;
      return [base, lo, hi].filter(Boolean).join(' ');
    }
    default:
      return d.type;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'none';
  if (Array.isArray(v)) return v.length === 0 ? '`[]`' : `\`[${v.map((x) => String(x)).join(', ')}]\``;
  if (v !== null && typeof v === 'object') return `\`${JSON.stringify(v).replace(/"/g, '')}\``;
  return `\`${String(v)}\``;
}

/** The unit a key's name states (`…Ms` milliseconds, `…Kw` kilowatts …); `—` when none. */
export function unitOf(key: string): string {
  const leaf = key.replace(/\[\]/g, '').split('.').pop()!;
  const units: [RegExp, string][] = [
    [/Ms$/, 'ms'], [/[a-z]S$/, 's'], [/Days$/, 'days'], [/Minutes$/, 'min'], [/Hours$/, 'h'], [/Kwh$/, 'kWh'], [/Kw$/, 'kW'],
    [/Mps$/, 'm/s'], [/Db$/, 'dB'], [/MB$/, 'MiB'], [/Bytes$/, 'bytes'], [/[a-z]M$/, 'm'], [/Pct$|Percent$/, '%'], [/Baud|baudRate/, 'baud'],
  ];
  for (const [re, unit] of units) if (re.test(leaf)) return unit;
  return '—';
}

// ---- meanings from the schema sources --------------------------------------------------------

/** Comments of the keys of every object literal given to z.object/strictObject/looseObject. */
function sourceComments(): { shapes: { keys: string[]; comments: Map<string, string> }[] } {
  const dir = boardConfigsDir();
  const shapes: { keys: string[]; comments: Map<string, string> }[] = [];
  const defaults = new Map<string, string>();
  const parsed: { text: string; sf: ts.SourceFile }[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    parsed.push({ text, sf: ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true) });
  }
  const commentOf = (text: string, node: ts.Node): string => {
    // JSDoc above the key (plain // lines there are notes for programmers), or a comment after it.
    const lead = (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).map((r) => text.slice(r.pos, r.end)).filter((c) => c.startsWith('/**'));
    const trail = (ts.getTrailingCommentRanges(text, node.getEnd() + (text[node.getEnd()] === ',' ? 1 : 0)) ?? []).map((r) => text.slice(r.pos, r.end));
    return clean([...lead, ...trail].join(' '));
  };
  // *_DEFAULTS objects: their keys' comments explain the setting that defaults to them; a
  // `const FooSchema = …` comment explains the key whose value is FooSchema (or a list of it).
  const schemaDocs = new Map<string, string>();
  for (const { text, sf } of parsed) {
    const visit = (n: ts.Node): void => {
      if (ts.isVariableStatement(n)) {
        for (const d of n.declarationList.declarations) if (/Schema$/.test(d.name.getText(sf))) schemaDocs.set(d.name.getText(sf), commentOf(text, n));
      }
      if (ts.isVariableDeclaration(n) && /_DEFAULTS$/.test(n.name.getText(sf)) && n.initializer) {
        const init = ts.isAsExpression(n.initializer) ? n.initializer.expression : n.initializer;
        const collect = (o: ts.ObjectLiteralExpression, prefix: string): void => {
          for (const p of o.properties) {
            if (!p.name) continue;
            const key = `${prefix}.${p.name.getText(sf)}`;
            defaults.set(key, commentOf(text, p));
            if (ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.initializer)) collect(p.initializer, key);
          }
        };
        if (ts.isObjectLiteralExpression(init)) collect(init, n.name.getText(sf));
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  for (const { text, sf } of parsed) {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ['object', 'strictObject', 'looseObject', 'extend'].includes(n.expression.name.text)) {
        const arg = n.arguments[0];
        if (arg && ts.isObjectLiteralExpression(arg)) {
          const comments = new Map<string, string>();
          const keys: string[] = [];
          for (const p of arg.properties) {
            if (!p.name) continue;
            const key = p.name.getText(sf).replace(/['"]/g, '');
            keys.push(key);
            let c = commentOf(text, p);
            // A nested mapping written in place names other keys' defaults: not its own.
            const nested = /\b(strictObject|object)\(/.test(p.getText(sf));
            if (!c && !nested) {
              const ref = /\b[A-Z_]+_DEFAULTS(?:\.\w+)+/.exec(p.getText(sf));
              if (ref) c = defaults.get(ref[0]) ?? '';
            }
            if (!c && !nested) {
              const ref = /\b([A-Z]\w*Schema)\b/.exec(p.getText(sf));
              if (ref) c = schemaDocs.get(ref[1]!) ?? '';
            }
            if (c) comments.set(key, c);
          }
          shapes.push({ keys, comments });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { shapes };
}

function clean(comment: string): string {
  return comment
    .replace(/\/\*\*?|\*\//g, ' ')
    .replace(/^\s*\*\s?/gm, ' ')
    .replace(/\/\/+/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** Meanings of keys that need no comment in the source (the same in every section). */
const COMMON: Record<string, string> = {
  id: 'unique id (letters, digits, `.`, `-`, `_`)',
  name: 'display name',
  description: 'free text',
};

/** Key → meaning, from the comment on the key in the schema source (or on its default). */
export function meanings(keys: readonly SchemaKey[]): Map<string, string> {
  const { shapes } = sourceComments();
  const out = new Map<string, string>();
  for (const k of keys) {
    const leaf = k.path.replace(/\[\]/g, '').split('.').pop()!;
    const sig = [...k.siblings].sort().join(',');
    // The literal with exactly these keys; else one that is part of it (a base that was extended).
    const shape = shapes.find((s) => [...s.keys].sort().join(',') === sig && s.comments.has(leaf))
      ?? shapes.find((s) => s.comments.has(leaf) && s.keys.every((x) => k.siblings.includes(x)));
    const m = shape?.comments.get(leaf) ?? COMMON[leaf] ?? (k.path.endsWith('[]') ? `one entry of \`${k.path.slice(0, -2).split('.').pop()}\`` : '');
    out.set(k.path, m);
  }
  return out;
}

/** Sections with a generated table, in README order. */
export const GENERATED_SECTIONS = ['safety', 'personnel', 'seals', 'sync', 'boards', 'dashboard'] as const;

export const BEGIN = '<!-- config-reference:begin (generated by tests/config/config-reference.ts; edit the schema comments, then regenerate) -->';
export const END = '<!-- config-reference:end -->';

/** The generated Markdown: one table per section. */
export function generatedReference(): string {
  const keys = schemaKeys();
  const mean = meanings(keys);
  const parts: string[] = [];
  for (const section of GENERATED_SECTIONS) {
    const rows = keys.filter((k) => k.path === section || k.path.startsWith(`${section}.`) || k.path.startsWith(`${section}[]`));
    parts.push(`### \`${section}\` keys`, '', '| key | type | default | unit | meaning |', '|---|---|---|---|---|');
    for (const k of rows) parts.push(`| \`${k.path}\` | ${k.type} | ${k.def} | ${unitOf(k.path)} | ${mean.get(k.path) || ''} |`);
    parts.push('');
  }
  return parts.join('\n');
}

/** README text with the generated block replaced by the current one. */
export function withGeneratedReference(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README has no ${BEGIN} … ${END} block`);
  return `${readme.slice(0, a + BEGIN.length)}\n\n${generatedReference()}\n${readme.slice(b)}`;
}

if (process.argv.includes('--write')) {
  const file = join(boardConfigsDir(), 'README.md');
  writeFileSync(file, withGeneratedReference(readFileSync(file, 'utf8')));
  const missing = [...meanings(schemaKeys())].filter(([p, m]) => !m && GENERATED_SECTIONS.some((s) => p.startsWith(s)));
  console.log(`wrote ${file}; ${missing.length} keys without a meaning${missing.length ? `:\n${missing.map(([p]) => `  ${p}`).join('\n')}` : ''}`);
}
