// Counter logic of the seal camera driver: wrap, reboot, reset and absurd jumps never produce a
// phantom crossing. Unit cases plus a seeded property run over random reboot/wrap/gap sequences.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../board-configs/profiles.js';
import {
  COUNTER_MODULUS,
  type CounterEvent,
  type CounterSet,
  SEAL_COUNTERS,
  SealCameraCounter,
  SealCameraReader,
  type SealCounterName,
  type SealSample,
} from '../../drivers/seal-camera.js';
import { mulberry32 } from '../helpers/prng.js';

const counters = (p: Partial<CounterSet> = {}): CounterSet => ({ peopleIn: 0, peopleOut: 0, vehiclesIn: 0, vehiclesOut: 0, ...p });
const tamper = { videoLost: false, occluded: false, displaced: false, blurred: false };
const sample = (c: Partial<CounterSet>, t: number, extra: Partial<SealSample> = {}): SealSample => ({
  counters: counters(c),
  tamper,
  bootCount: 1,
  uptimeS: 1000 + Math.floor(t / 1000),
  lastEventS: 0,
  wallTime: 1_700_000_000_000 + t,
  monoTime: t,
  ...extra,
});
const crossings = (events: CounterEvent[]): Partial<Record<SealCounterName, number>> => {
  const out: Partial<Record<SealCounterName, number>> = {};
  for (const e of events) if (e.type === 'crossing') out[e.counter] = (out[e.counter] ?? 0) + e.count;
  return out;
};

