// Alarm images: fetch the camera's (or AI box's) current snapshot over HTTP and keep it on disk,
// so an alarm event carries only a reference. Never on the alarm path: the alarm is raised first,
// the image follows as its own event. Bounded in time and size: a hung or broken camera must
// neither hold a request open forever nor fill the SD card.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join, resolve, sep } from 'node:path';
import { formatStamp, MINE_TZ_OFFSET_MINUTES } from '../../core/mine-time.js';
import { MinegateError } from '../../core/minegate-error.js';

/**
 * - timeout:     no complete answer within the time limit.
 * - http-status: the camera answered with a non-2xx status.
 * - not-image:   the answer is not an image (an error page, a login form).
 * - too-large:   the image exceeds the size limit.
 * - network:     connection refused, reset, DNS failure.
 * - write-failed: the image could not be stored.
 */
export type SnapshotErrorCode = 'timeout' | 'http-status' | 'not-image' | 'too-large' | 'network' | 'write-failed';

export class SnapshotError extends MinegateError<SnapshotErrorCode> {
  override readonly name = 'SnapshotError';
  constructor(
    code: SnapshotErrorCode,
    /** The camera URL concerned; not a `file` (that names something on this gateway's disk). */
    readonly url: string,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(code, message, { cause: options?.cause });
    if (options?.status !== undefined) this.status = options.status;
  }
  readonly status?: number;
}

export interface FetchSnapshotOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

export const SNAPSHOT_DEFAULTS = {
  timeoutMs: 3_000,
  maxBytes: 2 * 1024 * 1024,
} as const;

export interface Snapshot {
  bytes: Buffer;
  contentType: string;
}

/** GET an image from `url` within `timeoutMs` (connect + answer + body) and `maxBytes`. */
export function fetchSnapshot(url: string, opts: FetchSnapshotOptions = {}): Promise<Snapshot> {
  const o = { ...SNAPSHOT_DEFAULTS, ...opts };
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw new TypeError(`fetchSnapshot timeoutMs must be a positive number, got ${String(opts.timeoutMs)}`);
  if (!Number.isInteger(o.maxBytes) || o.maxBytes <= 0) throw new TypeError(`fetchSnapshot maxBytes must be a positive integer, got ${String(opts.maxBytes)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`fetchSnapshot url must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`fetchSnapshot url must be an http(s) URL, got ${JSON.stringify(url)}`);
  const client = parsed.protocol === 'https:' ? https : http;

  return new Promise<Snapshot>((resolvePromise, reject) => {
    let settled = false;
    const finish = (err: SnapshotError | null, value?: Snapshot): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolvePromise(value!);
    };
    // agent: false: no keep-alive socket left behind to hold the process (or a test server) open.
    const req = client.get(parsed, { agent: false, headers: { accept: 'image/*' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        finish(new SnapshotError('http-status', url, `snapshot ${url}: HTTP ${status}`, { status }));
        return;
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!contentType.toLowerCase().startsWith('image/')) {
        res.resume();
        finish(new SnapshotError('not-image', url, `snapshot ${url}: content-type "${contentType}" is not an image`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        finish(new SnapshotError('too-large', url, `snapshot ${url}: ${declared} bytes exceeds the ${o.maxBytes}-byte limit`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > o.maxBytes) finish(new SnapshotError('too-large', url, `snapshot ${url}: more than ${o.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => finish(null, { bytes: Buffer.concat(chunks), contentType }));
      res.on('error', (err) => finish(new SnapshotError('network', url, `snapshot ${url}: ${err.message}`, { cause: err })));
    });
    req.on('error', (err) => finish(new SnapshotError('network', url, `snapshot ${url}: ${err.message}`, { cause: err })));
    const timer = setTimeout(() => finish(new SnapshotError('timeout', url, `snapshot ${url}: no complete answer within ${o.timeoutMs} ms`)), o.timeoutMs);
  });
}

export interface SnapshotRequest {
  cameraId: string;
  url: string;
  alarmId: string;
  wallTime: number;
}

/** What the seal engine needs to attach images to alarms. Resolves to an image reference. */
export interface SnapshotSource {
  capture(request: SnapshotRequest): Promise<string>;
}

export interface SnapshotStoreOptions extends FetchSnapshotOptions {
  /** Folder the images are kept in (e.g. <dataDir>/seal-images). Created if missing. */
  dir: string;
  tzOffsetMinutes?: number;
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/bmp': 'bmp', 'image/webp': 'webp' };

/** Fetches alarm images and stores them as <dir>/<camera>/<yyyyMMddHHmmss>-<rand>.<ext>. */
export class SnapshotStore implements SnapshotSource {
  readonly dir: string;
  private readonly fetchOpts: FetchSnapshotOptions;
  private readonly tzOffsetMinutes: number;

  constructor(opts: SnapshotStoreOptions) {
    if (!opts || typeof opts.dir !== 'string' || opts.dir.trim() === '') throw new TypeError(`SnapshotStore dir must be a non-empty path, got ${JSON.stringify(opts?.dir)}`);
    this.dir = resolve(opts.dir);
    this.fetchOpts = { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) };
    this.tzOffsetMinutes = opts.tzOffsetMinutes ?? MINE_TZ_OFFSET_MINUTES;
  }

  async capture(request: SnapshotRequest): Promise<string> {
    const snap = await fetchSnapshot(request.url, this.fetchOpts);
    const camera = request.cameraId.replace(/[^A-Za-z0-9._-]/g, '_');
    const ext = EXTENSIONS[snap.contentType.split(';')[0]!.trim().toLowerCase()] ?? 'img';
    const ref = `${camera}/${formatStamp(request.wallTime, this.tzOffsetMinutes)}-${randomBytes(4).toString('hex')}.${ext}`;
    const path = this.resolve(ref);
    const temp = `${path}.tmp`;
    try {
      mkdirSync(join(this.dir, camera), { recursive: true });
      // Temp + rename: a crash mid-write never leaves a truncated image under the referenced name.
      writeFileSync(temp, snap.bytes);
      renameSync(temp, path);
    } catch (err) {
      rmSync(temp, { force: true });
      throw new SnapshotError('write-failed', request.url, `snapshot ${request.url}: cannot store it in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    return ref;
  }

  /** Absolute path of an image reference; refuses references that would leave the folder. */
  resolve(ref: string): string {
    const path = resolve(this.dir, ref);
    if (!path.startsWith(this.dir + sep)) throw new TypeError(`image reference ${JSON.stringify(ref)} is outside ${this.dir}`);
    return path;
  }
}
