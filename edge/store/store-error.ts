// Typed failures of the durable store. Callers branch on `code`, never on message text.
import { MinegateError } from '../../core/minegate-error.js';

export type StoreErrorCode =
  /** The file is not a SQLite database or fails quick_check; it is left exactly as found. */
  | 'corrupt'
  /** The file records a migration version this build does not know (written by newer code). */
  | 'schema-too-new'
  /** The file records a migration this build does not have, below the newest it knows. */
  | 'schema-mismatch'
  /** A read-only open found migrations that the gateway has not applied yet. */
  | 'schema-outdated'
  /** A migration threw; its transaction was rolled back and the file keeps the previous version. */
  | 'migration-failed'
  /** The file could not be opened at all (missing for a read-only open, permissions, I/O). */
  | 'open-failed';

export class StoreError extends MinegateError<StoreErrorCode> {
  /** The database file concerned, so a technician knows which file to look at (always named). */
  declare readonly file: string;
  /** The migration component concerned, when the error is about one. */
  readonly component: string | undefined;

  constructor(
    code: StoreErrorCode,
    file: string,
    message: string,
    options?: { cause?: unknown; component?: string },
  ) {
    super(code, message, { file, cause: options?.cause });
    this.name = 'StoreError';
    this.component = options?.component;
  }
}