describe('SealCameraCounter', () => {
  it('takes the first sample as the baseline and counts deltas after it', () => {
    const c = new SealCameraCounter();
    expect(c.update(sample({ peopleIn: 500, peopleOut: 480 }, 0))).toEqual([]);
    const events = c.update(sample({ peopleIn: 503, peopleOut: 481, vehiclesIn: 1 }, 1000));
    expect(crossings(events)).toEqual({ peopleIn: 3, peopleOut: 1, vehiclesIn: 1 });
  });

  it('counts across the uint32 wrap as the few crossings it really was', () => {
    const c = new SealCameraCounter();
    c.update(sample({ peopleIn: COUNTER_MODULUS - 2 }, 0));
    const events = c.update(sample({ peopleIn: 3 }, 1000));
    expect(events).toEqual([{ type: 'crossing', counter: 'peopleIn', count: 5, wallTime: expect.any(Number), lastEventS: 0 }]);
  });

  it('re-baselines on a reboot (boot counter changed) without counting the zeroed counters', () => {
    const c = new SealCameraCounter();
    c.update(sample({ peopleIn: 40, peopleOut: 38 }, 0));
    const events = c.update(sample({ peopleIn: 2, peopleOut: 0 }, 1000, { bootCount: 2, uptimeS: 5 }));
    expect(events).toEqual([{ type: 'restarted', reason: 'boot-count', unverified: counters({ peopleIn: 2 }), wallTime: expect.any(Number) }]);
    expect(crossings(c.update(sample({ peopleIn: 4, peopleOut: 1 }, 2000, { bootCount: 2, uptimeS: 6 })))).toEqual({ peopleIn: 2, peopleOut: 1 });
  });

  it('sees a reboot by the uptime going back even when the boot counter did not move', () => {
    const c = new SealCameraCounter();
    c.update(sample({ peopleIn: 7 }, 0, { uptimeS: 9000 }));
    expect(c.update(sample({ peopleIn: 7 }, 1000, { uptimeS: 3 }))[0]).toMatchObject({ type: 'restarted', reason: 'uptime' });
  });

  it('treats a counter that fell by a lot as a reset, not as four billion crossings', () => {
    const c = new SealCameraCounter();
    c.update(sample({ peopleIn: 5000, vehiclesOut: 9 }, 0));
    const events = c.update(sample({ peopleIn: 1, vehiclesOut: 9 }, 1000));
    expect(events).toEqual([{ type: 'restarted', reason: 'counter-reset', unverified: counters({ peopleIn: 1 }), wallTime: expect.any(Number) }]);
  });

  it('flags an absurd forward jump instead of emitting thousands of persons, then counts on from it', () => {
    const c = new SealCameraCounter({ maxJump: 50, maxCrossingsPerMinute: 60 });
    c.update(sample({ peopleIn: 10 }, 0));
    const events = c.update(sample({ peopleIn: 30_010, peopleOut: 2 }, 1000));
    expect(events).toEqual([
      { type: 'jump', counter: 'peopleIn', from: 10, to: 30_010, allowance: 51, wallTime: expect.any(Number) },
      { type: 'crossing', counter: 'peopleOut', count: 2, wallTime: expect.any(Number), lastEventS: 0 },
    ]);
    expect(crossings(c.update(sample({ peopleIn: 30_013, peopleOut: 2 }, 2000)))).toEqual({ peopleIn: 3 });
  });

  it('allows more crossings after a long gap without samples (camera offline through a shift change)', () => {
    const c = new SealCameraCounter({ maxJump: 100, maxCrossingsPerMinute: 120 });
    c.update(sample({ peopleIn: 0 }, 0));
    expect(c.allowance({ wallTime: 0, monoTime: 5 * 60_000 })).toBe(700);
    expect(crossings(c.update(sample({ peopleIn: 650 }, 5 * 60_000)))).toEqual({ peopleIn: 650 });
  });

  it('resumes from a persisted baseline using wall time (monotonic time does not survive a restart)', () => {
    const first = new SealCameraCounter();
    first.update(sample({ peopleIn: 100 }, 0));
    const saved = first.baseline!;
    const resumed = new SealCameraCounter({ baseline: saved });
    // New process: monotonic time starts near 0 again, wall time moved on 10 minutes.
    const s = sample({ peopleIn: 900 }, 0);
    s.wallTime = saved.wallTime + 10 * 60_000;
    s.uptimeS = saved.uptimeS + 600;
    expect(crossings(resumed.update(s))).toEqual({ peopleIn: 800 });
  });

  it('validates its options and baseline, naming the bad value', () => {
    expect(() => new SealCameraCounter({ maxJump: 0 })).toThrow(/maxJump must be an integer >= 1, got 0/);
    expect(() => new SealCameraCounter({ maxCrossingsPerMinute: -1 })).toThrow(/maxCrossingsPerMinute/);
    expect(() => new SealCameraCounter({ baseline: { counters: counters({ peopleIn: -1 }), bootCount: 1, uptimeS: 0, wallTime: 0 } })).toThrow(/counters.peopleIn must be a uint32/);
  });
});

