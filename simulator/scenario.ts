// Scenario files: which simulated buses and devices exist, what their sensors read over time, and
// which faults happen when. Validated up front so that a typo stops the run with file:line:column
// and the field path instead of surfacing as a strange reading in the middle of a test.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BAUD_RATES } from '../board-configs/schema.js';
import { loadProfile, ProfileError } from '../board-configs/profiles.js';
import type { Profile } from '../board-configs/profile-schema.js';
import { type ConfigIssue, formatPath } from '../core/config-error.js';
import { validateWithSchema } from '../core/schema-issues.js';
import { readYamlSource, type YamlSource } from '../core/yaml-source.js';
import { ScenarioError, SimulatorError } from './errors.js';
import { CardScriptSchema, checkRoutes, ReaderSpecSchema } from './personnel/routes.js';
import { SignalSchema } from './signals.js';
import { ProfileDevice } from './virtual-device.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore');
const unit = z.number().int().min(1).max(247);
const seconds = z.number().min(0);
/** 0 asks the OS for a free port (tests); start() reports the port actually bound. */
const port = z.number().int().min(0).max(65535);
const host = z.string().min(1).default('127.0.0.1');

export const ListenSchema = z.discriminatedUnion('type', [
  /** Modbus TCP (MBAP framing), like an Ethernet sensor or a Modbus TCP gateway. */
  z.strictObject({ type: z.literal('tcp'), host, port }),
  /** RTU frames over a TCP socket, like a serial-to-Ethernet converter in front of an RS-485 line. */
  z.strictObject({ type: z.literal('rtu-over-tcp'), host, port }),
  /** A real serial line made of a PTY pair: the gateway opens `link`, the simulator serves the other end. */
  z.strictObject({
    type: z.literal('rtu-pty'),
    link: z.string().min(1),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  }),
]);
export type Listen = z.infer<typeof ListenSchema>;

const StatusFlagsSchema = z.strictObject({ sensorFault: z.boolean().optional(), calibrating: z.boolean().optional() });

export const FollowsSchema = z.strictObject({
  /** The leading device on the same bus (e.g. the relay module). */
  unit,
  /** Its channel to mirror (e.g. coil0). */
  channel: z.string().min(1),
  /** How long the contactor takes to pull in or drop out after the coil changes. */
  delayMs: z.number().int().min(0).max(60_000).default(300),
  /** The follower's channel that mirrors it; default `state`. */
  into: z.string().min(1).default('state'),
  /** Mirror the opposite value (a normally-closed auxiliary contact). */
  invert: z.boolean().default(false),
});
export type Follows = z.infer<typeof FollowsSchema>;

/** simulator/relay-watchdog.ts: the module drops its guarded coils when the heartbeat stops toggling. */
export const WatchdogSchema = z.strictObject({
  /** The writable coil the master toggles (an output of kind heartbeat in the board config). */
  heartbeat: z.string().min(1),
  /**
   * Heartbeat silence (ms) after which the guarded coils drop to off. Default 3 s: twelve gateway
   * ticks, and above the heartbeat's pause during a config reload (up to 1.6 s measured).
   */
  timeoutMs: z.number().int().min(50).max(600_000).default(3000),
  /** The coils dropped on a trip; default every writable coil but the heartbeat. */
  coils: z.array(z.string().min(1)).min(1).optional(),
});
export type Watchdog = z.infer<typeof WatchdogSchema>;

const ChannelValueSchema = z.union([z.number(), z.boolean()]);

export const ScenarioDeviceSchema = z.strictObject({
  unit,
  /** Profile name: board-configs/profiles/<profile>.yaml (the same file the gateway's driver reads). */
  profile: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  description: z.string().optional(),
  /** Signal programs for read-only channels, evaluated every tick at scenario time. */
  values: z.record(z.string(), SignalSchema).default({}),
  /** Values set once at start (any channel, writable ones included). */
  initial: z.record(z.string(), ChannelValueSchema).default({}),
  /** Board parameters at power-up, engineering units (unit-id and baud-rate come from unit/baudRate). */
  params: z.record(z.string(), z.number()).default({}),
  /** Status flags at start. */
  status: StatusFlagsSchema.optional(),
  /** Mirror another device's channel after a delay: a feed sensor behind a relay-driven contactor. */
  follows: FollowsSchema.optional(),
  /** A hardware watchdog on the heartbeat coil (relay modules). */
  watchdog: WatchdogSchema.optional(),
});
export type ScenarioDevice = z.infer<typeof ScenarioDeviceSchema>;

