// How a record type is described: its columns in the spec's order, each with a kind that decides
// how a value is written (fixed decimals, mine-time timestamps) and how a parsed field is checked.
// One description drives encoding, field counts and parse validation, so they cannot disagree.
import { FormatError, type FormatErrorDetails } from '../../core/format-error.js';
import { MINE_TZ_OFFSET_MINUTES, formatTime, parseTime } from '../../core/mine-time.js';
import { checkFieldText, encodeRecord } from './record-line.js';

export type Mt1201Type =
  | 'CDDY'
  | 'CDSS'
  | 'YCBJ'
  | 'FZDY'
  | 'FZSS'
  | 'TJSJ'
  | 'RYQY'
  | 'RYJZ'
  | 'RYXX'
  | 'RYSS'
  | 'JZSS'
  | 'RYCS'
  | 'RYCY'
  | 'RYXZ'
  | 'RYQJ';

/** Which drop directory family a type belongs to: safety monitoring (安全监控) or personnel positioning (人员定位). */
export type Mt1201System = 'aqjk' | 'rydw';

/**
 * Header kinds. Data files: `煤矿编码;矿井名称;数据上传时间`. Definition files carry extra fields
 * between the mine name and the upload time (domain.md §5.1), named here in order.
 */
export type HeaderDef = { kind: 'data' } | { kind: 'definition'; extra: readonly string[] };
export const DATA_HEADER: HeaderDef = { kind: 'data' };

/** One hop of a personnel track (RYSS 轨迹): written `<station code>&<time>`, hops comma-joined. */
export interface TrackPoint {
  stationCode: string;
  /** ms epoch */
  time: number;
}

interface ColumnBase {
  /** Field name as in the spec (Chinese), used in error messages. */
  name: string;
  /** An empty value is an error when true. */
  required: boolean;
}
/** Free text; optional pattern for codes. */
export interface TextColumn extends ColumnBase {
  kind: 'text';
  pattern?: RegExp;
}
/** ms epoch in, `yyyy-MM-dd HH:mm:ss` mine time out. */
export interface TimeColumn extends ColumnBase {
  kind: 'time';
}
/** Number written with exactly `decimals` decimals. */
export interface DecimalColumn extends ColumnBase {
  kind: 'decimal';
  decimals: number;
}
/** Safe integer, optional inclusive bounds. */
export interface IntegerColumn extends ColumnBase {
  kind: 'integer';
  min?: number;
  max?: number;
}
/** One of a fixed set of codes. */
export interface EnumColumn extends ColumnBase {
  kind: 'enum';
  values: readonly string[];
}
/** A measured value: a number is written with `decimals` decimals; a string (switch or multi-state text) verbatim. */
export interface MeasuredColumn extends ColumnBase {
  kind: 'measured';
  decimals: number;
}
/** A personnel track: TrackPoint[] written as `code&time,code&time`. */
export interface TrackColumn extends ColumnBase {
  kind: 'track';
  stationPattern: RegExp;
}
export type Column = TextColumn | TimeColumn | DecimalColumn | IntegerColumn | EnumColumn | MeasuredColumn | TrackColumn;

/** What a record type's `values` may hand over for one column. */
export type RawValue = string | number | null | undefined | readonly TrackPoint[];

export interface FieldOptions {
  /** Mine time offset for time fields; default +480 (Beijing). */
  tzOffsetMinutes?: number;
}

export interface RecordTypeDef<R> {
  readonly type: Mt1201Type;
  /** Spec name of the file type, e.g. 测点实时数据. */
  readonly title: string;
  readonly system: Mt1201System;
  readonly header: HeaderDef;
  readonly columns: readonly Column[];
  /** True when the field list is minegate's own definition, not taken from a published source. */
  readonly ourDefinition: boolean;
  /** The record's fields in the spec's order, formatted (strings, null = empty field). */
  fields(record: R, opts?: FieldOptions): (string | number | null)[];
  /** One record line, ready for encodeFile. */
  encode(record: R, opts?: FieldOptions): string;
}

export interface RecordTypeSpec<R> {
  type: Mt1201Type;
  title: string;
  system: Mt1201System;
  header: HeaderDef;
  columns: readonly Column[];
  ourDefinition?: boolean;
  /** The record's raw values in column order. */
  values(record: R): readonly RawValue[];
}

