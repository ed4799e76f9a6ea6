// Everything that must be refused, with the position a technician needs to find it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FormatError,
  RECORD_TYPES,
  encodeFile,
  encodeRecord,
  parseFile,
} from '../../../sync/formats/mt1201-file.js';
import { CDSS, RYSS } from '../../../sync/formats/records/index.js';
import { headerFor, SAMPLES } from './samples.js';

const GOLDEN = fileURLToPath(new URL('../../../sync/formats/golden/', import.meta.url));
const CDSS_NAME = '140121000001_CDSS_20240315083000.txt';
const cdssText = readFileSync(GOLDEN + CDSS_NAME, 'utf8');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Runs fn and returns the FormatError it throws (fails the test if it throws anything else or nothing). */
function formatErrorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

describe('encodeRecord', () => {
  it('keeps the semicolons of empty fields, including leading and trailing ones', () => {
    expect(encodeRecord(['a', 'b', null, 'd'])).toBe('a;b;;d');
    expect(encodeRecord([undefined, 'x', ''])).toBe(';x;');
  });

  it('writes numbers in plain notation, never with an exponent', () => {
    expect(encodeRecord([1e-7, 1e21, -0, 0.1 + 0.2, -2.5e-8, 123])).toBe(
      '0.0000001;1000000000000000000000;0;0.30000000000000004;-0.000000025;123',
    );
  });

  it.each([
    [';', 'separator-in-field'],
    ['~', 'separator-in-field'],
    ['|', 'separator-in-field'],
    ['\r', 'separator-in-field'],
    ['\n', 'separator-in-field'],
    ['\uFF1B', 'separator-in-field'],
    ['\t', 'bad-character'],
    ['\u0000', 'bad-character'],
    ['\uD800', 'bad-character'],
  ])('refuses %j inside a field and names the field index', (ch, code) => {
    const err = formatErrorOf(() => encodeRecord(['ok', 'also ok', `bad${ch}value`]));
    expect(err.code).toBe(code);
    expect(err.field).toBe(2);
    expect(err.message).toContain('field 2');
  });

  it.each([NaN, Infinity, -Infinity])('refuses %s', (n) => {
    const err = formatErrorOf(() => encodeRecord(['x', n]));
    expect(err).toMatchObject({ code: 'bad-number', field: 1 });
  });
});

describe('typed record encoding', () => {
  const cdss = SAMPLES.CDSS[0] as Parameters<typeof CDSS.encode>[0];

  it('names the field (index and spec name) of a non-finite measured value', () => {
    const err = formatErrorOf(() => CDSS.encode({ ...cdss, value: NaN }));
    expect(err).toMatchObject({ code: 'bad-number', type: 'CDSS', field: 3, fieldName: '监测值' });
    expect(err.message).toContain('监测值');
  });

  it('refuses a missing required field and a code of the wrong shape', () => {
    expect(formatErrorOf(() => CDSS.encode({ ...cdss, location: '' }))).toMatchObject({ code: 'bad-field', field: 2 });
    expect(formatErrorOf(() => CDSS.encode({ ...cdss, status: 256 }))).toMatchObject({ code: 'bad-field', field: 5 });
    const ryss = SAMPLES.RYSS[0] as Parameters<typeof RYSS.encode>[0];
    expect(formatErrorOf(() => RYSS.encode({ ...ryss, cardCode: '1234' }))).toMatchObject({ code: 'bad-field', field: 0 });
    expect(formatErrorOf(() => RYSS.encode({ ...ryss, entryTime: Number.NaN }))).toMatchObject({ code: 'bad-time', field: 3 });
  });

  it('refuses a full-width semicolon typed into a location', () => {
    const err = formatErrorOf(() => CDSS.encode({ ...cdss, location: '1201掘进；T1' }));
    expect(err).toMatchObject({ code: 'separator-in-field', field: 2, fieldName: '安装位置' });
  });

  it('writes tiny negative values as 0.00, not -0.00', () => {
    expect(CDSS.fields({ ...cdss, value: -0.001 })[3]).toBe('0.00');
  });
});

describe('encodeFile', () => {
  const line = CDSS.encode(SAMPLES.CDSS[0] as Parameters<typeof CDSS.encode>[0]);

  it.each(['14012100001', '1401210000011', 'abcdefghijkl', ''])('refuses mine code %j', (mineCode) => {
    const err = formatErrorOf(() => encodeFile('CDSS', { ...headerFor('CDSS'), mineCode }, [line]));
    expect(err.code).toBe('bad-mine-code');
  });

  it('refuses separators in the mine name', () => {
    const err = formatErrorOf(() => encodeFile('CDSS', { ...headerFor('CDSS'), mineName: '示范;煤矿' }, [line]));
    expect(err).toMatchObject({ code: 'separator-in-field', header: true, field: 1 });
  });

  it('insists on the extended header for definition files and the short one for data files', () => {
    expect(formatErrorOf(() => encodeFile('RYXX', { ...headerFor('CDSS') }, []))).toMatchObject({ code: 'bad-header' });
    expect(formatErrorOf(() => encodeFile('CDSS', { ...headerFor('CDDY') }, [line]))).toMatchObject({ code: 'bad-header' });
  });

  it('refuses a hand-made line with the wrong field count or a record separator inside', () => {
    expect(formatErrorOf(() => encodeFile('CDSS', headerFor('CDSS'), [line, 'a;b;c']))).toMatchObject({
      code: 'field-count',
      record: 1,
    });
    expect(formatErrorOf(() => encodeFile('CDSS', headerFor('CDSS'), [line.replace('环境瓦斯', '环境~瓦斯')]))).toMatchObject({
      code: 'separator-in-field',
      record: 0,
      field: 1,
    });
  });

  it('rejects an unknown type and a bad encoding option', () => {
    expect(formatErrorOf(() => encodeFile('XXXX' as 'CDSS', headerFor('CDSS'), []))).toMatchObject({ code: 'unknown-type' });
    expect(() => encodeFile('CDSS', headerFor('CDSS'), [], { encoding: 'latin1' as 'utf-8' })).toThrow(TypeError);
  });
});

