// Crash safety of the interlocks: `minegate run` (the built CLI, a separate process) is killed with
// SIGKILL while a zone is cut, and started again on the same data dir. The relay coil of that zone
// is watched on the simulator side the whole time: it must never be energised before fresh
// readings allow it. The simulator, the Firmata panel and the PTY live in this test process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type GatewayProcess, reap, startGatewayProcess, storeQuery } from './helpers/gateway-process.js';
import { COIL, FIELD, ScenarioRig } from './scenario-rig.js';

describe('restart safety after SIGKILL (separate gateway process)', () => {
  let rig: ScenarioRig | undefined;
  const children: GatewayProcess[] = [];
  afterEach(async () => {
    await reap(children);
    await rig?.close();
    rig = undefined;
  });

  it('a zone cut before the kill stays cut through the restart until a fresh reading is below restore', async () => {
    rig = await ScenarioRig.start({ gateway: false });
    const config = join(rig.dataDir, 'substation.yaml');
    writeFileSync(config, rig.configYaml);
    const first = startGatewayProcess(config, rig.dataDir);
    children.push(first);
    await waitFor(() => rig!.coil(COIL.heading) && rig!.coil(COIL.fan) && rig!.coil(COIL.upstream), {
      timeoutMs: 15_000,
      what: `the first gateway running (output so far: ${first.output().slice(-500)})`,
    });

    rig.methane(FIELD.t1, 1.6);
    const cutAt = await rig.waitCoil(COIL.heading, false, 5000);
    await waitFor(() => storeQuery(rig!.dataDir, "SELECT 1 FROM safety_holds WHERE key = 'over-limit:T1'").length > 0, { what: 'the cut persisted' });
    // Still above the 1.0 % restore value when the gateway dies and comes back.
    rig.methane(FIELD.t1, 1.2);
    first.process.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const restartWall = Date.now();
    const second = startGatewayProcess(config, rig.dataDir);
    children.push(second);
    // The restarted gateway has read every governing point fresh: its start-up hold is gone.
    await waitFor(
      () =>
        storeQuery<{ outputs: string }>(rig!.dataDir, "SELECT outputs FROM safety_events WHERE type = 'release' AND key = 'startup:restart' AND wall_time >= ?", restartWall).some((r) =>
          (JSON.parse(r.outputs) as string[]).includes('heading-power'),
        ),
      { timeoutMs: 15_000, what: `start-up hold released in the restarted gateway (output: ${second.output().slice(-500)})` },
    );
    await waitFor(() => rig!.coil(COIL.fan) && rig!.coil(COIL.upstream), { what: 'the other outputs back' });
    const reloaded = storeQuery<{ key: string }>(rig.dataDir, "SELECT key FROM safety_events WHERE type = 'restored' AND wall_time >= ?", restartWall);
    expect(reloaded.map((r) => r.key)).toContain('over-limit:T1');
    // The whole time since the cut: never energised.
    expect(rig.coilChanges.filter((c) => c.coil === COIL.heading && c.on && c.at > cutAt)).toEqual([]);
    expect(rig.coil(COIL.heading)).toBe(false);

    // A fresh reading below restore releases it in the restarted gateway.
    rig.methane(FIELD.t1, 0.8);
    await rig.waitCoil(COIL.heading, true, 5000);
    second.process.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });
});
