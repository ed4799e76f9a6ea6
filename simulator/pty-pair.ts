// A pair of connected pseudo-terminals from socat: the gateway opens one end as its "RS-485 adapter",
// the simulated slaves the other. kill() + recreate() is an adapter unplug and replug.
// Note: a PTY does not emulate baud rate; the slave simulator adds line time itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinegateError } from '../core/minegate-error.js';

export interface PtyPairOptions {
  /** Folder for the two symlinks; a fresh temp folder (removed by dispose()) when omitted. */
  dir?: string;
  /** Symlink names inside `dir`: [gateway side, simulator side]. */
  names?: [string, string];
  /** socat executable; found on PATH when omitted. */
  socatPath?: string;
  /** Bound on waiting for socat to create the links. */
  readyTimeoutMs?: number;
}

export const PTY_PAIR_DEFAULTS = {
  names: ['gateway', 'slaves'] as [string, string],
  socatPath: 'socat',
  readyTimeoutMs: 5_000,
} as const;

export type PtyPairErrorCode = 'socat-missing' | 'socat-exited' | 'not-ready';

export class PtyPairError extends MinegateError<PtyPairErrorCode> {
  override readonly name = 'PtyPairError';
  constructor(code: PtyPairErrorCode, message: string) {
    super(code, message);
  }
}

export class PtyPair {
  /** Gateway (master) side. */
  readonly masterPath: string;
  /** Simulator (slave) side. */
  readonly slavePath: string;
  private child: ChildProcess | null = null;

  private constructor(
    private readonly dir: string,
    private readonly ownsDir: boolean,
    names: [string, string],
    private readonly socatPath: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.masterPath = join(dir, names[0]);
    this.slavePath = join(dir, names[1]);
  }

  static async create(opts: PtyPairOptions = {}): Promise<PtyPair> {
    const names = opts.names ?? PTY_PAIR_DEFAULTS.names;
    if (!Array.isArray(names) || names.length !== 2 || names.some((n) => typeof n !== 'string' || n.length === 0 || n.includes('/')) || names[0] === names[1]) {
      throw new TypeError(`PtyPair names must be two different plain file names, got ${JSON.stringify(names)}`);
    }
    const readyTimeoutMs = opts.readyTimeoutMs ?? PTY_PAIR_DEFAULTS.readyTimeoutMs;
    if (!Number.isFinite(readyTimeoutMs) || readyTimeoutMs <= 0) throw new TypeError(`PtyPair readyTimeoutMs must be positive, got ${String(readyTimeoutMs)}`);
    const ownsDir = opts.dir === undefined;
    const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'minegate-pty-')));
    const pair = new PtyPair(dir, ownsDir, [names[0], names[1]], opts.socatPath ?? PTY_PAIR_DEFAULTS.socatPath, readyTimeoutMs);
    try {
      await pair.start();
    } catch (err) {
      if (ownsDir) await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return pair;
  }

  /** True while socat runs (the "adapter" is plugged in). */
  get isAlive(): boolean {
    return this.child !== null;
  }

  /** Unplug: stops socat; both PTYs vanish and whoever has them open sees the port close. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child) {
      this.child = null;
      await new Promise<void>((resolve) => {
        const escalate = setTimeout(() => child.kill('SIGKILL'), 2_000);
        child.once('exit', () => {
          clearTimeout(escalate);
          resolve();
        });
        if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(escalate);
          resolve();
        } else child.kill('SIGTERM');
      });
    }
    // socat removes its links on a clean exit; after SIGKILL they dangle.
    await Promise.all([this.masterPath, this.slavePath].map((p) => unlink(p).catch(() => undefined)));
  }

  /** Replug: a new socat with the same link names (new PTY devices behind them). */
  async recreate(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** kill() and remove the temp folder if this pair created it. */
  async dispose(): Promise<void> {
    await this.kill();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  private start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const child = spawn(this.socatPath, ['-d', '-d', `pty,raw,echo=0,link=${this.masterPath}`, `pty,raw,echo=0,link=${this.slavePath}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      let watcher: FSWatcher | null = null;
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        watcher?.close();
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        if (err) {
          child.removeAllListeners('exit');
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          reject(err);
        } else {
          this.child = child;
          resolve();
        }
      };
      const timer = setTimeout(
        () => finish(new PtyPairError('not-ready', `socat did not create ${this.masterPath} and ${this.slavePath} within ${this.readyTimeoutMs} ms: ${stderr.trim()}`)),
        this.readyTimeoutMs,
      );
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2_000);
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        finish(err.code === 'ENOENT' ? new PtyPairError('socat-missing', `socat not found: apt-get install socat (tried "${this.socatPath}")`) : err);
      });
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        finish(new PtyPairError('socat-exited', `socat exited (${signal ?? code}) before the PTYs were ready: ${stderr.trim()}`));
      });
      const check = () => {
        if (existsSync(this.masterPath) && existsSync(this.slavePath)) finish();
      };
      // Watch the folder instead of polling; check once too in case socat was faster than the watcher.
      watcher = watch(this.dir, check);
      watcher.on('error', () => undefined);
      check();
    });
  }
}
