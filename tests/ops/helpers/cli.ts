// Run the built CLI as a technician would (separate process, real exit code), with the operator's
// password passed the scripted way: in the environment, never on the command line.
import { spawn } from 'node:child_process';
import { built, repoRoot } from '../../helpers/built.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  /** MINEGATE_PASSWORD: the acting operator's password. */
  password?: string;
  /** MINEGATE_NEW_PASSWORD: a password being set. */
  newPassword?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function minegate(args: string[], run: CliRun = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...run.env };
  delete env.MINEGATE_PASSWORD;
  delete env.MINEGATE_NEW_PASSWORD;
  if (run.password !== undefined) env.MINEGATE_PASSWORD = run.password;
  if (run.newPassword !== undefined) env.MINEGATE_NEW_PASSWORD = run.newPassword;
  const timeoutMs = run.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    // stdin is not a terminal here: a missing password must fail, not hang on a prompt.
    const child = spawn(process.execPath, [built('edge/cli.js'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`minegate ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