export const ScenarioBusSchema = z.strictObject({
  /** Matches the bus id in the board config the gateway runs with. */
  id,
  description: z.string().optional(),
  listen: ListenSchema,
  /** RTU buses only: line speed; each reply is delayed by its time on the wire at this rate. */
  baudRate: z
    .number()
    .int()
    .refine((b) => (BAUD_RATES as readonly number[]).includes(b), `one of ${BAUD_RATES.join(', ')}`)
    .optional(),
  devices: z.array(ScenarioDeviceSchema).min(1, 'a bus needs at least one device'),
});
export type ScenarioBus = z.infer<typeof ScenarioBusSchema>;

/** Faults an event can switch on (until `until`, or for the rest of the run). */
export const FAULT_KINDS = ['no-response', 'garbage', 'crc-error', 'truncate', 'wrong-unit', 'wrong-function', 'device-failure', 'stuck'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const EVENT_ACTIONS = ['fault', 'set', 'status', 'responseDelayMs', 'down'] as const;

export const ScenarioEventSchema = z
  .strictObject({
    /** Scenario second the event starts. */
    at: seconds,
    /** Scenario second it ends (the fault clears, the set value returns to its program, the bus comes back). */
    until: seconds.optional(),
    bus: id,
    /** Device (its unit id at the start of the run); not used with `down`. */
    unit: unit.optional(),
    fault: z.enum(FAULT_KINDS).optional(),
    /** Channel values to force (engineering units); they hold over the channel's signal program. */
    set: z.record(z.string(), ChannelValueSchema).optional(),
    status: StatusFlagsSchema.optional(),
    /** The device answers this many ms late (a slow board; set it near the gateway's timeout). */
    responseDelayMs: z.number().int().min(1).max(60_000).optional(),
    /** The whole bus goes away: TCP listener closed, or the PTY pair removed (an unplugged adapter). */
    down: z.literal(true).optional(),
    /** Free text written to the simulator log when the event fires. */
    note: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    const actions = EVENT_ACTIONS.filter((k) => e[k] !== undefined);
    // A note alone is a marker on the timeline (it only logs).
    if (actions.length > 1 || (actions.length === 0 && e.note === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `an event needs exactly one of ${EVENT_ACTIONS.join(', ')}, or only a note (found ${actions.length ? actions.join(', ') : 'none'})`,
      });
    }
    if (e.until !== undefined && e.until <= e.at) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: `must be after at (${e.at})` });
    }
    if (e.down !== undefined && e.unit !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['unit'], message: 'a bus-down event affects the whole bus: drop unit' });
    }
    if (e.down === undefined && actions.length === 1 && e.unit === undefined) {
      ctx.addIssue({ code: 'custom', path: ['unit'], message: `missing required key "unit" (the device the ${actions[0]} applies to)` });
    }
  });
export type ScenarioEvent = z.infer<typeof ScenarioEventSchema>;

/** How the gateway reaches the framed readers' RS-485 line. */
export const PersonnelLineSchema = z.discriminatedUnion('type', [
  /** An RS-485-over-TCP converter (no socat needed): the gateway's reader link is tcp host:port. */
  z.strictObject({ type: z.literal('tcp'), host, port }),
  /** A socat PTY pair; the gateway opens `<dir>/readers-gateway` (default dir: a fresh temp folder). */
  z.strictObject({ type: z.literal('pty'), dir: z.string().min(1).optional() }),
]);

/** A seal camera (a seal-camera device on a bus) that people passing a reader also walk past. */
export const SealLinkSchema = z.strictObject({
  /** Reader address: a card arriving in its range crosses the camera. */
  reader: z.number().int().min(1).max(247),
  bus: id,
  unit,
  /** The camera counts a card's 1st, 3rd … arrival as people-in (into the mine), the 2nd, 4th … as people-out. */
  firstPass: z.enum(['in', 'out']).default('in'),
});
export type SealLink = z.infer<typeof SealLinkSchema>;

