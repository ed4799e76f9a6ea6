// The dashboard tests' browser (bench/chromium.ts) and where their screenshots go.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/built.js';

export { launchChromium } from '../../bench/chromium.js';

/** Gitignored: screenshots the tests save for a person to look at. */
export const ARTIFACT_DIR = join(repoRoot, 'test-artifacts', 'dashboard');

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACT_DIR, { recursive: true });
  return join(ARTIFACT_DIR, name);
}
