// What a technician sees when a board config or profile is wrong: every problem at once, each
// pinned to file:line:column and the field path, so a fix never needs a second guess.
import { MinegateError } from './minegate-error.js';

/** One problem in a config or profile file. line/column are 1-based; 0 means "the file as a whole". */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Field path in the document, e.g. `devices[2].bus`; `(root)` for the whole document. */
  path: string;
  message: string;
}

/** `file:line:col path: message`, the form editors and terminals turn into a link. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column} ${issue.path}: ${issue.message}`;
}

/** Issues in reading order: by file, then line, then column (stable for equal positions). */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
}

/** A config that must not be used. `issues` holds all problems found, never just the first. */
export class ConfigError extends MinegateError<'CONFIG_INVALID'> {
  readonly issues: ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    if (issues.length === 0) throw new TypeError('ConfigError needs at least one issue');
    const sorted = sortIssues(issues);
    super('CONFIG_INVALID', sorted.map(formatIssue).join('\n'), { file: sorted[0]!.file, field: sorted[0]!.path });
    this.name = 'ConfigError';
    this.issues = sorted;
  }
}

/** Dotted/bracketed form of a document path: ['devices', 2, 'bus'] → `devices[2].bus`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}
