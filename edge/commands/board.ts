// `minegate board get|set|apply` and `minegate write`: a technician changing what a field board
// does, straight over its bus. Every change is range-checked, written, read back and audited with
// who, why and the values before and after. A changed unit id or baud is followed through: the
// read-back goes to the new address, and the exact config edit is printed (or made, with
// --update-config), because the gateway will look for the board where its config says.
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { isAlias, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { BusConfig, DeviceConfig } from '../../board-configs/schema.js';
import type { Channel, Profile } from '../../board-configs/profile-schema.js';
import { BoardParamError, BoardParams, type ParamChange, type WriteParamOptions } from '../../drivers/board-params.js';
import { decodeRaw, fromEngineering, toEngineering, widthOf } from '../../drivers/register-codec.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import type { ModbusTable } from '../../protocols/modbus/types.js';
import { writeFileAtomically } from '../../core/atomic-file.js';
import { createMaster } from '../bus-factory.js';
import { ConfigError } from '../../core/config-error.js';
import { type LoadedConfig, loadConfig, parseConfigText } from '../config/load-config.js';
import { type AuditAction, requireReason } from '../operators/audit.js';
import { PASSWORD_ENV } from '../operators/cli-credentials.js';
import { guard } from '../operators/cli-guard.js';
import { type CliSession, openCliSession } from '../operators/cli-session.js';
import { renderTable } from '../text-table.js';
import { EXIT, fail, out } from './output.js';
import { writeOutputCoil } from './write-output.js';
import { configOption, dataDirOption } from '../locations.js';


const AUTH_HELP = `
Changes need a technician: --user <name> (password from ${PASSWORD_ENV} or a prompt) and
--reason "<why>"; both are recorded in the audit log (<data-dir>/minegate.db) with the values before
and after. Stop the gateway first when it owns a serial bus (the port is opened exclusively).`;

interface ConnectOptions {
  config: string;
  timeoutMs?: number;
}

interface ChangeOptions extends ConnectOptions {
  user?: string;
  reason?: string;
  dataDir: string;
  updateConfig?: boolean;
  json?: boolean;
}

/** A device of the config with an open master on its bus. */
interface DeviceLink {
  loaded: LoadedConfig;
  device: DeviceConfig;
  deviceIndex: number;
  bus: BusConfig;
  profile: Profile;
  master: ModbusMaster;
  /** Masters opened for a baud change, closed with the rest. */
  extra: ModbusMaster[];
  close(): Promise<void>;
}

async function openDevice(o: ConnectOptions, deviceId: string): Promise<DeviceLink> {
  const loaded = loadConfig(o.config);
  const deviceIndex = loaded.config.devices.findIndex((d) => d.id === deviceId);
  if (deviceIndex < 0) {
    throw new Error(`no device "${deviceId}" in ${o.config} (devices: ${loaded.config.devices.map((d) => d.id).join(', ')})`);
  }
  const device = loaded.config.devices[deviceIndex]!;
  const bus = loaded.busesById.get(device.bus)!;
  const profile = loaded.profiles.get(device.profile)!;
  const master = createMaster(bus);
  const link: DeviceLink = {
    loaded,
    device,
    deviceIndex,
    bus,
    profile,
    master,
    extra: [],
    async close() {
      await Promise.all([master, ...link.extra].map((m) => m.close()));
    },
  };
  try {
    await master.open();
  } catch (err) {
    await master.close();
    throw new Error(`cannot open bus ${bus.id}: ${(err as Error).message}`);
  }
  return link;
}

function timeoutOption(o: ConnectOptions): { timeoutMs?: number } {
  if (o.timeoutMs === undefined) return {};
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw new TypeError(`--timeout-ms must be a positive number, got ${String(o.timeoutMs)}`);
  return { timeoutMs: o.timeoutMs };
}

/** On a serial bus a baud change is read back through a fresh master at the new speed. */
function followBaud(link: DeviceLink): WriteParamOptions {
  if (link.bus.type !== 'rtu-serial') return {};
  const bus = link.bus;
  return {
    portAtBaud: async (baudRate: number) => {
      await link.master.close();
      const next = createMaster({ ...bus, baudRate });
      link.extra.push(next);
      await next.open();
      return next;
    },
  };
}

function parseNumber(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new BoardParamError('not-a-number', what, `${what} needs a number, got "${text}"`);
  return n;
}

// ---------------------------------------------------------------- config edits

export interface ConfigEdit {
  file: string;
  line: number;
  column: number;
  /** Field path, e.g. devices[2].unit */
  path: string;
  from: number | null;
  to: number;
  /** Set when the value cannot be edited in place (missing key, alias): do it by hand. */
  manual?: string;
}

/** Where in the config file the value at `path` sits, and what it becomes. */
function planEdit(file: string, path: (string | number)[], to: number): ConfigEdit {
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true });
  const printable = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  const node = doc.getIn(path, true);
  if (isScalar(node) && node.range && typeof node.value === 'number') {
    const { line, col } = lineCounter.linePos(node.range[0]);
    return { file, line, column: col, path: printable, from: node.value, to };
  }
  // The nearest parent that exists, so the technician knows where to add the key.
  const parent = doc.getIn(path.slice(0, -1), true);
  const at = isMap(parent) && parent.range ? lineCounter.linePos(parent.range[0]) : { line: 1, col: 1 };
  const why = isAlias(node) ? 'is an alias (*name); edit the anchor by hand' : 'is not set (the default applies); add the key by hand';
  return { file, line: at.line, column: at.col, path: printable, from: null, to, manual: `${printable} ${why}: ${String(path.at(-1))}: ${to}` };
}