/** People a seal camera counts without any card: nobody's reader sees them. */
export const UncardedCrossingSchema = z.strictObject({
  at: seconds,
  bus: id,
  unit,
  direction: z.enum(['in', 'out']).default('in'),
  count: z.number().int().min(1).max(1000).default(1),
  note: z.string().optional(),
});
export type UncardedCrossing = z.infer<typeof UncardedCrossingSchema>;

/**
 * The personnel-positioning network of the scenario: readers, cards walking routes (the format of
 * simulator/personnel/routes.ts), where the framed line and the Modbus-FIFO readers are served, and
 * which seal cameras the cards walk past. Its clock runs from start in real time × `speed`.
 */
export const ScenarioPersonnelSchema = z.strictObject({
  description: z.string().optional(),
  line: PersonnelLineSchema.default({ type: 'pty' }),
  /** Modbus TCP endpoint of the Modbus-FIFO readers (unit id = reader address). */
  modbus: z.strictObject({ host, port }).optional(),
  seed: z.number().int().default(1),
  reportIntervalS: z.number().min(0.05).max(60).default(1),
  baudRate: z
    .number()
    .int()
    .refine((b) => (BAUD_RATES as readonly number[]).includes(b), `one of ${BAUD_RATES.join(', ')}`)
    .default(9600),
  /** Scenario seconds per real second for the routes. */
  speed: z.number().positive().max(1000).default(1),
  readers: z.array(ReaderSpecSchema).min(1, 'the personnel network needs at least one reader'),
  cards: z.array(CardScriptSchema).default([]),
  sealLinks: z.array(SealLinkSchema).default([]),
  uncarded: z.array(UncardedCrossingSchema).default([]),
});
export type ScenarioPersonnel = z.infer<typeof ScenarioPersonnelSchema>;

export const ScenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Base seed for signal noise: same seed, same readings at the same scenario time. */
  seed: z.number().int().default(1),
  buses: z.array(ScenarioBusSchema).min(1, 'a scenario needs at least one bus'),
  events: z.array(ScenarioEventSchema).default([]),
  personnel: ScenarioPersonnelSchema.optional(),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

export interface ScenarioOptions {
  /** Where device profiles are read from (default: board-configs/profiles). */
  profilesDir?: string;
}

/** Read and validate a scenario file. Throws ScenarioError listing every problem. */
export function loadScenario(file: string, options: ScenarioOptions = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ScenarioError('SCENARIO_NOT_FOUND', file, [{ file, line: 0, column: 0, path: '(file)', message: `cannot read scenario file (${why})` }]);
  }
  return parseScenario(text, file, options);
}

/** Validate scenario YAML text; `file` names it in errors. */
export function parseScenario(text: string, file: string, options: ScenarioOptions = {}): Scenario {
  const source = readYamlSource(text, file);
  if (source.issues.length > 0) throw new ScenarioError('SCENARIO_INVALID', file, source.issues);
  const result = validateWithSchema(ScenarioSchema, source);
  if (!result.ok) throw new ScenarioError('SCENARIO_INVALID', file, result.issues);
  const issues = crossCheck(result.value, source, options);
  if (issues.length > 0) throw new ScenarioError('SCENARIO_INVALID', file, issues);
  return result.value;
}

/** Checks that need more than one field: references between buses, devices, profiles and events. */
function crossCheck(scenario: Scenario, source: YamlSource, options: ScenarioOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const issue: IssueSink = (path, message, key = false) => {
    issues.push({ file: source.file, ...source.locate(path, { key }), path: formatPath(path), message });
  };
  // Buses first: followers, events and the personnel section refer to their units.
  const known = checkBuses(scenario, options, issue);
  checkFollowers(scenario, known, issue);
  checkEvents(scenario, known, issue);
  if (scenario.personnel) checkPersonnel(scenario, scenario.personnel, known, issue);
  return issues;
}

