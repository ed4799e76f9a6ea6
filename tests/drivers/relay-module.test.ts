import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../board-configs/profiles.js';
import { RelayModuleDriver } from '../../drivers/relay-module.js';
import { createMaster } from '../../edge/bus-factory.js';
import { OutputActuator } from '../../edge/safety/actuator.js';
import type { ModbusMaster } from '../../protocols/modbus/master.js';
import { ModbusSlaveServer, type ServerRequestEvent } from '../../simulator/modbus-server.js';
import { ProfileDevice } from '../../simulator/virtual-device.js';
import { headingConfig, Rig } from '../safety/rig.js';

describe('relay module driver (Modbus coils, high priority, read-back) against the simulator', () => {
  let server: ModbusSlaveServer;
  let device: ProfileDevice;
  let master: ModbusMaster;
  let relay: RelayModuleDriver;
  let requests: ServerRequestEvent[];

  beforeEach(async () => {
    device = new ProfileDevice('relay-module', { unit: 10 });
    server = new ModbusSlaveServer({ type: 'tcp', port: 0 }, [device]);
    const { port } = await server.start();
    requests = [];
    server.on('request', (e: ServerRequestEvent) => requests.push(e));
    master = createMaster({ id: 'relay-bus', type: 'tcp', host: '127.0.0.1', port: port!, responseTimeoutMs: 150 });
    await master.open();
    relay = RelayModuleDriver.fromProfile('relay-1', loadProfile('relay-module'), master, 10);
  });
  afterEach(async () => {
    await master.close();
    await server.stop();
  });

  it('writes a coil and confirms it by reading it back', async () => {
    expect(relay.channels).toEqual(['coil0', 'coil1', 'coil2', 'coil3', 'coil4', 'coil5', 'coil6', 'coil7']);
    expect(await relay.set('coil2', true)).toBe(true);
    expect(device.get('coil2')).toBe(true);
    expect(relay.state('coil2')).toBe(true);
    expect(relay.online).toBe(true);
    // Write Single Coil (0x05), then Read Coils (0x01) of the same coil.
    expect(requests.map((r) => r.request?.fn)).toEqual([0x05, 0x01]);
    expect(await relay.set('coil2', false)).toBe(true);
    expect(device.get('coil2')).toBe(false);
  });

  it('readBack: false takes the write acknowledgement as the confirmation (one transaction, for the heartbeat)', async () => {
    expect(await relay.set('coil5', true, { readBack: false })).toBe(true);
    expect(device.get('coil5')).toBe(true);
    expect(relay.state('coil5')).toBe(true);
    expect(requests.map((r) => r.request?.fn)).toEqual([0x05]);
  });

  it('jumps the queue of normal-priority polls (actuation is high priority)', async () => {
    const polls = Array.from({ length: 10 }, () => master.read(10, 'coil', 0, 8));
    const cut = relay.set('coil0', false);
    await Promise.all([...polls, cut]);
    const writeIndex = requests.findIndex((r) => r.request !== null && (r.request.fn === 0x05 || r.request.fn === 0x0f));
    // At most the one poll already on the wire goes first.
    expect(writeIndex).toBeLessThanOrEqual(1);
  });

  it('a coil that does not follow the write is not confirmed', async () => {
    device.on('change', (c) => {
      if (c.source === 'wire' && c.channel === 'coil1') queueMicrotask(() => device.set('coil1', false));
    });
    expect(await relay.set('coil1', true)).toBe(false);
    expect(relay.state('coil1')).toBe(false);
    expect(relay.lastError).toMatch(/coil1 reads back off after writing on/);
  });

  it('an unreachable module is offline and confirms nothing; it recovers without a restart', async () => {
    await relay.set('coil0', true);
    const offline: Error[] = [];
    relay.on('offline', (e) => offline.push(e));
    device.setWireFault('no-response');
    expect(await relay.set('coil0', false)).toBe(false);
    expect(relay.online).toBe(false);
    expect(relay.state('coil0')).toBeUndefined();
    expect(offline).toHaveLength(1);
    expect(await relay.refresh()).toBe(false);
    expect(offline).toHaveLength(1);
    device.setWireFault(null);
    expect(await relay.set('coil0', false)).toBe(true);
    expect(relay.online).toBe(true);
  });

  it('refresh() notices a module that reset its coils', async () => {
    await relay.set('coil3', true);
    device.set('coil3', false);
    expect(relay.state('coil3')).toBe(true);
    expect(await relay.refresh()).toBe(true);
    expect(relay.state('coil3')).toBe(false);
  });

  it('rejects an unknown channel and bad options', async () => {
    await expect(relay.set('coil9', true)).rejects.toThrow(/no coil channel "coil9"/);
    expect(() => new RelayModuleDriver({ id: 'r', master, unit: 0, coils: { a: 0 } })).toThrow(/unit must be an integer 1\.\.247, got 0/);
    expect(() => new RelayModuleDriver({ id: 'r', master, unit: 1, coils: {} })).toThrow(/at least one channel/);
  });

  it('end to end: engine decisions reach the coils; an unreachable module raises an actuation alarm', async () => {
    const rig = new Rig(headingConfig());
    const config = headingConfig();
    const actuator = new OutputActuator({ outputs: config.outputs, drivers: { 'relay-1': relay } });
    rig.evaluate();
    rig.step();
    let reports = await actuator.apply(rig.last!.outputs);
    expect(reports.every((r) => r.confirmed)).toBe(true);
    expect(device.get('coil0')).toBe(true);
    rig.set({ 'CH4-T1': 1.6 }).step();
    reports = await actuator.apply(rig.last!.outputs);
    expect(device.get('coil0')).toBe(false);
    expect(device.get('coil4')).toBe(true);
    expect(device.get('coil6')).toBe(true);

    device.setWireFault('no-response');
    rig.set({ 'CH4-T1': 0.5 }).step();
    const t0 = performance.now();
    reports = await actuator.apply(rig.last!.outputs);
    // One probe timeout (150 ms) for the dead module, not one per output.
    expect(performance.now() - t0).toBeLessThan(600);
    expect(reports.find((r) => r.output === 'heading-power')).toMatchObject({ energize: true, confirmed: false });
    rig.engine.reportActuation(reports, rig.now);
    rig.step();
    expect(rig.last!.alarms.find((a) => a.key === 'actuation:heading-power')).toMatchObject({ kind: 'actuation', severity: 'warning' });
    expect(rig.energized('beacon')).toBe(true);
  });
});
