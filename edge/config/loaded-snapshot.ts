// A LoadedConfig as plain data, for the safety kernel's process: Maps and the freshness
// function do not survive structured cloning, and the kernel must not re-run the config loader
// (its checks pull the personnel, seals and sync modules). The config was validated on the main
// thread; the kernel only rebuilds the lookups from the same objects.
import type { Profile } from '../../board-configs/profile-schema.js';
import type { SubstationConfig } from '../../board-configs/schema.js';
import type { LoadedConfig } from './load-config.js';

export interface LoadedConfigSnapshot {
  file: string;
  config: SubstationConfig;
  profiles: [string, Profile][];
  freshness: [string, number][];
}

export function snapshotOf(loaded: LoadedConfig): LoadedConfigSnapshot {
  return {
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
