// The record of a cut survives a SIGKILL at any moment around the cut (cut-off records are kept
// ≥ 1 year, AQ 6201-2019). `minegate run` (the built CLI, its own process) is killed 20 times at
// points around the coil-off write: in the very callback where the simulated relay module
// receives the write, and 1–9 ms and 15–60 ms after it. Each kill is followed by a restart on the same
// data dir (the next trial's gateway); after it, every cut that reached the relay is in the store.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type GatewayProcess, startGatewayProcess } from './helpers/gateway-process.js';
import { COIL, FIELD, ScenarioRig } from './scenario-rig.js';

const KILL_OFFSETS_MS = [0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 20, 30, 40, 50, 60];

/** Records of heading-power changing state: whatever rule cut it (the methane cut, or a fault lockout when a loaded box lets T1 go stale), a cut of a permitted output is a power-off record. */
function powerRecords(dataDir: string, type: 'power-off' | 'power-on'): number {
  let db: Database.Database;
  try {
    db = new Database(join(dataDir, 'minegate.db'), { readonly: true, fileMustExist: true });
  } catch {
    return 0; // not created yet
  }
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM safety_events WHERE type = ? AND outputs LIKE '%\"heading-power\"%'").get(type) as { n: number }).n;
  } catch {
    return 0; // tables not migrated yet
  } finally {
    db.close();
  }
}
const cutRecords = (dataDir: string) => powerRecords(dataDir, 'power-off');

describe('record durability under SIGKILL', () => {
  let rig: ScenarioRig | undefined;
  let current: GatewayProcess | undefined;
  afterEach(async () => {
    if (current && current.process.exitCode === null && current.process.signalCode === null) current.process.kill('SIGKILL');
    await current?.exited;
    await rig?.close();
    rig = undefined;
  });

  it('a cut that reached the relay module is always on record after the restart (20 kills around the coil-off write)', async () => {
    rig = await ScenarioRig.start({ gateway: false });
    const config = join(rig.dataDir, 'substation.yaml');
    writeFileSync(config, rig.configYaml);
    let cutsSeenAtRelay = 0;
    for (const [trial, offset] of KILL_OFFSETS_MS.entries()) {
      rig.methane(FIELD.t1, 0.3);
      const energised = powerRecords(rig.dataDir, 'power-on');
      const gw = startGatewayProcess(config, rig.dataDir);
      current = gw;
      // Running: this gateway released its start-up hold and energised the heading itself (the
      // simulated module's coils start on, so the coils alone prove nothing), and a restart has
      // imported what the previous process wrote ahead.
      await waitFor(() => powerRecords(rig!.dataDir, 'power-on') > energised && rig!.coil(COIL.heading) && rig!.coil(COIL.fan) && rig!.coil(COIL.upstream), {
        timeoutMs: 20_000,
        what: `trial ${trial}: gateway running (${gw.output().slice(-400)})`,
      });
      // A record may exist for a cut that never reached the relay (killed in between), never the other way round.
      if (trial > 0) expect(cutRecords(rig.dataDir), `after restart ${trial}`).toBeGreaterThanOrEqual(cutsSeenAtRelay);
      const killed = new Promise<void>((resolve) => {
        const onChange = (c: { channel: string; value: unknown; source: string }) => {
          if (c.channel !== 'coil0' || c.value !== false || c.source !== 'wire') return;
          rig!.relay.off('change', onChange);
          cutsSeenAtRelay++;
          const kill = () => {
            gw.process.kill('SIGKILL');
            resolve();
          };
          if (offset === 0) kill();
          else setTimeout(kill, offset);
        };
        rig!.relay.on('change', onChange);
      });
      rig.methane(FIELD.t1, 1.6);
      await killed;
      await gw.exited;
    }
    // The last restart.
    rig.methane(FIELD.t1, 0.3);
    const last = startGatewayProcess(config, rig.dataDir);
    current = last;
    await waitFor(() => rig!.coil(COIL.heading), { timeoutMs: 20_000, what: 'final restart running' });
    expect(cutsSeenAtRelay).toBe(KILL_OFFSETS_MS.length);
    expect(cutRecords(rig.dataDir)).toBeGreaterThanOrEqual(KILL_OFFSETS_MS.length);
    last.process.kill('SIGINT');
    await last.exited;
  }, 240_000);
});
