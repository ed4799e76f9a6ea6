// Typed errors of the safety engine: callers (CLI, upstream command handler) branch on `code`.
import { MinegateError } from '../../core/minegate-error.js';

export type SafetyCommandErrorCode =
  | 'UNKNOWN_TARGET'
  | 'UNKNOWN_AUTHORITY'
  | 'WRONG_AUTHORITY'
  | 'UNKNOWN_COMMAND'
  | 'DUPLICATE_COMMAND'
  | 'INVALID_COMMAND'
  | 'NOT_AUTHORISED'
  | 'NOT_LOCKED'
  | 'LOCK_CONDITION_ACTIVE';

/** A remote cut, release, unlock or acknowledge that the engine refused. Nothing changed. */
export class SafetyCommandError extends MinegateError<SafetyCommandErrorCode> {
  override readonly name = 'SafetyCommandError';
  constructor(
    code: SafetyCommandErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export interface SafetyProblem {
  /** Config path, e.g. ['points', 0, 'thresholds', 'cutoff']. */
  path: readonly (string | number)[];
  message: string;
}

/** The safety part of a config is inconsistent; the engine refuses to start rather than guess. */
export class SafetyConfigError extends MinegateError<'SAFETY_CONFIG_INVALID'> {
  override readonly name = 'SafetyConfigError';
  constructor(readonly problems: readonly SafetyProblem[]) {
    super(
      'SAFETY_CONFIG_INVALID',
      `invalid safety config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${formatProblemPath(p.path)}: ${p.message}`).join('\n'),
    );
  }
}

export function formatProblemPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}
