import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { profilesDir } from '../../board-configs/paths.js';
import type { Channel, Profile } from '../../board-configs/profile-schema.js';
import { loadProfile } from '../../board-configs/profiles.js';
import type { SlaveRequest, SlaveResponse } from '../../protocols/modbus/types.js';
import { SimulatorError } from '../../simulator/errors.js';
import { type DeviceWrite, ProfileDevice } from '../../simulator/virtual-device.js';

// ---- An independent decoder: the test's own reading of the profile, not the simulator's codec ----

function decode(channel: Pick<Channel, 'type' | 'scale' | 'offset' | 'wordOrder'>, words: number[]): number {
  const [w0 = 0, w1 = 0] = words;
  const [hi, lo] = channel.wordOrder === 'low-first' ? [w1, w0] : [w0, w1];
  const view = new DataView(new ArrayBuffer(4));
  view.setUint16(0, hi);
  view.setUint16(2, lo);
  let raw: number;
  switch (channel.type) {
    case 'uint16':
    case 'bool':
      raw = w0;
      break;
    case 'int16':
      raw = new DataView(Uint16Array.of(w0).buffer).getInt16(0, true);
      break;
    case 'uint32':
      raw = view.getUint32(0);
      break;
    case 'int32':
      raw = view.getInt32(0);
      break;
    case 'float32':
      raw = view.getFloat32(0);
      break;
  }
  return raw * channel.scale + channel.offset;
}

function registers(res: SlaveResponse): number[] {
  if (res.kind !== 'registers') throw new Error(`expected registers, got ${JSON.stringify(res)}`);
  return res.values;
}

function bits(res: SlaveResponse): boolean[] {
  if (res.kind !== 'bits') throw new Error(`expected bits, got ${JSON.stringify(res)}`);
  return res.values;
}

const width = (type: Channel['type']): number => (type === 'uint32' || type === 'int32' || type === 'float32' ? 2 : 1);

function readChannel(device: ProfileDevice, channel: Channel): number {
  const fn = channel.table === 'input' ? 0x04 : 0x03;
  return decode(channel, registers(device.handle({ fn, address: channel.address, count: width(channel.type) } as SlaveRequest)));
}

/** Values to try on a channel: across the profile range (or a plausible span), plus an off-grid value. */
function sampleValues(profile: Profile, channel: Channel): number[] {
  const low = profile.range?.low ?? 0;
  const high = profile.range?.high ?? 100 * channel.scale;
  return [low, high, (low + high) / 2, low + (high - low) * 0.3137, low + channel.scale * 0.49];
}

const shipped = readdirSync(profilesDir())
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

describe('encode/decode round trip for every shipped profile', () => {
  it('ships profiles to test', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(7);
  });

  for (const name of shipped) {
    const profile = loadProfile(name);
    for (const [channelName, channel] of Object.entries(profile.channels)) {
      if (channel.table === 'coil' || channel.table === 'discrete') {
        it(`${name}.${channelName}: bit reads back through FC ${channel.table === 'coil' ? '01' : '02'}`, () => {
          const device = new ProfileDevice(name, { unit: 1 });
          const fn = channel.table === 'coil' ? 0x01 : 0x02;
          for (const value of [true, false, true]) {
            device.set(channelName, value);
            expect(bits(device.handle({ fn, address: channel.address, count: 1 }))).toEqual([value]);
            expect(device.get(channelName)).toBe(value);
          }
        });
        continue;
      }
      it(`${name}.${channelName}: engineering values survive FC ${channel.table === 'input' ? '04' : '03'} within one LSB`, () => {
        const device = new ProfileDevice(name, { unit: 1 });
        for (const value of sampleValues(profile, channel)) {
          device.set(channelName, value);
          const decoded = readChannel(device, channel);
          expect(Math.abs(decoded - value)).toBeLessThanOrEqual(Math.abs(channel.scale) / 2 + 1e-9);
          expect(device.get(channelName)).toBeCloseTo(decoded, 9);
        }
      });
    }
  }
});

