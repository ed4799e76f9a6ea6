// Rules that span more than one field of a board config (references, uniqueness, fit with the
// device profiles). Each rule is a small named function in `crossChecks`; a new rule (e.g. the
// safety thresholds check) is one more entry in that list. Rules only run on a config that passed
// the schema, so every field has its declared type here.
import { FEED_SENSOR_TYPES, GAS_SENSOR_TYPES } from '../../board-configs/sensor-types.js';
import type { Profile } from '../../board-configs/profile-schema.js';
import { BAUD_RATES, type BusConfig, type DeviceConfig, type PointConfig, type SubstationConfig } from '../../board-configs/schema.js';
import { checkSafetyBoards } from '../safety/board-checks.js';
import { checkSafetyInterlocks } from '../safety/interlock-checks.js';
import { personnelChecks } from '../personnel/config-checks.js';
import { personnelReadersAreWired } from '../personnel/reader-wiring.js';
import { checkSafetyThresholds } from '../safety/thresholds.js';
import { sealChecks } from '../seals/config-checks.js';
import { syncChecks } from '../../sync/config-checks.js';

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

export { FEED_SENSOR_TYPES, GAS_SENSOR_TYPES } from '../../board-configs/sensor-types.js';

/** Ids of buses, devices, zones and outputs, and point codes, are each unique. */
export function idsAreUnique(ctx: CheckContext): void {
  const { config } = ctx;
  const lists: [keyof SubstationConfig, string, { id?: string; code?: string }[]][] = [
    ['buses', 'bus id', config.buses],
    ['devices', 'device id', config.devices],
    ['zones', 'zone id', config.zones],
    ['outputs', 'output id', config.outputs],
    ['points', 'point code', config.points],
  ];
  for (const [list, what, items] of lists) {
    const field = list === 'points' ? 'code' : 'id';
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const key = (field === 'code' ? item.code : item.id)!;
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, i);
      else ctx.report([list, i, field], `duplicate ${what} "${key}" (first defined on line ${ctx.lineOf([list, earlier, field])})`);
    });
  }
}

/** Every device sits on a configured bus. */
export function devicesReferToExistingBuses(ctx: CheckContext): void {
  ctx.config.devices.forEach((device, i) => {
    if (!ctx.busesById.has(device.bus)) {
      ctx.report(['devices', i, 'bus'], `no bus "${device.bus}" (buses: ${[...ctx.busesById.keys()].join(', ')})`);
    }
  });
}

/** Two devices answering the same unit id on one bus would collide on the wire. */
export function unitIdsAreUniquePerBus(ctx: CheckContext): void {
  const seen = new Map<string, number>();
  ctx.config.devices.forEach((device, i) => {
    const key = `${device.bus}\u0000${device.unit}`;
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, i);
    else {
      const other = ctx.config.devices[earlier]!;
      ctx.report(
        ['devices', i, 'unit'],
        `unit id ${device.unit} is already used on bus "${device.bus}" by device "${other.id}" (line ${ctx.lineOf(['devices', earlier, 'unit'])})`,
      );
    }
  });
}

/** A serial port can have only one owner (a second open fails with "Cannot lock port"). */
export function serialPathsAreUnique(ctx: CheckContext): void {
  const seen = new Map<string, number>();
  ctx.config.buses.forEach((bus, i) => {
    if (bus.type !== 'rtu-serial') return;
    const earlier = seen.get(bus.path);
    if (earlier === undefined) seen.set(bus.path, i);
    else {
      const other = ctx.config.buses[earlier]!;
      ctx.report(['buses', i, 'path'], `serial port ${bus.path} is already used by bus "${other.id}" (line ${ctx.lineOf(['buses', earlier, 'path'])})`);
    }
  });
}

/** Line speed is meaningful only behind an RTU converter, and must be a standard rate there. */
export function busLineSettingsAreConsistent(ctx: CheckContext): void {
  ctx.config.buses.forEach((bus, i) => {
    if (bus.type === 'rtu-serial' || bus.baudRate === undefined) return;
    if (bus.type === 'tcp') {
      ctx.report(['buses', i, 'baudRate'], 'baudRate applies to rtu-serial and rtu-over-tcp buses only; Modbus TCP has no line speed');
    } else if (!(BAUD_RATES as readonly number[]).includes(bus.baudRate)) {
      ctx.report(['buses', i, 'baudRate'], `expected one of ${BAUD_RATES.join(', ')}; got ${bus.baudRate}`);
    }
  });
}

/** A device's profile file exists and is valid. */
export function devicesUseLoadableProfiles(ctx: CheckContext): void {
  ctx.config.devices.forEach((device, i) => {
    const problem = ctx.profileProblems.get(device.profile);
    if (problem) ctx.report(['devices', i, 'profile'], problem);
  });
}

