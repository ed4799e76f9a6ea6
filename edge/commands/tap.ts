// `minegate tap read|write <board> <variable>`: IoTize TapNLink boards, through the TapBoard driver.
// Boards are declared in a small YAML file (--boards), or given ad hoc with --host/--port or
// --serial for reads. Writes need the variable declared `writable: true` in that file, a
// technician, and a reason; they are read back and audited.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { TapBoard } from '../../drivers/iotize-tap.js';
import { type ByteOrder, decodeTapValue, encodeTapValue, TAP_VALUE_TYPES, type TapValueType } from '../../protocols/iotize/variable-codec.js';
import type { Link } from '../../protocols/links/link.js';
import { SerialLink } from '../../protocols/links/serial-link.js';
import { TcpLink } from '../../protocols/links/tcp-link.js';
import { requireReason } from '../operators/audit.js';
import { PASSWORD_ENV } from '../operators/cli-credentials.js';
import { guard } from '../operators/cli-guard.js';
import { openCliSession } from '../operators/cli-session.js';
import { EXIT, fail, out } from './output.js';
import { dataDirOption } from '../locations.js';

export const TAP_COMMAND_DEFAULTS = {
  timeoutMs: 1_000,
  type: 'hex' as TapValueType,
  byteOrder: 'big' as ByteOrder,
  baudRate: 115200,
} as const;

// ---------------------------------------------------------------- tap-boards.yaml

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore');

/**
 * Why a serial link to a TapNLink is refused unless it is a bridge of our own. Shown by the command
 * and in `tap --help`; README "IoTize Tap" says the same.
 */
export const TAP_SERIAL_REFUSAL =
  'IoTize publishes no framing for Tap requests on a serial/USB host link (the material studied shows TCP, BLE, NFC, MQTT relay and web sockets; ' +
  "in IoTize's TapNLink USB dongle demo the serial port carries the Tap's own Modbus master traffic, not Tap requests), so minegate cannot talk to a real TapNLink over serial. " +
  "Use a Wi-Fi Tap over TCP (type: tcp, port 2000), or, for a bridge of your own that speaks minegate's 2-byte length framing, set framing: length-prefixed (--framing length-prefixed)";

/**
 * Why BLE is not offered: the framing is known (SPP-over-BLE characteristic, 19-byte packets each
 * led by an offset byte, a 1-byte additive checksum after the APDU) but this gateway has no
 * Bluetooth stack or adapter, and nothing here could verify it.
 */
export const TAP_BLE_REFUSAL =
  'BLE is not built: the Tap BLE framing is known from IoTize\'s public client (SPP-over-BLE characteristic, 19-byte packets led by an offset byte, ' +
  'a 1-byte additive checksum after the APDU), but the substation box has no Bluetooth stack or adapter to drive, and nothing here could verify it against a Tap';

const framing = z.enum(['iotize-socket', 'length-prefixed']);

const TapLinkSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('tcp'), host: z.string().min(1), port: z.number().int().min(1).max(65535), framing: framing.default('iotize-socket') }),
  z.strictObject({ type: z.literal('serial'), path: z.string().min(1), baudRate: z.number().int().positive().default(TAP_COMMAND_DEFAULTS.baudRate), framing: z.literal('length-prefixed').optional() }),
]);

const TapVariableSchema = z.strictObject({
  id: z.number().int().min(0).max(0xffff),
  type: z.enum(TAP_VALUE_TYPES).default(TAP_COMMAND_DEFAULTS.type),
  byteOrder: z.enum(['big', 'little']).default(TAP_COMMAND_DEFAULTS.byteOrder),
  writable: z.boolean().default(false),
  unit: z.string().default(''),
  description: z.string().optional(),
});

/** tap-boards.yaml: `boards: { <id>: { link: {...}, variables: { <name>: {...} } } }` */
export const TapBoardsFileSchema = z.strictObject({
  boards: z.record(
    id,
    z.strictObject({
      link: TapLinkSchema,
      description: z.string().optional(),
      variables: z.record(id, TapVariableSchema).default({}),
    }),
  ),
});
type TapBoardsFile = z.infer<typeof TapBoardsFileSchema>;
type TapVariable = z.infer<typeof TapVariableSchema>;
type TapLinkConfig = z.infer<typeof TapLinkSchema>;

