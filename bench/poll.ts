// What the gateway's poll loop costs per Modbus transaction, against a bare modbus-serial read loop
// on the same simulated device over the same loopback TCP server, in the same run.
// Gateway side: BusPoller → ModbusDevice.poll → ModbusMaster.read → decode → point table, with the
// device's interval set to 0 so the loop runs flat out (the real code path, minus the sleep).
// Usage: npm run bench -- poll [--seconds 3] [--rounds 3]
import ModbusSerial from 'modbus-serial';
import type { DeviceConfig, PointConfig } from '../board-configs/schema.js';
import { loadProfile } from '../board-configs/profiles.js';
import { ModbusDevice } from '../drivers/modbus-device.js';
import { systemClock } from '../core/clock.js';
import { PointTable } from '../edge/point-table.js';
import { BusPoller } from '../edge/poller.js';
import { TcpLink } from '../protocols/links/tcp-link.js';
import { ModbusMaster } from '../protocols/modbus/master.js';
import { ModbusSlaveServer } from '../simulator/modbus-server.js';
import { ProfileDevice } from '../simulator/virtual-device.js';
import { type BenchContext, median } from './harness.js';

const defaults = { seconds: 3, rounds: 3 };
// modbus-serial is CommonJS: under NodeNext its types put the class on `.default` (the runtime has both).
const ModbusRTU = ModbusSerial.default;

function arg(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`${name} must be a positive number, got ${args[i + 1]}`);
  return v;
}

/** Bare modbus-serial: sequential readInputRegisters(0, 2) for `ms`; returns µs per transaction and CPU µs per transaction. */
async function bareLoop(port: number, ms: number): Promise<{ usPerTx: number; cpuUsPerTx: number }> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(1000);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await client.readInputRegisters(0, 2);
    n++;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await new Promise<void>((r) => client.close(() => r()));
  return { usPerTx: (wall * 1000) / n, cpuUsPerTx: (cpu.user + cpu.system) / n };
}

/** The gateway's poll loop over its own master for `ms`. */
async function gatewayLoop(port: number, ms: number): Promise<{ usPerTx: number; cpuUsPerTx: number }> {
  const cfg: DeviceConfig = { id: 'ch4', bus: 'b', unit: 1, profile: 'methane-sensor', pollMs: 0 };
  const point: PointConfig = { code: 'P1', sensorType: '0001', device: 'ch4', channel: 'value', unit: '%CH4', range: { low: 0, high: 4 }, location: 'bench' };
  const device = new ModbusDevice(cfg, loadProfile('methane-sensor'), [point]);
  const table = new PointTable([{ code: 'P1', unit: '%CH4', freshnessMs: 3000 }], systemClock);
  const master = new ModbusMaster({ link: new TcpLink({ host: '127.0.0.1', port, connectTimeoutMs: 1000 }), framing: 'tcp', responseTimeoutMs: 1000 });
  await master.open();
  let n = 0;
  const poller = new BusPoller('b', master, [device], systemClock, {
    onReadings: (rs) => {
      for (const r of rs) table.update(r);
      n++;
    },
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  poller.start();
  await new Promise((r) => setTimeout(r, ms));
  await poller.stop();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await master.close();
  if (table.current('P1').quality !== 'good') throw new Error('bench poll: the gateway loop did not produce good readings');
  // One device poll is one transaction here (value and status are one block).
  return { usPerTx: (wall * 1000) / n, cpuUsPerTx: (cpu.user + cpu.system) / n };
}

export default async function pollBench(ctx: BenchContext): Promise<void> {
  const seconds = arg(ctx.args, '--seconds', defaults.seconds);
  const rounds = arg(ctx.args, '--rounds', defaults.rounds);
  const sensor = new ProfileDevice('methane-sensor', { unit: 1 });
  sensor.set('value', 0.42);
  const server = new ModbusSlaveServer({ type: 'tcp', host: '127.0.0.1', port: 0 }, [sensor]);
  const { port } = await server.start();
  try {
    const bare: { usPerTx: number; cpuUsPerTx: number }[] = [];
    const ours: { usPerTx: number; cpuUsPerTx: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so neither side always runs second on a warmed-up server.
      if (round % 2 === 0) {
        bare.push(await bareLoop(port!, seconds * 1000));
        ours.push(await gatewayLoop(port!, seconds * 1000));
      } else {
        ours.push(await gatewayLoop(port!, seconds * 1000));
        bare.push(await bareLoop(port!, seconds * 1000));
      }
    }
    const m = (xs: { usPerTx: number; cpuUsPerTx: number }[], k: 'usPerTx' | 'cpuUsPerTx') => median(xs.map((x) => x[k]));
    ctx.report({ figure: 'poll-loop wall time per transaction (gateway vs bare modbus-serial, Modbus TCP loopback)', value: round2(m(ours, 'usPerTx')), unit: 'us', baseline: round2(m(bare, 'usPerTx')) });
    ctx.report({ figure: 'poll-loop CPU time per transaction (gateway vs bare modbus-serial)', value: round2(m(ours, 'cpuUsPerTx')), unit: 'us', baseline: round2(m(bare, 'cpuUsPerTx')) });
  } finally {
    await server.stop();
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
