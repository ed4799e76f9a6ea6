// One record line: fields joined by ASCII `;`. The framing characters of the file (`;` between
// fields, `~` after records, `||` at the end) have no escape mechanism in MT/T 1201, so a field
// that contains one cannot be written at all: we refuse it rather than corrupt every field after it.
import { FormatError, type FormatErrorDetails } from '../../core/format-error.js';

/** Characters that would break the file's framing. The full-width `；` is listed because receivers treat it as an error. */
const SEPARATORS = /[;~|\r\n\uFF1B]/;
/** Other C0 controls and DEL: invisible, and some receivers drop or choke on them. */
const CONTROLS = /[\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F]/;
/** A lone surrogate cannot be encoded in UTF-8 or GB18030; encoders would silently substitute it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type FieldValue = string | number | null | undefined;

/** Throws FormatError unless `text` can be written inside one field. */
export function checkFieldText(text: string, where: FormatErrorDetails): void {
  const sep = SEPARATORS.exec(text);
  if (sep !== null) {
    throw new FormatError('separator-in-field', `contains ${describeChar(sep[0])}, a separator that cannot be escaped`, where);
  }
  const ctl = CONTROLS.exec(text);
  if (ctl !== null) throw new FormatError('bad-character', `contains control character ${describeChar(ctl[0])}`, where);
  if (LONE_SURROGATE.test(text)) throw new FormatError('bad-character', 'contains a lone UTF-16 surrogate', where);
}

export function describeChar(c: string): string {
  if (c === '\r') return 'CR';
  if (c === '\n') return 'LF';
  if (c === '\uFF1B') return "full-width '；'";
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`;
}

/**
 * A finite number in plain decimal notation, never exponent notation (1e-7 → "0.0000001",
 * 1e21 → "1000000000000000000000"). The digits are JavaScript's shortest round-trip form.
 */
export function plainNumber(n: number, where: FormatErrorDetails = {}): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new FormatError('bad-number', `${String(n)} is not a finite number`, where);
  }
  if (n === 0) return '0'; // also turns -0 into 0
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const sign = m[1] ?? '';
  const intPart = m[2] ?? '';
  const digits = intPart + (m[3] ?? '');
  const point = intPart.length + Number(m[4]);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Joins fields into one record line: `"a;b;;d"`. null/undefined become empty fields that keep
 * their semicolons; numbers are written in plain notation (callers that need a fixed number of
 * decimals pass a string, see columns.ts). Throws FormatError naming the field index.
 */
export function encodeRecord(fields: readonly FieldValue[]): string {
  if (!Array.isArray(fields)) throw new TypeError(`fields must be an array, got ${typeof fields}`);
  if (fields.length === 0) throw new FormatError('field-count', 'a record needs at least one field');
  const out: string[] = [];
  fields.forEach((value, field) => {
    if (value === null || value === undefined) out.push('');
    else if (typeof value === 'number') out.push(plainNumber(value, { field }));
    else if (typeof value === 'string') {
      checkFieldText(value, { field });
      out.push(value);
    } else {
      throw new FormatError('bad-field', `must be a string, number or null, got ${typeof value}`, { field });
    }
  });
  return out.join(';');
}
