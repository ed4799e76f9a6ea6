// `minegate bus scan <bus>`: which unit ids answer on a bus, and which profile each one most likely
// is. Every id is probed with a short timeout; each board that answers is then tried against every
// known profile (its status word, channels and parameters, one register range per read) and the
// profiles are ranked by a score (see scoreProfiles). The configured profile is looked up in the
// full ranking, before the list is cut for display, and matches when it scores as high as the best.
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { Profile } from '../../board-configs/profile-schema.js';
import { loadProfile, ProfileError } from '../../board-configs/profiles.js';
import { decodeRaw, widthOf } from '../../drivers/register-codec.js';
import { isModbusError } from '../../protocols/modbus/errors.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import { ExceptionCode, type ModbusTable } from '../../protocols/modbus/types.js';
import { createMaster } from '../bus-factory.js';
import { loadConfig, profileDirs, type LoadedConfig } from '../config/load-config.js';
import { guard } from '../operators/cli-guard.js';
import { renderTable } from '../text-table.js';
import { EXIT, fail, out } from './output.js';
import { configOption } from '../locations.js';

export const BUS_SCAN_DEFAULTS = {
  from: 1,
  to: 247,
  /** Per-id probe timeout: long enough for a 9600-baud reply, short enough for 247 ids in ~15 s. */
  timeoutMs: 50,
  /** Profile matching reads get a little more time: the board is known to be there. */
  matchTimeoutMs: 200,
  /** Candidates listed per answering unit. */
  candidates: 3,
} as const;

interface ScanOptions {
  config: string;
  from: number;
  to: number;
  timeoutMs: number;
  json?: boolean;
}

export interface ProfileMatch {
  profile: string;
  /** Reads that succeeded / reads tried. */
  ok: number;
  total: number;
  /** The board's unit-id parameter holds the unit it answered on (breaks ties between equal scores). */
  unitIdMatches: boolean;
  /** 0..1, what the ranking and the MATCH verdict use (see scoreProfiles). */
  score: number;
}

export interface ScanHit {
  unit: number;
  /** How it answered the probe: data, or a Modbus exception (still a board on the line). */
  probe: 'data' | `exception ${number}`;
  candidates: ProfileMatch[];
  /**
   * The board also answered addresses that no known profile maps: it answers any address, so a
   * richer profile is no better evidence than a smaller one and only the share of reads counts.
   */
  answersAnyAddress: boolean;
  configured?: { device: string; profile: string };
  /** How the configured profile scored (also when it is not among the listed candidates). */
  configuredMatch?: ProfileMatch | null;
  /** The configured profile scores as high as the best candidate. */
  matchesConfig?: boolean;
}

export function registerBus(program: Command): void {
  const bus = program.command('bus').description('field-bus tools');
  bus
    .command('scan')
    .description('probe unit ids on a bus and guess each answering board’s profile')
    .argument('<bus>', 'bus id in the config')
    .addOption(configOption('substation board config (YAML)'))
    .option('--from <unit>', 'first unit id', Number, BUS_SCAN_DEFAULTS.from)
    .option('--to <unit>', 'last unit id', Number, BUS_SCAN_DEFAULTS.to)
    .option('--timeout-ms <ms>', 'probe timeout per unit id', Number, BUS_SCAN_DEFAULTS.timeoutMs)
    .option('--json', 'print JSON (progress still goes to stderr)')
    .addHelpText('after', `
Examples:
  minegate bus scan rs485-1 -c /etc/minegate/minegate.yaml
  minegate bus scan field-bus -c substation.yaml --from 1 --to 20 --json

Stop the gateway first on a serial bus: the port is opened exclusively, and scan traffic would
delay its polling. At 9600 baud a full scan of 247 ids takes about 15 s.`)
    .action(async (busId: string, o: ScanOptions) => {
      await guard('bus scan', () => scanBus(busId, o));
    });
}

