// Typed failures of operator accounts and authorisation. Callers (CLI commands) branch on `code`.
import { MinegateError } from '../../core/minegate-error.js';

/**
 * - no-operators:       no account exists yet; the first one must be created (a safety officer).
 * - bad-credentials:    unknown user or wrong password (deliberately the same code: no user probing).
 * - insufficient-role:  the operator is known but may not do this.
 * - password-missing:   no password given (MINEGATE_PASSWORD unset and stdin is not a terminal).
 * - invalid-name:       user name does not match the allowed pattern.
 * - invalid-password:   new password too short or too long.
 * - invalid-role:       role is not viewer, technician or safety-officer.
 * - exists:             an account with that name exists.
 * - unknown-user:       the account to change or remove does not exist (the caller is already authorised).
 * - first-must-be-safety-officer: the first account decides who may add the others.
 * - last-safety-officer: removing or demoting it would leave nobody able to manage accounts.
 * - store-unreadable:   operators.json is corrupt, unreadable or has unsafe permissions.
 * - store-busy:         another process holds the operators lock for too long.
 */
export type OperatorErrorCode =
  | 'no-operators'
  | 'bad-credentials'
  | 'insufficient-role'
  | 'password-missing'
  | 'invalid-name'
  | 'invalid-password'
  | 'invalid-role'
  | 'exists'
  | 'unknown-user'
  | 'first-must-be-safety-officer'
  | 'last-safety-officer'
  | 'store-unreadable'
  | 'store-busy';

export class OperatorError extends MinegateError<OperatorErrorCode> {
  constructor(
    code: OperatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, { cause: options?.cause });
    this.name = 'OperatorError';
  }
}
