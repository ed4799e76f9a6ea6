// MT/T 1201 text files (42号文 附件2 / MT/T 1201.x, domain.md §5.1):
//   name  <mine code>_<TYPE>_<yyyyMMddHHmmss>.txt
//   body  header~record~record~||     (no line breaks; `~` ends each segment, `||` ends the file)
// Fields are separated by ASCII `;`, empty fields keep their semicolons, times are mine time.
// Encoding is UTF-8 by default (what receivers implement); GB18030 on request (the 2016 standard).
import path from 'node:path';
import iconv from 'iconv-lite';
import { FormatError } from '../../core/format-error.js';
import { MINE_TZ_OFFSET_MINUTES, checkTzOffset, formatStamp, formatTime, parseStamp, parseTime } from '../../core/mine-time.js';
import { MINE_CODE } from './patterns.js';
import { checkFieldText, describeChar, encodeRecord } from './record-line.js';
import { checkParsedField, type Mt1201Type, type RecordTypeDef } from './record-type.js';
import { RECORD_TYPES, isMt1201Type } from './records/index.js';

export { FormatError, type FormatErrorCode } from '../../core/format-error.js';
export { encodeRecord, plainNumber } from './record-line.js';
export { formatTime, parseTime, MINE_TZ_OFFSET_MINUTES } from '../../core/mine-time.js';
export type { Mt1201Type, RecordTypeDef, HeaderDef, Column, TrackPoint } from './record-type.js';
export { RECORD_TYPES, MT1201_TYPES, isMt1201Type } from './records/index.js';

export type Mt1201Encoding = 'utf-8' | 'gb18030';

export interface Mt1201Header {
  /** 煤矿编码, 12 digits. */
  mineCode: string;
  /** 矿井名称 */
  mineName: string;
  /** 数据上传时间, ms epoch; also the time in the file name. */
  uploadTime: number;
  /** Definition files' extended header fields (e.g. RYXX 核定下井人数…安标有效期), between name and upload time. */
  extra?: string[];
}

export interface EncodeFileOptions {
  encoding?: Mt1201Encoding;
  /** Mine time offset; default +480 (Beijing). */
  tzOffsetMinutes?: number;
  /**
   * The record lines were all produced by this type's own `RecordTypeDef.encode` (which formats
   * and checks every field as it writes it): skip checking them a second time. The outbox's
   * national-format streams set it; lines from anywhere else must not. Default false.
   */
  linesFromEncoder?: boolean;
}

export interface ParsedFile {
  mineCode: string;
  type: Mt1201Type;
  /** The time stamp from the file name, exactly as written: yyyyMMddHHmmss (mine time). */
  fileTime: string;
  /** Header fields: mine code, mine name, [extended fields], upload time. */
  header: string[];
  /** Record fields as written, one array per record. */
  records: string[][];
}

/** `^(\d{12})_([A-Z]+)_(\d{14})\.txt$` — groups: mine code, type, time stamp. */
export const FILE_NAME_PATTERN = /^(\d{12})_([A-Z]+)_(\d{14})\.txt$/;

const RECORD_END = '~';
const FILE_END = '||';
const UTF8_BOM = [0xef, 0xbb, 0xbf];

function recordType(type: unknown, file?: string): RecordTypeDef<unknown> {
  if (!isMt1201Type(type)) {
    throw new FormatError('unknown-type', `unknown MT/T 1201 file type ${JSON.stringify(type)}`, file !== undefined ? { file } : {});
  }
  return RECORD_TYPES[type];
}

function checkMineCode(mineCode: unknown, where: { file?: string; header?: boolean; field?: number } = {}): string {
  if (typeof mineCode !== 'string' || !MINE_CODE.test(mineCode)) {
    throw new FormatError('bad-mine-code', `mine code must be 12 digits, got ${JSON.stringify(mineCode)}`, where);
  }
  return mineCode;
}

function checkEncoding(encoding: unknown): Mt1201Encoding {
  if (encoding !== 'utf-8' && encoding !== 'gb18030') {
    throw new TypeError(`encoding must be 'utf-8' or 'gb18030', got ${JSON.stringify(encoding)}`);
  }
  return encoding;
}

