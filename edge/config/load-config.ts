// Board config loading: YAML with positions → schema → device profiles → cross-checks. Either the
// whole config is valid and comes back with the lookups every other module needs, or nothing is
// returned and a ConfigError lists every problem with file:line:column and field path.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { profilesDir as builtInProfilesDir } from '../../board-configs/paths.js';
import type { Profile } from '../../board-configs/profile-schema.js';
import { loadProfile, ProfileError } from '../../board-configs/profiles.js';
import { type BusConfig, type DeviceConfig, type PointConfig, type SubstationConfig, SubstationConfigSchema } from '../../board-configs/schema.js';
import { ConfigError, type ConfigIssue, formatPath } from '../../core/config-error.js';
import type { CheckContext, ConfigCheck, ConfigPath } from './check-context.js';
import { configChecks } from './check-registry.js';
import { validateWithSchema } from '../../core/schema-issues.js';
import { schemaValidPart } from './schema-valid-part.js';
import { readYamlSource, type YamlSource } from '../../core/yaml-source.js';
import { MinegateError } from '../../core/minegate-error.js';

export { ConfigError, type ConfigIssue } from '../../core/config-error.js';

export interface LoadedConfig {
  file: string;
  config: SubstationConfig;
  /** Profiles used by devices, by name. */
  profiles: Map<string, Profile>;
  /** Derived lookups other modules need (no one should re-derive them). */
  devicesById: Map<string, DeviceConfig>;
  busesById: Map<string, BusConfig>;
  pointsByCode: Map<string, PointConfig>;
  /** freshnessMs resolved for every point (default 3 × its device pollMs). Throws UnknownPointError. */
  freshnessMs(pointCode: string): number;
}

export interface LoadConfigOptions {
  /** Extra profile folder searched first (before `profiles/` next to the config and the built-in set). */
  profilesDir?: string;
}

/** Defaults applied after the schema's own (which fills bus timeouts, pollMs, parity …). */
export const CONFIG_DEFAULTS = {
  /** A point's reading is stale after this many poll intervals of its device without a fresh one. */
  freshnessPollIntervals: 3,
} as const;

/** freshnessMs() was asked about a point code the config does not define. */
export class UnknownPointError extends MinegateError<'UNKNOWN_POINT'> {
  constructor(readonly point: string) {
    super('UNKNOWN_POINT', `unknown point code "${point}"`, { field: point });
    this.name = 'UnknownPointError';
  }
}

/** Read and validate a board config file. Throws ConfigError (also for an unreadable file). */
export function loadConfig(file: string, opts: LoadConfigOptions = {}): LoadedConfig {
  validateOptions(opts);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError([{ file, line: 0, column: 0, path: '(file)', message: `cannot read the file (${why})` }]);
  }
  return parseConfigText(text, file, opts);
}

/** Validate config YAML text; `file` names it in issues and anchors the `profiles/` folder next to it. */
export function parseConfigText(text: string, file: string, opts: LoadConfigOptions = {}): LoadedConfig {
  validateOptions(opts);
  const source = readYamlSource(text, file);
  // Structure first: cross-references are meaningless on a document that does not parse.
  if (source.issues.length > 0) throw new ConfigError(source.issues);
  const parsed = validateWithSchema(SubstationConfigSchema, source);
  if (!parsed.ok) {
    // Every error at once (issue 14, item 8): the cross-checks also run on the part that did
    // validate, so fixing the schema errors does not reveal a second round of errors.
    const part = schemaValidPart(SubstationConfigSchema, source.data);
    const more: ConfigIssue[] = [];
    if (part) {
      try {
        crossCheck(file, part.config, source, opts, more, part.toFilePath, part.trustworthy);
      } catch {
        // A rule that trips over the stand-ins of a set-aside part: the schema issues still stand.
        more.length = 0;
      }
    }
    const seen = new Set(parsed.issues.map((i) => `${i.line}:${i.column}:${i.message}`));
    throw new ConfigError([...parsed.issues, ...more.filter((i) => !seen.has(`${i.line}:${i.column}:${i.message}`))]);
  }
  const config = parsed.value;

  const issues: ConfigIssue[] = [];
  const ctx = crossCheck(file, config, source, opts, issues);
  const { profiles } = ctx;
  if (issues.length > 0) throw new ConfigError(issues);

  const freshness = new Map<string, number>();
  for (const point of config.points) {
    const device = ctx.devicesById.get(point.device)!;
    freshness.set(point.code, point.freshnessMs ?? CONFIG_DEFAULTS.freshnessPollIntervals * device.pollMs);
  }
  // Frozen: the config is shared by pollers, rules and upstream; a stray write in one would
  // silently change what the others see.
  deepFreeze(config);
  return {
    file,
    config,
    profiles: new Map(profiles),
    devicesById: new Map(ctx.devicesById),
    busesById: new Map(ctx.busesById),
    pointsByCode: new Map(ctx.pointsByCode),
    freshnessMs(pointCode: string): number {
      const ms = freshness.get(pointCode);
      if (ms === undefined) throw new UnknownPointError(pointCode);
      return ms;
    },
  };
}

