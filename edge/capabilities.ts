// The optional parts a config asks for, in the order they must start: personnel before seals
// (the seals cross-check against positioning). Each only when its config section exists. Each
// capability's config rules are registered with the loader here (registerCapabilityConfigChecks),
// so edge/config/ imports no feature.
import { syncChecks } from '../sync/config-checks.js';
import type { Capability } from './capability.js';
import { registerConfigChecks } from './config/check-registry.js';
import type { LoadedConfig } from './config/load-config.js';
import { DashboardCapability, type DashboardCapabilityOptions } from './dashboard/dashboard-capability.js';
import { personnelChecks } from './personnel/config-checks.js';
import { PersonnelCapability, type PersonnelCapabilityOptions } from './personnel/personnel-capability.js';
import { personnelReadersAreWired } from './personnel/reader-wiring.js';
import { sealChecks, sealsOf } from './seals/config-checks.js';
import { SealCapability, type SealCapabilityOptions } from './seals/seal-capability.js';
import { SyncCapability, type SyncCapabilityOptions } from '../sync/sync-capability.js';

export interface DefaultCapabilityOptions {
  personnel?: PersonnelCapabilityOptions;
  seals?: SealCapabilityOptions;
  sync?: SyncCapabilityOptions;
  /** Given: the dashboard runs even without a `dashboard:` section (the demo), these fields over the config's. */
  dashboard?: DashboardCapabilityOptions;
}

/** Capabilities for a loaded config, in dependency order, for `new Gateway(loaded, { capabilities })`. */
export function defaultCapabilities(loaded: LoadedConfig, opts: DefaultCapabilityOptions = {}): Capability[] {
  if (!loaded || typeof loaded !== 'object' || !loaded.config) throw new TypeError(`defaultCapabilities: expected a loaded config, got ${String(loaded)}`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`defaultCapabilities: options must be an object, got ${String(opts)}`);
  const capabilities: Capability[] = [];
  if (loaded.config.personnel !== undefined) capabilities.push(new PersonnelCapability(opts.personnel));
  if (sealsOf(loaded.config) !== undefined) capabilities.push(new SealCapability(opts.seals));
  // Upstream last: it reports what personnel and seals raise.
  if (loaded.config.sync !== undefined) capabilities.push(new SyncCapability(opts.sync));
  // The web page only reads the status and sends control commands: order does not matter.
  const dashboard = loaded.config.dashboard;
  if (dashboard !== undefined || opts.dashboard !== undefined) capabilities.push(new DashboardCapability({ ...dashboard, ...opts.dashboard }));
  return capabilities;
}

/**
 * Register every capability's config rules with the loader (edge/config/check-registry.ts), in the
 * order their issues read best: personnel (roster, areas, readers, evacuation wiring), seals
 * (shaft mouths, cameras, meters), upstream (file-safe text, TLS pairs, the platform's authority).
 * Idempotent; the CLI calls it before any command reads a config, and importing this module does too.
 */
export function registerCapabilityConfigChecks(): void {
  registerConfigChecks('personnel', [...personnelChecks, personnelReadersAreWired]);
  registerConfigChecks('seals', sealChecks);
  registerConfigChecks('sync', syncChecks);
}

// Whoever composes capabilities also loads configs for them: their rules must already be there.
registerCapabilityConfigChecks();