interface KnownUnits {
  /** Bus id → its index in buses[]. */
  busIndex: Map<string, number>;
  /** Per bus: unit → its profile, device index and device (the first device of a unit, when doubled). */
  units: Map<string, Map<number, { profile: Profile; index: number; device: ScenarioDevice }>>;
}

/** Bus ids, endpoints and unit ids unique; every device's profile loads and its values fit it. */
function checkBuses(scenario: Scenario, options: ScenarioOptions, issue: IssueSink): KnownUnits {
  const busIndex = new Map<string, number>();
  const endpoints = new Map<string, string>();
  const units: KnownUnits['units'] = new Map();

  scenario.buses.forEach((bus, b) => {
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['buses', b, ...rest];
    if (busIndex.has(bus.id)) issue(at('id'), `duplicate bus id "${bus.id}" (also buses[${busIndex.get(bus.id)}])`);
    busIndex.set(bus.id, b);

    const endpoint = bus.listen.type === 'rtu-pty' ? `pty ${bus.listen.link}` : bus.listen.port === 0 ? undefined : `port ${bus.listen.host}:${bus.listen.port}`;
    if (endpoint) {
      if (endpoints.has(endpoint)) issue(at('listen'), `${endpoint} is already used by bus "${endpoints.get(endpoint)}"`);
      endpoints.set(endpoint, bus.id);
    }
    if (bus.listen.type === 'tcp' && bus.baudRate !== undefined) {
      issue(at('baudRate'), 'baudRate applies only to RTU buses (rtu-over-tcp, rtu-pty); Modbus TCP has no serial line time', true);
    }

    const busUnits = new Map<number, { profile: Profile; index: number; device: ScenarioDevice }>();
    units.set(bus.id, busUnits);
    bus.devices.forEach((device, d) => {
      const dev = (...rest: PropertyKey[]): PropertyKey[] => at('devices', d, ...rest);
      const other = busUnits.get(device.unit);
      if (other) issue(dev('unit'), `unit ${device.unit} is already used on bus "${bus.id}" (devices[${other.index}])`);
      let profile: Profile;
      try {
        profile = options.profilesDir ? loadProfile(device.profile, options.profilesDir) : loadProfile(device.profile);
      } catch (err) {
        const detail = err instanceof ProfileError && err.code === 'PROFILE_NOT_FOUND' ? `no such profile "${device.profile}"` : `profile "${device.profile}" is invalid:\n${(err as Error).message}`;
        issue(dev('profile'), detail);
        return;
      }
      if (!other) busUnits.set(device.unit, { profile, index: d, device });
      checkDevice(device, profile, bus, dev, issue);
    });
  });
  return { busIndex, units };
}

/** Followers, once every unit on the bus is known: the leader and both channels exist. */
function checkFollowers(scenario: Scenario, { units }: KnownUnits, issue: IssueSink): void {
  scenario.buses.forEach((bus, b) => {
    bus.devices.forEach((device, d) => {
      const follows = device.follows;
      if (!follows) return;
      const path = (...rest: PropertyKey[]): PropertyKey[] => ['buses', b, 'devices', d, 'follows', ...rest];
      const leader = units.get(bus.id)?.get(follows.unit);
      if (follows.unit === device.unit) issue(path('unit'), 'a device cannot follow itself');
      else if (!leader) issue(path('unit'), `no unit ${follows.unit} on bus "${bus.id}"`);
      else if (!(follows.channel in leader.profile.channels)) {
        issue(path('channel'), `unit ${follows.unit} (${leader.profile.name}) has no channel "${follows.channel}"; it has ${Object.keys(leader.profile.channels).join(', ')}`);
      }
      const self = units.get(bus.id)?.get(device.unit);
      if (self && self.index === d) {
        if (!(follows.into in self.profile.channels)) {
          issue(path('into'), `${self.profile.name} has no channel "${follows.into}" to mirror into; it has ${Object.keys(self.profile.channels).join(', ')}`);
        } else if (follows.into in device.values) {
          issue(['buses', b, 'devices', d, 'values', follows.into], `channel "${follows.into}" follows unit ${follows.unit}; it cannot also have a signal program`, true);
        }
      }
    });
  });
}

