// YAML text → plain data plus a map back to the source, so any later check (schema, cross-reference)
// can name the line and column of the node it complains about. Uses the yaml package's Document
// API: the plain `parse()` would throw away positions and silently keep the last duplicate key.
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type ConfigIssue, formatPath } from './config-error.js';

export interface SourcePosition {
  line: number;
  column: number;
}

export interface YamlSource {
  readonly file: string;
  /** The document as plain data; undefined when YAML errors make the structure untrustworthy. */
  readonly data: unknown;
  /** YAML syntax errors and duplicate keys (each with its position and the path it sits under). */
  readonly issues: ConfigIssue[];
  /**
   * Position of the node at `path`. A missing key or index resolves to its nearest existing parent
   * (the mapping that lacks the key). With `key: true` the last segment's key is located instead of
   * its value, which is what an "unknown key" message should point at. A path through an alias
   * (`*name`) resolves to the alias: that is the use that went wrong, the anchor may be fine elsewhere.
   */
  locate(path: readonly PropertyKey[], opts?: { key?: boolean }): SourcePosition;
}

type AnyNode = Node | null | undefined;

export function readYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // uniqueKeys: a duplicated key is an error, never "last one wins" (a silently ignored line in a
  // safety config is worse than a refusal to start).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });

  const positionAt = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const startOf = (node: AnyNode): SourcePosition | undefined =>
    node && node.range ? positionAt(node.range[0]) : undefined;

  const issues: ConfigIssue[] = [];
  // Every duplicate key is its own mistake; after the first syntax error the rest of the text is
  // read out of step, so later syntax errors are mostly echoes of it and only the first is shown.
  const problems = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  const firstSyntaxError = problems.find((p) => p.code !== 'DUPLICATE_KEY');
  for (const problem of problems) {
    if (problem.code !== 'DUPLICATE_KEY' && problem !== firstSyntaxError) continue;
    const offset = problem.pos[0];
    const path = pathAtOffset(doc, offset);
    // "a: b: c" is parsed as a nested key b inside a's value; the field the person wrote is a.
    if (problem.code === 'BLOCK_AS_IMPLICIT_KEY' || problem.code === 'MULTILINE_IMPLICIT_KEY') path.pop();
    issues.push({ file, ...positionAt(offset), path: formatPath(path), message: yamlMessage(problem.code, problem.message, path) });
  }

  const data = issues.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;

  const locate = (path: readonly PropertyKey[], opts: { key?: boolean } = {}): SourcePosition => {
    let node: AnyNode = doc.contents as AnyNode;
    let best = startOf(node) ?? { line: 1, column: 1 };
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return best;
        const keyPos = startOf(pair.key as AnyNode);
        if (last && opts.key) return keyPos ?? best;
        node = pair.value as AnyNode;
        // `key:` with nothing after it: point at the key.
        best = startOf(node) ?? keyPos ?? best;
        if (isAlias(node)) return best;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as AnyNode;
        if (!item) return best;
        node = item;
        best = startOf(node) ?? best;
        if (isAlias(node)) return best;
      } else {
        return best;
      }
    }
    return best;
  };

  return { file, data, issues, locate };
}

/** The yaml package's message, made actionable for the mistakes people actually make. */
function yamlMessage(code: string, message: string, path: readonly PropertyKey[]): string {
  const text = message.split('\n')[0]!;
  switch (code) {
    case 'DUPLICATE_KEY':
      return `duplicate key "${String(path[path.length - 1] ?? '')}": each key may appear once in a mapping`;
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return `YAML syntax: ${text} (a value that contains ": " must be quoted)`;
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return `YAML syntax: ${text} (look for an unclosed bracket, brace or quote on this or an earlier line)`;
    default:
      return `YAML syntax: ${text}`;
  }
}

/** The document path of the deepest node containing `offset` (for naming where a YAML error is). */
function pathAtOffset(doc: Document, offset: number): PropertyKey[] {
  const path: PropertyKey[] = [];
  const contains = (node: unknown): boolean => {
    const range = (node as Node | null)?.range;
    return !!range && offset >= range[0] && offset < Math.max(range[1], range[0] + 1);
  };
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 64 && node; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (contains(p.key) || contains(p.value)));
      if (!pair) break;
      if (isScalar(pair.key)) path.push(String(pair.key.value));
      if (contains(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item));
      if (index < 0) break;
      path.push(index);
      node = node.items[index];
    } else {
      break;
    }
  }
  return path;
}