/** `bus scan`: probe the unit ids, rank the known profiles for each that answered, print. */
async function scanBus(busId: string, o: ScanOptions): Promise<void> {
  const { from, to, timeoutMs } = o;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > 247 || from > to) {
    return fail('bus scan', `--from/--to must be unit ids with 1 <= from <= to <= 247, got ${o.from}..${o.to}`, EXIT.usage);
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return fail('bus scan', `--timeout-ms must be a positive number, got ${o.timeoutMs}`, EXIT.usage);
  const loaded = loadConfig(o.config);
  const busConfig = loaded.busesById.get(busId);
  if (!busConfig) return fail('bus scan', `no bus "${busId}" in ${o.config} (buses: ${[...loaded.busesById.keys()].join(', ')})`);
  const profiles = knownProfiles(o.config);
  const master = createMaster(busConfig);
  try {
    await master.open();
  } catch (err) {
    await master.close();
    return fail('bus scan', `cannot open bus ${busId}: ${(err as Error).message}`);
  }
  const started = Date.now();
  try {
    const progress = new Progress(busId, to - from + 1);
    const hits: ScanHit[] = [];
    for (let unit = from; unit <= to; unit++) {
      const probe = await probeUnit(master, unit, timeoutMs);
      if (probe) hits.push({ unit, probe, candidates: [], answersAnyAddress: false });
      progress.tick(unit, hits.length);
    }
    progress.done(hits.length);
    const configured = loaded.config.devices.filter((d) => d.bus === busId);
    for (const hit of hits) await rankHit(master, hit, configured, profiles);
    const missing = configured.filter((d) => d.unit >= from && d.unit <= to && !hits.some((h) => h.unit === d.unit)).map((d) => ({ device: d.id, unit: d.unit, profile: d.profile }));
    const elapsedMs = Date.now() - started;
    if (o.json) {
      out(JSON.stringify({ bus: busId, from, to, timeoutMs, elapsedMs, found: hits, missing }));
      return;
    }
    out(`${busId}: ${hits.length} of ${to - from + 1} unit ids answered (${from}..${to}, ${timeoutMs} ms per id, ${(elapsedMs / 1000).toFixed(1)} s)`);
    if (hits.length > 0) out(renderHits(hits));
    for (const m of missing) out(`missing: ${m.device} (${m.profile}) is configured on unit ${m.unit} but did not answer`);
  } finally {
    await master.close();
  }
}

type ConfiguredDevice = LoadedConfig['config']['devices'][number];

/** Ranks the profiles for one answering unit and compares the best with the configured one. */
async function rankHit(master: ModbusMaster, hit: ScanHit, configured: ConfiguredDevice[], profiles: readonly Profile[]): Promise<void> {
  const ranked = await rankProfiles(master, hit.unit, profiles);
  hit.answersAnyAddress = ranked.answersAnyAddress;
  const device = configured.find((d) => d.unit === hit.unit);
  if (device) {
    hit.configured = { device: device.id, profile: device.profile };
    // Looked up in the whole ranking, before it is cut for display.
    const best = ranked.matches[0];
    const mine = ranked.matches.find((c) => c.profile === device.profile) ?? null;
    hit.configuredMatch = mine;
    hit.matchesConfig = !!best && !!mine && mine.score >= best.score - SCORE_EPSILON;
  }
  hit.candidates = ranked.matches.slice(0, BUS_SCAN_DEFAULTS.candidates);
}

function renderHits(hits: ScanHit[]): string {
  return renderTable(
    [{ header: 'unit', right: true }, { header: 'likely profile' }, { header: 'reads' }, { header: 'also possible' }, { header: 'config' }],
    hits.map((h) => {
      const [best, ...rest] = h.candidates;
      const config = h.configured
        ? `${h.configured.device} (${h.configured.profile}) ${h.matchesConfig ? 'MATCH' : `MISMATCH${h.configuredMatch ? ` (scores ${h.configuredMatch.score.toFixed(2)}, ${describeMatch(h.configuredMatch)})` : ' (none of its registers answered)'}`}`
        : 'not in config';
      const reads = best ? `${describeMatch(best)}${h.answersAnyAddress ? ', answers any address' : ''}` : '—';
      return [String(h.unit), best ? best.profile : `unknown board (${h.probe})`, reads, rest.map((c) => c.profile).join(', ') || '—', config];
    }),
  );
}

