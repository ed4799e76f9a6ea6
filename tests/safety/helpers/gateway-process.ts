// `minegate run` as a separate process (the built CLI in dist/, as systemd starts it), for tests
// that kill, fault or starve the real gateway; and a technician's read-only look at its store.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { built, repoRoot } from '../../helpers/built.js';

export interface GatewayProcess {
  process: ChildProcess;
  output(): string;
  /** Exit code (null when killed by a signal) and when the process exited (performance.now()); resolves once its kernel child is gone too. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `group`: its own process group, so a test can signal the gateway and its kernel at once, as a terminal's Ctrl-C or systemd's stop does. */
export function startGatewayProcess(config: string, dataDir: string, env: NodeJS.ProcessEnv = {}, opts: { group?: boolean } = {}): GatewayProcess {
  const child = spawn(process.execPath, [built('edge/cli.js'), 'run', '--config', config, '--data-dir', dataDir, '--refresh-ms', '60000'], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    detached: opts.group === true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // Resolves on 'close': the kernel child shares stdout/stderr, so by then it is gone too and a
  // restart cannot meet it on the buses or the write-ahead file. `at` is the gateway's own 'exit'.
  let exitAt = 0;
  child.once('exit', () => (exitAt = performance.now()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal, at: exitAt || performance.now() })),
  );
  return { process: child, output: () => out, exited };
}

/** Rows of the gateway's own store, read the way a technician's tool would (read-only, WAL). */
export function storeQuery<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dataDir, 'minegate.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Live (not zombie) processes whose parent is pid, from /proc. */
export function childPids(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": comm may contain spaces, so parse after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') kids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return kids;
}

/** The process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Kill what is still running (SIGKILL) and wait for it: the afterEach of such tests. */
export async function reap(children: GatewayProcess[]): Promise<void> {
  for (const c of children.splice(0)) {
    // SIGKILL ends a stopped (SIGSTOP) process too.
    if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await c.exited;
  }
}

/** /proc/<pid>/stat: the scheduler state letter (R, S, T = stopped …) and the parent pid. */
export function procStat(pid: number): { state: string; ppid: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may contain spaces: split after the last ')'.
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: state!, ppid: Number(ppid) };
}
