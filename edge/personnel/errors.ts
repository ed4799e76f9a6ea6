// Typed errors of the personnel engine: callers (CLI, board buttons, upstream commands) branch on `code`.
import { MinegateError } from '../../core/minegate-error.js';
import { formatProblemPath } from '../safety/errors.js';
import type { PersonnelProblem } from './config-checks.js';

export type PersonnelCommandErrorCode =
  /** An area id, card or tag the config does not know. */
  | 'UNKNOWN_AREA'
  | 'UNKNOWN_CARD'
  /** The operator is not in personnel.evacuation.operators, or no operator was named. */
  | 'NOT_AUTHORISED'
  /** Stand-down or acknowledgement while no evacuation covers the area. */
  | 'NO_EVACUATION'
  /** A card acknowledgement from someone who is not the area's responsible person. */
  | 'NOT_RESPONSIBLE'
  /** Clearing an alarm that is not open, or one that clears itself. */
  | 'NOT_CLEARABLE'
  | 'INVALID_COMMAND';

/** A command the engine refused. Nothing changed. */
export class PersonnelCommandError extends MinegateError<PersonnelCommandErrorCode> {
  override readonly name = 'PersonnelCommandError';
  constructor(code: PersonnelCommandErrorCode, message: string) {
    super(code, message);
  }
}

/** The personnel part of a config is inconsistent; the engine refuses to start rather than guess. */
export class PersonnelConfigError extends MinegateError<'PERSONNEL_CONFIG_INVALID'> {
  override readonly name = 'PersonnelConfigError';
  constructor(readonly problems: readonly PersonnelProblem[]) {
    super(
      'PERSONNEL_CONFIG_INVALID',
      `invalid personnel config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${formatProblemPath(p.path)}: ${p.message}`).join('\n'),
    );
  }
}
