// Headless Chromium for the dashboard bench and tests: Debian's system browser (apt-get install
// chromium; .ci/run does it), driven by playwright-core, which never downloads a browser of its own.
// Each launch gets a fresh temporary profile. Tooling, not a bench (run.ts skips it).
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.MINEGATE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  // Missing is a failure with the fix in the message, never a skip.
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set MINEGATE_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