describe('32-bit, signed and offset encodings', () => {
  // No shipped profile uses them yet (an energy meter will): prove the encodings now.
  const meter = {
    name: 'test-meter',
    description: 'test profile with every register type',
    kind: 'energy-meter',
    channels: {
      energy: { table: 'input', address: 0, type: 'uint32', scale: 0.1, unit: 'kWh' },
      'energy-low': { table: 'input', address: 2, type: 'uint32', wordOrder: 'low-first' },
      power: { table: 'input', address: 4, type: 'int32', scale: 0.01, unit: 'kW' },
      'power-low': { table: 'input', address: 6, type: 'int32', wordOrder: 'low-first' },
      voltage: { table: 'input', address: 8, type: 'float32' },
      'voltage-low': { table: 'input', address: 10, type: 'float32', wordOrder: 'low-first' },
      temperature: { table: 'input', address: 12, type: 'int16', scale: -0.5, offset: 40 },
      setpoint: { table: 'holding', address: 20, type: 'float32', writable: true },
    },
  } as unknown as Profile;

  const cases: [string, number[]][] = [
    ['energy', [0, 0.1, 6553.6, 429496729.5]],
    ['energy-low', [1, 65536, 123456789, 4294967295]],
    ['power', [-21474836.48, -0.01, 0, 12.34, 21474836.47]],
    ['power-low', [-2147483648, -1, 70000, 2147483647]],
    ['voltage', [0, -1.5, 230.125, 1e-7, 3.0e38]],
    ['voltage-low', [-400.25, 6.02e23]],
    ['temperature', [40, 39.5, -16343.5, 16423.5]],
  ];

  for (const [name, values] of cases) {
    it(`${name} round-trips`, () => {
      const device = new ProfileDevice(meter, { unit: 9 });
      const channel = device.profile.channels[name]!;
      for (const value of values) {
        device.set(name, value);
        const decoded = readChannel(device, channel);
        if (channel.type === 'float32') expect(decoded).toBeCloseTo(Math.fround(value), 5);
        else expect(decoded).toBeCloseTo(value, 6);
      }
    });
  }

  it('puts the high word first unless the profile says low-first', () => {
    const device = new ProfileDevice(meter, { unit: 9 });
    device.set('energy-low', 0x00012345);
    device.set('energy', 0x00012345 * 0.1);
    expect(registers(device.handle({ fn: 0x04, address: 0, count: 4 }))).toEqual([0x0001, 0x2345, 0x2345, 0x0001]);
  });

  it('refuses values the register cannot hold, naming the channel and the representable range', () => {
    const device = new ProfileDevice(meter, { unit: 9 });
    const err = (() => {
      try {
        device.set('energy-low', -1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SimulatorError);
    expect(err).toMatchObject({ code: 'not-encodable', details: { name: 'energy-low', low: 0, high: 4294967295 } });
    expect(() => device.set('power-low', 2147483648)).toThrow(/does not fit power-low/);
    expect(() => device.set('voltage', Number.NaN)).toThrow(SimulatorError);
    expect(() => device.set('nope', 1)).toThrow(expect.objectContaining({ code: 'unknown-channel' }));
  });

  it('accepts a 32-bit holding write only when both words come in one request', () => {
    const device = new ProfileDevice(meter, { unit: 9 });
    expect(device.handle({ fn: 0x06, address: 20, value: 0x4000 })).toEqual({ kind: 'exception', code: 3 });
    expect(device.get('setpoint')).toBe(0);
    expect(device.handle({ fn: 0x10, address: 20, values: [0x4049, 0x0fdb] })).toEqual({ kind: 'write-ok' });
    expect(device.get('setpoint')).toBeCloseTo(3.14159274, 6);
  });
});

describe('status word', () => {
  const statusWord = (d: ProfileDevice): number => registers(d.handle({ fn: 0x04, address: 1, count: 1 }))[0]!;

  it('sets over-range automatically when the value leaves the profile range, and clears it on return', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    ch4.set('value', 1.2);
    expect(statusWord(ch4)).toBe(0);
    ch4.set('value', 4.5);
    expect(statusWord(ch4)).toBe(0b100);
    expect(ch4.status.overRange).toBe(true);
    ch4.set('value', 4);
    expect(statusWord(ch4)).toBe(0);
    const temp = new ProfileDevice('temperature-sensor', { unit: 5 });
    temp.set('value', -20.5);
    expect(statusWord(temp)).toBe(0b100);
  });

  it('sets and clears sensor-fault and calibrating on the profile bits', () => {
    const co = new ProfileDevice('co-sensor', { unit: 3 });
    co.setStatus({ sensorFault: true });
    expect(statusWord(co)).toBe(0b001);
    co.setStatus({ calibrating: true });
    expect(statusWord(co)).toBe(0b011);
    co.set('value', 1200);
    expect(statusWord(co)).toBe(0b111);
    co.setStatus({ sensorFault: false, calibrating: false });
    expect(statusWord(co)).toBe(0b100);
    expect(co.status).toEqual({ sensorFault: false, calibrating: false, overRange: true });
  });

  it('refuses a flag the profile has no bit for', () => {
    const fan = new ProfileDevice('fan-run-sensor', { unit: 6 });
    expect(() => fan.setStatus({ calibrating: true })).toThrow(expect.objectContaining({ code: 'status-not-supported' }));
    const relay = new ProfileDevice('relay-module', { unit: 1 });
    expect(() => relay.setStatus({ sensorFault: true })).toThrow(/has no sensorFault status bit/);
  });
});

describe('Modbus behaviour', () => {
  it('answers exception 02 for unmapped addresses, including a read that crosses a hole', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    expect(ch4.handle({ fn: 0x04, address: 2, count: 1 })).toEqual({ kind: 'exception', code: 2 });
    expect(ch4.handle({ fn: 0x04, address: 0, count: 3 })).toEqual({ kind: 'exception', code: 2 });
    expect(ch4.handle({ fn: 0x03, address: 0, count: 1 })).toEqual({ kind: 'exception', code: 2 });
    expect(ch4.handle({ fn: 0x01, address: 0, count: 1 })).toEqual({ kind: 'exception', code: 2 });
    expect(registers(ch4.handle({ fn: 0x03, address: 100, count: 6 }))).toHaveLength(6);
    const wind = new ProfileDevice('wind-speed-sensor', { unit: 4 });
    expect(wind.handle({ fn: 0x03, address: 100, count: 6 })).toEqual({ kind: 'exception', code: 2 });
  });

  it('answers exception 01 for a function it does not support, 03 for a bad quantity', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    expect(ch4.handle({ fn: 0x2b } as unknown as SlaveRequest)).toEqual({ kind: 'exception', code: 1 });
    expect(ch4.handle({ fn: 0x04, address: 0, count: 0 })).toEqual({ kind: 'exception', code: 3 });
    expect(ch4.handle({ fn: 0x04, address: 0, count: 126 })).toEqual({ kind: 'exception', code: 3 });
  });

  it('accepts coil writes, emits write events and reads them back', () => {
    const relay = new ProfileDevice('relay-module', { unit: 1 });
    const writes: DeviceWrite[] = [];
    relay.on('write', (w) => writes.push(w));
    expect(relay.handle({ fn: 0x05, address: 3, value: true })).toEqual({ kind: 'write-ok' });
    expect(relay.handle({ fn: 0x0f, address: 0, values: [true, true, false] })).toEqual({ kind: 'write-ok' });
    expect(bits(relay.handle({ fn: 0x01, address: 0, count: 8 }))).toEqual([true, true, false, true, false, false, false, false]);
    expect(relay.get('coil3')).toBe(true);
    expect(writes).toEqual([
      { kind: 'channel', name: 'coil3', value: true, previous: false },
      { kind: 'channel', name: 'coil0', value: true, previous: false },
      { kind: 'channel', name: 'coil1', value: true, previous: false },
      { kind: 'channel', name: 'coil2', value: false, previous: false },
    ]);
  });

  it('rejects a write that touches any unmapped or read-only address, changing nothing', () => {
    const relay = new ProfileDevice('relay-module', { unit: 1 });
    expect(relay.handle({ fn: 0x0f, address: 6, values: [true, true, true] })).toEqual({ kind: 'exception', code: 2 });
    expect(relay.get('coil6')).toBe(false);
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    expect(ch4.handle({ fn: 0x06, address: 0, value: 5 })).toEqual({ kind: 'exception', code: 2 });
    expect(ch4.handle({ fn: 0x10, address: 104, values: [100, 4, 99] })).toEqual({ kind: 'exception', code: 2 });
    expect(ch4.getParam('alarm-point')).toBeCloseTo(1.0, 9);
  });

  it('answers exception 04 on every request while the board has failed', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    ch4.setDeviceFailure(true);
    expect(ch4.handle({ fn: 0x04, address: 0, count: 2 })).toEqual({ kind: 'exception', code: 4 });
    ch4.setDeviceFailure(false);
    expect(registers(ch4.handle({ fn: 0x04, address: 0, count: 2 }))).toHaveLength(2);
  });

  it('reports the reply delay the server must add, and refuses a nonsensical one', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    expect(ch4.responseDelayMs()).toBe(0);
    ch4.setResponseDelay(250);
    expect(ch4.responseDelayMs()).toBe(250);
    expect(() => ch4.setResponseDelay(-1)).toThrow(/response delay must be a finite number of ms >= 0, got -1/);
    expect(() => ch4.setResponseDelay(Number.NaN)).toThrow(TypeError);
  });

  it('tells what a channel can hold, for saturating signals', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    expect(ch4.channelLimits('value')).toEqual({ low: 0, high: 655.35 });
    const temp = new ProfileDevice('temperature-sensor', { unit: 1 });
    expect(temp.channelLimits('value')).toEqual({ low: -3276.8, high: expect.closeTo(3276.7, 9) });
    expect(new ProfileDevice('relay-module', { unit: 1 }).channelLimits('coil0')).toEqual({ low: 0, high: 1 });
  });

  it('reports the wire fault the server must play', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    expect(ch4.wireFault()).toBeNull();
    ch4.setWireFault('crc-error');
    expect(ch4.wireFault()).toBe('crc-error');
    ch4.setWireFault(null);
    expect(ch4.wireFault()).toBeNull();
  });
});

