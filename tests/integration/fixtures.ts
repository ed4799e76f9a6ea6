// A small real substation for integration tests: simulated methane sensors behind a real
// Modbus server (RTU over a socat PTY pair, or Modbus TCP), and the real gateway polling them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Capability } from '../../edge/capability.js';
import { parseConfigText } from '../../edge/config/load-config.js';
import { Gateway } from '../../edge/gateway.js';
import { createLogger } from '../../edge/log.js';
import type { PollerOptions } from '../../edge/poller.js';
import type { Reading } from '../../core/readings.js';
import { ModbusSlaveServer, type ServerEndpoint } from '../../simulator/modbus-server.js';
import { PtyPair } from '../../simulator/pty-pair.js';
import { ProfileDevice } from '../../simulator/virtual-device.js';

export interface Substation {
  gateway: Gateway;
  server: ModbusSlaveServer;
  sensors: ProfileDevice[];
  pty?: PtyPair;
  /** Every reading the gateway produced, in order. */
  readings: Reading[];
  dataDir: string;
  close(): Promise<void>;
}

export async function startSubstation(opts: {
  transport: 'rtu-pty' | 'tcp';
  sensors: number;
  pollMs: number;
  responseTimeoutMs: number;
  baudRate?: number;
  poller?: Partial<PollerOptions>;
  capabilities?: Capability[];
}): Promise<Substation> {
  const baudRate = opts.baudRate ?? 9600;
  const sensors = Array.from({ length: opts.sensors }, (_, i) => {
    const d = new ProfileDevice('methane-sensor', { unit: i + 1 });
    d.set('value', 0.3 + i * 0.1);
    return d;
  });
  let pty: PtyPair | undefined;
  let endpoint: ServerEndpoint;
  let busYaml: string;
  if (opts.transport === 'rtu-pty') {
    pty = await PtyPair.create();
    endpoint = { type: 'rtu-serial', path: pty.slavePath, baudRate };
    busYaml = `{ id: bus-1, type: rtu-serial, path: "${pty.masterPath}", baudRate: ${baudRate}, responseTimeoutMs: ${opts.responseTimeoutMs} }`;
  } else {
    endpoint = { type: 'tcp', host: '127.0.0.1', port: 0 };
    busYaml = '';
  }
  const server = new ModbusSlaveServer(endpoint, sensors);
  const started = await server.start();
  if (opts.transport === 'tcp') {
    busYaml = `{ id: bus-1, type: tcp, host: 127.0.0.1, port: ${started.port}, responseTimeoutMs: ${opts.responseTimeoutMs} }`;
  }
  const devices = sensors.map((s) => `  - { id: ch4-${s.unit}, bus: bus-1, unit: ${s.unit}, profile: methane-sensor, pollMs: ${opts.pollMs} }`).join('\n');
  const points = sensors
    .map((s) => `  - { code: P${s.unit}, sensorType: "0001", device: ch4-${s.unit}, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: "main return ${s.unit}", role: main-return }`)
    .join('\n');
  const text = `mine: { code: "140212000001", name: test }\nsubstation: { code: T01, name: test }\nbuses:\n  - ${busYaml}\ndevices:\n${devices}\npoints:\n${points}\n`;
  const loaded = parseConfigText(text, 'integration.yaml');
  const dataDir = mkdtempSync(join(tmpdir(), 'minegate-it-'));
  const gateway = new Gateway(loaded, { dataDir, logger: createLogger({}), poller: opts.poller, capabilities: opts.capabilities });
  const readings: Reading[] = [];
  gateway.onReadings((rs) => readings.push(...rs));
  try {
    await gateway.start();
  } catch (err) {
    await server.stop();
    await pty?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    gateway,
    server,
    sensors,
    pty,
    readings,
    dataDir,
    async close() {
      await gateway.stop();
      await server.stop();
      await pty?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Gaps between consecutive good readings of a point after a moment (monotonic ms). */
export function gapsAfter(readings: readonly Reading[], point: string, sinceMono: number): number[] {
  const t = readings.filter((r) => r.point === point && r.quality === 'good' && r.monoTime >= sinceMono).map((r) => r.monoTime);
  return t.slice(1).map((x, i) => x - t[i]!);
}