/** Each event names a bus and unit that exist, and what it sets fits the unit's profile. */
function checkEvents(scenario: Scenario, { busIndex, units }: KnownUnits, issue: IssueSink): void {
  scenario.events.forEach((event, e) => {
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['events', e, ...rest];
    const b = busIndex.get(event.bus);
    if (b === undefined) {
      issue(at('bus'), `no bus "${event.bus}"; buses are ${[...busIndex.keys()].join(', ')}`);
      return;
    }
    if (event.unit === undefined) return;
    const target = units.get(event.bus)?.get(event.unit);
    if (!target) {
      issue(at('unit'), `no unit ${event.unit} on bus "${event.bus}"`);
      return;
    }
    if (event.fault === 'stuck' && !target.device.follows) {
      issue(at('fault'), `"stuck" freezes a device that follows another (a welded contactor); unit ${event.unit} has no follows`);
    }
    if (event.set) {
      const trial = new ProfileDevice(target.profile, { unit: event.unit });
      for (const [channel, value] of Object.entries(event.set)) {
        try {
          trial.set(channel, value);
        } catch (err) {
          issue(at('set', channel), (err as Error).message, !(channel in target.profile.channels));
        }
      }
    }
    if (event.status) checkStatusFlags(event.status, target.profile, at('status'), issue);
  });
}

/** The personnel section: routes, readers and seal cameras it names exist, and its ports are free. */
function checkPersonnel(scenario: Scenario, personnel: NonNullable<Scenario['personnel']>, { busIndex, units }: KnownUnits, issue: IssueSink): void {
  checkRoutes(personnel, (path, message) => issue(['personnel', ...path], message));
  const readers = new Set(personnel.readers.map((r) => r.address));
  const camera = (path: PropertyKey[], busId: string, unitId: number): void => {
    if (!busIndex.has(busId)) issue([...path, 'bus'], `no bus "${busId}"; buses are ${[...busIndex.keys()].join(', ')}`);
    else {
      const target = units.get(busId)?.get(unitId);
      if (!target) issue([...path, 'unit'], `no unit ${unitId} on bus "${busId}"`);
      else if (target.profile.name !== 'seal-camera') issue([...path, 'unit'], `unit ${unitId} on bus "${busId}" is a ${target.profile.name}, not a seal-camera`);
    }
  };
  personnel.sealLinks.forEach((link, i) => {
    if (!readers.has(link.reader)) issue(['personnel', 'sealLinks', i, 'reader'], `no reader ${link.reader} in personnel.readers`);
    camera(['personnel', 'sealLinks', i], link.bus, link.unit);
  });
  personnel.uncarded.forEach((c, i) => camera(['personnel', 'uncarded', i], c.bus, c.unit));
  const framed = personnel.readers.some((r) => r.protocol === 'framed');
  const fifo = personnel.readers.some((r) => r.protocol === 'modbus-fifo');
  if (personnel.modbus && !fifo) issue(['personnel', 'modbus'], 'modbus serves Modbus-FIFO readers; there are none', true);
  const ports = new Map<number, string>();
  for (const bus of scenario.buses) if (bus.listen.type !== 'rtu-pty' && bus.listen.port !== 0) ports.set(bus.listen.port, `bus "${bus.id}"`);
  if (framed && personnel.line.type === 'tcp' && personnel.line.port !== 0) {
    if (ports.has(personnel.line.port)) issue(['personnel', 'line', 'port'], `port ${personnel.line.port} is already used by ${ports.get(personnel.line.port)}`);
    ports.set(personnel.line.port, 'the reader line');
  }
  if (personnel.modbus && personnel.modbus.port !== 0 && ports.has(personnel.modbus.port)) {
    issue(['personnel', 'modbus', 'port'], `port ${personnel.modbus.port} is already used by ${ports.get(personnel.modbus.port)}`);
  }
}

type IssueSink = (path: PropertyKey[], message: string, key?: boolean) => void;

