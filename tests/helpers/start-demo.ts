// Start `minegate demo` on a data dir and wait until it runs. The demo's simulator ports are fixed
// (15020-15024): callers hold the demo ports lock (demo-ports-lock.ts); a demo outside the test run
// (a developer's `npm start`) may still hold them, so EADDRINUSE is waited out and retried.
import net from 'node:net';
import { startCli } from '../cli/run-cli.js';
import { waitFor } from './wait-for.js';

export type RunningDemo = ReturnType<typeof startCli>;

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

/** Resolves once the demo printed "simulated substation running" (and its dashboard URL). */
export async function startDemo(dataDir: string, extra: string[] = [], portWaitMs = 120_000): Promise<RunningDemo> {
  const deadline = Date.now() + portWaitMs;
  for (;;) {
    const demo = startCli(['demo', '-d', dataDir, '--dashboard-port', '0', '--refresh-ms', '1000', ...extra]);
    const seen = await waitFor(() => (/dashboard on http:\/\/127\.0\.0\.1:\d+\//.test(demo.output()) ? 'up' : /EADDRINUSE/.test(demo.output()) ? 'taken' : undefined), {
      what: 'the demo printing its dashboard URL',
      timeoutMs: 45_000,
      intervalMs: 100,
    }).catch((err: Error) => {
      demo.child.kill('SIGKILL');
      throw new Error(`${err.message}\ndemo output:\n${demo.output()}`);
    });
    if (seen === 'up') return demo;
    await demo.exited;
    if (Date.now() > deadline) throw new Error(`the demo's simulator ports stayed taken:\n${demo.output()}`);
    await waitFor(() => portFree(15020), { what: 'port 15020 free', timeoutMs: Math.max(1_000, deadline - Date.now()), intervalMs: 250 });
  }
}

/** SIGTERM, as systemd or Ctrl-C would; resolves with the exit code. */
export async function stopDemo(demo: RunningDemo): Promise<number | null> {
  demo.child.kill('SIGTERM');
  return demo.exited;
}