/**
 * Change exactly the characters of one value, keeping every comment and the layout, then check
 * the whole config again before it replaces the old file (atomically, same permissions).
 */
function applyEdit(edit: ConfigEdit, path: (string | number)[]): void {
  if (edit.manual) throw new Error(`cannot update ${edit.file} automatically: ${edit.manual}`);
  const text = readFileSync(edit.file, 'utf8');
  const doc = parseDocument(text, { keepSourceTokens: true });
  const node = doc.getIn(path, true);
  if (!isScalar(node) || !node.range || node.value !== edit.from) {
    throw new Error(`${edit.file} changed since it was read (${edit.path} is no longer ${String(edit.from)}); not updated`);
  }
  const next = text.slice(0, node.range[0]) + String(edit.to) + text.slice(node.range[1]);
  try {
    parseConfigText(next, edit.file);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`the edited config would be invalid, so ${edit.file} was left as it was:\n${err.message}`);
    throw err;
  }
  writeFileAtomically(edit.file, next, statSync(edit.file).mode & 0o777);
}

/** The config edit a verified link change calls for (unit id of the device, or speed of its bus). */
function linkEdit(link: DeviceLink, change: ParamChange): { edit: ConfigEdit; path: (string | number)[]; warning: string } | null {
  if (!change.verified || change.after === null || change.after === change.before) return null;
  if (change.affects === 'unit-id') {
    const path = ['devices', link.deviceIndex, 'unit'];
    return {
      edit: planEdit(link.loaded.file, path, change.after),
      path,
      warning: `until the config says unit ${change.after} and the gateway reloads it, ${link.device.id} shows comm-fault (its zones may be cut by fault lockout)`,
    };
  }
  // A Modbus TCP bus has no line speed in the config: nothing there follows the board's baud.
  if (change.affects === 'baud-rate' && link.bus.type !== 'tcp') {
    const busIndex = link.loaded.config.buses.findIndex((b) => b.id === link.bus.id);
    const path = ['buses', busIndex, 'baudRate'];
    const others = link.loaded.config.devices.filter((d) => d.bus === link.bus.id && d.id !== link.device.id).map((d) => d.id);
    const shared = others.length > 0 ? `; every device on ${link.bus.id} (${others.join(', ')}) must use the same speed` : '';
    const converter = link.bus.type === 'rtu-serial' ? '' : ` and the serial side of the converter behind ${link.bus.id}`;
    return { edit: planEdit(link.loaded.file, path, change.after), path, warning: `the bus speed in the config${converter} must become ${change.after} baud${shared}` };
  }
  return null;
}

// ---------------------------------------------------------------- output