describe('SealCameraCounter property: no phantom crossings over random reboot/wrap/gap sequences', () => {
  const simulate = (seed: number) => {
    const rnd = mulberry32(seed);
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    const counter = new SealCameraCounter({ maxJump: 100, maxCrossingsPerMinute: 120 });
    // Camera state: raw registers (some start right below the wrap), boot count, boot time.
    const raw = counters();
    for (const c of SEAL_COUNTERS) raw[c] = rnd() < 0.5 ? COUNTER_MODULUS - int(1, 40) : int(0, 1_000_000);
    let boot = int(0, 65535);
    let bootedAt = 0;
    let t = 0;
    const truth = counters();
    const emitted = counters();
    let sinceSample = counters();
    let rebootedSinceSample = false;
    let samples = 0;
    let restarts = 0;
    let wraps = 0;
    // expect() per step is slow over 80 000 steps: collect violations, assert once.
    const violations: string[] = [];
    for (let step = 0; step < 400; step++) {
      t += int(100, 90_000);
      if (rnd() < 0.04) {
        for (const c of SEAL_COUNTERS) raw[c] = 0;
        boot = (boot + 1) % 65536;
        bootedAt = t;
        rebootedSinceSample = true;
      }
      for (const c of SEAL_COUNTERS) {
        const n = rnd() < 0.5 ? 0 : int(0, 12);
        if (raw[c] + n >= COUNTER_MODULUS) wraps++;
        raw[c] = (raw[c] + n) % COUNTER_MODULUS;
        truth[c] += n;
        sinceSample[c] += n;
      }
      // Some polls fail (camera offline): no sample, the gap grows.
      if (rnd() < 0.3) continue;
      const events = counter.update(sample({ ...raw }, t, { bootCount: boot, uptimeS: Math.floor((t - bootedAt) / 1000) }));
      samples++;
      const got = crossings(events);
      for (const c of SEAL_COUNTERS) emitted[c] += got[c] ?? 0;
      if (events.some((e) => e.type === 'jump')) violations.push(`step ${step}: jump flagged for realistic traffic`);
      if (rebootedSinceSample) {
        if (samples > 1) {
          if (!events.some((e) => e.type === 'restarted')) violations.push(`step ${step}: reboot not reported`);
          restarts++;
        }
      } else if (samples > 1) {
        // Without a reboot in between, every real crossing is counted exactly once.
        for (const c of SEAL_COUNTERS) if ((got[c] ?? 0) !== sinceSample[c]) violations.push(`step ${step} ${c}: counted ${got[c] ?? 0}, real ${sinceSample[c]}`);
      }
      sinceSample = counters();
      rebootedSinceSample = false;
    }
    for (const c of SEAL_COUNTERS) if (emitted[c] > truth[c]) violations.push(`${c}: counted ${emitted[c]} > real ${truth[c]} (phantom crossings)`);
    expect(violations, `seed ${seed}`).toEqual([]);
    return { restarts, wraps };
  };

  it('holds for 200 seeded sequences (with wraps, reboots and offline gaps among them)', () => {
    let restarts = 0;
    let wraps = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = simulate(seed);
      restarts += r.restarts;
      wraps += r.wraps;
    }
    // The run must actually have exercised reboots and wraps, or it proves nothing about them.
    expect(restarts).toBeGreaterThan(200);
    expect(wraps).toBeGreaterThan(100);
  });
});

describe('SealCameraReader', () => {
  const profile = loadProfile('seal-camera');

  it('reads the tamper bits and the counter block in two transactions', () => {
    const reader = new SealCameraReader(profile, 3);
    expect(reader.blocks).toEqual([
      { table: 'input', address: 0, count: 13 },
      { table: 'discrete', address: 0, count: 4 },
    ]);
  });

  it('decodes counters high word first, bits and boot markers', () => {
    const reader = new SealCameraReader(profile, 3);
    const regs = [0x0001, 0x0002, 0, 7, 0, 0, 0xffff, 0xffff, 0x6553, 0xf100, 0, 60, 9];
    const s = reader.decode([regs, [0, 1, 0, 1]], 123, 4);
    expect(s).toEqual({
      counters: { peopleIn: 0x10002, peopleOut: 7, vehiclesIn: 0, vehiclesOut: 0xffffffff },
      tamper: { videoLost: false, occluded: true, displaced: false, blurred: true },
      bootCount: 9,
      uptimeS: 60,
      lastEventS: 0x6553f100,
      wallTime: 123,
      monoTime: 4,
    });
  });

  it('refuses a profile that is not a seal camera or lacks a channel, and a bad unit', () => {
    expect(() => new SealCameraReader(loadProfile('methane-sensor'), 1)).toThrow(/is a sensor, not a seal-camera/);
    const { ['boot-count']: _dropped, ...rest } = profile.channels;
    expect(() => new SealCameraReader({ ...profile, channels: rest }, 1)).toThrow(/no channel "boot-count"/);
    expect(() => new SealCameraReader({ ...profile, channels: { ...profile.channels, 'people-in': { ...profile.channels['people-in']!, type: 'uint16' } } }, 1)).toThrow(/"people-in" .* must be an unscaled uint32/);
    expect(() => new SealCameraReader(profile, 0)).toThrow(/unit must be an integer 1..247, got 0/);
  });
});
