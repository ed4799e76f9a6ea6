// Zod issues → ConfigIssues a technician can act on: each placed on the offending line, unknown
// keys pointed at the key itself with a "did you mean" for typos, missing keys named outright.
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';
import type { YamlSource } from './yaml-source.js';

/** Validate `source.data` against `schema`; returns the parsed value or every issue found. */
export function validateWithSchema<S extends z.ZodType>(
  schema: S,
  source: YamlSource,
): { ok: true; value: z.output<S> } | { ok: false; issues: ConfigIssue[] } {
  const result = schema.safeParse(source.data);
  if (result.success) return { ok: true, value: result.data };
  const issues: ConfigIssue[] = [];
  for (const issue of result.error.issues) issues.push(...toConfigIssues(issue, schema, source));
  return { ok: false, issues };
}

function toConfigIssues(issue: z.core.$ZodIssue, schema: z.ZodType, source: YamlSource): ConfigIssue[] {
  const at = (path: readonly PropertyKey[], message: string, key = false): ConfigIssue => ({
    file: source.file,
    ...source.locate(path, { key }),
    path: formatPath(path),
    message,
  });
  const value = valueAt(source.data, issue.path);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, source.data, issue.path);
      return issue.keys.map((key) => {
        const hint = closestKey(key, allowed);
        const tail = hint ? `; did you mean "${hint}"?` : allowed.length ? `; allowed here: ${allowed.join(', ')}` : '';
        return at([...issue.path, key], `unknown key "${key}"${tail}`, true);
      });
    }
    case 'invalid_type': {
      if (value === undefined) {
        const key = issue.path[issue.path.length - 1];
        return [at(issue.path, `missing required key "${String(key)}" (${issue.expected})`)];
      }
      return [at(issue.path, `expected ${issue.expected}, got ${describe(value)}`)];
    }
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (discriminator && options) {
        const expected = options.map((o) => JSON.stringify(o)).join(', ');
        return [at(issue.path, `must be one of ${expected}; got ${describe(value)}`)];
      }
      return [at(issue.path, withValue(issue.message, value))];
    }
    default:
      return [at(issue.path, withValue(issue.message, value))];
  }
}

/**
 * Append the offending value. The schema's own hints are noun phrases ("the 12-digit mine code",
 * "one of 1200, 2400, …"), which read as "expected <hint>; got <value>".
 */
function withValue(message: string, value: unknown): string {
  if (!isScalar(value)) return message;
  const isHint = /^[a-z]/.test(message) && !/\bmust\b/.test(message);
  return `${isHint ? `expected ${message}` : message}; got ${describe(value)}`;
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function describe(value: unknown): string {
  if (value === null) return 'null (empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}" (text)`;
  return `${String(value)} (${typeof value})`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const segment of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[segment];
  }
  return cur;
}

/** The subset of a Zod schema's internal definition needed to walk it. */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
}
const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Keys the schema allows for the object at `path` (used to suggest a fix for a typo). */
function allowedKeys(schema: z.ZodType, data: unknown, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  let value: unknown = data;
  for (let i = 0; node; ) {
    const def = defOf(node);
    if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'prefault') {
      node = def.innerType;
    } else if (def.type === 'pipe') {
      node = def.in;
    } else if (def.type === 'union' && def.options) {
      node = pickOption(def, value);
    } else if (i === path.length) {
      return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    } else {
      const segment = path[i++]!;
      value = (value as Record<PropertyKey, unknown> | null)?.[segment];
      if (def.type === 'object') node = def.shape?.[String(segment)];
      else if (def.type === 'array') node = def.element;
      else if (def.type === 'record') node = def.valueType;
      else return [];
    }
  }
  return [];
}

/** For a discriminated union, the option the data's discriminator selects; else the first that parses. */
function pickOption(def: SchemaDef, value: unknown): z.ZodType | undefined {
  const options = def.options ?? [];
  if (def.discriminator && value && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[def.discriminator];
    const hit = options.find((o) => defOf(o).shape?.[def.discriminator!]?.safeParse(tag).success);
    if (hit) return hit;
  }
  return options.find((o) => o.safeParse(value).success) ?? options[0];
}

/** The allowed key a typo most likely meant: same letters ignoring case, or a few edits away (≤ 1 per 3 letters, max 2). */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    if (candidate.toLowerCase() === key.toLowerCase()) return candidate;
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.min(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and swapped neighbours. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
