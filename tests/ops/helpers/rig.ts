// A small real substation for the technician-command tests: profile devices behind a real Modbus
// TCP server on 127.0.0.1 (port 0), a temp config file pointing at it (with comments, so config
// rewrites can be checked for keeping them), and a data dir with operator accounts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorStore } from '../../../edge/operators/operator-store.js';
import type { Role } from '../../../edge/operators/roles.js';
import { ModbusSlaveServer } from '../../../simulator/modbus-server.js';
import { ProfileDevice } from '../../../simulator/virtual-device.js';

export interface RigDevice {
  id: string;
  profile: string;
  unit: number;
}

export interface Rig {
  dir: string;
  dataDir: string;
  configFile: string;
  port: number;
  server: ModbusSlaveServer;
  devices: Map<string, ProfileDevice>;
  /** Passwords of the accounts created, by name. */
  passwords: Record<string, string>;
  close(): Promise<void>;
}

export const RIG_DEVICES: RigDevice[] = [
  { id: 'ch4-t1', profile: 'methane-sensor', unit: 1 },
  { id: 'ch4-t2', profile: 'methane-sensor', unit: 2 },
  { id: 'co-1', profile: 'co-sensor', unit: 3 },
  { id: 'relay-1', profile: 'relay-module', unit: 10 },
];

export const RIG_OPERATORS: { name: string; role: Role; password: string }[] = [
  { name: 'chief', role: 'safety-officer', password: 'chief-pass-1' },
  { name: 'zhang', role: 'technician', password: 'tech-pass-1' },
  { name: 'wang', role: 'viewer', password: 'view-pass-1' },
];

export function configText(port: number, devices: readonly RigDevice[] = RIG_DEVICES, busType: 'tcp' | 'rtu-over-tcp' = 'tcp'): string {
  const lines = devices.map((d) => `  # ${d.id}: keep this comment\n  - { id: ${d.id}, bus: field-bus, unit: ${d.unit}, profile: ${d.profile}, pollMs: 1000 }`);
  return `# Test substation for technician commands.
mine: { code: "140212000001", name: 示范煤矿 }
substation: { code: T09, name: 测试分站 }
buses:
  - id: field-bus   # the simulated bus
    type: ${busType}
    host: 127.0.0.1
    port: ${port}
    responseTimeoutMs: 200
devices:
${lines.join('\n')}
`;
}

/** Start the simulated bus (devices answer, re-addressing followed) and write config + accounts. */
export async function startRig(opts: { devices?: RigDevice[]; operators?: boolean; busType?: 'tcp' | 'rtu-over-tcp' } = {}): Promise<Rig> {
  const busType = opts.busType ?? 'tcp';
  const deviceList = opts.devices ?? RIG_DEVICES;
  const devices = new Map<string, ProfileDevice>();
  // rtu-over-tcp: RTU frames on a socket, and absent units stay silent (as on a real RS-485 line).
  const server = new ModbusSlaveServer({ type: busType, host: '127.0.0.1', port: 0 });
  for (const d of deviceList) {
    const device = new ProfileDevice(d.profile, { unit: d.unit });
    // The server indexes devices by unit: follow a re-addressing like the real line would.
    device.on('unit-changed', ({ from }) => {
      server.removeDevice(from);
      server.addDevice(device);
    });
    server.addDevice(device);
    devices.set(d.id, device);
  }
  const { port } = await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'minegate-ops-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'substation.yaml');
  writeFileSync(configFile, configText(port!, deviceList, busType));
  const passwords: Record<string, string> = {};
  if (opts.operators !== false) {
    // Cheap hashes: the CLI verifies with the parameters stored in each hash.
    const store = new OperatorStore(dataDir, { hashParams: { N: 1024, r: 8, p: 1 } });
    let actor = null;
    for (const op of RIG_OPERATORS) {
      await store.add(op.name, op.role, op.password, actor);
      actor ??= { name: op.name, role: op.role };
      passwords[op.name] = op.password;
    }
  }
  return {
    dir,
    dataDir,
    configFile,
    port: port!,
    server,
    devices,
    passwords,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
