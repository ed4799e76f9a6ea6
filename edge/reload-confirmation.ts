// A safety officer's confirmation of a config change that loosens an interlock. `minegate reload`
// writes it (authenticated, audited) for the exact bytes of the config file, then signals the
// gateway; the gateway applies a loosening reload only when a fresh confirmation matches the file
// it reads, and uses each confirmation once. A later edit of the file needs a new confirmation.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONFIRMATION_TTL_MS = 10 * 60_000;
const FILE = 'reload-confirmation.json';

export interface ReloadConfirmation {
  configSha256: string;
  operator: string;
  reason: string;
  at: number;
}

export function configDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function writeConfirmation(dataDir: string, c: ReloadConfirmation): void {
  const file = join(dataDir, FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(c), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The confirmation for exactly this config text, if fresh; it is consumed. */
export function takeConfirmation(dataDir: string, configText: string, now = Date.now()): ReloadConfirmation | undefined {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return undefined;
  let c: ReloadConfirmation;
  try {
    c = JSON.parse(readFileSync(file, 'utf8')) as ReloadConfirmation;
  } catch {
    return undefined;
  }
  if (c.configSha256 !== configDigest(configText) || now - c.at > CONFIRMATION_TTL_MS || now < c.at) return undefined;
  rmSync(file, { force: true });
  return c;
}

/** Where `minegate run` records its process id, for `minegate reload` to signal. */
export function pidFile(dataDir: string): string {
  return join(dataDir, 'minegate.pid');
}
