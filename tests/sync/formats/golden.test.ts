// Typed records → bytes identical to the hand-written golden files, and back.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MT1201_TYPES, RECORD_TYPES, encodeFile, parseFile, type Mt1201Type } from '../../../sync/formats/mt1201-file.js';
import { MINE_CODE, SAMPLES, UPLOAD, headerFor } from './samples.js';

const GOLDEN = fileURLToPath(new URL('../../../sync/formats/golden/', import.meta.url));
const goldenName = (type: Mt1201Type): string => `${MINE_CODE}_${type}_20240315083000.txt`;
const golden = (type: Mt1201Type, sub = ''): Buffer => readFileSync(`${GOLDEN}${sub}${goldenName(type)}`);

function encodeSample(type: Mt1201Type, encoding?: 'utf-8' | 'gb18030') {
  const def = RECORD_TYPES[type];
  return encodeFile(type, headerFor(type), SAMPLES[type].map((r) => def.encode(r)), encoding ? { encoding } : {});
}

describe('golden files', () => {
  it('exist for every record type and nothing else', () => {
    const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.txt')).sort();
    expect(files).toEqual(MT1201_TYPES.map(goldenName).sort());
    expect(MT1201_TYPES).toHaveLength(15);
  });

  describe.each(MT1201_TYPES)('%s', (type) => {
    it('typed records encode to the golden file byte for byte, with the golden name', () => {
      const out = encodeSample(type);
      const expected = golden(type);
      expect(out.text).toBe(expected.toString('utf8')); // readable diff first
      expect(out.bytes.equals(expected)).toBe(true);
      expect(out.name).toBe(goldenName(type));
    });

    it('parses back to the same fields (round trip)', () => {
      const def = RECORD_TYPES[type];
      const parsed = parseFile(goldenName(type), golden(type));
      expect(parsed.type).toBe(type);
      expect(parsed.mineCode).toBe(MINE_CODE);
      expect(parsed.fileTime).toBe('20240315083000');
      const h = headerFor(type);
      expect(parsed.header).toEqual([h.mineCode, h.mineName, ...(h.extra ?? []), '2024-03-15 08:30:00']);
      expect(parsed.records).toEqual(SAMPLES[type].map((r) => def.fields(r).map((f) => (f === null ? '' : String(f)))));
      // and re-encoding the parsed lines gives the same bytes
      const again = encodeFile(type, h, parsed.records.map((fields) => fields.join(';')));
      expect(again.bytes.equals(golden(type))).toBe(true);
    });
  });

  it('GB18030 option matches the iconv-converted golden file and parses to the same records', () => {
    const out = encodeSample('CDSS', 'gb18030');
    const expected = golden('CDSS', 'gb18030/');
    expect(out.bytes.equals(expected)).toBe(true);
    expect(out.bytes.equals(golden('CDSS'))).toBe(false); // really a different encoding
    const fromGb = parseFile(goldenName('CDSS'), expected, { encoding: 'gb18030' });
    const fromUtf8 = parseFile(goldenName('CDSS'), golden('CDSS'));
    expect(fromGb).toEqual(fromUtf8);
    expect(fromGb.records[0]?.[1]).toBe('环境瓦斯');
  });

  it('a GB18030 file read as UTF-8 is refused, not turned into mojibake', () => {
    expect(() => parseFile(goldenName('CDSS'), golden('CDSS', 'gb18030/'))).toThrowError(
      expect.objectContaining({ code: 'bad-encoding', file: goldenName('CDSS') }),
    );
  });

  it('an empty snapshot is a header and the terminator', () => {
    const out = encodeFile('RYSS', headerFor('RYSS'), []);
    expect(out.text).toBe('140121000001;示范煤矿;2024-03-15 08:30:00~||');
    expect(parseFile(out.name, out.bytes).records).toEqual([]);
    expect(UPLOAD).toBe(Date.UTC(2024, 2, 15, 0, 30, 0));
  });
});
