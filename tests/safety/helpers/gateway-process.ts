// `minegate run` (the built CLI) as a separate process, for tests that kill, stop or restart the
// gateway with real signals while the simulator and the panel stay in the test process.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { built, repoRoot } from '../../helpers/built.js';

export interface GatewayProcess {
  process: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  /** Its exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
}

export function startGatewayProcess(config: string, dataDir: string): GatewayProcess {
  const child = spawn(process.execPath, [built('edge/cli.js'), 'run', '--config', config, '--data-dir', dataDir, '--refresh-ms', '60000'], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { process: child, output: () => out, exited };
}

/** Kill what is still running (SIGKILL) and wait for it: the afterEach of such tests. */
export async function reap(children: GatewayProcess[]): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.process.exitCode === null && c.process.signalCode === null) {
      // A stopped process must be continued to act on anything but SIGKILL; SIGKILL works either way.
      c.process.kill('SIGKILL');
    }
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

/** Rows of the gateway's own store, read the way a technician's tool would (read-only, WAL). */
export function storeQuery<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dataDir, 'minegate.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
