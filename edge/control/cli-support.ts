// What the technician commands that talk to a running gateway share: the data dir option, the
// operator's credentials (--user, password from MINEGATE_PASSWORD or a prompt), one way to end
// on an error (exit 1 for a failure or refusal, 2 for bad usage) and JSON output.
import type { Command } from 'commander';
import { EXIT, fail, out } from '../commands/output.js';
import { operatorPassword, PASSWORD_ENV } from '../operators/cli-credentials.js';
import { type ErrorPlace, MinegateError } from '../../core/minegate-error.js';
import { ControlClient } from './client.js';
import { ControlError } from './errors.js';
import type { ControlAuth } from './protocol.js';
import { dataDirOption } from '../locations.js';


export const AUTH_HELP = `
The command goes through the running gateway (its control socket in <data-dir>), never around it.
Authentication: --user <name>; the password is read from ${PASSWORD_ENV} when set (scripts),
otherwise asked for on the terminal (no echo). Exit codes: 0 done, 1 failed or refused, 2 bad usage.`;

export const READ_HELP = `
Reads the running gateway through its control socket in <data-dir>. Exit codes: 0 done, 1 failed
(no gateway running), 2 bad usage.`;

/** A usage mistake found after parsing (exit 2), with the fix named. */
export class UsageError extends MinegateError<'BAD_USAGE'> {
  override readonly name = 'UsageError';
  constructor(message: string, place?: ErrorPlace) {
    super('BAD_USAGE', message, place);
  }
}

export interface CommonOptions {
  dataDir: string;
  user?: string;
  json?: boolean;
}

export function addDataDir(cmd: Command): Command {
  return cmd.addOption(dataDirOption('gateway data directory'));
}

/** --user and its password, or UsageError when --user is missing. */
export async function credentials(user: string | undefined, needs: string): Promise<ControlAuth> {
  if (!user) throw new UsageError(`this needs a ${needs}: give --user <name> (password from ${PASSWORD_ENV} or a prompt)`);
  return { user, password: await operatorPassword(user) };
}

export function requireText(value: string | undefined, option: string, example: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${option} is required, e.g. ${option} ${example}`);
  return value.trim();
}

/** Parse an integer option, or UsageError naming it. */
export function intOption(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${option} must be an integer ${min}..${max}, got "${value}"`);
  return n;
}

/**
 * Run a command against the gateway: the client is closed afterwards, and every error becomes one
 * clear line on stderr with exit code 1 (2 for usage mistakes).
 */
export async function withGateway(command: string, dataDir: string, action: (client: ControlClient) => Promise<void>): Promise<void> {
  let client: ControlClient | undefined;
  try {
    client = new ControlClient(dataDir);
    await action(client);
  } catch (err) {
    reportError(command, err);
  } finally {
    client?.close();
  }
}

export function reportError(command: string, err: unknown): void {
  if (err instanceof UsageError || err instanceof RangeError) return fail(command, err.message, EXIT.usage);
  if (err instanceof ControlError && err.remote && err.code === 'BAD_REQUEST') return fail(command, err.message, EXIT.usage);
  if (err instanceof ControlError && err.remote) return fail(command, `refused by the gateway (${err.code}): ${err.message}`);
  fail(command, err instanceof Error ? err.message : String(err));
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}
