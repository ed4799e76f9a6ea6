// A small live substation for the control-channel tests: methane sensors T1/T2, a local fan's run
// signal, a relay module and a feed sensor behind a real Modbus TCP server on 127.0.0.1 (port 0),
// the real gateway polling them in this process, and a ControlServer on a temp data dir with
// operator accounts. The feed sensor follows the heading-power coil like a real contactor's load
// side. Not a test file itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Capability } from '../../edge/capability.js';
import { parseConfigText } from '../../edge/config/load-config.js';
import { ControlServer } from '../../edge/control/server.js';
import { Gateway } from '../../edge/gateway.js';
import { createLogger } from '../../edge/log.js';
import { OperatorStore } from '../../edge/operators/operator-store.js';
import type { Role } from '../../edge/operators/roles.js';
import { ModbusSlaveServer } from '../../simulator/modbus-server.js';
import { ProfileDevice } from '../../simulator/virtual-device.js';
import { waitFor } from '../helpers/wait-for.js';
import { minegate, type CliResult } from '../ops/helpers/cli.js';

export const OPERATORS: { name: string; role: Role; password: string }[] = [
  { name: 'chief', role: 'safety-officer', password: 'chief-pass-1' },
  { name: 'zhang', role: 'technician', password: 'tech-pass-1' },
  { name: 'wang', role: 'viewer', password: 'view-pass-1' },
];

export const ZONE = 'heading-3101';

function configText(port: number, calibrations: Record<string, string>): string {
  return `mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: F001, name: 3101掘进工作面分站 }
buses:
  - { id: field-bus, type: tcp, host: 127.0.0.1, port: ${port}, responseTimeoutMs: 300 }
devices:
  - { id: ch4-t1, bus: field-bus, unit: 1, profile: methane-sensor, pollMs: 200 }
  - { id: ch4-t2, bus: field-bus, unit: 2, profile: methane-sensor, pollMs: 200 }
  - { id: fan-1, bus: field-bus, unit: 6, profile: fan-run-sensor, pollMs: 200 }
  - { id: relay-1, bus: field-bus, unit: 10, profile: relay-module, pollMs: 500 }
  - { id: feed-1, bus: field-bus, unit: 11, profile: feed-sensor, pollMs: 200 }
points:
  - { code: F001A01, name: 掘进工作面甲烷 T1, sensorType: "0001", device: ch4-t1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: 迎头, role: heading.T1, zones: [${ZONE}] }
  - { code: F001A02, name: 回风流甲烷 T2, sensorType: "0001", device: ch4-t2, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: 回风流, role: heading.T2, zones: [${ZONE}] }
  - { code: F001D01, name: 局部通风机开停, sensorType: "1001", device: fan-1, channel: state, unit: "", range: { low: 0, high: 1 }, location: 局部通风机 }
  - { code: F001D02, name: 动力馈电, sensorType: "1011", device: feed-1, channel: state, unit: "", range: { low: 0, high: 1 }, location: 动力开关负荷侧 }
zones:
  - { id: ${ZONE}, name: 3101掘进工作面非本安电源, outputs: [heading-power] }
  - { id: fan-switch, name: 局部通风机开关, outputs: [fan-power] }
outputs:
  - { id: heading-power, device: relay-1, channel: coil0, kind: power, feedPoint: F001D02 }
  - { id: fan-power, device: relay-1, channel: coil1, kind: power }
  - { id: siren, device: relay-1, channel: coil6, kind: siren }
  - { id: beacon, device: relay-1, channel: coil7, kind: beacon }
safety:
  localFans:
    - { id: fan-3101, fanOutput: fan-power, runPoint: F001D01, ventilates: [${ZONE}], gasPoints: [F001A01, F001A02], restartPoints: [F001A02] }
  unlockOperators: [chief]
  remoteCut: { authorities: [local, dispatch] }
  integrity: { calibrations: ${JSON.stringify(calibrations)} }
`;
}

