// A LoadedConfig as plain data, for the safety kernel's process: Maps and the freshness
// function do not survive structured cloning, and the kernel must not re-run the config loader
// (its checks pull the personnel, seals and sync modules). The config was validated on the main
// thread; the kernel only rebuilds the lookups from the same objects. The safety plan travels
// with it, built in the gateway process (presets applied), so the kernel loads neither the
// presets nor the plan's config checks.
import type { Profile } from '../../board-configs/profile-schema.js';
import type { SubstationConfig } from '../../board-configs/schema.js';
import type { SafetyPlan } from '../safety/plan.js';
import type { LoadedConfig } from './load-config.js';

export interface LoadedConfigSnapshot {
  file: string;
  config: SubstationConfig;
  profiles: [string, Profile][];
  freshness: [string, number][];
  /** The safety plan of this config (thresholds resolved from the presets). */
  plan: SafetyPlan;
}

export function snapshotOf(loaded: LoadedConfig, plan: SafetyPlan): LoadedConfigSnapshot {
  return {
    plan,
    file: loaded.file,
    config: loaded.config,
    profiles: [...loaded.profiles.entries()],
    freshness: loaded.config.points.map((p) => [p.code, loaded.freshnessMs(p.code)]),
  };
}

export function loadedFromSnapshot(s: LoadedConfigSnapshot): LoadedConfig {
  const freshness = new Map(s.freshness);
  const { config } = s;
  return {
    file: s.file,
    config,
    profiles: new Map(s.profiles),
    devicesById: new Map(config.devices.map((d) => [d.id, d])),
    busesById: new Map(config.buses.map((b) => [b.id, b])),
    pointsByCode: new Map(config.points.map((p) => [p.code, p])),
    freshnessMs(pointCode: string): number {
      const ms = freshness.get(pointCode);
      if (ms === undefined) throw new RangeError(`unknown point code "${pointCode}"`);
      return ms;
    },
  };
}