function describeChange(device: string, c: ParamChange): string {
  const where = c.unitAfter !== c.unitBefore ? ` (read back at unit ${c.unitAfter})` : '';
  const status = c.verified ? 'verified' : `NOT VERIFIED: ${c.note ?? ''}`;
  return `${device}.${c.param}: ${c.before} → ${c.after ?? '?'} (asked ${c.requested})${where}: ${status}`;
}

function actionOf(param: string): AuditAction {
  // Zero and span are what a calibration changes; the audit log names it as such.
  return param === 'zero' || param === 'span' ? 'calibration' : 'board-param';
}

/** Record a change refused before anything was written (range, step, address in use), then rethrow. */
async function auditRefusal<T>(session: CliSession, target: string, action: AuditAction, reason: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BoardParamError) session.record({ action, target, reason, outcome: 'refused', detail: err.message });
    throw err;
  }
}

/** Audit, print and follow through on the changes of one `board set/apply` or param `write`. */
function reportChanges(link: DeviceLink, changes: ParamChange[], session: CliSession, reason: string, o: ChangeOptions, action?: AuditAction): boolean {
  const edits: { edit: ConfigEdit; updated: boolean; warning: string; error?: string }[] = [];
  for (const c of changes) {
    const follow = linkEdit(link, c);
    let updated = false;
    let error: string | undefined;
    if (follow && o.updateConfig) {
      try {
        applyEdit(follow.edit, follow.path);
        updated = true;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    if (follow) edits.push({ edit: follow.edit, updated, warning: follow.warning, ...(error ? { error } : {}) });
    const editNote = follow ? `; config ${follow.edit.file}:${follow.edit.line} ${follow.edit.path} ${follow.edit.from ?? '(unset)'} → ${follow.edit.to}${updated ? ' (updated)' : ' (to do)'}` : '';
    session.record({
      action: action ?? actionOf(c.param),
      target: `${link.device.id}.${c.param}`,
      reason,
      before: { value: c.before, unit: c.unitBefore },
      after: { value: c.after, unit: c.unitAfter, verified: c.verified },
      outcome: c.verified ? 'ok' : 'failed',
      detail: `${c.note ?? 'verified by read-back'}${editNote}`,
    });
  }
  const ok = changes.every((c) => c.verified) && edits.every((e) => !e.error);
  if (o.json) {
    out(JSON.stringify({ device: link.device.id, changes, configEdits: edits }));
  } else {
    for (const c of changes) out(describeChange(link.device.id, c));
    for (const e of edits) {
      const where = `${e.edit.file}:${e.edit.line}:${e.edit.column}`;
      if (e.edit.manual) out(`config edit needed: ${where} ${e.edit.manual}`);
      else out(`config edit: ${where} ${e.edit.path}: ${e.edit.from} → ${e.edit.to}${e.updated ? ' — updated, comments kept; reload the gateway' : ' — edit it, or rerun with --update-config'}`);
      if (e.error) out(`config NOT updated: ${e.error}`);
      out(`warning: ${e.warning}`);
    }
  }
  return ok;
}

// ---------------------------------------------------------------- commands

export function registerBoard(program: Command): void {
  const board = program.command('board').description("read and change a field board's parameters (unit id, baud, zero, span, alarm point…)");

  board
    .command('get')
    .description('read parameters of a device from the bus')
    .argument('<device>', 'device id in the config')
    .argument('[param]', 'one parameter (default: all)')
    .addOption(configOption('substation board config (YAML)'))
    .option('--timeout-ms <ms>', 'per-request timeout', Number)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  minegate board get ch4-t1 -c /etc/minegate/minegate.yaml')
    .action(async (deviceId: string, param: string | undefined, o: ConnectOptions & { json?: boolean }) => {
      await guard('board get', async () => {
        const link = await openDevice(o, deviceId);
        try {
          const params = new BoardParams(link.master, link.device.unit, link.profile, timeoutOption(o));
          if (params.names.length === 0) return fail('board get', `profile ${link.profile.name} has no settable parameters`);
          const values = param ? [await params.read(param)] : await params.readAll();
          if (o.json) return out(JSON.stringify(values));
          out(`${link.device.id} (${link.profile.name}, unit ${link.device.unit} on ${link.bus.id})`);
          out(renderTable(
            [{ header: 'param' }, { header: 'value', right: true }, { header: 'unit' }, { header: 'range' }, { header: 'description' }],
            values.map((v) => [v.name, String(v.value), v.unit, `${v.min}..${v.max}`, v.description]),
          ));
        } finally {
          await link.close();
        }
      });
    });

  board
    .command('set')
    .description('write one parameter, read it back, audit it; a new unit id or baud is followed through')
    .argument('<device>', 'device id in the config')
    .argument('<param>', 'parameter name (see board get)')
    .argument('<value>', 'new value in engineering units')
    .addOption(configOption('substation board config (YAML)'))
    .option('-u, --user <name>', 'technician doing this')
    .option('--reason <text>', 'why (required; recorded)')
    .addOption(dataDirOption('gateway data directory (operators, audit log)'))
    .option('--update-config', 'after a verified unit-id/baud change, rewrite that value in the config file (comments kept)')
    .option('--timeout-ms <ms>', 'per-request timeout', Number)
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExamples:\n  minegate board set ch4-t1 alarm-point 1.0 -c substation.yaml --user zhang --reason "per safety order 12"\n  minegate board set ch4-t1 unit-id 7 -c substation.yaml --user zhang --reason "renumber line" --update-config\n${AUTH_HELP}`)
    .action(async (deviceId: string, param: string, valueText: string, o: ChangeOptions) => {
      await guard('board set', async () => {
        const reason = requireReason(actionOf(param), o.reason);
        const value = parseNumber(valueText, param);
        const session = await openCliSession(o.dataDir, o.user, 'technician', `board set ${deviceId} ${param}`);
        try {
          const link = await openDevice(o, deviceId);
          try {
            const params = new BoardParams(link.master, link.device.unit, link.profile, timeoutOption(o));
            const change = await auditRefusal(session, `${deviceId}.${param}`, actionOf(param), reason, () => params.write(param, value, followBaud(link)));
            if (!reportChanges(link, [change], session, reason, o)) process.exitCode = EXIT.failed;
          } finally {
            await link.close();
          }
        } finally {
          session.close();
        }
      });
    });

  board
    .command('apply')
    .description('write several parameters from a YAML file (name: value), each verified; all checked before any is written')
    .argument('<device>', 'device id in the config')
    .argument('<file>', 'YAML mapping of parameter → value (optionally under "params:")')
    .addOption(configOption('substation board config (YAML)'))
    .option('-u, --user <name>', 'technician doing this')
    .option('--reason <text>', 'why (required; recorded)')
    .addOption(dataDirOption('gateway data directory (operators, audit log)'))
    .option('--update-config', 'after a verified unit-id/baud change, rewrite that value in the config file (comments kept)')
    .option('--timeout-ms <ms>', 'per-request timeout', Number)
    .option('--json', 'print JSON')
    .addHelpText('after', `\nFile example:\n  # ch4-t1 after monthly calibration\n  zero: 0.02\n  span: 1.004\n  alarm-point: 1.0\n${AUTH_HELP}`)
    .action(async (deviceId: string, file: string, o: ChangeOptions) => {
      await guard('board apply', async () => {
        const reason = requireReason('board-param', o.reason);
        const values = readParamFile(file);
        const session = await openCliSession(o.dataDir, o.user, 'technician', `board apply ${deviceId} ${file}`);
        try {
          const link = await openDevice(o, deviceId);
          try {
            const params = new BoardParams(link.master, link.device.unit, link.profile, timeoutOption(o));
            const changes = await auditRefusal(session, `${deviceId}.*`, 'board-param', reason, () => params.writeAll(values, followBaud(link)));
            const ok = reportChanges(link, changes, session, reason, o);
            const skipped = Object.keys(values).filter((n) => !changes.some((c) => c.param === n));
            if (skipped.length > 0 && !o.json) out(`not written (stopped at the first unverified change): ${skipped.join(', ')}`);
            if (!ok || skipped.length > 0) process.exitCode = EXIT.failed;
          } finally {
            await link.close();
          }
        } finally {
          session.close();
        }
      });
    });
}

/** `minegate write <device> <register> <value>`: one register the profile marks writable. */
export function registerWrite(program: Command): void {
  program
    .command('write')
    .description('write one register of a device, only where its profile allows it (writable channels, board parameters)')
    .argument('<device>', 'device id in the config')
    .argument('<register>', 'channel or parameter name, or table:address (coil:3, holding:104); a bare number means holding')
    .argument('<value>', 'engineering value; coils take 0/1, on/off, true/false')
    .addOption(configOption('substation board config (YAML)'))
    .option('-u, --user <name>', 'technician doing this')
    .option('--reason <text>', 'why (required; recorded)')
    .addOption(dataDirOption('gateway data directory (operators, audit log)'))
    .option('--update-config', 'for a unit-id/baud parameter: rewrite the config after a verified change')
    .option('--timeout-ms <ms>', 'per-request timeout', Number)
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExamples:\n  minegate write relay-1 coil6 on -c substation.yaml --user zhang --reason "siren test"\n  minegate write ch4-t1 holding:104 1.0 -c substation.yaml --user zhang --reason "alarm point per order 12"\n${AUTH_HELP}\nA coil that backs a configured output is never written around the interlock engine: the running\ngateway refuses it while held cut (naming the holds) or when the engine keeps it otherwise.`)
    .action(async (deviceId: string, register: string, valueText: string, o: ChangeOptions) => {
      await guard('write', async () => {
        const reason = requireReason('write', o.reason);
        // Resolve before asking for a password: a refused register needs no login.
        const loaded = loadConfig(o.config);
        const device = loaded.devicesById.get(deviceId);
        if (!device) throw new Error(`no device "${deviceId}" in ${o.config}`);
        const target = resolveRegister(loaded.profiles.get(device.profile)!, register);
        // A channel that drives a configured output belongs to the interlock engine.
        const backing = target.kind === 'channel' ? loaded.config.outputs.find((out) => out.device === deviceId && out.channel === target.name) : undefined;
        if (backing) return writeOutputCoil(o, backing, parseCoil(valueText), reason);
        const session = await openCliSession(o.dataDir, o.user, 'technician', `write ${deviceId} ${register}`);
        try {
          const link = await openDevice(o, deviceId);
          try {
            if (target.kind === 'param') {
              const params = new BoardParams(link.master, link.device.unit, link.profile, timeoutOption(o));
              const value = parseNumber(valueText, target.name);
              const change = await auditRefusal(session, `${deviceId}.${target.name}`, 'write', reason, () => params.write(target.name, value, followBaud(link)));
              if (!reportChanges(link, [change], session, reason, o, 'write')) process.exitCode = EXIT.failed;
              return;
            }
            const result = await auditRefusal(session, `${deviceId}.${target.name}`, 'write', reason, () => writeChannel(link, target.name, target.channel, valueText, timeoutOption(o)));
            session.record({
              action: 'write',
              target: `${link.device.id}.${target.name}`,
              reason,
              before: { value: result.before },
              after: { value: result.after, verified: result.verified },
              outcome: result.verified ? 'ok' : 'failed',
              detail: result.verified ? 'verified by read-back' : result.note,
            });
            if (o.json) out(JSON.stringify({ device: link.device.id, register: target.name, ...result }));
            else out(`${link.device.id}.${target.name}: ${result.before} → ${result.after ?? '?'}: ${result.verified ? 'verified' : `NOT VERIFIED: ${result.note}`}`);
            if (!result.verified) process.exitCode = EXIT.failed;
          } finally {
            await link.close();
          }
        } finally {
          session.close();
        }
      });
    });
}

// ---------------------------------------------------------------- write helpers

type RegisterTarget = { kind: 'param'; name: string } | { kind: 'channel'; name: string; channel: Channel };

/** A register the profile marks writable, by name or table:address; anything else is refused. */
function resolveRegister(profile: Profile, register: string): RegisterTarget {
  const writableNames = [
    ...Object.entries(profile.channels).filter(([, c]) => c.writable).map(([n]) => n),
    ...Object.keys(profile.params),
  ];
  const refuse = (what: string): never => {
    throw new Error(`${what} of ${profile.name} is not writable; the profile allows only: ${writableNames.join(', ') || 'nothing'}`);
  };
  if (profile.params[register]) return { kind: 'param', name: register };
  const byName = profile.channels[register];
  if (byName) return byName.writable ? { kind: 'channel', name: register, channel: byName } : refuse(`channel "${register}" (${byName.table} ${byName.address})`);
  const m = /^(?:(coil|discrete|holding|input):)?(\d{1,5})$/.exec(register);
  if (!m) return refuse(`"${register}" (no such channel or parameter)`);
  const table = (m[1] ?? 'holding') as ModbusTable;
  const address = Number(m[2]);
  const param = Object.entries(profile.params).find(([, p]) => table === 'holding' && p.address === address);
  if (param) return { kind: 'param', name: param[0] };
  const channel = Object.entries(profile.channels).find(([, c]) => c.table === table && address >= c.address && address < c.address + widthOf(c.type));
  if (channel && channel[1].writable && channel[1].address === address) return { kind: 'channel', name: channel[0], channel: channel[1] };
  return refuse(`${table} ${address}${channel ? ` (channel ${channel[0]})` : ''}`);
}

function parseCoil(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['1', 'on', 'true'].includes(t)) return true;
  if (['0', 'off', 'false'].includes(t)) return false;
  throw new BoardParamError('not-a-number', 'coil', `a coil takes 0/1, on/off or true/false, got "${text}"`);
}

interface ChannelWrite {
  before: number | boolean;
  after: number | boolean | null;
  verified: boolean;
  note?: string;
}

async function writeChannel(link: DeviceLink, name: string, channel: Channel, valueText: string, opts: { timeoutMs?: number }): Promise<ChannelWrite> {
  const unit = link.device.unit;
  if (channel.table === 'coil') {
    const wanted = parseCoil(valueText);
    const before = (await link.master.read(unit, 'coil', channel.address, 1, opts))[0] === 1;
    await link.master.write(unit, 'coil', channel.address, [wanted ? 1 : 0], opts);
    const after = (await link.master.read(unit, 'coil', channel.address, 1, opts))[0] === 1;
    return { before, after, verified: after === wanted, ...(after === wanted ? {} : { note: `read back ${after}, expected ${wanted}` }) };
  }
  if (channel.table !== 'holding') throw new Error(`${name} is in the ${channel.table} table, which Modbus cannot write`);
  const value = parseNumber(valueText, name);
  const words = fromEngineering(channel, value);
  // The codec clamps; a clamped value is not what the technician asked for.
  const stored = Math.round(toEngineering(channel, words) * 1e6) / 1e6;
  if (Math.abs(stored - value) > Math.abs(channel.scale) / 2) {
    throw new BoardParamError('not-representable', name, `${value} does not fit ${name} (${channel.type}, scale ${channel.scale}, offset ${channel.offset}); nearest storable is ${stored}`);
  }
  const width = widthOf(channel.type);
  const decode = (w: number[]): number => Math.round((decodeRaw(channel.type, w, channel.wordOrder) * channel.scale + channel.offset) * 1e6) / 1e6;
  const before = decode(await link.master.read(unit, 'holding', channel.address, width, opts));
  await link.master.write(unit, 'holding', channel.address, words, opts);
  const raw = await link.master.read(unit, 'holding', channel.address, width, opts);
  const verified = raw.every((w, i) => w === words[i]);
  return { before, after: decode(raw), verified, ...(verified ? {} : { note: `read back ${decode(raw)}, expected ${stored}` }) };
}

/** `name: value` pairs from a YAML file, top level or under `params:`. */
function readParamFile(file: string): Record<string, number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
  const data = doc.toJS() as unknown;
  const root = data && typeof data === 'object' && 'params' in data ? (data as { params: unknown }).params : data;
  if (!root || typeof root !== 'object' || Array.isArray(root)) throw new Error(`${file}: expected a mapping of parameter names to values`);
  const values: Record<string, number> = {};
  for (const [name, value] of Object.entries(root)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new BoardParamError('not-a-number', name, `${file}: ${name} must be a number, got ${JSON.stringify(value)}`);
    values[name] = value;
  }
  if (Object.keys(values).length === 0) throw new Error(`${file}: no parameters in it`);
  return values;
}
