// The simulated seal camera and energy meter behave like the real devices the driver must cope with.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../board-configs/profiles.js';
import { COUNTER_MODULUS, SealCameraReader } from '../../drivers/seal-camera.js';
import type { SlaveResponse } from '../../protocols/modbus/types.js';
import { VirtualEnergyMeter } from '../../simulator/seals/energy-meter.js';
import { VirtualSealCamera } from '../../simulator/seals/seal-camera.js';

const words = (r: SlaveResponse): number[] => {
  if (r.kind === 'registers') return r.values;
  if (r.kind === 'bits') return r.values.map((b) => (b ? 1 : 0));
  throw new Error(`unexpected ${r.kind}`);
};

/** Read a camera the way the gateway does, without a wire (the wire is covered by the rig tests). */
function sample(cam: VirtualSealCamera) {
  const reader = new SealCameraReader(loadProfile('seal-camera'), cam.unit);
  const blocks = reader.blocks.map((b) => words(cam.handle({ fn: b.table === 'input' ? 0x04 : 0x02, address: b.address, count: b.count })));
  return reader.decode(blocks, 0, 0);
}

describe('VirtualSealCamera', () => {
  it('counts crossings into uint32 registers that wrap, and keeps the true totals apart', () => {
    let now = Date.UTC(2026, 0, 5, 2);
    const cam = new VirtualSealCamera({ unit: 7, now: () => now });
    cam.setCounter('people-in', COUNTER_MODULUS - 1);
    cam.personIn(3);
    cam.vehicleOut(2);
    now += 1000;
    const s = sample(cam);
    expect(s.counters).toEqual({ peopleIn: 2, peopleOut: 0, vehiclesIn: 0, vehiclesOut: 2 });
    expect(cam.crossed('people-in')).toBe(3);
    expect(s.lastEventS).toBe(Math.floor(Date.UTC(2026, 0, 5, 2) / 1000));
    expect(s.uptimeS).toBe(1);
  });

  it('reboots: counters to zero, boot counter up, uptime from zero', () => {
    let now = 0;
    const cam = new VirtualSealCamera({ unit: 1, now: () => now, bootCount: 65535 });
    cam.personIn(5);
    now += 60_000;
    expect(sample(cam)).toMatchObject({ bootCount: 65535, uptimeS: 60 });
    cam.reboot();
    now += 2_000;
    expect(sample(cam)).toMatchObject({ counters: { peopleIn: 0 }, bootCount: 0, uptimeS: 2, lastEventS: 0 });
    expect(cam.crossed('people-in')).toBe(5);
  });

  it('exposes each tamper flag as its status bit', () => {
    const cam = new VirtualSealCamera({ unit: 1 });
    cam.setTamper({ displaced: true });
    expect(sample(cam).tamper).toEqual({ videoLost: false, occluded: false, displaced: true, blurred: false });
  });

  it('validates its arguments', () => {
    const cam = new VirtualSealCamera({ unit: 1 });
    expect(() => cam.personIn(-1)).toThrow(/integer >= 0, got -1/);
    expect(() => cam.setCounter('people-out', COUNTER_MODULUS)).toThrow(/uint32/);
    expect(() => new VirtualSealCamera({ unit: 0 })).toThrow(/unit must be an integer 1..247/);
    expect(() => new VirtualSealCamera({ unit: 1, bootCount: 70_000 })).toThrow(/bootCount/);
  });
});

describe('VirtualEnergyMeter', () => {
  it('integrates the set power into its energy register over time', () => {
    let now = 0;
    const meter = new VirtualEnergyMeter({ unit: 3, now: () => now, energyKwh: 100 });
    meter.setPower(360);
    now += 60_000; // 360 kW for one minute = 6 kWh
    meter.setPower(0);
    now += 60_000;
    expect(meter.energy).toBeCloseTo(106, 6);
    const regs = words(meter.handle({ fn: 0x04, address: 0, count: 5 }));
    // energy register: 0.1 kWh steps, high word first
    expect(regs[2]! * 65536 + regs[3]!).toBe(1060);
    expect(regs[4]).toBe(0);
    meter.setMeterFault(true);
    expect(words(meter.handle({ fn: 0x04, address: 4, count: 1 }))).toEqual([1]);
    expect(() => meter.setPower(-1)).toThrow(/power must be/);
  });
});
