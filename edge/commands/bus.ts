// `minegate bus scan <bus>`: which unit ids answer on a bus, and which profile each one most likely
// is. Every id is probed with a short timeout; each board that answers is then tried against every
// known profile (its status word, channels and parameters, one register range per read) and the
// profiles are ranked by how many of those reads succeed. The result is compared with the config.
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
import { loadConfig, profileDirs } from '../config/load-config.js';
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
  /** The board's unit-id parameter holds the unit it answered on (strong evidence). */
  unitIdMatches: boolean;
}

export interface ScanHit {
  unit: number;
  /** How it answered the probe: data, or a Modbus exception (still a board on the line). */
  probe: 'data' | `exception ${number}`;
  candidates: ProfileMatch[];
  configured?: { device: string; profile: string };
  /** The configured profile is the best candidate (or tied with it). */
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
  minegate bus scan rs485-1 -c /etc/minegate/substation.yaml
  minegate bus scan field-bus -c substation.yaml --from 1 --to 20 --json

Stop the gateway first on a serial bus: the port is opened exclusively, and scan traffic would
delay its polling. At 9600 baud a full scan of 247 ids takes about 15 s.`)
    .action(async (busId: string, o: ScanOptions) => {
      await guard('bus scan', async () => {
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
            if (probe) hits.push({ unit, probe, candidates: [] });
            progress.tick(unit, hits.length);
          }
          progress.done(hits.length);
          const configured = loaded.config.devices.filter((d) => d.bus === busId);
          for (const hit of hits) {
            hit.candidates = (await rankProfiles(master, hit.unit, profiles)).slice(0, BUS_SCAN_DEFAULTS.candidates);
            const device = configured.find((d) => d.unit === hit.unit);
            if (device) {
              hit.configured = { device: device.id, profile: device.profile };
              // The configured profile must rank first (or tie with the first): a profile that
              // merely fits a subset of a richer board's registers is not a match.
              const best = hit.candidates[0];
              const mine = hit.candidates.find((c) => c.profile === device.profile);
              hit.matchesConfig = !!best && !!mine && mine.ok === best.ok && mine.total === best.total;
            }
          }
          const missing = configured.filter((d) => d.unit >= from && d.unit <= to && !hits.some((h) => h.unit === d.unit)).map((d) => ({ device: d.id, unit: d.unit, profile: d.profile }));
          const elapsedMs = Date.now() - started;
          if (o.json) {
            out(JSON.stringify({ bus: busId, from, to, timeoutMs, elapsedMs, found: hits, missing }));
            return;
          }
          out(`${busId}: ${hits.length} of ${to - from + 1} unit ids answered (${from}..${to}, ${timeoutMs} ms per id, ${(elapsedMs / 1000).toFixed(1)} s)`);
          if (hits.length > 0) {
            out(renderTable(
              [{ header: 'unit', right: true }, { header: 'likely profile' }, { header: 'reads' }, { header: 'also possible' }, { header: 'config' }],
              hits.map((h) => {
                const [best, ...rest] = h.candidates;
                const config = h.configured ? `${h.configured.device} (${h.configured.profile})${h.matchesConfig ? '' : ' MISMATCH'}` : 'not in config';
                return [String(h.unit), best ? best.profile : `unknown board (${h.probe})`, best ? describeMatch(best) : '—', rest.map((c) => c.profile).join(', ') || '—', config];
              }),
            ));
          }
          for (const m of missing) out(`missing: ${m.device} (${m.profile}) is configured on unit ${m.unit} but did not answer`);
        } finally {
          await master.close();
        }
      });
    });
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

/** Try each profile's registers on the board; best first (share of reads that succeed, then how many). */
async function rankProfiles(master: ModbusMaster, unit: number, profiles: readonly Profile[]): Promise<ProfileMatch[]> {
  // The same register is read once, whichever profiles ask for it.
  const cache = new Map<string, number[] | null>();
  const tryRead = async (table: ModbusTable, address: number, count: number): Promise<number[] | null> => {
    const key = `${table}:${address}:${count}`;
    if (!cache.has(key)) {
      cache.set(key, await master.read(unit, table, address, count, { timeoutMs: BUS_SCAN_DEFAULTS.matchTimeoutMs }).catch((err: unknown) => {
        if (isModbusError(err, 'offline') || isModbusError(err, 'closed')) throw err;
        return null;
      }));
    }
    return cache.get(key)!;
  };
  const matches: ProfileMatch[] = [];
  for (const profile of profiles) {
    const reads: { table: ModbusTable; address: number; count: number }[] = [];
    if (profile.status) reads.push({ table: profile.status.table, address: profile.status.address, count: 1 });
    for (const c of Object.values(profile.channels)) reads.push({ table: c.table, address: c.address, count: widthOf(c.type) });
    for (const p of Object.values(profile.params)) reads.push({ table: 'holding', address: p.address, count: widthOf(p.type) });
    let ok = 0;
    for (const r of reads) if ((await tryRead(r.table, r.address, r.count)) !== null) ok++;
    let unitIdMatches = false;
    const unitParam = Object.values(profile.params).find((p) => p.affects === 'unit-id');
    if (unitParam) {
      const words = await tryRead('holding', unitParam.address, widthOf(unitParam.type));
      unitIdMatches = words !== null && decodeRaw(unitParam.type, words, 'high-first') * unitParam.scale === unit;
    }
    if (ok > 0) matches.push({ profile: profile.name, ok, total: reads.length, unitIdMatches });
  }
  return matches.sort((a, b) => b.ok / b.total - a.ok / a.total || Number(b.unitIdMatches) - Number(a.unitIdMatches) || b.ok - a.ok || a.profile.localeCompare(b.profile));
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
