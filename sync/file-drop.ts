// Drops finished MT/T 1201 files into a directory that an existing networking host picks up and
// sends on by FTP/SFTP. The host must never see a half-written file and an earlier file must
// never be replaced by a later one, so:
//   1. write to a hidden temp name in the same directory (`.<name>.<pid>.<random>.tmp`; hidden
//      so pickup scripts skip it, same directory so the final step is atomic), fsync it;
//   2. hard-link it to the final name — link() fails with EEXIST instead of replacing, unlike
//      rename(); then remove the temp name and fsync the directory.
// Name collision: the name carries the upload second, so a second file of the same type within
// one second takes the next free second in its *name* (…083000 → …083001, up to maxBumpSeconds).
// The header inside keeps the true upload time; receivers order and deduplicate by name.
// Filesystems without hard links (some network/FUSE mounts) fall back to check-then-rename,
// which can only race with another writer of the same name in the same instant.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { FILE_NAME_PATTERN } from './formats/mt1201-file.js';
import { formatStamp, parseStamp } from '../core/mine-time.js';
import { MinegateError } from '../core/minegate-error.js';

export type DropFileErrorCode =
  /** The name is not an MT/T 1201 file name. */
  | 'bad-name'
  /** The name and the next maxBumpSeconds names are all taken. */
  | 'name-exhausted'
  /** The filesystem refused (directory not creatable, disk full, …); `cause` has the system error. */
  | 'write-failed';

export class DropFileError extends MinegateError<DropFileErrorCode> {
  readonly path: string;

  constructor(code: DropFileErrorCode, message: string, filePath: string, cause?: unknown) {
    super(code, message, { file: filePath, cause });
    this.name = 'DropFileError';
    this.path = filePath;
  }
}

export interface DropFileOptions {
  /** How many later seconds to try when the name is taken. Default 60. */
  maxBumpSeconds?: number;
}

export const DROP_FILE_DEFAULTS: Required<DropFileOptions> = Object.freeze({ maxBumpSeconds: 60 });

const TEMP_SUFFIX = '.tmp';
const TEMP_PATTERN = /^\.(\d{12}_[A-Z]+_\d{14}\.txt)\.\d+\.[0-9a-f]+\.tmp$/;
/** Errors meaning "this filesystem has no hard links", not "the name is taken". */
const NO_HARDLINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** The MT/T 1201 name `seconds` later: same mine and type, time stamp advanced in calendar time. */
export function bumpedName(name: string, seconds: number): string {
  const m = FILE_NAME_PATTERN.exec(name);
  if (m === null) throw new DropFileError('bad-name', `${JSON.stringify(name)} is not an MT/T 1201 file name`, name);
  const [, mineCode, type, stamp] = m as unknown as [string, string, string, string];
  // Offset 0: plain calendar arithmetic on the digits, whatever zone they are in.
  return `${mineCode}_${type}_${formatStamp(parseStamp(stamp, 0) + seconds * 1000, 0)}.txt`;
}

/**
 * Writes `file` into `dir` atomically and durably without replacing anything; creates `dir`.
 * Resolves to the full path written, whose base name may be a later second than `file.name`.
 */
export async function writeDropFile(
  dir: string,
  file: { name: string; bytes: Buffer },
  options: DropFileOptions = {},
): Promise<string> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  if (file === null || typeof file !== 'object') throw new TypeError(`file must be { name, bytes }, got ${String(file)}`);
  if (!Buffer.isBuffer(file.bytes)) throw new TypeError('file.bytes must be a Buffer');
  const { maxBumpSeconds } = { ...DROP_FILE_DEFAULTS, ...options };
  if (!Number.isInteger(maxBumpSeconds) || maxBumpSeconds < 0 || maxBumpSeconds > 3600) {
    throw new TypeError(`maxBumpSeconds must be an integer 0..3600, got ${String(maxBumpSeconds)}`);
  }
  const name = file.name;
  if (typeof name !== 'string' || !FILE_NAME_PATTERN.test(name)) {
    throw new DropFileError('bad-name', `${JSON.stringify(name)} is not an MT/T 1201 file name (<mine>_<TYPE>_<yyyyMMddHHmmss>.txt)`, String(name));
  }
  try {
    parseStamp(name.slice(-18, -4), 0);
  } catch {
    throw new DropFileError('bad-name', `${name} carries an impossible time stamp`, name);
  }

  const fail = (err: unknown, at: string): DropFileError =>
    err instanceof DropFileError ? err : new DropFileError('write-failed', `cannot write ${at}: ${(err as Error).message}`, at, err);

  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fail(err, dir);
  }
  const temp = path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    await writeAndSync(temp, file.bytes);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw fail(err, temp);
  }

  let finalPath: string | null = null;
  try {
    for (let bump = 0; bump <= maxBumpSeconds && finalPath === null; bump++) {
      const candidate = path.join(dir, bumpedName(name, bump));
      if (await claim(temp, candidate)) finalPath = candidate;
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw fail(err, path.join(dir, name));
  }
  // After a link the temp name is a second name of the same file; after a rename it is already gone.
  await unlink(temp).catch(() => undefined);
  if (finalPath === null) {
    throw new DropFileError(
      'name-exhausted',
      `${name} and the next ${maxBumpSeconds} seconds' names are all taken in ${dir}`,
      path.join(dir, name),
    );
  }
  try {
    await syncDirectory(dir);
  } catch (err) {
    throw fail(err, dir);
  }
  return finalPath;
}

/**
 * Removes temp files that writeDropFile left behind when the process died mid-write
 * (hidden, `.tmp`, older than `olderThanMs`). Run at start-up. Returns the names removed.
 */
export async function removeStaleDropTemps(dir: string, olderThanMs = 3_600_000, now: number = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const entry of names) {
    if (!TEMP_PATTERN.test(entry)) continue;
    const full = path.join(dir, entry);
    const info = await stat(full).catch(() => null);
    if (info === null || !info.isFile() || now - info.mtimeMs < olderThanMs) continue;
    await unlink(full).catch(() => undefined);
    removed.push(entry);
  }
  return removed;
}

async function writeAndSync(filePath: string, bytes: Buffer): Promise<void> {
  const handle = await open(filePath, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Gives `temp` the name `target` unless `target` exists. True when claimed. */
async function claim(temp: string, target: string): Promise<boolean> {
  try {
    await link(temp, target);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARDLINKS.has(code)) throw err;
  }
  try {
    await access(target, fsConstants.F_OK);
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(temp, target);
  return true;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
