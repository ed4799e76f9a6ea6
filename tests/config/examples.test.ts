import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardConfigsDir } from '../../board-configs/paths.js';
import { loadConfig } from '../../edge/config/load-config.js';

const examplesDir = join(boardConfigsDir(), 'examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'));

describe('shipped example configs', () => {
  it('ships the demo and the serial example', () => {
    expect(examples).toEqual(expect.arrayContaining(['demo-substation.yaml', 'rtu-serial-substation.yaml']));
  });

  it.each(examples)('%s loads, and every point reads an existing device channel', (name) => {
    const loaded = loadConfig(join(examplesDir, name));
    expect(loaded.config.points.length).toBeGreaterThan(0);
    for (const point of loaded.config.points) {
      const device = loaded.devicesById.get(point.device);
      expect(device, `device of ${point.code}`).toBeDefined();
      expect(loaded.busesById.get(device!.bus), `bus of ${device!.id}`).toBeDefined();
      expect(loaded.profiles.get(device!.profile)!.channels[point.channel], `channel of ${point.code}`).toBeDefined();
      expect(loaded.pointsByCode.get(point.code)).toBe(point);
    }
  });
});

describe('demo substation (matches the simulator demo scenario)', () => {
  const loaded = loadConfig(join(examplesDir, 'demo-substation.yaml'));
  const { config } = loaded;

  it('identifies the demo mine and substation', () => {
    expect(config.mine).toEqual({ code: '140212000001', name: '示范煤矿' });
    expect(config.substation.code).toBe('F001');
    expect(config.substation.name).toBe('3101掘进工作面分站');
  });

  it('has the two loopback buses on the agreed ports', () => {
    expect(loaded.busesById.get('field-bus')).toMatchObject({ type: 'tcp', host: '127.0.0.1', port: 15020, responseTimeoutMs: 300 });
    expect(loaded.busesById.get('rs485-tcp')).toMatchObject({ type: 'rtu-over-tcp', host: '127.0.0.1', port: 15021, baudRate: 9600, responseTimeoutMs: 300 });
  });

  it('places every device on its agreed bus and unit id', () => {
    const layout = Object.fromEntries(config.devices.map((d) => [d.id, `${d.bus}/${d.unit}/${d.profile}/${d.pollMs}`]));
    expect(layout).toEqual({
      'ch4-t1': 'field-bus/1/methane-sensor/1000',
      'ch4-t2': 'field-bus/2/methane-sensor/1000',
      'co-1': 'field-bus/3/co-sensor/1000',
      'wind-1': 'field-bus/4/wind-speed-sensor/1000',
      'temp-1': 'field-bus/5/temperature-sensor/1000',
      'fan-1': 'field-bus/6/fan-run-sensor/1000',
      'relay-1': 'rs485-tcp/1/watchdog-relay-module/500',
      'feed-1': 'rs485-tcp/2/feed-sensor/1000',
      'feed-2': 'rs485-tcp/3/feed-sensor/1000',
      // electronic seals and the hoist's energy meter; the pump-room card reader (Modbus FIFO)
      'seal-main': 'seal-bus/1/seal-camera/1000',
      'seal-aux': 'seal-bus/2/seal-camera/1000',
      'hoist-meter': 'seal-bus/3/energy-meter/1000',
      'pump-reader': 'personnel-fifo/7/card-reader-fifo/2000',
    });
  });

  it('defines the points with their MT/T 1201 sensor types', () => {
    const summary = config.points.map((p) => `${p.code} ${p.sensorType} ${p.device}.${p.channel} ${p.role ?? ''}`.trim());
    expect(summary).toEqual([
      'F001A01 0001 ch4-t1.value heading.T1',
      'F001A02 0001 ch4-t2.value heading.T2',
      'F001A03 0004 co-1.value',
      'F001A04 0002 wind-1.value',
      'F001A05 0003 temp-1.value',
      'F001A06 0019 fan-1.airflow',
      'F001D01 1001 fan-1.state',
      'F001D02 1011 feed-1.state',
      'F001D03 1011 feed-2.state',
      'F001A07 1004 hoist-meter.power',
      'F001A08 1004 hoist-meter.energy',
    ]);
    expect(loaded.pointsByCode.get('F001A01')).toMatchObject({ unit: '%CH4', range: { low: 0, high: 4 }, zones: ['heading-3101'] });
    expect(loaded.pointsByCode.get('F001A02')!.zones).toEqual(['heading-3101']);
  });

  it('wires zones and outputs to the relay coils with feed verification', () => {
    expect(config.zones.map((z) => [z.id, z.outputs])).toEqual([
      ['heading-3101', ['heading-power']],
      ['heading-3101-fan-switch', ['fan-power']],
    ]);
    expect(config.outputs.map((o) => [o.id, o.device, o.channel, o.kind, o.feedPoint])).toEqual([
      ['heading-power', 'relay-1', 'coil0', 'power', 'F001D02'],
      ['fan-power', 'relay-1', 'coil1', 'power', 'F001D03'],
      ['siren', 'relay-1', 'coil6', 'siren', undefined],
      ['beacon', 'relay-1', 'coil7', 'beacon', undefined],
      // evacuation warning devices of the personnel section
      ['heading-siren', 'relay-1', 'coil2', 'siren', undefined],
      ['heading-beacon', 'relay-1', 'coil3', 'beacon', undefined],
      ['store-siren', 'relay-1', 'coil4', 'siren', undefined],
      ['level-siren', 'relay-1', 'coil5', 'evacuation', undefined],
      // the relay module's watchdog trigger (coil 8 of watchdog-relay-module)
      ['heartbeat', 'relay-1', 'heartbeat', 'heartbeat', undefined],
    ]);
  });
});

describe('serial example', () => {
  it('uses the simulator PTY at 9600 8N1', () => {
    const { config } = loadConfig(join(examplesDir, 'rtu-serial-substation.yaml'));
    expect(config.buses).toEqual([
      { id: 'rs485-1', type: 'rtu-serial', path: '/tmp/minegate-ttyS0', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, responseTimeoutMs: 300, offlineProbeMs: 1000 },
    ]);
  });
});