describe('board parameters', () => {
  it('starts with the unit id and baud rate it was built with, and neutral values elsewhere', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 7, baudRate: 19200 });
    expect(registers(ch4.handle({ fn: 0x03, address: 100, count: 6 }))).toEqual([7, 192, 0, 1000, 100, 1]);
    expect(ch4.baudRate).toBe(19200);
    const tuned = new ProfileDevice('methane-sensor', { unit: 7, params: { 'alarm-point': 0.8, zero: -0.02 } });
    expect(registers(tuned.handle({ fn: 0x03, address: 102, count: 3 }))).toEqual([0xfffe, 1000, 80]);
  });

  it('answers on the new unit id after the master writes the unit-id param', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    const changes: { from: number; to: number }[] = [];
    ch4.on('unit-changed', (c) => changes.push(c));
    expect(ch4.handle({ fn: 0x06, address: 100, value: 17 })).toEqual({ kind: 'write-ok' });
    expect(ch4.unit).toBe(17);
    expect(changes).toEqual([{ from: 1, to: 17 }]);
    expect(registers(ch4.handle({ fn: 0x03, address: 100, count: 1 }))).toEqual([17]);
  });

  it('refuses a parameter outside its min..max with exception 03 and keeps the old value', () => {
    const ch4 = new ProfileDevice('methane-sensor', { unit: 1 });
    expect(ch4.handle({ fn: 0x06, address: 100, value: 0 })).toEqual({ kind: 'exception', code: 3 });
    expect(ch4.handle({ fn: 0x06, address: 100, value: 248 })).toEqual({ kind: 'exception', code: 3 });
    // One bad value in a multi-register write rejects all of it.
    expect(ch4.handle({ fn: 0x10, address: 100, values: [9, 9600, 1000] })).toEqual({ kind: 'exception', code: 3 });
    expect(ch4.unit).toBe(1);
    expect(() => ch4.setParam('span', 2)).toThrow(expect.objectContaining({ code: 'param-out-of-range' }));
    expect(() => ch4.setParam('gain', 2)).toThrow(expect.objectContaining({ code: 'unknown-param' }));
  });

  it('records a baud-rate change', () => {
    const feed = new ProfileDevice('feed-sensor', { unit: 2 });
    const changes: { from: number; to: number }[] = [];
    feed.on('baud-changed', (c) => changes.push(c));
    expect(feed.handle({ fn: 0x10, address: 100, values: [12, 192] })).toEqual({ kind: 'write-ok' });
    expect(feed.baudRate).toBe(19200);
    expect(feed.unit).toBe(12);
    expect(changes).toEqual([{ from: 9600, to: 19200 }]);
  });
});

describe('construction', () => {
  it('validates options and profiles, naming the bad value', () => {
    expect(() => new ProfileDevice('methane-sensor', { unit: 0 })).toThrow(/unit must be an integer 1\.\.247, got 0/);
    expect(() => new ProfileDevice('methane-sensor', { unit: 1, baudRate: -5 })).toThrow(TypeError);
    expect(() => new ProfileDevice('methane-sensor', { unit: 1, params: { span: 3 } })).toThrow(/params\.span must be 0\.5\.\.1\.5, got 3/);
    expect(() => new ProfileDevice('methane-sensor', { unit: 1, params: { 'unit-id': 4 } })).toThrow(/contradicts unit 1/);
    const overlapping = {
      name: 'broken',
      description: 'two channels on one register',
      kind: 'sensor',
      channels: { a: { table: 'input', address: 0, type: 'uint32' }, b: { table: 'input', address: 1 } },
    } as unknown as Profile;
    expect(() => new ProfileDevice(overlapping, { unit: 1 })).toThrow(/channel b overlaps channel a at input 1/);
  });
});
