// The config loader's list of rules: the base rules every board config must pass
// (structure-checks.ts: references, profiles, safety thresholds and interlocks) and the rules each
// capability registers for its own section (personnel, seals, sync; edge/capabilities.ts registers
// them). The loader asks here instead of importing every feature, so edge/config/ knows no feature
// and no upstream code, and a new capability brings its rules without touching the loader.
import type { ConfigCheck } from './check-context.js';
import { structureChecks } from './structure-checks.js';

const byOwner = new Map<string, readonly ConfigCheck[]>();

/**
 * Every rule the loader runs, base rules first, then each owner's in the order they first
 * registered. One array, updated in place, so a caller holding it sees later registrations.
 */
export const configChecks: readonly ConfigCheck[] = [...structureChecks];

/**
 * Register (or replace) the rules of one owner, e.g. `registerConfigChecks('sync', syncChecks)`.
 * Registering the same owner again replaces its rules, so the composition root and a test harness
 * may both register without running a rule twice.
 */
export function registerConfigChecks(owner: string, checks: readonly ConfigCheck[]): void {
  if (typeof owner !== 'string' || owner === '') throw new TypeError(`registerConfigChecks: owner must be a non-empty string, got ${String(owner)}`);
  if (!Array.isArray(checks) || !checks.every((c) => typeof c === 'function')) throw new TypeError(`registerConfigChecks(${owner}): checks must be an array of functions`);
  byOwner.set(owner, [...checks]);
  const all = configChecks as ConfigCheck[];
  all.length = 0;
  all.push(...structureChecks);
  for (const rules of byOwner.values()) all.push(...rules);
}

/** Owners that registered rules, in registration order (for `minegate doctor` and tests). */
export function configCheckOwners(): string[] {
  return [...byOwner.keys()];
}