/** Profiles and cross-checks on a schema-valid config; issues are appended to `issues`. */
function crossCheck(
  file: string,
  config: SubstationConfig,
  source: YamlSource,
  opts: LoadConfigOptions,
  issues: ConfigIssue[],
  toFilePath: (path: ConfigPath) => ConfigPath = (path) => path,
  trustworthy: (message: string) => boolean = () => true,
): ReturnType<typeof checkContext> {
  const { profiles, problems } = loadProfiles(config, profileDirs(file, opts), issues);
  const report = (path: ConfigPath, message: string): void => {
    if (!trustworthy(message)) return;
    const at = toFilePath(path);
    issues.push({ file, ...source.locate(at), path: formatPath(at), message });
  };
  const ctx = checkContext(file, config, profiles, problems, report, (path) => source.locate(toFilePath(path)).line);
  runChecks(configChecks, ctx);
  return ctx;
}

function validateOptions(opts: LoadConfigOptions): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`loadConfig options must be an object, got ${String(opts)}`);
  if (opts.profilesDir !== undefined && (typeof opts.profilesDir !== 'string' || opts.profilesDir === '')) {
    throw new TypeError(`profilesDir must be a non-empty string, got ${JSON.stringify(opts.profilesDir)}`);
  }
}

/** Where profiles are looked up, first hit wins: explicit dir, `profiles/` beside the config, built-in. */
export function profileDirs(file: string, opts: LoadConfigOptions = {}): string[] {
  const dirs = [...(opts.profilesDir ? [opts.profilesDir] : []), join(dirname(resolve(file)), 'profiles'), builtInProfilesDir()];
  return [...new Set(dirs.map((d) => resolve(d)))];
}

function loadProfiles(
  config: SubstationConfig,
  dirs: readonly string[],
  issues: ConfigIssue[],
): { profiles: Map<string, Profile>; problems: Map<string, string> } {
  const profiles = new Map<string, Profile>();
  const problems = new Map<string, string>();
  for (const name of new Set(config.devices.map((d) => d.profile))) {
    const dir = dirs.find((d) => existsSync(join(d, `${name}.yaml`)));
    if (!dir) {
      problems.set(name, `unknown profile "${name}": no ${name}.yaml in ${dirs.join(', ')}`);
      continue;
    }
    try {
      profiles.set(name, loadProfile(name, dir));
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      // The profile's own issues carry its file and lines; the device line says who uses it.
      issues.push(...err.issues);
      problems.set(name, `profile "${name}" is invalid (${err.file}; see the issues listed for that file)`);
    }
  }
  return { profiles, problems };
}

function checkContext(
  file: string,
  config: SubstationConfig,
  profiles: ReadonlyMap<string, Profile>,
  profileProblems: ReadonlyMap<string, string>,
  report: (path: ConfigPath, message: string) => void,
  lineOf: (path: ConfigPath) => number,
): CheckContext & { devicesById: Map<string, DeviceConfig>; busesById: Map<string, BusConfig>; pointsByCode: Map<string, PointConfig> } {
  const devicesById = firstBy(config.devices, (d) => d.id);
  return {
    file,
    config,
    profiles,
    profileProblems,
    busesById: firstBy(config.buses, (b) => b.id),
    devicesById,
    pointsByCode: firstBy(config.points, (p) => p.code),
    zonesById: firstBy(config.zones, (z) => z.id),
    outputsById: firstBy(config.outputs, (o) => o.id),
    profileOf(deviceId) {
      const device = devicesById.get(deviceId);
      return device ? profiles.get(device.profile) : undefined;
    },
    report,
    lineOf,
  };
}

function runChecks(checks: readonly ConfigCheck[], ctx: CheckContext): void {
  for (const check of checks) check(ctx);
}

function firstBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) if (!map.has(key(item))) map.set(key(item), item);
  return map;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