function describeMatch(m: ProfileMatch): string {
  return `${m.ok}/${m.total}${m.unitIdMatches ? ', unit-id param agrees' : ''}`;
}

/** Built-in profiles plus any beside the config, first name wins (same order as loadConfig). */
function knownProfiles(configFile: string): Profile[] {
  const byName = new Map<string, Profile>();
  for (const dir of profileDirs(configFile)) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    } catch {
      continue;
    }
    for (const f of files) {
      const name = basename(f, '.yaml');
      if (byName.has(name)) continue;
      try {
        byName.set(name, loadProfile(name, dir));
      } catch (err) {
        if (!(err instanceof ProfileError)) throw err;
        process.stderr.write(`minegate bus scan: skipping invalid profile ${dir}/${f}\n`);
      }
    }
  }
  return [...byName.values()];
}

/** Anything on the line answers: data or an exception. Silence, or a TCP gateway's 0x0A/0x0B, is nobody. */
async function probeUnit(master: ModbusMaster, unit: number, timeoutMs: number): Promise<ScanHit['probe'] | null> {
  try {
    await master.read(unit, 'holding', 0, 1, { timeoutMs });
    return 'data';
  } catch (err) {
    if (isModbusError(err, 'exception')) {
      const code = err.exceptionCode ?? 0;
      if (code === ExceptionCode.GatewayTargetFailedToRespond || code === 0x0a) return null;
      return `exception ${code}`;
    }
    if (isModbusError(err, 'offline') || isModbusError(err, 'closed')) throw err;
    return null;
  }
}

/** Scores this close count as equal (floating-point shares). */
const SCORE_EPSILON = 1e-9;

/** Read at an address no profile maps, per table: a board that answers it answers anything. */
const CONTROL_ADDRESS = 0xfffe;

interface Ranking {
  matches: ProfileMatch[];
  answersAnyAddress: boolean;
}