export function defineRecordType<R>(spec: RecordTypeSpec<R>): RecordTypeDef<R> {
  const { type, columns } = spec;
  // Error positions are the same for every record: built once, not per field per record (ingest
  // of a few hundred thousand records/s spends its time in allocation otherwise).
  const where: readonly FormatErrorDetails[] = columns.map((column, field) => Object.freeze({ type, field, fieldName: column.name }));
  const fields = (record: R, opts: FieldOptions = {}): (string | null)[] => {
    if (record === null || typeof record !== 'object') {
      throw new TypeError(`${type} record must be an object, got ${record === null ? 'null' : typeof record}`);
    }
    const tz = opts.tzOffsetMinutes ?? MINE_TZ_OFFSET_MINUTES;
    const raw = spec.values(record);
    if (raw.length !== columns.length) {
      // A programming error in a record file, not bad data.
      throw new Error(`${type}: values() returned ${raw.length} values for ${columns.length} columns`);
    }
    const out: (string | null)[] = new Array(columns.length);
    for (let field = 0; field < columns.length; field++) out[field] = formatColumn(columns[field]!, raw[field], tz, where[field]!);
    return out;
  };
  return Object.freeze({
    type,
    title: spec.title,
    system: spec.system,
    header: spec.header,
    columns,
    ourDefinition: spec.ourDefinition ?? false,
    fields,
    // fields() has checked and formatted every value (text against the separators, numbers and
    // times written by us), so the line is the join; encodeRecord would check each field again.
    encode: (record: R, opts?: FieldOptions) => joinFields(fields(record, opts)),
  });
}

// Column builders keep the record files short and readable.
type Opt = { required?: boolean };
export const text = (name: string, o: Opt & { pattern?: RegExp } = {}): TextColumn => ({
  kind: 'text',
  name,
  required: o.required ?? false,
  ...(o.pattern ? { pattern: o.pattern } : {}),
});
export const time = (name: string, o: Opt = {}): TimeColumn => ({ kind: 'time', name, required: o.required ?? false });
export const decimal = (name: string, decimals: number, o: Opt = {}): DecimalColumn => ({
  kind: 'decimal',
  name,
  decimals,
  required: o.required ?? false,
});
export const integer = (name: string, o: Opt & { min?: number; max?: number } = {}): IntegerColumn => ({
  kind: 'integer',
  name,
  required: o.required ?? false,
  ...(o.min !== undefined ? { min: o.min } : {}),
  ...(o.max !== undefined ? { max: o.max } : {}),
});
export const oneOf = (name: string, values: readonly string[], o: Opt = {}): EnumColumn => ({
  kind: 'enum',
  name,
  values,
  required: o.required ?? false,
});
export const measured = (name: string, decimals: number, o: Opt = {}): MeasuredColumn => ({
  kind: 'measured',
  name,
  decimals,
  required: o.required ?? false,
});
export const track = (name: string, stationPattern: RegExp): TrackColumn => ({ kind: 'track', name, stationPattern, required: false });

/** Largest magnitude toFixed() writes without exponent notation. */
const MAX_FIXED = 1e21;

function joinFields(fields: readonly (string | null)[]): string {
  if (fields.length === 0) return encodeRecord(fields); // its error for an empty record
  let line = fields[0] ?? '';
  for (let i = 1; i < fields.length; i++) line += `;${fields[i] ?? ''}`;
  return line;
}

/** The last text each column accepted (see formatColumn). */
const lastText = new WeakMap<Column, string>();

/** The last time formatted: a snapshot writes the same data time for every point. */
let lastTime: { ms: number; tz: number; text: string } | null = null;

function formatTimeCached(ms: number, tz: number): string {
  if (lastTime !== null && lastTime.ms === ms && lastTime.tz === tz) return lastTime.text;
  const text = formatTime(ms, tz);
  lastTime = { ms, tz, text };
  return text;
}

