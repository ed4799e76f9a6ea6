// `minegate write <device> <register> <value>`: one register the profile marks writable (a
// writable channel or a board parameter), written, read back and audited; a coil that backs a
// configured output goes through the running gateway's interlock instead (write-output.ts).
import type { Command } from 'commander';
import type { Channel, Profile } from '../../board-configs/profile-schema.js';
import { BoardParamError, BoardParams } from '../../drivers/board-params.js';
import { decodeRaw, fromEngineering, toEngineering, widthOf } from '../../drivers/register-codec.js';
import type { ModbusTable } from '../../protocols/modbus/types.js';
import { loadConfig } from '../config/load-config.js';
import { requireReason } from '../operators/audit.js';
import { guard } from '../operators/cli-guard.js';
import { openCliSession } from '../operators/cli-session.js';
import { AUTH_HELP, type ChangeOptions, changeOptions, type DeviceLink, followBaud, openDevice, parseNumber, timeoutOption } from './board-link.js';
import { auditRefusal, reportChanges } from './board-report.js';
import { EXIT, out } from './output.js';
import { writeOutputCoil } from './write-output.js';

/** `minegate write <device> <register> <value>`: one register the profile marks writable. */
export function registerWrite(program: Command): void {
  const write = program
    .command('write')
    .description('write one register of a device, only where its profile allows it (writable channels, board parameters)')
    .argument('<device>', 'device id in the config')
    .argument('<register>', 'channel or parameter name, or table:address (coil:3, holding:104); a bare number means holding')
    .argument('<value>', 'engineering value; coils take 0/1, on/off, true/false');
  changeOptions(write, 'for a unit-id/baud parameter: rewrite the config after a verified change')
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