/** Try each profile's registers on the board; best score first, then unit-id agreement, then name. */
async function rankProfiles(master: ModbusMaster, unit: number, profiles: readonly Profile[]): Promise<Ranking> {
  // The same register is read once, whichever profiles ask for it.
  const cache = new Map<string, number[] | null>();
  const keyOf = (table: ModbusTable, address: number, count: number) => `${table}:${address}:${count}`;
  const tryRead = async (table: ModbusTable, address: number, count: number): Promise<number[] | null> => {
    const key = keyOf(table, address, count);
    if (!cache.has(key)) {
      cache.set(key, await master.read(unit, table, address, count, { timeoutMs: BUS_SCAN_DEFAULTS.matchTimeoutMs }).catch((err: unknown) => {
        if (isModbusError(err, 'offline') || isModbusError(err, 'closed')) throw err;
        return null;
      }));
    }
    return cache.get(key)!;
  };
  const tried: { profile: Profile; keys: string[]; ok: number; unitIdMatches: boolean }[] = [];
  const tables = new Set<ModbusTable>();
  for (const profile of profiles) {
    const reads: { table: ModbusTable; address: number; count: number }[] = [];
    if (profile.status) reads.push({ table: profile.status.table, address: profile.status.address, count: 1 });
    for (const c of Object.values(profile.channels)) reads.push({ table: c.table, address: c.address, count: widthOf(c.type) });
    for (const p of Object.values(profile.params)) reads.push({ table: 'holding', address: p.address, count: widthOf(p.type) });
    let ok = 0;
    for (const r of reads) {
      tables.add(r.table);
      if ((await tryRead(r.table, r.address, r.count)) !== null) ok++;
    }
    let unitIdMatches = false;
    const unitParam = Object.values(profile.params).find((p) => p.affects === 'unit-id');
    if (unitParam) {
      const words = await tryRead('holding', unitParam.address, widthOf(unitParam.type));
      unitIdMatches = words !== null && decodeRaw(unitParam.type, words, 'high-first') * unitParam.scale === unit;
    }
    if (ok > 0) tried.push({ profile, keys: reads.map((r) => keyOf(r.table, r.address, r.count)), ok, unitIdMatches });
  }
  // Control reads at an address no profile maps, in every table the profiles use.
  let answersAnyAddress = tried.length > 0;
  for (const table of [...tables].sort()) {
    if (!answersAnyAddress) break;
    if ((await tryRead(table, CONTROL_ADDRESS, 1)) === null) answersAnyAddress = false;
  }
  const answeredReads = [...cache.entries()].filter(([k, v]) => v !== null && !k.includes(`:${CONTROL_ADDRESS}:`)).map(([k]) => k);
  const answered = new Set(answeredReads.flatMap(registersOf));
  const matches = tried.map((t) => ({
    profile: t.profile.name,
    ok: t.ok,
    total: t.keys.length,
    unitIdMatches: t.unitIdMatches,
    score: answersAnyAddress ? t.ok / t.keys.length : scoreProfile(t.keys.flatMap(registersOf), answered),
  }));
  matches.sort((a, b) => b.score - a.score || Number(b.unitIdMatches) - Number(a.unitIdMatches) || a.profile.localeCompare(b.profile));
  return { matches, answersAnyAddress };
}

/** "holding:100:2" → ["holding:100", "holding:101"]: single registers (or bits) of a read. */
function registersOf(key: string): string[] {
  const [table, address, count] = key.split(':');
  return Array.from({ length: Number(count) }, (_, i) => `${table}:${Number(address) + i}`);
}

/**
 * How well one profile explains a board that refuses unmapped addresses, 0..1:
 * |P ∩ A| / |P ∪ A|, with P the registers the profile maps and A every register (asked for by any
 * profile) the board answered. A profile scores 1 only if the board answers all of its registers
 * and none that another profile asked for beyond them, so a profile that fits a subset of a richer
 * board scores below the richer one. (A board that answers any address is scored by the share of
 * the profile's reads answered instead: answering says nothing there, and every fully answered
 * profile ties with the best, the configured one included.)
 */
export function scoreProfile(profileRegisters: readonly string[], answered: ReadonlySet<string>): number {
  const own = new Set(profileRegisters);
  if (own.size === 0) return 0;
  let hit = 0;
  for (const r of own) if (answered.has(r)) hit++;
  let union = own.size;
  for (const r of answered) if (!own.has(r)) union++;
  return hit / union;
}

/** A bar that redraws in place on a terminal; plain lines every ~10 % in a pipe or log. On stderr. */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private lastLine = 0;
  private count = 0;

  constructor(
    private readonly bus: string,
    private readonly total: number,
  ) {}

  tick(unit: number, found: number): void {
    this.count++;
    if (this.tty) {
      const width = 30;
      const filled = Math.round((this.count / this.total) * width);
      process.stderr.write(`\rscanning ${this.bus} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] unit ${unit} (${this.count}/${this.total}), ${found} answered`);
      return;
    }
    const step = Math.max(1, Math.ceil(this.total / 10));
    if (this.count - this.lastLine >= step || this.count === this.total) {
      this.lastLine = this.count;
      process.stderr.write(`scanning ${this.bus}: ${this.count}/${this.total} ids probed (up to unit ${unit}), ${found} answered\n`);
    }
  }

  done(found: number): void {
    if (this.tty) process.stderr.write(`\rscanned ${this.bus}: ${this.total} ids, ${found} answered${' '.repeat(40)}\n`);
  }
}