/** `<mine code>_<TYPE>_<yyyyMMddHHmmss>.txt`, time in mine time (default +08:00). */
export function fileName(mineCode: string, type: Mt1201Type, ms: number, tzOffsetMinutes: number = MINE_TZ_OFFSET_MINUTES): string {
  checkMineCode(mineCode);
  recordType(type);
  return `${mineCode}_${type}_${formatStamp(ms, tzOffsetMinutes)}.txt`;
}

/** Names of the header fields of a type, in order. */
export function headerFieldNames(type: Mt1201Type): string[] {
  const def = recordType(type);
  return ['煤矿编码', '矿井名称', ...(def.header.kind === 'definition' ? def.header.extra : []), '数据上传时间'];
}

/**
 * Builds a complete file from record lines (from `RECORD_TYPES[type].encode(record)` or
 * `encodeRecord`). Every line is checked against the type's columns, so a file this returns is
 * one parseFile accepts. Throws FormatError naming the record and field.
 */
export function encodeFile(
  type: Mt1201Type,
  header: Mt1201Header,
  recordLines: readonly string[],
  opts: EncodeFileOptions = {},
): { name: string; bytes: Buffer; text: string } {
  const def = recordType(type);
  const encoding = checkEncoding(opts.encoding ?? 'utf-8');
  const tz = checkTzOffset(opts.tzOffsetMinutes ?? MINE_TZ_OFFSET_MINUTES);
  if (header === null || typeof header !== 'object') throw new TypeError(`header must be an object, got ${String(header)}`);
  if (!Array.isArray(recordLines)) throw new TypeError(`recordLines must be an array, got ${typeof recordLines}`);

  const mineCode = checkMineCode(header.mineCode, { header: true, field: 0 });
  if (typeof header.mineName !== 'string' || header.mineName.trim() === '') {
    throw new FormatError('bad-field', `mine name must be a non-empty string, got ${JSON.stringify(header.mineName)}`, {
      type,
      header: true,
      field: 1,
      fieldName: '矿井名称',
    });
  }
  const extraNames = def.header.kind === 'definition' ? def.header.extra : [];
  const extra = header.extra ?? [];
  if (!Array.isArray(extra) || extra.length !== extraNames.length || !extra.every((e) => typeof e === 'string')) {
    throw new FormatError(
      'bad-header',
      extraNames.length === 0
        ? `${type} uses the 3-field data header; no extended header fields allowed`
        : `${type} needs ${extraNames.length} extended header strings (${extraNames.join(';')}), got ${JSON.stringify(extra)}`,
      { type, header: true },
    );
  }
  let headerLine: string;
  try {
    headerLine = encodeRecord([mineCode, header.mineName, ...extra, formatTime(header.uploadTime, tz)]);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    throw new FormatError(err.code, err.message, { type, header: true, ...(err.field !== undefined ? { field: err.field } : {}) });
  }

  // Lines from the type's own encoder were checked field by field as they were written; re-parsing
  // them doubled the cost of a batch (about 9 µs a record). Anything else is checked here.
  if (opts.linesFromEncoder !== true) recordLines.forEach((line, record) => {
    if (typeof line !== 'string') throw new FormatError('bad-file', `record line must be a string, got ${typeof line}`, { type, record });
    const fields = line.split(';');
    if (fields.length !== def.columns.length) {
      throw new FormatError('field-count', `has ${fields.length} fields, ${type} needs ${def.columns.length}`, { type, record });
    }
    fields.forEach((value, field) => {
      const column = def.columns[field]!;
      const where = { type, record, field, fieldName: column.name };
      checkFieldText(value, where);
      checkParsedField(column, value, where);
    });
  });

  // header~record~…~||, without a copy of the (up to 1000) lines.
  const text = `${headerLine}${RECORD_END}${recordLines.length > 0 ? recordLines.join(RECORD_END) + RECORD_END : ''}${FILE_END}`;
  const bytes = encoding === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gb18030');
  return { name: fileName(mineCode, type, header.uploadTime, tz), bytes, text };
}

function decode(bytes: Buffer, encoding: Mt1201Encoding, file: string): string {
  if (UTF8_BOM.every((b, i) => bytes[i] === b)) {
    throw new FormatError('bad-encoding', 'starts with a UTF-8 byte-order mark; files must not carry one', { file });
  }
  if (encoding === 'utf-8') {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new FormatError('bad-encoding', 'is not valid UTF-8 (a GB18030 file read as UTF-8?)', { file });
    }
  }
  const text = iconv.decode(bytes, 'gb18030', { stripBOM: false });
  // iconv-lite replaces undecodable bytes silently; a lossless round trip proves the bytes were valid.
  if (!iconv.encode(text, 'gb18030').equals(bytes)) {
    throw new FormatError('bad-encoding', 'is not valid GB18030', { file });
  }
  return text;
}

