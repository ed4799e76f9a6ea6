// `minegate write` on a coil that backs a configured output: never around the interlock engine.
// The request goes to the running gateway (control socket), which refuses a held output with the
// holds named and refuses anything else the engine would undo; with no gateway running, nothing
// vouches for the interlocks, so nothing is written (the holds kept in the store are named).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { OutputConfig } from '../../board-configs/safety-schema.js';
import { ControlClient } from '../control/client.js';
import { credentials } from '../control/cli-support.js';
import { ControlError } from '../control/errors.js';
import type { OutputWriteResult } from '../control/output-write.js';
import { out } from './output.js';

export interface OutputWriteOptions {
  dataDir: string;
  user?: string;
  json?: boolean;
}

/** Returns normally when the coil already is as the engine commands; throws with the refusal otherwise. */
export async function writeOutputCoil(o: OutputWriteOptions, output: OutputConfig, value: boolean, reason: string): Promise<void> {
  const target = `${output.device}.${output.channel}`;
  const client = new ControlClient(o.dataDir);
  try {
    const auth = await credentials(o.user, 'technician');
    const r = await client.request<OutputWriteResult>('output.write', { device: output.device, channel: output.channel, value, reason }, { auth });
    if (o.json) out(JSON.stringify({ ...r, written: false }));
    else out(`${target} is output ${r.output}: already ${r.energize ? 'on' : 'off'} as the interlock engine commands; nothing written`);
  } catch (err) {
    if (err instanceof ControlError && err.code === 'NO_GATEWAY') {
      const held = storedHolds(o.dataDir, output.id);
      throw new Error(
        `${target} backs output ${output.id} (${output.kind}); no gateway runs on ${o.dataDir}, so nothing vouches for its interlocks and it is never written around them` +
          (held.length > 0 ? `; the store keeps it held cut by ${held.join('; ')}` : '') +
          ': start the gateway, which drives it',
      );
    }
    if (err instanceof ControlError && err.remote) throw new Error(`refused by the gateway (${err.code}): ${err.message}`);
    throw err;
  } finally {
    client.close();
  }
}

/** Holds the safety store keeps on an output (read-only; empty when there is no store). */
function storedHolds(dataDir: string, output: string): string[] {
  const file = join(dataDir, 'minegate.db');
  if (!existsSync(file)) return [];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return (db.prepare('SELECT key, reason FROM safety_holds WHERE output = ? ORDER BY key').all(output) as { key: string; reason: string }[]).map((h) => `${h.key} (${h.reason})`);
  } catch {
    return [];
  } finally {
    db?.close();
  }
}
