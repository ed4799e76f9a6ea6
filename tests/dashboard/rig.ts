// The dashboard against a real gateway: the demo substation simulated over real wires in this
// process (so a test can drive T1's methane), `minegate run` as a separate process on its config
// with a `dashboard:` section on port 0, and the URL it prints. Not a test file itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorStore } from '../../edge/operators/operator-store.js';
import { loadScenario } from '../../simulator/scenario.js';
import { SubstationSimulator } from '../../simulator/substation-sim.js';
import { startCli } from '../cli/run-cli.js';
import { testConfig, testScenario, type Yaml, writeYaml } from '../runtime/rig.js';
import { waitFor } from '../helpers/wait-for.js';

export const PASSWORDS = { zhang: 'tech-pass-1', chief: 'chief-pass-1', li: 'view-pass-1' } as const;

export interface DashboardRig {
  dir: string;
  dataDir: string;
  config: Yaml;
  sim: SubstationSimulator;
  gw: ReturnType<typeof startCli>;
  url: string;
  /** T1 (unit 1 on the field bus) reads this %CH4 from now on. */
  methane(value: number): void;
  stop(): Promise<void>;
}

export async function startDashboardRig(prefix: string): Promise<DashboardRig> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  const sim = new SubstationSimulator(loadScenario(writeYaml(dir, 'scenario.yaml', testScenario())), { tickMs: 50 });
  let gw: ReturnType<typeof startCli> | undefined;
  try {
    const endpoints = await sim.start();
    const port = (bus: string) => endpoints.find((e) => e.id === bus)!.port!;
    const net = sim.readerNetwork!;
    const config = testConfig({ 'field-bus': port('field-bus'), 'rs485-tcp': port('rs485-tcp'), 'seal-bus': port('seal-bus'), 'personnel-fifo': net.modbusPort!, line: net.linePort! });
    config.dashboard = { host: '127.0.0.1', port: 0 };
    const configFile = writeYaml(dir, 'config.yaml', config);
    const store = new OperatorStore(dataDir, { hashParams: { N: 1024, r: 8, p: 1 } });
    await store.add('chief', 'safety-officer', PASSWORDS.chief, null);
    const chief = { name: 'chief', role: 'safety-officer' as const };
    await store.add('zhang', 'technician', PASSWORDS.zhang, chief);
    await store.add('li', 'viewer', PASSWORDS.li, chief);
    const started = startCli(['run', '-c', configFile, '-d', dataDir, '--refresh-ms', '200']);
    gw = started;
    const url = await waitFor(() => /dashboard on (http:\/\/\S+)/.exec(started.output())?.[1], { what: 'the dashboard URL printed at start', timeoutMs: 30_000, intervalMs: 100 });
    return {
      dir,
      dataDir,
      config,
      sim,
      gw: started,
      url,
      methane: (value) => sim.device('field-bus', 1).set('value', value),
      stop: async () => {
        started.child.kill('SIGCONT');
        started.child.kill('SIGTERM');
        await started.exited;
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    gw?.child.kill('SIGKILL');
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\ngateway output:\n${gw?.output() ?? ''}`);
  }
}
