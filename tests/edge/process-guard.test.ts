// The process guard's bounds, in real processes (a throw in the vitest worker would be vitest's):
// whatever the fail-safe request or the disk does, a faulted process exits 70 within 2 s.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { built, repoRoot } from '../helpers/built.js';

async function runGuarded(body: string): Promise<{ code: number | null; ms: number; stderr: string; stdout: string }> {
  const script = `
    import { installProcessGuard } from ${JSON.stringify(built('edge/process-guard.js'))};
    import { createLogger } from ${JSON.stringify(built('edge/log.js'))};
    const logger = createLogger({});
    ${body}
  `;
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, ms: performance.now() - started, stderr, stdout };
}

describe('process guard', () => {
  it('exits 70 within 2 s even when the fail-safe request and the record wait never answer', async () => {
    const r = await runGuarded(`
      installProcessGuard({ logger, failSafe: () => new Promise(() => {}), settleRecords: () => new Promise(() => {}) });
      // Something keeps the event loop alive, as the gateway's timers and sockets do.
      setInterval(() => {}, 1000);
      setTimeout(() => { throw new Error('boom'); }, 10);
    `);
    expect(r.code).toBe(70);
    expect(r.ms).toBeLessThan(2_500); // node start-up included
    expect(r.stderr).toMatch(/uncaughtException in the gateway process: Error: boom; outputs to the fail-safe state, exiting with 70/);
  });

  it('asks for the fail-safe state first, once, however many faults follow', async () => {
    const r = await runGuarded(`
      let asked = 0;
      installProcessGuard({ logger, failSafe: async (reason) => { asked++; console.log('failSafe:', reason); } });
      process.on('exit', () => console.log('asked', asked));
      setTimeout(() => { void Promise.reject(new Error('first')); void Promise.reject(new Error('second')); }, 10);
    `);
    expect(r.code).toBe(70);
    expect(r.stdout).toMatch(/failSafe: unhandledRejection in the gateway process: Error: first\n/);
    expect(r.stdout).toMatch(/asked 1\n/);
  });
});