describe('parseFile', () => {
  const err = (text: string | Buffer, name = CDSS_NAME) =>
    formatErrorOf(() => parseFile(name, typeof text === 'string' ? utf8(text) : text));

  it('refuses a file without the || terminator (truncated or still being written)', () => {
    expect(err(cdssText.slice(0, -2))).toMatchObject({ code: 'missing-terminator', file: CDSS_NAME });
    expect(err(cdssText.slice(0, 120))).toMatchObject({ code: 'missing-terminator' });
    expect(err('')).toMatchObject({ code: 'missing-terminator' });
  });

  it('refuses text after the terminator and an unterminated last record', () => {
    expect(err(`${cdssText}\n`)).toMatchObject({ code: 'bad-file' });
    expect(err(cdssText.replace('~||', '||'))).toMatchObject({ code: 'bad-file' });
  });

  it('names record and field of a full-width semicolon', () => {
    const bad = cdssText.replace('1201掘进回风流T2;1.23', '1201掘进回风流T2；1.23');
    const e = err(bad);
    expect(e).toMatchObject({ code: 'full-width-separator', record: 1, field: 2, file: CDSS_NAME });
    expect(e.message).toContain(CDSS_NAME);
    expect(e.message).toContain('record 1');
  });

  it('checks the field count of every record against its type', () => {
    const bad = cdssText.replace(';%CH4;3;', ';3;'); // record 1 loses its unit
    expect(err(bad)).toMatchObject({ code: 'field-count', record: 1 });
    // the same 7-field records under a TJSJ name: wrong count for TJSJ
    expect(err(cdssText, '140121000001_TJSJ_20240315083000.txt')).toMatchObject({
      code: 'field-count',
      record: 0,
      type: 'TJSJ',
    });
  });

  it('checks the header field count per type (RYXX has the 8-field header)', () => {
    const e = err('140121000001;示范煤矿;2024-03-15 08:30:00~||', '140121000001_RYXX_20240315083000.txt');
    expect(e).toMatchObject({ code: 'field-count', header: true });
    expect(e.message).toContain('核定下井人数');
  });

  it('refuses a header mine code that differs from the file name', () => {
    expect(err(cdssText.replace(/^140121000001/, '140121000002'))).toMatchObject({ code: 'mine-code-mismatch', header: true });
  });

  it('refuses bad names: pattern, unknown type, impossible time stamp', () => {
    expect(err(cdssText, '14012100000_CDSS_20240315083000.txt')).toMatchObject({ code: 'bad-file-name' });
    expect(err(cdssText, '140121000001_CDSS_20240315083000.TXT')).toMatchObject({ code: 'bad-file-name' });
    expect(err(cdssText, '140121000001_ABCD_20240315083000.txt')).toMatchObject({ code: 'unknown-type' });
    expect(err(cdssText, '140121000001_CDSS_20240230083000.txt')).toMatchObject({ code: 'bad-file-name' });
  });

  it('refuses an impossible time in a record and names its field', () => {
    expect(err(cdssText.replace('0;2024-03-15 08:29:50~S01A02', '0;2024-03-15 24:29:50~S01A02'))).toMatchObject({
      code: 'bad-time',
      record: 0,
      field: 6,
    });
  });

  it('refuses a byte-order mark and invalid UTF-8', () => {
    expect(err(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(cdssText)]))).toMatchObject({ code: 'bad-encoding' });
    expect(err(Buffer.concat([utf8(cdssText.slice(0, 30)), Buffer.from([0xff, 0xfe]), utf8(cdssText.slice(30))]))).toMatchObject({
      code: 'bad-encoding',
    });
  });

  it('refuses a line break inside the body', () => {
    expect(err(cdssText.replace('~S01A02', '~\r\nS01A02'))).toMatchObject({ code: 'bad-character', record: 1, field: 0 });
  });

  it('accepts a path and checks only its base name', () => {
    expect(parseFile(`/var/drop/aqjk/${CDSS_NAME}`, utf8(cdssText)).records).toHaveLength(4);
  });

  it('registry keys match each definition\'s type', () => {
    for (const [type, def] of Object.entries(RECORD_TYPES)) {
      expect(def.type).toBe(type);
      expect(def.columns.length).toBeGreaterThan(0);
    }
  });
});
