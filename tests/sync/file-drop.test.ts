// File drop for the FTP/SFTP networking host: complete files only, nothing ever replaced.
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DropFileError, bumpedName, removeStaleDropTemps, writeDropFile } from '../../sync/file-drop.js';
import { CDSS } from '../../sync/formats/records/index.js';
import { encodeFile, parseFile } from '../../sync/formats/mt1201-file.js';

const NAME = '140121000001_CDSS_20240315083000.txt';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'minegate-drop-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('writeDropFile', () => {
  it('creates the directory and leaves exactly the complete file, no temp file', async () => {
    const dir = path.join(root, 'aqjk', '140121000001');
    const written = await writeDropFile(dir, { name: NAME, bytes: bytes('hello~||') });
    expect(written).toBe(path.join(dir, NAME));
    expect(await readFile(written, 'utf8')).toBe('hello~||');
    expect(await readdir(dir)).toEqual([NAME]);
  });

  it('never overwrites: a second file of the same second takes the next second in its name', async () => {
    const first = await writeDropFile(root, { name: NAME, bytes: bytes('first') });
    const second = await writeDropFile(root, { name: NAME, bytes: bytes('second') });
    const third = await writeDropFile(root, { name: NAME, bytes: bytes('third') });
    expect(path.basename(second)).toBe('140121000001_CDSS_20240315083001.txt');
    expect(path.basename(third)).toBe('140121000001_CDSS_20240315083002.txt');
    expect(await readFile(first, 'utf8')).toBe('first');
    expect(await readFile(second, 'utf8')).toBe('second');
    expect((await readdir(root)).sort()).toEqual([path.basename(first), path.basename(second), path.basename(third)]);
  });

  it('bumps across minute, day and leap-day boundaries in calendar time', () => {
    expect(bumpedName('140121000001_CDSS_20240315235959.txt', 1)).toBe('140121000001_CDSS_20240316000000.txt');
    expect(bumpedName('140121000001_RYSS_20240228235959.txt', 1)).toBe('140121000001_RYSS_20240229000000.txt');
  });

  it('gives concurrent writers of the same name distinct files with intact contents', async () => {
    const contents = Array.from({ length: 8 }, (_, i) => `file ${i} `.repeat(500));
    const paths = await Promise.all(contents.map((c) => writeDropFile(root, { name: NAME, bytes: bytes(c) })));
    expect(new Set(paths).size).toBe(8);
    const found = await Promise.all(paths.map((p) => readFile(p, 'utf8')));
    expect(found.sort()).toEqual([...contents].sort());
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('fails with name-exhausted (and leaves the existing files alone) when every allowed name is taken', async () => {
    for (let s = 0; s <= 2; s++) await writeFile(path.join(root, bumpedName(NAME, s)), `old ${s}`);
    const err = await writeDropFile(root, { name: NAME, bytes: bytes('new') }, { maxBumpSeconds: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DropFileError);
    expect(err).toMatchObject({ code: 'name-exhausted' });
    const files = (await readdir(root)).sort();
    expect(files).toHaveLength(3);
    expect(await readFile(path.join(root, NAME), 'utf8')).toBe('old 0');
  });

  it('refuses names that are not MT/T 1201 names, including path tricks', async () => {
    for (const name of ['../140121000001_CDSS_20240315083000.txt', 'report.txt', '140121000001_CDSS_20241315083000.txt']) {
      await expect(writeDropFile(root, { name, bytes: bytes('x') })).rejects.toMatchObject({ code: 'bad-name' });
    }
    await expect(writeDropFile(root, { name: NAME, bytes: 'x' as unknown as Buffer })).rejects.toThrow(TypeError);
    await expect(writeDropFile('', { name: NAME, bytes: bytes('x') })).rejects.toThrow(TypeError);
    await expect(writeDropFile(root, { name: NAME, bytes: bytes('x') }, { maxBumpSeconds: -1 })).rejects.toThrow(TypeError);
    expect(await readdir(root)).toEqual([]);
  });

  it('reports write-failed with the system error when the directory cannot exist', async () => {
    const blocker = path.join(root, 'not-a-dir');
    await writeFile(blocker, 'x');
    const err = await writeDropFile(path.join(blocker, 'aqjk'), { name: NAME, bytes: bytes('x') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'write-failed' });
    expect((err as DropFileError).cause).toMatchObject({ code: 'ENOTDIR' });
  });

  it('falls back to check-then-rename on a filesystem without hard links, still without overwriting', async () => {
    // Unit-level: only link() is replaced, to fail the way FUSE/SMB mounts do.
    let refusedLinks = 0;
    vi.resetModules();
    vi.doMock('node:fs/promises', async (importOriginal) => {
      const real = await importOriginal<typeof import('node:fs/promises')>();
      return {
        ...real,
        link: async () => {
          refusedLinks += 1;
          throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
        },
      };
    });
    try {
      const { writeDropFile: write } = await import('../../sync/file-drop.js');
      const a = await write(root, { name: NAME, bytes: bytes('a') });
      const b = await write(root, { name: NAME, bytes: bytes('b') });
      expect(path.basename(b)).toBe(bumpedName(NAME, 1));
      expect(await readFile(a, 'utf8')).toBe('a');
      expect(await readFile(b, 'utf8')).toBe('b');
      expect((await readdir(root)).sort()).toEqual([NAME, bumpedName(NAME, 1)]);
      expect(refusedLinks).toBe(3); // the fallback really ran: a, then b twice (taken name, next name)
    } finally {
      vi.doUnmock('node:fs/promises');
      vi.resetModules();
    }
  });

  it('carries an encoded file unchanged to the drop directory', async () => {
    const line = CDSS.encode({
      pointCode: 'S01A01', sensorTypeName: '环境瓦斯', location: '1201掘进工作面T1', value: 0.52, unit: '%CH4', status: 0,
      dataTime: Date.UTC(2024, 2, 15, 0, 29, 50),
    });
    const file = encodeFile('CDSS', { mineCode: '140121000001', mineName: '示范煤矿', uploadTime: Date.UTC(2024, 2, 15, 0, 30) }, [line]);
    const written = await writeDropFile(root, file);
    const parsed = parseFile(written, await readFile(written));
    expect(parsed.records).toEqual([line.split(';')]);
  });
});

describe('removeStaleDropTemps', () => {
  it('removes temp files left by a crash once they are old, and nothing else', async () => {
    const stale = `.${NAME}.4242.a1b2c3.tmp`;
    const fresh = `.${NAME}.4243.d4e5f6.tmp`;
    for (const f of [stale, fresh, NAME, '.other-hidden']) await writeFile(path.join(root, f), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(path.join(root, stale), twoHoursAgo, twoHoursAgo);
    expect(await removeStaleDropTemps(root)).toEqual([stale]);
    expect((await readdir(root)).sort()).toEqual([fresh, '.other-hidden', NAME].sort());
    expect(await removeStaleDropTemps(path.join(root, 'missing'))).toEqual([]);
  });
});
