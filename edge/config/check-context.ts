// What a config rule sees: the schema-valid config, its loaded profiles, the lookups, and a
// report() that pins a problem to file:line:column. The type every rule is written against
// (edge/config/structure-checks.ts, the safety, personnel, seal and sync rules), kept apart from
// any list of rules so that importing the type never pulls in a feature.
import type { Profile } from '../../board-configs/profile-schema.js';
import type { BusConfig, DeviceConfig, PointConfig, SubstationConfig } from '../../board-configs/schema.js';

type ZoneConfig = SubstationConfig['zones'][number];
type OutputConfig = SubstationConfig['outputs'][number];
export type ConfigPath = readonly (string | number)[];

export interface CheckContext {
  readonly file: string;
  readonly config: SubstationConfig;
  /** Profiles that loaded, by name. A device whose profile did not load was already reported. */
  readonly profiles: ReadonlyMap<string, Profile>;
  /** Why a profile name did not load (not found / invalid), for the devices that use it. */
  readonly profileProblems: ReadonlyMap<string, string>;
  /** First definition of each id/code; later duplicates are reported by `idsAreUnique`. */
  readonly busesById: ReadonlyMap<string, BusConfig>;
  readonly devicesById: ReadonlyMap<string, DeviceConfig>;
  readonly pointsByCode: ReadonlyMap<string, PointConfig>;
  readonly zonesById: ReadonlyMap<string, ZoneConfig>;
  readonly outputsById: ReadonlyMap<string, OutputConfig>;
  /** The loaded profile of a device, if both exist. */
  profileOf(deviceId: string): Profile | undefined;
  /** Record a problem at a field path, e.g. ['devices', 2, 'bus']; the file:line is found for it. */
  report(path: ConfigPath, message: string): void;
  /** Source line of a path (for messages that point at a second place, "first defined on line 12"). */
  lineOf(path: ConfigPath): number;
}

export type ConfigCheck = (ctx: CheckContext) => void;
