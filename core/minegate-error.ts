// The one error pattern of minegate: every error class of ours extends MinegateError, so a caller
// (the CLI's exit path, the control socket, a log line, a test) can branch on `code` and point a
// technician at the `file` and `field` concerned, never parse the message, which is for people.
// Codes are each class's own string union; file/field are set only when the error names one.

export interface ErrorPlace {
  /** The file concerned (a config, a profile, a database, a drop file). */
  file?: string;
  /** The field, parameter or position concerned: a config path, a parameter name, a field index. */
  field?: string | number;
  cause?: unknown;
}

export class MinegateError<Code extends string = string> extends Error {
  // `declare`: the fields are set in the constructor only when given, so an error that names no
  // file has no `file` key at all (subclasses' own field declarations must not reset them).
  declare readonly code: Code;
  declare readonly file?: string;
  declare readonly field?: string | number;

  constructor(code: Code, message: string, place: ErrorPlace = {}) {
    super(message, place.cause === undefined ? undefined : { cause: place.cause });
    this.name = new.target.name;
    (this as { code: Code }).code = code;
    if (place.file !== undefined) (this as { file?: string }).file = place.file;
    if (place.field !== undefined) (this as { field?: string | number }).field = place.field;
  }
}

/** True when `err` is one of ours, optionally with the given code. */
export function isMinegateError(err: unknown, code?: string): err is MinegateError {
  return err instanceof MinegateError && (code === undefined || err.code === code);
}
