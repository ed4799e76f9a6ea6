// Scheduling behaviour of BusPoller against a fake bus (one module under test; the same
// scenario over real Modbus lives in tests/integration).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceConfig, PointConfig } from '../../board-configs/schema.js';
import { loadProfile } from '../../board-configs/profiles.js';
import { ModbusDevice, type ModbusPort } from '../../drivers/modbus-device.js';
import type { Clock } from '../../core/clock.js';
import { BusPoller, type DeviceStatus } from '../../edge/poller.js';
import type { Reading } from '../../core/readings.js';

const TIMEOUT = 300;
const clock: Clock = { wall: () => Date.now(), mono: () => Date.now() };

/** A half-duplex bus: one transaction at a time, 5 ms per answer, dead units time out. */
class FakeBus implements ModbusPort {
  dead = new Set<number>();
  busyUntil = 0;
  maxConcurrent = 0;
  private inFlight = 0;
  async read(unit: number): Promise<number[]> {
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    const dead = this.dead.has(unit);
    await new Promise((r) => setTimeout(r, dead ? TIMEOUT : 5));
    this.inFlight--;
    if (dead) throw Object.assign(new Error(`unit ${unit} timed out`), { code: 'timeout' });
    return [35, 0];
  }
  async write(): Promise<void> {}
}

function devices(n: number): { devs: ModbusDevice[]; points: PointConfig[] } {
  const profile = loadProfile('methane-sensor');
  const points: PointConfig[] = [];
  const devs: ModbusDevice[] = [];
  for (let i = 1; i <= n; i++) {
    const cfg: DeviceConfig = { id: `ch4-${i}`, bus: 'b', unit: i, profile: 'methane-sensor', pollMs: 1000 };
    const p: PointConfig = { code: `P${i}`, sensorType: '0001', device: cfg.id, channel: 'value', unit: '%CH4', range: { low: 0, high: 4 }, location: 'x' };
    points.push(p);
    devs.push(new ModbusDevice(cfg, profile, [p]));
  }
  return { devs, points };
}

describe('BusPoller', () => {
  let poller: BusPoller | undefined;
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
  afterEach(async () => {
    const p = poller;
    poller = undefined;
    if (p) {
      const stopped = p.stop();
      await vi.advanceTimersByTimeAsync(TIMEOUT);
      await stopped;
    }
    vi.useRealTimers();
  });

  function run(bus: FakeBus, n: number) {
    const { devs } = devices(n);
    const seen = new Map<string, number[]>();
    const states: { id: string; state: string; reason: string }[] = [];
    poller = new BusPoller('b', bus, devs, clock, {
      onReadings: (rs: Reading[]) => {
        for (const r of rs) if (r.quality === 'good') seen.set(r.point, [...(seen.get(r.point) ?? []), r.monoTime]);
      },
      onDeviceState: (d: DeviceStatus, reason: string) => states.push({ id: d.id, state: d.state, reason }),
    }, { probeMs: 5000 });
    poller.start();
    return { seen, states };
  }

  it('keeps one transaction at a time on the bus', async () => {
    const bus = new FakeBus();
    run(bus, 3);
    await vi.advanceTimersByTimeAsync(5000);
    expect(bus.maxConcurrent).toBe(1);
  });

  it('a dead slave costs the others at most one response timeout, goes offline after 3 failures, and recovers by itself', async () => {
    const bus = new FakeBus();
    const { seen, states } = run(bus, 3);
    await vi.advanceTimersByTimeAsync(3000);
    bus.dead.add(2);
    const deadSince = Date.now();
    await vi.advanceTimersByTimeAsync(20_000);

    for (const p of ['P1', 'P3']) {
      const times = seen.get(p)!.filter((t) => t > deadSince);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(gaps.length).toBeGreaterThan(15);
      for (const g of gaps) expect(Math.abs(g - 1000)).toBeLessThanOrEqual(TIMEOUT + 10);
    }
    const offline = states.find((s) => s.id === 'ch4-2' && s.state === 'offline');
    expect(offline?.reason).toMatch(/3 polls failed/);
    // quarantine: in 20 s, 3 failed polls + at most one probe every 5 s
    const p2Before = poller!.statuses().find((s) => s.id === 'ch4-2')!;
    expect(p2Before.failures).toBeLessThanOrEqual(3 + 4);

    bus.dead.delete(2);
    await vi.advanceTimersByTimeAsync(6000);
    expect(states.at(-1)).toMatchObject({ id: 'ch4-2', state: 'online' });
    expect(seen.get('P2')!.at(-1)!).toBeGreaterThan(deadSince + 20_000);
  });

  it('emits comm-fault readings (no value) for an offline device', async () => {
    const bus = new FakeBus();
    bus.dead.add(1);
    const { devs } = devices(1);
    const faults: Reading[] = [];
    poller = new BusPoller('b', bus, devs, clock, { onReadings: (rs) => faults.push(...rs) });
    poller.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(faults.at(-1)).toMatchObject({ point: 'P1', value: null, quality: 'comm-fault' });
  });

  it('polls faster while accelerated (alarm) and returns to normal afterwards', async () => {
    const bus = new FakeBus();
    const { devs } = devices(1);
    (devs[0]!.config as DeviceConfig).alarmPollMs = 250;
    const times: number[] = [];
    poller = new BusPoller('b', bus, devs, clock, { onReadings: (rs) => times.push(rs[0]!.monoTime) });
    poller.start();
    await vi.advanceTimersByTimeAsync(2000);
    poller.setAccelerated('ch4-1', true);
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(2000);
    const fast = times.filter((t) => t > t0).length;
    poller.setAccelerated('ch4-1', false);
    const t1 = Date.now();
    await vi.advanceTimersByTimeAsync(4000);
    const slow = times.filter((t) => t > t1).length;
    expect(fast).toBeGreaterThanOrEqual(7);
    expect(slow).toBeLessThanOrEqual(5);
  });

  it('rejects nonsense options with a TypeError naming them', () => {
    expect(() => new BusPoller('b', new FakeBus(), [], clock, { onReadings: () => {} }, { probeMs: -1 })).toThrow(/probeMs/);
  });
});
