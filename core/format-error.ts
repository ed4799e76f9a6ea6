// The one error type of the MT/T 1201 text formats. Callers branch on `code` and the position
// fields, never on the message text, which is for the technician reading a log.
import { MinegateError } from './minegate-error.js';

export type FormatErrorCode =
  /** A field holds `;` `~` `|` CR, LF or the full-width `；`, which would break the file's framing. */
  | 'separator-in-field'
  /** A field holds another control character or a lone UTF-16 surrogate (would not survive encoding). */
  | 'bad-character'
  /** A number is NaN, ±Infinity, too large to write without exponent notation, or not an integer where one is required. */
  | 'bad-number'
  /** A time is not a valid `yyyy-MM-dd HH:mm:ss` (or a ms epoch that cannot be written as one). */
  | 'bad-time'
  /** The mine code (煤矿编码) is not 12 digits. */
  | 'bad-mine-code'
  /** The mine code in the header differs from the one in the file name. */
  | 'mine-code-mismatch'
  /** A file name does not follow `<mine code>_<TYPE>_<yyyyMMddHHmmss>.txt`. */
  | 'bad-file-name'
  /** A record type this module does not know. */
  | 'unknown-type'
  /** The bytes are not valid in the declared encoding, or carry a byte-order mark. */
  | 'bad-encoding'
  /** The file does not end with the `||` terminator (truncated, or still being written). */
  | 'missing-terminator'
  /** A full-width semicolon `；` was found in a file being parsed. */
  | 'full-width-separator'
  /** A record (or the header) has the wrong number of fields for its type. */
  | 'field-count'
  /** A field value breaks its column's rule (required, pattern, enum, range). */
  | 'bad-field'
  /** The header's extended fields do not match the type's header kind. */
  | 'bad-header'
  /** Anything else structurally wrong with a file (empty, unterminated last record, text after `||`). */
  | 'bad-file';

export interface FormatErrorDetails {
  /** File name, when the error concerns a file. */
  file?: string;
  /** Record type, when known. */
  type?: string;
  /** 0-based index of the record among the records (the header is not counted); absent for the header. */
  record?: number;
  /** True when the error is in the header segment. */
  header?: boolean;
  /** 0-based index of the field within its record or header. */
  field?: number;
  /** The field's name from the spec (e.g. 监测值), when known. */
  fieldName?: string;
}

export class FormatError extends MinegateError<FormatErrorCode> {
  readonly type?: string;
  readonly record?: number;
  readonly header?: boolean;
  /** 0-based index of the field (the base's field, narrowed). */
  declare readonly field?: number;
  readonly fieldName?: string;

  constructor(code: FormatErrorCode, message: string, details: FormatErrorDetails = {}) {
    super(code, `${describePosition(details)}${message}`, { ...(details.file !== undefined ? { file: details.file } : {}), ...(details.field !== undefined ? { field: details.field } : {}) });
    this.name = 'FormatError';
    if (details.type !== undefined) this.type = details.type;
    if (details.record !== undefined) this.record = details.record;
    if (details.header !== undefined) this.header = details.header;
    if (details.fieldName !== undefined) this.fieldName = details.fieldName;
  }
}

function describePosition(d: FormatErrorDetails): string {
  const parts: string[] = [];
  if (d.file !== undefined) parts.push(d.file);
  else if (d.type !== undefined) parts.push(d.type);
  if (d.header) parts.push('header');
  if (d.record !== undefined) parts.push(`record ${d.record}`);
  if (d.field !== undefined) parts.push(`field ${d.field}${d.fieldName !== undefined ? ` (${d.fieldName})` : ''}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}