/** The accelerated (alarm) poll interval is no slower than the normal one. */
export function alarmPollIsNotSlower(ctx: CheckContext): void {
  ctx.config.devices.forEach((device, i) => {
    if (device.alarmPollMs !== undefined && device.alarmPollMs > device.pollMs) {
      ctx.report(['devices', i, 'alarmPollMs'], `alarmPollMs ${device.alarmPollMs} is slower than pollMs ${device.pollMs}; in alarm the patrol must speed up`);
    }
  });
}

/** Every point is read from a configured device. */
export function pointsReferToExistingDevices(ctx: CheckContext): void {
  ctx.config.points.forEach((point, i) => {
    if (!ctx.devicesById.has(point.device)) {
      ctx.report(['points', i, 'device'], `no device "${point.device}" (devices: ${[...ctx.devicesById.keys()].join(', ')})`);
    }
  });
}

/** A point's channel exists in its device's profile, and its unit and range agree with the channel. */
export function pointChannelsMatchProfiles(ctx: CheckContext): void {
  ctx.config.points.forEach((point, i) => {
    const profile = ctx.profileOf(point.device);
    if (!profile) return;
    const channel = profile.channels[point.channel];
    if (!channel) {
      ctx.report(['points', i, 'channel'], `profile "${profile.name}" has no channel "${point.channel}" (channels: ${Object.keys(profile.channels).join(', ')})`);
      return;
    }
    // A unit mismatch usually means the wrong channel or a wrong scale: the number would lie.
    if (channel.unit !== '' && channel.unit !== point.unit) {
      ctx.report(['points', i, 'unit'], `"${point.unit}" differs from the unit of channel "${point.channel}" in profile "${profile.name}" ("${channel.unit}")`);
    }
    // A configured range wider than the sensor can measure would hide over-range.
    if (profile.range && (point.range.low < profile.range.low || point.range.high > profile.range.high)) {
      ctx.report(
        ['points', i, 'range'],
        `${point.range.low}–${point.range.high} exceeds the measuring range of profile "${profile.name}" (${profile.range.low}–${profile.range.high})`,
      );
    }
  });
}

/** Gas must be measured by a sensor: a relay module or a switch input cannot be a gas point's source. */
export function gasPointsComeFromSensors(ctx: CheckContext): void {
  ctx.config.points.forEach((point, i) => {
    if (!GAS_SENSOR_TYPES.has(point.sensorType)) return;
    const profile = ctx.profileOf(point.device);
    if (profile && profile.kind !== 'sensor') {
      ctx.report(
        ['points', i, 'device'],
        `gas point (sensorType ${point.sensorType}) reads device "${point.device}" whose profile "${profile.name}" is a ${profile.kind}, not a sensor`,
      );
    }
  });
}

/** A freshness limit shorter than the poll interval would make the point stale between polls. */
export function freshnessCoversPollInterval(ctx: CheckContext): void {
  ctx.config.points.forEach((point, i) => {
    const device = ctx.devicesById.get(point.device);
    if (device && point.freshnessMs !== undefined && point.freshnessMs <= device.pollMs) {
      ctx.report(
        ['points', i, 'freshnessMs'],
        `${point.freshnessMs} ms is not longer than device "${device.id}" pollMs ${device.pollMs}: the point would be stale between polls`,
      );
    }
  });
}

/** Zones named by points exist. */
export function pointZonesExist(ctx: CheckContext): void {
  ctx.config.points.forEach((point, i) => {
    (point.zones ?? []).forEach((zone, j) => {
      if (!ctx.zonesById.has(zone)) ctx.report(['points', i, 'zones', j], `no zone "${zone}" (zones: ${[...ctx.zonesById.keys()].join(', ') || 'none'})`);
    });
  });
}

/** Outputs drive a writable channel of a configured device, or an output channel of a Firmata board. */
export function outputsDriveWritableChannels(ctx: CheckContext): void {
  const boards = new Map((ctx.config.boards ?? []).map((b) => [b.id, b]));
  ctx.config.outputs.forEach((output, i) => {
    const board = ctx.devicesById.has(output.device) ? undefined : boards.get(output.device);
    if (board) {
      if (!Object.hasOwn(board.outputs, output.channel)) {
        ctx.report(['outputs', i, 'channel'], `board "${board.id}" has no output channel "${output.channel}" (channels: ${Object.keys(board.outputs).join(', ')})`);
      }
      return;
    }
    if (!ctx.devicesById.has(output.device)) {
      const boardIds = boards.size > 0 ? `; boards: ${[...boards.keys()].join(', ')}` : '';
      ctx.report(['outputs', i, 'device'], `no device "${output.device}" (devices: ${[...ctx.devicesById.keys()].join(', ')}${boardIds})`);
      return;
    }
    const profile = ctx.profileOf(output.device);
    if (!profile) return;
    const channel = profile.channels[output.channel];
    if (!channel) {
      ctx.report(['outputs', i, 'channel'], `profile "${profile.name}" has no channel "${output.channel}" (channels: ${Object.keys(profile.channels).join(', ')})`);
    } else if (!channel.writable) {
      const writable = Object.entries(profile.channels).filter(([, c]) => c.writable).map(([name]) => name);
      ctx.report(
        ['outputs', i, 'channel'],
        `channel "${output.channel}" of profile "${profile.name}" is not writable (writable: ${writable.join(', ') || 'none'})`,
      );
    }
  });
}

