// The whole runtime over real wires: the demo scenario's simulated substation (sensors and relay
// module over Modbus TCP / RTU-over-TCP, seal cameras and the hoist meter over Modbus TCP, the
// framed card readers on an RS-485-over-TCP listener, the pump room's Modbus-FIFO reader) on free
// ports, and the Gateway with the personnel and seal capabilities from defaultCapabilities(), run
// from the demo board config pointed at those ports with faster timings. Not a test file itself.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { defaultCapabilities } from '../../edge/capabilities.js';
import { loadConfig } from '../../edge/config/load-config.js';
import { Gateway } from '../../edge/gateway.js';
import { createLogger } from '../../edge/log.js';
import type { PersonnelCapability, PersonnelStatusJson } from '../../edge/personnel/personnel-capability.js';
import type { SealCapability } from '../../edge/seals/seal-capability.js';
import type { SealsState } from '../../edge/seals/engine.js';
import type { ReaderNetwork } from '../../simulator/personnel/reader-network.js';
import { loadScenario } from '../../simulator/scenario.js';
import { SubstationSimulator } from '../../simulator/substation-sim.js';
import { repoRoot } from '../helpers/built.js';

export type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Readers report every REPORT_MS; the gateway's readers and cameras are polled about as often. */
export const REPORT_MS = 200;

export class RuntimeRig {
  private constructor(
    readonly dir: string,
    readonly sim: SubstationSimulator,
    readonly gateway: Gateway,
    readonly personnel: PersonnelCapability,
    readonly sealCapability: SealCapability,
  ) {}

  /** `configure` may change the test config (e.g. add a sync section) and prepare the data dir before the gateway starts. */
  static async start(opts: { configure?: (config: Yaml, dataDir: string) => void } = {}): Promise<RuntimeRig> {
    const dir = mkdtempSync(join(tmpdir(), 'minegate-runtime-'));
    let sim: SubstationSimulator | undefined;
    let gateway: Gateway | undefined;
    try {
      sim = new SubstationSimulator(loadScenario(writeYaml(dir, 'scenario.yaml', testScenario())), { tickMs: 50 });
      const endpoints = await sim.start();
      const port = (bus: string) => endpoints.find((e) => e.id === bus)!.port!;
      const net = sim.readerNetwork!;
      const config = testConfig({ 'field-bus': port('field-bus'), 'rs485-tcp': port('rs485-tcp'), 'seal-bus': port('seal-bus'), 'personnel-fifo': net.modbusPort!, line: net.linePort! });
      opts.configure?.(config, join(dir, 'data'));
      const configFile = writeYaml(dir, 'config.yaml', config);
      const loaded = loadConfig(configFile);
      const capabilities = defaultCapabilities(loaded, { personnel: { tickMs: 100, readerCheckIntervalMs: 50 }, seals: { tickMs: 100 } });
      gateway = new Gateway(loaded, { dataDir: join(dir, 'data'), logger: createLogger({}), poller: { retryBackoffMs: 50, probeMs: 500 }, capabilities });
      await gateway.start();
      const byName = (name: string) => capabilities.find((c) => c.name === name);
      return new RuntimeRig(dir, sim, gateway, byName('personnel') as PersonnelCapability, byName('seals') as SealCapability);
    } catch (err) {
      await gateway?.stop();
      await sim?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get net(): ReaderNetwork {
    return this.sim.readerNetwork!;
  }

  people(): PersonnelStatusJson {
    return this.gateway.status().capabilities.personnel as PersonnelStatusJson;
  }

  seals(): SealsState {
    return this.gateway.status().capabilities.seals as SealsState;
  }

  /** The status screen's capability sections, as `minegate run` prints them. */
  sectionText(title: string): string {
    return this.gateway.capabilitySections().find((s) => s.title === title)?.body ?? '';
  }

  /** A relay coil as the simulated relay module holds it (what the contactor / siren sees). */
  coil(channel: string): boolean {
    return Boolean(this.sim.device('rs485-tcp', 1).get(channel));
  }

  async stop(): Promise<void> {
    try {
      await this.gateway.stop();
    } finally {
      await this.sim.stop();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export function writeYaml(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(value));
  return file;
}

/** The demo scenario on free ports; T1 held by hand (no program); cards placed by the tests; fast readers. */
export function testScenario(): Yaml {
  const s = parse(readFileSync(join(repoRoot, 'simulator/scenarios/demo.yaml'), 'utf8')) as Yaml;
  for (const bus of s.buses) bus.listen.port = 0;
  const t1 = s.buses[0].devices[0];
  delete t1.values.value;
  t1.initial = { value: 0.3 };
  s.personnel.line.port = 0;
  s.personnel.modbus.port = 0;
  s.personnel.reportIntervalS = REPORT_MS / 1000;
  s.personnel.baudRate = 115200;
  s.personnel.cards = [];
  s.personnel.uncarded = [];
  return s;
}

/** The demo board config on the simulator's ports, polled faster, with the seal checks on a short window. */
export function testConfig(ports: Record<string, number>): Yaml {
  const c = parse(readFileSync(join(repoRoot, 'board-configs/examples/demo-substation.yaml'), 'utf8')) as Yaml;
  for (const bus of c.buses) bus.port = ports[bus.id];
  for (const d of c.devices) d.pollMs = d.profile.endsWith('relay-module') ? 200 : 250;
  c.personnel.readers.line.link.port = ports.line;
  c.personnel.readers.offlineAfterMs = 5 * REPORT_MS * 5;
  c.personnel.readers.fifoPollMs = REPORT_MS;
  // A card moved by a test is taken by the new station at its first report there.
  c.personnel.alarms = { stationHoldMs: 0, startupGraceMs: 0 };
  c.seals.checks = { cardWindowMs: 10_000, cardGraceMs: 500, positioningSilentMs: 10_000, headcountSustainMs: 600_000 };
  return c;
}