export interface ControlRigOptions {
  /** Last calibration date per point (default: today for both methane sensors). */
  calibrations?: Record<string, string>;
  /** Capabilities for the gateway (e.g. metrics); none by default. */
  capabilities?: Capability[];
}

export interface ControlRig {
  dir: string;
  /** The board config, also written to a file (for `minegate run`). */
  configFile: string;
  dataDir: string;
  gateway: Gateway;
  control: ControlServer;
  server: ModbusSlaveServer;
  devices: { t1: ProfileDevice; t2: ProfileDevice; fan: ProfileDevice; relay: ProfileDevice; feed: ProfileDevice };
  /** The built CLI with -d <dataDir> and, when `as` is given, --user and MINEGATE_PASSWORD. */
  cli(args: string[], as?: string, timeoutMs?: number): Promise<CliResult>;
  /** Wait until every power output is permitted, no alarm is active, and the relay module confirmed every output. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startControlRig(opts: ControlRigOptions = {}): Promise<ControlRig> {
  const t1 = new ProfileDevice('methane-sensor', { unit: 1 });
  const t2 = new ProfileDevice('methane-sensor', { unit: 2 });
  const fan = new ProfileDevice('fan-run-sensor', { unit: 6 });
  const relay = new ProfileDevice('relay-module', { unit: 10 });
  const feed = new ProfileDevice('feed-sensor', { unit: 11 });
  t1.set('value', 0.2);
  t2.set('value', 0.2);
  fan.set('state', 1);
  fan.set('airflow', 300);
  feed.set('state', 0);
  // The contactor: its load side is live exactly while the heading-power coil is energised.
  relay.on('change', (c) => {
    if (c.channel === 'coil0') feed.set('state', c.value ? 1 : 0);
  });
  const server = new ModbusSlaveServer({ type: 'tcp', host: '127.0.0.1', port: 0 }, [t1, t2, fan, relay, feed]);
  const { port } = await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'mg-ctl-'));
  const dataDir = join(dir, 'data');
  const store = new OperatorStore(dataDir, { hashParams: { N: 1024, r: 8, p: 1 } });
  let actor = null;
  for (const op of OPERATORS) {
    await store.add(op.name, op.role, op.password, actor);
    actor ??= { name: op.name, role: op.role };
  }
  const today = new Date().toISOString().slice(0, 10);
  const text = configText(port!, opts.calibrations ?? { F001A01: today, F001A02: today });
  const configFile = join(dir, 'substation.yaml');
  writeFileSync(configFile, text);
  const loaded = parseConfigText(text, configFile);
  const logger = createLogger({});
  const gateway = new Gateway(loaded, { dataDir, logger, capabilities: opts.capabilities });
  await gateway.start();
  const control = new ControlServer(gateway, { dataDir, logger });
  await control.start();
  const rig: ControlRig = {
    dir,
    configFile,
    dataDir,
    gateway,
    control,
    server,
    devices: { t1, t2, fan, relay, feed },
    cli(args, as, timeoutMs) {
      const op = as === undefined ? undefined : OPERATORS.find((o) => o.name === as);
      if (as !== undefined && !op) throw new Error(`no rig operator ${as}`);
      return minegate([...args, '-d', dataDir, ...(op ? ['--user', op.name] : [])], { ...(op ? { password: op.password } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    },
    async settled() {
      await waitFor(
        () => {
          const outs = gateway.safety.outputs();
          // Quiet: power permitted, no alarm (the start-up actuation alarms sound the siren briefly).
          return outs.length > 0 && gateway.safety.engine.alarms().length === 0 && outs.every((o) => o.confirmed === true && o.energize === (o.kind === 'power'));
        },
        { timeoutMs: 10_000, what: 'every power output permitted, no alarm, every output confirmed' },
      );
    },
    async close() {
      await control.stop();
      await gateway.stop();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
