// `minegate board get|set|apply` (and, in write.ts, `minegate write`): a technician changing what a field board
// does, straight over its bus. Every change is range-checked, written, read back and audited with
// who, why and the values before and after. A changed unit id or baud is followed through: the
// read-back goes to the new address, and the exact config edit is printed (or made, with
// --update-config), because the gateway will look for the board where its config says.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { BoardParamError, BoardParams } from '../../drivers/board-params.js';
import { requireReason } from '../operators/audit.js';
import { guard } from '../operators/cli-guard.js';
import { openCliSession } from '../operators/cli-session.js';
import { renderTable } from '../text-table.js';
import { configOption } from '../locations.js';
import { AUTH_HELP, type ChangeOptions, changeOptions, type ConnectOptions, followBaud, openDevice, parseNumber, timeoutOption } from './board-link.js';
import { actionOf, auditRefusal, reportChanges } from './board-report.js';
import { EXIT, fail, out } from './output.js';

// `minegate write` lives in write.ts and the config edits in config-edit.ts; re-exported so the
// command index and other callers keep importing them from here.
export { registerWrite } from './write.js';
export type { ConfigEdit } from './config-edit.js';

const UPDATE_CONFIG_HELP = 'after a verified unit-id/baud change, rewrite that value in the config file (comments kept)';

export function registerBoard(program: Command): void {
  const board = program.command('board').description("read and change a field board's parameters (unit id, baud, zero, span, alarm point…)");
  registerBoardGet(board);
  registerBoardSet(board);
  registerBoardApply(board);
}

/** `board get <device> [param]`: read from the bus, nothing changes. */
function registerBoardGet(board: Command): void {
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
}

/** `board set <device> <param> <value>`: one parameter, written, read back, audited. */
function registerBoardSet(board: Command): void {
  const set = board
    .command('set')
    .description('write one parameter, read it back, audit it; a new unit id or baud is followed through')
    .argument('<device>', 'device id in the config')
    .argument('<param>', 'parameter name (see board get)')
    .argument('<value>', 'new value in engineering units');
  changeOptions(set, UPDATE_CONFIG_HELP)
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
}

/** `board apply <device> <file>`: several parameters from a YAML file, all checked before any is written. */
function registerBoardApply(board: Command): void {
  const apply = board
    .command('apply')
    .description('write several parameters from a YAML file (name: value), each verified; all checked before any is written')
    .argument('<device>', 'device id in the config')
    .argument('<file>', 'YAML mapping of parameter → value (optionally under "params:")');
  changeOptions(apply, UPDATE_CONFIG_HELP)
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