/**
 * Parses one file strictly: name pattern and known type, encoding, terminators, header field
 * count (3, or more for definition files), mine code matching the name, every record's field
 * count and column rules. `name` may be a path; only its base name is checked. Errors are
 * FormatError with `file` and, where it applies, `header`/`record`/`field`.
 */
export function parseFile(name: string, bytes: Buffer, opts: { encoding?: Mt1201Encoding } = {}): ParsedFile {
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${typeof name}`);
  if (!Buffer.isBuffer(bytes)) throw new TypeError('bytes must be a Buffer');
  const encoding = checkEncoding(opts.encoding ?? 'utf-8');
  const file = path.basename(name);

  const m = FILE_NAME_PATTERN.exec(file);
  if (m === null) {
    throw new FormatError('bad-file-name', 'name must be <12-digit mine code>_<TYPE>_<yyyyMMddHHmmss>.txt', { file });
  }
  const [, mineCode, typeName, fileTime] = m as unknown as [string, string, string, string];
  const def = recordType(typeName, file);
  const type = def.type;
  try {
    parseStamp(fileTime);
  } catch {
    throw new FormatError('bad-file-name', `time stamp ${fileTime} is not a calendar time`, { file });
  }

  const text = decode(bytes, encoding, file);
  if (text.length === 0) throw new FormatError('missing-terminator', 'is empty', { file });
  const endAt = text.indexOf(FILE_END);
  if (endAt === -1) throw new FormatError('missing-terminator', `does not end with "${FILE_END}" (truncated or still being written)`, { file });
  if (endAt !== text.length - FILE_END.length) {
    throw new FormatError('bad-file', `"${FILE_END}" at character ${endAt} is not at the end (${text.length - endAt - 2} characters follow)`, { file });
  }
  const body = text.slice(0, endAt);
  if (!body.endsWith(RECORD_END)) {
    throw new FormatError('bad-file', `the last ${body.includes(RECORD_END) ? 'record' : 'segment (header)'} is not ended by "~"`, { file });
  }
  const segments = body.slice(0, -RECORD_END.length).split(RECORD_END);

  const split = (segment: string, where: { header?: boolean; record?: number }): string[] => {
    const fields = segment.split(';');
    fields.forEach((value, field) => {
      const bad = /[\uFF1B|\r\n\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F]/.exec(value);
      if (bad === null) return;
      const code = bad[0] === '\uFF1B' ? 'full-width-separator' : bad[0] === '|' ? 'separator-in-field' : 'bad-character';
      throw new FormatError(code, `contains ${describeChar(bad[0])}`, { file, type, ...where, field });
    });
    return fields;
  };

  const header = split(segments[0] ?? '', { header: true });
  const expectedHeader = headerFieldNames(type);
  if (header.length !== expectedHeader.length) {
    throw new FormatError(
      'field-count',
      `has ${header.length} fields, ${type} expects ${expectedHeader.length} (${expectedHeader.join(';')})`,
      { file, type, header: true },
    );
  }
  checkMineCode(header[0], { file, header: true, field: 0 });
  if (header[0] !== mineCode) {
    throw new FormatError('mine-code-mismatch', `mine code ${header[0]} differs from ${mineCode} in the file name`, {
      file,
      header: true,
      field: 0,
    });
  }
  const uploadField = header.length - 1;
  try {
    parseTime(header[uploadField] ?? '');
  } catch (err) {
    throw new FormatError('bad-time', `upload time: ${(err as Error).message}`, { file, header: true, field: uploadField });
  }

  const records = segments.slice(1).map((segment, record) => {
    const fields = split(segment, { record });
    if (fields.length !== def.columns.length) {
      throw new FormatError('field-count', `has ${fields.length} fields, ${type} needs ${def.columns.length}`, { file, type, record });
    }
    fields.forEach((value, field) => {
      const column = def.columns[field]!;
      checkParsedField(column, value, { file, type, record, field, fieldName: column.name });
    });
    return fields;
  });

  return { mineCode, type, fileTime, header, records };
}
