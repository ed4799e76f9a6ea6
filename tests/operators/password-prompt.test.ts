// Typed passwords on a real terminal: the CLI runs on a socat PTY, asks, does not echo, and
// accepts (or refuses) what is typed. Without socat these tests fail, they never skip.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperatorStore } from '../../edge/operators/operator-store.js';
import { built, repoRoot } from '../helpers/built.js';
import { waitFor } from '../helpers/wait-for.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'minegate-prompt-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** Run the CLI with a PTY as its terminal; `answers` are typed one per prompt as each prompt appears. */
async function onTerminal(args: string[], prompts: RegExp[], answers: string[], env: Record<string, string> = {}): Promise<string> {
  const command = [process.execPath, built('edge/cli.js'), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.MINEGATE_PASSWORD;
  if (!env.MINEGATE_NEW_PASSWORD) delete childEnv.MINEGATE_NEW_PASSWORD;
  const socat = spawn('/usr/bin/socat', ['-t', '5', '-', `SYSTEM:${command.replace(/[,:!"]/g, (c) => `\\${c}`)},pty,setsid,ctty,stderr`], { cwd: repoRoot, env: childEnv });
  let output = '';
  socat.stdout.on('data', (d: Buffer) => (output += d.toString()));
  socat.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    socat.on('error', reject);
    socat.on('close', () => resolve());
  });
  try {
    for (let i = 0; i < prompts.length; i++) {
      const seen = output.length;
      await waitFor(() => prompts[i]!.test(output.slice(i === 0 ? 0 : seen - 40)), { timeoutMs: 10_000, what: `prompt ${prompts[i]}` });
      socat.stdin.write(`${answers[i]}\r`);
    }
    socat.stdin.end();
    await exited;
  } finally {
    socat.kill();
  }
  return output;
}

describe('password prompt on a terminal', () => {
  it('asks for the acting operator’s password without echoing it', async () => {
    const store = new OperatorStore(dataDir, { hashParams: { N: 1024, r: 8, p: 1 } });
    await store.add('chief', 'safety-officer', 'chief-pass-1', null);
    const out = await onTerminal(['user', 'add', 'zhang', '--role', 'technician', '--user', 'chief', '-d', dataDir], [/password for chief: /], ['chief-pass-1'], { MINEGATE_NEW_PASSWORD: 'tech-pass-1' });
    expect(out).toMatch(/added zhang \(technician\)/);
    expect(out).not.toContain('chief-pass-1');
    expect(store.list().map((u) => u.name)).toEqual(['chief', 'zhang']);
  });

  it('a new password is typed twice; two different ones change nothing', async () => {
    const differ = await onTerminal(['user', 'add', 'chief', '--role', 'safety-officer', '-d', dataDir], [/new password for chief: /, /repeat it: /], ['first-pass-1', 'other-pass-2']);
    expect(differ).toMatch(/the two passwords differ; nothing was changed/);
    expect(new OperatorStore(dataDir).list()).toEqual([]);
    const same = await onTerminal(['user', 'add', 'chief', '--role', 'safety-officer', '-d', dataDir], [/new password for chief: /, /repeat it: /], ['first-pass-1', 'first-pass-1']);
    expect(same).toMatch(/added chief \(safety-officer\)/);
    expect(same).not.toContain('first-pass-1');
    expect(await new OperatorStore(dataDir).authenticate('chief', 'first-pass-1')).toEqual({ name: 'chief', role: 'safety-officer' });
  });
});