function loadBoardsFile(file: string): TapBoardsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
  const parsed = TapBoardsFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------- resolving board + variable

interface TapOptions {
  boards?: string;
  host?: string;
  port?: number;
  serial?: string;
  baud?: number;
  framing?: string;
  type?: string;
  byteOrder?: string;
  timeoutMs: number;
  json?: boolean;
}

interface Target {
  board: string;
  link: TapLinkConfig;
  variableName: string;
  variable: TapVariable;
}

function resolveTarget(boardName: string, variableArg: string, o: TapOptions): Target {
  if (o.type !== undefined && !(TAP_VALUE_TYPES as readonly string[]).includes(o.type)) throw new Error(`--type must be one of ${TAP_VALUE_TYPES.join(', ')}, got "${o.type}"`);
  if (o.byteOrder !== undefined && o.byteOrder !== 'big' && o.byteOrder !== 'little') throw new Error(`--byte-order must be big or little, got "${o.byteOrder}"`);
  if (o.framing !== undefined && o.framing !== 'iotize-socket' && o.framing !== 'length-prefixed') throw new Error(`--framing must be iotize-socket or length-prefixed, got "${o.framing}"`);
  const override = { ...(o.type ? { type: o.type as TapValueType } : {}), ...(o.byteOrder ? { byteOrder: o.byteOrder as ByteOrder } : {}) };
  if (o.boards) {
    const file = loadBoardsFile(o.boards);
    const board = file.boards[boardName];
    if (!board) throw new Error(`no board "${boardName}" in ${o.boards} (boards: ${Object.keys(file.boards).join(', ') || 'none'})`);
    const named = board.variables[variableArg];
    const byId = /^\d+$/.test(variableArg) ? Object.entries(board.variables).find(([, v]) => v.id === Number(variableArg)) : undefined;
    if (named) return { board: boardName, link: board.link, variableName: variableArg, variable: { ...named, ...override } };
    if (byId) return { board: boardName, link: board.link, variableName: byId[0], variable: { ...byId[1], ...override } };
    if (!/^\d+$/.test(variableArg)) throw new Error(`board ${boardName} has no variable "${variableArg}" (variables: ${Object.keys(board.variables).join(', ') || 'none'})`);
    return { board: boardName, link: board.link, variableName: variableArg, variable: adHocVariable(variableArg, override) };
  }
  let link: TapLinkConfig;
  if (o.host !== undefined) {
    if (o.port === undefined || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new Error(`--port must be 1..65535 with --host, got ${String(o.port)}`);
    link = { type: 'tcp', host: o.host, port: o.port, framing: (o.framing as 'iotize-socket' | 'length-prefixed' | undefined) ?? 'iotize-socket' };
  } else if (o.serial !== undefined) {
    link = { type: 'serial', path: o.serial, baudRate: o.baud ?? TAP_COMMAND_DEFAULTS.baudRate, ...(o.framing === 'length-prefixed' ? { framing: 'length-prefixed' as const } : {}) };
  } else {
    throw new Error('say where the board is: --boards <tap-boards.yaml>, or --host <h> --port <p>, or --serial <path>');
  }
  if (!/^\d+$/.test(variableArg)) throw new Error(`without --boards the variable must be its numeric id, got "${variableArg}"`);
  return { board: boardName, link, variableName: variableArg, variable: adHocVariable(variableArg, override) };
}

function adHocVariable(idText: string, override: Partial<TapVariable>): TapVariable {
  const n = Number(idText);
  if (!Number.isInteger(n) || n > 0xffff) throw new Error(`variable id must be 0..65535, got ${idText}`);
  // Not declared anywhere, so never writable: a write must be backed by a reviewed boards file.
  return TapVariableSchema.parse({ id: n, ...override, writable: false });
}

function linkOf(cfg: TapLinkConfig, timeoutMs: number): Link {
  return cfg.type === 'tcp' ? new TcpLink({ host: cfg.host, port: cfg.port, connectTimeoutMs: timeoutMs }) : new SerialLink({ path: cfg.path, baudRate: cfg.baudRate });
}

/** The framing a link config asks for; a serial link without an explicit bridge framing is refused. */
function framingOf(target: Target): 'iotize-socket' | 'length-prefixed' {
  const cfg = target.link;
  if (cfg.type === 'tcp') return cfg.framing;
  if (cfg.framing !== 'length-prefixed') throw new Error(`board ${target.board}: serial link ${cfg.path} refused: ${TAP_SERIAL_REFUSAL}`);
  return 'length-prefixed';
}

async function withBoard<T>(target: Target, timeoutMs: number, work: (board: TapBoard) => Promise<T>): Promise<T> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms must be a positive number, got ${String(timeoutMs)}`);
  // Loaded only when a Tap command runs: @iotize/tap takes ~100 ms to load.
  const { IotizeTapBoard } = await import('../../drivers/iotize-tap.js');
  const framing = framingOf(target);
  const board = new IotizeTapBoard({ link: linkOf(target.link, timeoutMs), framing, connectTimeoutMs: timeoutMs, sendTimeoutMs: timeoutMs });
  try {
    await board.connect();
    return await work(board);
  } finally {
    await board.close();
  }
}

function show(bytes: Uint8Array, v: TapVariable): { value: number | string; hex: string; decodeError?: string } {
  const hex = Buffer.from(bytes).toString('hex');
  try {
    return { value: decodeTapValue(bytes, v.type, v.byteOrder), hex };
  } catch (err) {
    return { value: hex, hex, decodeError: (err as Error).message };
  }
}

// ---------------------------------------------------------------- commands

const WHERE_HELP = `
Where the board is: --boards <tap-boards.yaml> (recommended), or --host/--port (TCP), or --serial.
tap-boards.yaml:
  boards:
    pump-1:
      link: { type: tcp, host: 10.20.0.15, port: 2000 }   # a Wi-Fi TapNLink; framing: iotize-socket (default)
      variables:
        level:    { id: 3, type: float32, byteOrder: little, unit: m }
        setpoint: { id: 4, type: uint16, writable: true }
Framing on TCP (framing: / --framing): iotize-socket (default) is IoTize's own, as a Wi-Fi TapNLink
and IoTize's socket client use it: the Tap APDU as is, the reply ending on a pause. length-prefixed
is minegate's own (2-byte big-endian length + APDU), for a bridge of your own.
Serial: refused unless framing: length-prefixed. ${TAP_SERIAL_REFUSAL}.
BLE: not offered. ${TAP_BLE_REFUSAL}.
Not verified against a real TapNLink (none here): see README "IoTize Tap".`;

function addWhereOptions(cmd: Command): Command {
  return cmd
    .option('--boards <file>', 'tap-boards.yaml declaring boards and variables')
    .option('--host <host>', 'ad hoc: Tap bridge host (TCP)')
    .option('--port <port>', 'ad hoc: TCP port', Number)
    .option('--serial <path>', 'ad hoc: serial port (prefer /dev/serial/by-id/...)')
    .option('--baud <rate>', 'ad hoc serial speed', Number)
    .option('--framing <framing>', 'ad hoc: iotize-socket (TCP default) or length-prefixed (a bridge of your own; required on serial)')
    .option('--type <type>', `value type: ${TAP_VALUE_TYPES.join(', ')} (default: the file's, else hex)`)
    .option('--byte-order <order>', 'big or little (default: the file\'s, else big)')
    .option('--timeout-ms <ms>', 'connect and per-request timeout', Number, TAP_COMMAND_DEFAULTS.timeoutMs)
    .option('--json', 'print JSON');
}

export function registerTap(program: Command): void {
  const tap = program.command('tap').description('IoTize TapNLink boards: read and write variables');

  addWhereOptions(tap.command('read').description('read one variable').argument('<board>', 'board id (a label with --host/--serial)').argument('<variable>', 'variable name from the boards file, or its numeric id'))
    .addHelpText('after', `\nExamples:\n  minegate tap read pump-1 level --boards /etc/minegate/tap-boards.yaml\n  minegate tap read bench 3 --host 127.0.0.1 --port 2000 --type uint16\n${WHERE_HELP}`)
    .action(async (boardName: string, variableArg: string, o: TapOptions) => {
      await guard('tap read', async () => {
        const target = resolveTarget(boardName, variableArg, o);
        const bytes = await withBoard(target, o.timeoutMs, (b) => b.readVariable(target.variable.id));
        const shown = show(bytes, target.variable);
        if (o.json) return out(JSON.stringify({ board: target.board, variable: target.variableName, id: target.variable.id, type: target.variable.type, byteOrder: target.variable.byteOrder, unit: target.variable.unit, ...shown }));
        out(`${target.board}.${target.variableName} (id ${target.variable.id}) = ${shown.value}${target.variable.unit ? ` ${target.variable.unit}` : ''}  [${shown.hex}]`);
        if (shown.decodeError) {
          out(`cannot show it as ${target.variable.type}: ${shown.decodeError}`);
          process.exitCode = EXIT.failed;
        }
      });
    });

  addWhereOptions(
    tap
      .command('write')
      .description('write one variable declared writable in the boards file; read back and audited')
      .argument('<board>', 'board id in the boards file')
      .argument('<variable>', 'variable name (or numeric id) from the boards file')
      .argument('<value>', 'value as its type (hex bytes for hex)'),
  )
    .option('-u, --user <name>', 'technician doing this')
    .option('--reason <text>', 'why (required; recorded)')
    .addOption(dataDirOption('gateway data directory (operators, audit log)'))
    .addHelpText('after', `\nExample:\n  minegate tap write pump-1 setpoint 450 --boards tap-boards.yaml --user zhang --reason "new level per order 7"\n\nNeeds a technician: --user, password from ${PASSWORD_ENV} or a prompt, and --reason.\n${WHERE_HELP}`)
    .action(async (boardName: string, variableArg: string, valueText: string, o: TapOptions & { user?: string; reason?: string; dataDir: string }) => {
      await guard('tap write', async () => {
        const reason = requireReason('tap-write', o.reason);
        const target = resolveTarget(boardName, variableArg, o);
        if (!target.variable.writable) {
          return fail('tap write', `${target.board}.${target.variableName} is not declared writable: add "writable: true" to it in a --boards file (reviewed config, not an ad hoc id)`);
        }
        const bytes = encodeTapValue(valueText, target.variable.type, target.variable.byteOrder);
        const session = await openCliSession(o.dataDir, o.user, 'technician', `tap write ${target.board}.${target.variableName}`);
        try {
          const result = await withBoard(target, o.timeoutMs, async (b) => {
            const before = await b.readVariable(target.variable.id);
            await b.writeVariable(target.variable.id, bytes);
            const after = await b.readVariable(target.variable.id);
            return { before, after };
          }).catch((err: Error) => {
            session.record({ action: 'tap-write', target: `${target.board}.${target.variableName}`, reason, outcome: 'failed', detail: err.message, after: { requested: Buffer.from(bytes).toString('hex') } });
            throw err;
          });
          const verified = Buffer.from(result.after).equals(Buffer.from(bytes));
          const before = show(result.before, target.variable);
          const after = show(result.after, target.variable);
          session.record({
            action: 'tap-write',
            target: `${target.board}.${target.variableName}`,
            reason,
            before,
            after: { ...after, verified },
            outcome: verified ? 'ok' : 'failed',
            detail: verified ? 'verified by read-back' : `read back ${after.hex}, wrote ${Buffer.from(bytes).toString('hex')}`,
          });
          if (o.json) out(JSON.stringify({ board: target.board, variable: target.variableName, id: target.variable.id, before, after, verified }));
          else out(`${target.board}.${target.variableName} (id ${target.variable.id}): ${before.value} → ${after.value}: ${verified ? 'verified' : `NOT VERIFIED (read back ${after.hex})`}`);
          if (!verified) process.exitCode = EXIT.failed;
        } finally {
          session.close();
        }
      });
    });
}
