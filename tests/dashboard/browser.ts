// Headless Chromium for the dashboard tests and bench: Debian's system browser (apt-get install
// chromium; .ci/run does it), driven by playwright-core, which never downloads a browser of its own.
// Each launch gets a fresh temporary profile. Not a test file itself.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { repoRoot } from '../helpers/built.js';

export const CHROMIUM = process.env.MINEGATE_CHROMIUM ?? '/usr/bin/chromium';

/** Gitignored: screenshots the tests save for a person to look at. */
export const ARTIFACT_DIR = join(repoRoot, 'test-artifacts', 'dashboard');

export async function launchChromium(): Promise<Browser> {
  // Missing is a failure with the fix in the message, never a skip.
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set MINEGATE_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACT_DIR, { recursive: true });
  return join(ARTIFACT_DIR, name);
}
