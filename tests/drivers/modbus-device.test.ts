import { describe, expect, it } from 'vitest';
import type { DeviceConfig, PointConfig } from '../../board-configs/schema.js';
import { loadProfile } from '../../board-configs/profiles.js';
import { ModbusDevice, planBlocks } from '../../drivers/modbus-device.js';
import { fromEngineering, toEngineering } from '../../drivers/register-codec.js';

const device = (profile: string, id = 'dev-1'): DeviceConfig => ({ id, bus: 'b', unit: 1, profile, pollMs: 1000 });
const point = (code: string, channel: string, range = { low: 0, high: 4 }, dev = 'dev-1'): PointConfig => ({
  code, sensorType: '0001', device: dev, channel, unit: '%CH4', range, location: 'heading',
});

describe('planBlocks', () => {
  it('merges contiguous registers of one table into one transaction and keeps tables apart', () => {
    const blocks = planBlocks([
      { table: 'input', address: 0, width: 1 },
      { table: 'input', address: 1, width: 1 },
      { table: 'input', address: 2, width: 2 },
      { table: 'coil', address: 3, width: 1 },
    ]);
    expect(blocks).toEqual([
      { table: 'input', address: 0, count: 4 },
      { table: 'coil', address: 3, count: 1 },
    ]);
  });

  it('never reads across a hole (strict devices answer exception 02) nor beyond 125 registers', () => {
    expect(planBlocks([{ table: 'holding', address: 0, width: 1 }, { table: 'holding', address: 2, width: 1 }])).toHaveLength(2);
    const long = Array.from({ length: 130 }, (_, i) => ({ table: 'holding' as const, address: i, width: 1 }));
    expect(planBlocks(long).map((b) => b.count)).toEqual([125, 5]);
  });
});

describe('ModbusDevice (methane-sensor profile)', () => {
  const profile = loadProfile('methane-sensor');
  const dev = new ModbusDevice(device('methane-sensor'), profile, [point('P1', 'value')]);

  it('reads value and status in one block', () => {
    expect(dev.blocks).toEqual([{ table: 'input', address: 0, count: 2 }]);
  });

  it('scales the raw value and reports good quality', () => {
    const [r] = dev.decode([[135, 0]], 1000, 5);
    expect(r).toMatchObject({ point: 'P1', value: 1.35, unit: '%CH4', quality: 'good', raw: [135], wallTime: 1000, monoTime: 5 });
  });

  it('maps status bits: sensor fault wins over calibrating; calibrating keeps the value', () => {
    expect(dev.decode([[50, 0b011]], 0, 0)[0]!.quality).toBe('sensor-fault');
    expect(dev.decode([[50, 0b010]], 0, 0)[0]).toMatchObject({ quality: 'calibrating', value: 0.5 });
    expect(dev.decode([[50, 0b100]], 0, 0)[0]!.quality).toBe('over-range');
  });

  it('flags a value outside the configured range as over-range even if the device does not', () => {
    expect(dev.decode([[450, 0]], 0, 0)[0]).toMatchObject({ value: 4.5, quality: 'over-range' });
  });

  it('produces comm-fault readings with no value when the device is silent', () => {
    expect(dev.commFault(1, 2)).toEqual([{ point: 'P1', value: null, unit: '%CH4', quality: 'comm-fault', wallTime: 1, monoTime: 2, raw: [] }]);
  });

  it('rejects a point bound to a channel the profile lacks', () => {
    expect(() => new ModbusDevice(device('methane-sensor'), profile, [point('P2', 'nope')])).toThrow(/channel "nope"/);
  });
});

describe('register codec', () => {
  it('round-trips every type through raw words', () => {
    const cases = [
      { type: 'int16', v: -12.5, scale: 0.1 },
      { type: 'uint32', v: 4_000_000_000, scale: 1 },
      { type: 'int32', v: -123456, scale: 1 },
      { type: 'float32', v: 3.25, scale: 1 },
    ] as const;
    for (const c of cases) {
      for (const wordOrder of ['high-first', 'low-first'] as const) {
        const ch = { table: 'holding' as const, address: 0, type: c.type, scale: c.scale, offset: 0, wordOrder, unit: '', writable: false };
        expect(toEngineering(ch, fromEngineering(ch, c.v))).toBeCloseTo(c.v, 6);
      }
    }
  });
});

describe('ModbusDevice without points (relay module)', () => {
  it('still reads its channels so that online means it answered', () => {
    const dev = new ModbusDevice(device('relay-module', 'relay'), loadProfile('relay-module'), []);
    expect(dev.blocks).toEqual([{ table: 'coil', address: 0, count: 8 }]);
    expect(dev.decode([[1, 0, 0, 0, 0, 0, 0, 0]], 0, 0)).toEqual([]);
  });
});
