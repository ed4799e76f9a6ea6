// Builds dist/ once per test run so tests can spawn the real CLI and real child processes
// (SIGKILL/restart tests) exactly as a technician would run them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  // tsc still emits on type errors; the typecheck gate is `npm run typecheck` in CI. Show errors anyway.
  if (tsc.status !== 0) process.stderr.write(`tsc reported errors (dist/ was still emitted):\n${tsc.stdout}${tsc.stderr}\n`);
}