/** Two outputs on one coil would fight: one cuts power while the other restores it. */
export function outputChannelsAreUnique(ctx: CheckContext): void {
  const seen = new Map<string, number>();
  ctx.config.outputs.forEach((output, i) => {
    const key = `${output.device}\u0000${output.channel}`;
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, i);
    else {
      const other = ctx.config.outputs[earlier]!;
      ctx.report(['outputs', i, 'channel'], `${output.device}.${output.channel} is already driven by output "${other.id}" (line ${ctx.lineOf(['outputs', earlier, 'channel'])})`);
    }
  });
}

/** An output's feedPoint exists and is a feed (馈电) sensor, so a cut-off can be verified. */
export function feedPointsAreFeedSensors(ctx: CheckContext): void {
  ctx.config.outputs.forEach((output, i) => {
    if (output.feedPoint === undefined) return;
    const point = ctx.pointsByCode.get(output.feedPoint);
    if (!point) {
      ctx.report(['outputs', i, 'feedPoint'], `no point "${output.feedPoint}"`);
    } else if (!FEED_SENSOR_TYPES.has(point.sensorType)) {
      ctx.report(
        ['outputs', i, 'feedPoint'],
        `point "${point.code}" has sensorType ${point.sensorType}; a feed point must be a feed sensor (${[...FEED_SENSOR_TYPES].join(' or ')})`,
      );
    }
  });
}

/** Zone outputs exist and are power outputs (cutting a zone must not mean silencing its siren). */
export function zoneOutputsArePowerOutputs(ctx: CheckContext): void {
  ctx.config.zones.forEach((zone, i) => {
    zone.outputs.forEach((id, j) => {
      const output = ctx.outputsById.get(id);
      if (!output) ctx.report(['zones', i, 'outputs', j], `no output "${id}" (outputs: ${[...ctx.outputsById.keys()].join(', ') || 'none'})`);
      else if (output.kind !== 'power') ctx.report(['zones', i, 'outputs', j], `output "${id}" is a ${output.kind}; a zone's outputs must be power outputs`);
    });
  });
}

/** A zone that a point governs must have outputs, or that point's cut-off would cut nothing. */
export function governedZonesHaveOutputs(ctx: CheckContext): void {
  const governed = new Set(ctx.config.points.flatMap((p) => p.zones ?? []));
  ctx.config.zones.forEach((zone, i) => {
    if (governed.has(zone.id) && zone.outputs.length === 0) {
      ctx.report(['zones', i, 'outputs'], `zone "${zone.id}" is governed by points but has no outputs: a cut-off there would cut nothing`);
    }
  });
}

/** Every rule, in the order its issues read best. Add a new rule by appending it here. */
export const crossChecks: readonly ConfigCheck[] = [
  idsAreUnique,
  devicesReferToExistingBuses,
  unitIdsAreUniquePerBus,
  serialPathsAreUnique,
  busLineSettingsAreConsistent,
  devicesUseLoadableProfiles,
  alarmPollIsNotSlower,
  pointsReferToExistingDevices,
  pointChannelsMatchProfiles,
  gasPointsComeFromSensors,
  freshnessCoversPollInterval,
  pointZonesExist,
  outputsDriveWritableChannels,
  outputChannelsAreUnique,
  feedPointsAreFeedSensors,
  zoneOutputsArePowerOutputs,
  governedZonesHaveOutputs,
  // Safety rules: thresholds no looser than the standard presets, interlock wiring consistent.
  checkSafetyThresholds,
  checkSafetyInterlocks,
  checkSafetyBoards,
  // Personnel positioning: roster, areas, readers, evacuation wiring.
  ...personnelChecks,
  personnelReadersAreWired,
  // Electronic seals: shaft mouths, cameras, meters.
  ...sealChecks,
  // Upstream: file-safe text, TLS pairs, the platform's authority, keys.
  ...syncChecks,
];