function checkDevice(device: ScenarioDevice, profile: Profile, bus: ScenarioBus, path: (...rest: PropertyKey[]) => PropertyKey[], issue: IssueSink): void {
  const channels = Object.keys(profile.channels);
  for (const name of Object.keys(device.values)) {
    const channel = profile.channels[name];
    if (!channel) issue(path('values', name), `${profile.name} has no channel "${name}"; it has ${channels.join(', ')}`, true);
    else if (channel.writable) {
      issue(path('values', name), `"${name}" is written by the gateway; a signal would overwrite its writes (use initial for a start value)`, true);
    }
  }
  for (const name of Object.keys(device.params)) {
    const param = profile.params[name];
    if (!param) {
      issue(path('params', name), `${profile.name} has no param "${name}"; it has ${Object.keys(profile.params).join(', ') || 'none'}`, true);
    } else if (param.affects) {
      issue(path('params', name), `"${name}" is set by the device's ${param.affects === 'unit-id' ? 'unit' : "bus's baudRate"}`, true);
    }
  }
  // A trial device reports range and encoding problems with the same words the running one would.
  let trial: ProfileDevice;
  const params = Object.fromEntries(Object.entries(device.params).filter(([n]) => profile.params[n] && !profile.params[n]!.affects));
  try {
    trial = new ProfileDevice(profile, { unit: device.unit, params, ...(bus.baudRate ? { baudRate: bus.baudRate } : {}) });
  } catch (err) {
    const baudParam = Object.entries(profile.params).find(([, p]) => p.affects === 'baud-rate')?.[0];
    if (err instanceof SimulatorError && err.code === 'not-encodable' && baudParam !== undefined && err.details.name === baudParam) {
      // The line speed itself is fine; the profile's register for it is too narrow (e.g. uint16 for 115200).
      const { low, high } = err.details as { low: number; high: number };
      issue(
        [...path().slice(0, 2), 'baudRate'],
        `${bus.baudRate} baud cannot be stored in the ${baudParam} param of ${profile.name} (unit ${device.unit}), whose register holds ${low}..${high}; use a lower rate or fix the profile (e.g. scale: 100)`,
        true,
      );
    } else {
      issue(path('params'), (err as Error).message.replace(/^ProfileDevice\([^)]*\): /, ''));
    }
    return;
  }
  for (const [name, value] of Object.entries(device.initial)) {
    try {
      trial.set(name, value);
    } catch (err) {
      issue(path('initial', name), (err as Error).message, !(name in profile.channels));
    }
  }
  if (device.status) checkStatusFlags(device.status, profile, path('status'), issue);
  if (device.watchdog) checkWatchdog(device.watchdog, profile, path('watchdog'), issue);
}

function checkWatchdog(watchdog: Watchdog, profile: Profile, path: PropertyKey[], issue: IssueSink): void {
  const coils = Object.entries(profile.channels).filter(([, ch]) => ch.table === 'coil' && ch.writable).map(([name]) => name);
  const known = (name: string): boolean => coils.includes(name);
  const list = coils.length > 0 ? `its writable coils are ${coils.join(', ')}` : 'it has no writable coil';
  if (!known(watchdog.heartbeat)) issue([...path, 'heartbeat'], `${profile.name} has no writable coil "${watchdog.heartbeat}"; ${list}`);
  const seen = new Set<string>();
  (watchdog.coils ?? []).forEach((coil, i) => {
    if (!known(coil)) issue([...path, 'coils', i], `${profile.name} has no writable coil "${coil}"; ${list}`);
    else if (coil === watchdog.heartbeat) issue([...path, 'coils', i], `"${coil}" is the heartbeat itself; the watchdog drops the other coils`);
    else if (seen.has(coil)) issue([...path, 'coils', i], `"${coil}" is listed twice`);
    seen.add(coil);
  });
}

function checkStatusFlags(flags: z.infer<typeof StatusFlagsSchema>, profile: Profile, path: PropertyKey[], issue: IssueSink): void {
  for (const flag of ['sensorFault', 'calibrating'] as const) {
    if (flags[flag] !== undefined && profile.status?.bits[flag] === undefined) {
      issue([...path, flag], `${profile.name} has no ${flag} status bit`, true);
    }
  }
}
