// Where the shipped data lives, whether we run from source (vitest) or from dist/ (built CLI).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The package root: the nearest folder above this file that holds package.json. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`minegate: cannot find package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  cachedRoot = dir;
  return dir;
}

/** board-configs/ in the package (profiles, presets, examples). */
export function boardConfigsDir(): string {
  return join(packageRoot(), 'board-configs');
}

export function profilesDir(): string {
  return join(boardConfigsDir(), 'profiles');
}
