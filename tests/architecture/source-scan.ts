// Reads our source the way the compiler does (typescript's parser, no type-check) for the
// architecture tests: which classes subclass a built-in error, which files and function bodies
// are longer than the project allows. Every function takes text, so a test can plant a breach in
// a string and prove the check fails on it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** Every source folder, as `npm run depcheck` cruises them (tests/ is a harness, not source). */
export const SOURCE_DIRS = ['core', 'protocols', 'drivers', 'board-configs', 'edge', 'sync', 'simulator', 'bench'];

export const SHAPE_LIMITS = {
  /** Lines of a source file (README "Project standards"). */
  maxFileLines: 500,
  /** Lines inside a function body's braces, unless a why-comment explains the length. */
  maxFunctionLines: 80,
} as const;

/**
 * The constructors a class of ours might subclass instead of MinegateError. All of them, not just
 * Error: a class extending TypeError has no `code` either, and a caller cannot branch on it.
 * Throwing a plain `new TypeError(...)` / `new RangeError(...)` for a caller's programming mistake
 * stays allowed (style anchor 10); only subclassing is the breach.
 */
export const BUILTIN_ERRORS: ReadonlySet<string> = new Set([
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
]);

/** A first-line header comment with this tag marks a generated table (exempt from the file length). */
export const GENERATED_TAG = /^\s*\/\/\s*@generated\b/;

/** The words a comment must contain to excuse a long function: the reason, not just a description. */
export const WHY_LONG = /\bwhy long\b/i;

/** .ts files under `dirs` (relative to `root`, with / separators), sorted. */
export function sourceFiles(root: string, dirs: readonly string[] = SOURCE_DIRS): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        out.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  for (const d of dirs) walk(join(root, d));
  return out.sort();
}

export function readSource(root: string, file: string): string {
  return readFileSync(join(root, file), 'utf8');
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

function visit(node: ts.Node, fn: (n: ts.Node) => void): void {
  fn(node);
  ts.forEachChild(node, (child) => visit(child, fn));
}

export interface ErrorSubclass {
  file: string;
  line: number;
  name: string;
  base: string;
}

/** Classes (declarations and expressions) in `text` whose `extends` names a built-in error. */
export function builtinErrorSubclasses(file: string, text: string): ErrorSubclass[] {
  const sf = parse(file, text);
  const found: ErrorSubclass[] = [];
  visit(sf, (node) => {
    if (!ts.isClassDeclaration(node) && !ts.isClassExpression(node)) return;
    const heritage = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
    const base = heritage?.types[0]?.expression;
    if (!base) return;
    // `extends Error` and `extends globalThis.Error` alike.
    const baseName = ts.isIdentifier(base) ? base.text : ts.isPropertyAccessExpression(base) && ts.isIdentifier(base.expression) && base.expression.text === 'globalThis' ? base.name.text : undefined;
    if (baseName === undefined || !BUILTIN_ERRORS.has(baseName)) return;
    found.push({ file, line: lineOf(sf, node.getStart(sf)), name: node.name?.text ?? '(anonymous)', base: baseName });
  });
  return found;
}

/** Line count of `text` as an editor shows it (a final newline does not start a line). */
export function lineCount(text: string): number {
  if (text === '') return 0;
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

export function isGenerated(text: string): boolean {
  return GENERATED_TAG.test(text.split('\n', 1)[0] ?? '');
}

export interface LongFunction {
  file: string;
  line: number;
  name: string;
  /** Lines inside the body's braces (an expression body: the lines it spans). */
  lines: number;
}

type FunctionNode = ts.FunctionLikeDeclaration & { body: ts.ConciseBody };

function isFunctionWithBody(node: ts.Node): node is FunctionNode {
  return (
    (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) &&
    node.body !== undefined
  );
}

function bodyLines(sf: ts.SourceFile, body: ts.ConciseBody): number {
  const first = lineOf(sf, body.getStart(sf));
  const last = lineOf(sf, body.getEnd());
  return ts.isBlock(body) ? Math.max(0, last - first - 1) : last - first + 1;
}

/** What a reader calls the function: its own name, or the variable / property / call it sits in. */
function nameOf(node: FunctionNode, sf: ts.SourceFile): string {
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText(sf);
  if (ts.isCallExpression(parent)) return `${parent.expression.getText(sf)}(… callback)`;
  return '(anonymous)';
}

/**
 * The comments that count as "directly above it or on its first line": the leading comments of
 * the function and of each enclosing node that starts on the same line (the `const x =` of an
 * arrow, the `export`, the call an arrow is passed to), and the comments right after the body's
 * opening brace (on its line or before the first statement).
 */
function commentsOf(node: FunctionNode, sf: ts.SourceFile): string[] {
  const text = sf.text;
  const ranges: ts.CommentRange[] = [];
  const startLine = lineOf(sf, node.getStart(sf));
  for (let n: ts.Node = node; n !== sf && lineOf(sf, n.getStart(sf)) === startLine; n = n.parent) {
    ranges.push(...(ts.getLeadingCommentRanges(text, n.getFullStart()) ?? []));
  }
  if (ts.isBlock(node.body)) {
    const afterBrace = node.body.getStart(sf) + 1;
    ranges.push(...(ts.getTrailingCommentRanges(text, afterBrace) ?? []));
    const first = node.body.statements[0];
    ranges.push(...(ts.getLeadingCommentRanges(text, first ? first.getFullStart() : afterBrace) ?? []));
  }
  return ranges.map((r) => text.slice(r.pos, r.end));
}

/** Function bodies in `text` longer than `max` lines with no why-long comment (see WHY_LONG). */
export function longFunctions(file: string, text: string, max: number = SHAPE_LIMITS.maxFunctionLines): LongFunction[] {
  const sf = parse(file, text);
  const found: LongFunction[] = [];
  visit(sf, (node) => {
    if (!isFunctionWithBody(node)) return;
    const lines = bodyLines(sf, node.body);
    if (lines <= max) return;
    if (commentsOf(node, sf).some((c) => WHY_LONG.test(c))) return;
    found.push({ file, line: lineOf(sf, node.getStart(sf)), name: nameOf(node, sf), lines });
  });
  return found;
}
