// Paths to the compiled gateway in dist/ (built by tests/global-setup.ts) for tests that spawn processes.
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Absolute path of a compiled module, e.g. built('edge/cli.js'). */
export function built(relative: string): string {
  return fileURLToPath(new URL(`../../dist/${relative}`, import.meta.url));
}