function fixed(value: number, decimals: number, where: FormatErrorDetails): string {
  if (!Number.isFinite(value) || Math.abs(value) >= MAX_FIXED) {
    throw new FormatError('bad-number', `${String(value)} cannot be written as a plain decimal`, where);
  }
  const s = value.toFixed(decimals);
  // toFixed keeps the sign of tiny negatives (-0.001 → "-0.00"); a file should say 0.
  return s.charCodeAt(0) === 45 && /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

function formatColumn(column: Column, value: RawValue, tz: number, where: FormatErrorDetails): string | null {
  if (value === null || value === undefined || value === '') {
    if (column.required) throw new FormatError('bad-field', 'is required', where);
    return null;
  }
  const wrongType = (expected: string): FormatError =>
    new FormatError('bad-field', `must be ${expected}, got ${Array.isArray(value) ? 'array' : typeof value}`, where);
  switch (column.kind) {
    case 'text': {
      if (typeof value !== 'string') throw wrongType('a string');
      // Snapshots repeat the same names and locations record after record: a text this column
      // accepted last time is accepted again without running the three checks.
      if (lastText.get(column) === value) return value;
      checkFieldText(value, where);
      if (column.pattern && !column.pattern.test(value)) {
        throw new FormatError('bad-field', `"${value}" does not match ${String(column.pattern)}`, where);
      }
      lastText.set(column, value);
      return value;
    }
    case 'time': {
      if (typeof value !== 'number') throw wrongType('a ms epoch number');
      try {
        return formatTimeCached(value, tz);
      } catch (err) {
        throw new FormatError('bad-time', (err as Error).message, where);
      }
    }
    case 'decimal': {
      if (typeof value !== 'number') throw wrongType('a number');
      return fixed(value, column.decimals, where);
    }
    case 'measured': {
      if (typeof value === 'number') return fixed(value, column.decimals, where);
      if (typeof value !== 'string') throw wrongType('a number or a state string');
      checkFieldText(value, where);
      return value;
    }
    case 'integer': {
      if (typeof value !== 'number') throw wrongType('an integer');
      if (!Number.isSafeInteger(value)) throw new FormatError('bad-number', `${String(value)} is not a safe integer`, where);
      checkRange(column, value, where);
      return String(value);
    }
    case 'enum': {
      if (typeof value !== 'string' && typeof value !== 'number') throw wrongType('a code');
      const code = String(value);
      if (!column.values.includes(code)) {
        throw new FormatError('bad-field', `"${code}" is not one of ${column.values.join(', ')}`, where);
      }
      return code;
    }
    case 'track': {
      if (!Array.isArray(value)) throw wrongType('an array of track points');
      const hops = value as readonly TrackPoint[];
      return hops
        .map((hop) => {
          if (typeof hop?.stationCode !== 'string' || !column.stationPattern.test(hop.stationCode)) {
            throw new FormatError('bad-field', `track station code "${String(hop?.stationCode)}" does not match ${String(column.stationPattern)}`, where);
          }
          let at: string;
          try {
            at = formatTime(hop.time, tz);
          } catch (err) {
            throw new FormatError('bad-time', `track: ${(err as Error).message}`, where);
          }
          return `${hop.stationCode}&${at}`;
        })
        .join(',') || null;
    }
  }
}

function checkRange(column: IntegerColumn, n: number, where: FormatErrorDetails): void {
  if ((column.min !== undefined && n < column.min) || (column.max !== undefined && n > column.max)) {
    throw new FormatError('bad-field', `${n} is outside ${column.min ?? '-∞'}..${column.max ?? '∞'}`, where);
  }
}

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;
const PLAIN_INTEGER = /^-?\d+$/;
const TRACK_HOP = /^(.+)&(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})$/;

/**
 * Checks one parsed field against its column (the reader's side of formatColumn). Decimals are
 * accepted with any number of places: the fixed places are our writing convention, not the spec's.
 */
export function checkParsedField(column: Column, value: string, where: FormatErrorDetails): void {
  if (value === '') {
    if (column.required) throw new FormatError('bad-field', 'is required but empty', where);
    return;
  }
  switch (column.kind) {
    case 'text':
      if (column.pattern && !column.pattern.test(value)) {
        throw new FormatError('bad-field', `"${value}" does not match ${String(column.pattern)}`, where);
      }
      return;
    case 'time':
      try {
        parseTime(value);
      } catch (err) {
        throw new FormatError('bad-time', (err as Error).message, where);
      }
      return;
    case 'decimal':
      if (!PLAIN_DECIMAL.test(value)) throw new FormatError('bad-number', `"${value}" is not a plain decimal number`, where);
      return;
    case 'measured':
      return; // a number or a switch/state text: both are legal
    case 'integer':
      if (!PLAIN_INTEGER.test(value)) throw new FormatError('bad-number', `"${value}" is not an integer`, where);
      checkRange(column, Number(value), where);
      return;
    case 'enum':
      if (!column.values.includes(value)) {
        throw new FormatError('bad-field', `"${value}" is not one of ${column.values.join(', ')}`, where);
      }
      return;
    case 'track':
      for (const hop of value.split(',')) {
        const m = TRACK_HOP.exec(hop);
        if (m === null || !column.stationPattern.test(m[1] ?? '')) {
          throw new FormatError('bad-field', `track hop "${hop}" is not <station code>&<yyyy-MM-dd HH:mm:ss>`, where);
        }
        try {
          parseTime(m[2] ?? '');
        } catch (err) {
          throw new FormatError('bad-time', `track: ${(err as Error).message}`, where);
        }
      }
      return;
  }
}
