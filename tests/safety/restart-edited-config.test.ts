// A restart with an edited config is gated like a reload: holds in the store that the new config no
// longer explains (here: the cut of a methane point that was deleted from the file) are kept —
// the zone stays cut — until a safety officer confirms that exact file; `status` (alarms) and
// `minegate doctor` say so. Real gateway, real SQLite store, real Modbus simulator.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../edge/config/load-config.js';
import { Gateway } from '../../edge/gateway.js';
import { createLogger } from '../../edge/log.js';
import { configDigest, writeConfirmation } from '../../edge/reload-confirmation.js';
import { waitFor } from '../helpers/wait-for.js';
import { minegate } from '../ops/helpers/cli.js';
import { COIL, FIELD, ScenarioRig } from './scenario-rig.js';

describe('restart with an edited config', () => {
  let rig: ScenarioRig | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await rig?.close();
    rig = undefined;
  });

  async function boot(yaml: string, file: string): Promise<Gateway> {
    writeFileSync(file, yaml);
    gateway = new Gateway(parseConfigText(yaml, file), { dataDir: rig!.dataDir, logger: createLogger({}), poller: { retryBackoffMs: 50, probeMs: 500 } });
    await gateway.start();
    return gateway;
  }

  it('keeps a hold whose rule was removed until a safety officer confirms the file; doctor and the alarms say so', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t1, 1.8);
    await rig.waitCoil(COIL.heading, false);
    await waitFor(() => rig!.gateway.safety.store.loadHolds().some((h) => h.key === 'over-limit:T1'), { what: 'cut persisted' });
    await rig.stopGateway();

    // The technician deletes point T1 from the file (and from the fan's gas points) and restarts.
    const edited = rig.configYaml.replace(/^ {2}- \{ code: T1,.*\n/m, '').replace('gasPoints: [T1, T2]', 'gasPoints: [T2]').replace(/T1: "[^"]*", /, '');
    expect(edited).not.toMatch(/code: T1,/);
    const file = join(rig.dataDir, 'edited.yaml');
    const second = await boot(edited, file);
    await waitFor(() => second.safety.engine.alarms().some((a) => a.key === 'unconfirmed-holds'), { what: 'unconfirmed-holds alarm' });
    expect(second.safety.engine.holds().filter((h) => h.output === 'heading-power').map((h) => h.key)).toContain('over-limit:T1');
    expect(rig.coil(COIL.heading)).toBe(false);
    const doctor = await minegate(['doctor', '-c', file, '-d', rig.dataDir, '--json']);
    const holds = (JSON.parse(doctor.stdout) as { checks: { area: string; status: string; message: string }[] }).checks.find((c) => c.area === 'holds');
    expect(holds).toMatchObject({ status: 'warn' });
    expect(holds!.message).toMatch(/over-limit:T1 on heading-power \(its rule no longer applies in this config\)/);
    await gateway!.stop();
    gateway = undefined;

    // A safety officer confirms exactly this file (what `minegate reload --user` writes); the next start drops the hold.
    writeConfirmation(rig.dataDir, { configSha256: configDigest(edited), operator: 'chief', reason: 'T1 moved to the new heading, design change 12', at: Date.now() });
    const third = await boot(edited, file);
    await rig.waitCoil(COIL.heading, true, 10_000);
    expect(third.safety.engine.holds().some((h) => h.key === 'over-limit:T1')).toBe(false);
    expect(third.safety.store.events({ types: ['holds-confirmed'] })[0]).toMatchObject({ operator: 'chief', reason: 'T1 moved to the new heading, design change 12' });
  });
});
