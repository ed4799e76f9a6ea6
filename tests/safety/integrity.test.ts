import { describe, expect, it } from 'vitest';
import { loadPresets } from '../../board-configs/presets/load-presets.js';
import type { Quality, Reading } from '../../core/readings.js';
import { IntegrityMonitor, type IntegrityResult } from '../../edge/safety/integrity.js';
import { buildSafetyPlan } from '../../edge/safety/plan.js';
import { headingConfig, runningRig, WALL0 } from './rig.js';

/** Deterministic noise (mulberry32) so a "normal noisy signal" is the same on every run. */
function noise(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Drives an IntegrityMonitor built from the heading config, one reading per point per second. */
class Field {
  now = 0;
  readonly monitor: IntegrityMonitor;
  readonly values = new Map<string, { value: number | null; quality: Quality } | undefined>();
  readonly raised: string[] = [];
  readonly cleared: string[] = [];
  readonly calibrated: string[] = [];

  constructor(safety: Parameters<typeof headingConfig>[0] = {}) {
    const config = headingConfig({ integrity: { frozenMs: 60_000, dropBaselineMs: 60_000, calibrations: fresh(), ...safety.integrity }, ...omit(safety, 'integrity') });
    this.monitor = IntegrityMonitor.fromPlan(buildSafetyPlan(config, loadPresets()));
    for (const [code, value] of Object.entries({ 'CH4-T1': 0.3, 'CH4-T2': 0.3, 'CH4-FAN': 0.1, 'FAN-RUN': 1, 'FAN-AIR': 300, 'FEED-1': 1 })) this.values.set(code, { value, quality: 'good' });
  }

  set(code: string, value: number | null, quality: Quality = 'good'): this {
    this.values.set(code, { value, quality });
    return this;
  }

  step(): IntegrityResult {
    this.now += 1000;
    const read = (code: string): Reading | undefined => {
      const v = this.values.get(code);
      return v && { point: code, value: v.value, quality: v.quality, unit: '', wallTime: WALL0 + this.now, monoTime: this.now, raw: [] };
    };
    const result = this.monitor.evaluate(read, this.now, WALL0 + this.now);
    this.raised.push(...result.raised.map((f) => f.key));
    this.cleared.push(...result.cleared.map((f) => f.key));
    this.calibrated.push(...result.calibrated.map((c) => c.point));
    return result;
  }

  run(seconds: number, each?: (second: number) => void): void {
    for (let s = 0; s < seconds; s++) {
      each?.(s);
      this.step();
    }
  }

  active(): string[] {
    return this.monitor.activeFindings().map((f) => f.key).sort();
  }
}

function fresh(): Record<string, string> {
  const day = new Date(WALL0 - 2 * 86_400_000).toISOString().slice(0, 10);
  return { 'CH4-T1': day, 'CH4-T2': day, 'CH4-FAN': day, 'FAN-AIR': day };
}

function omit<T extends object, K extends keyof T>(o: T, k: K): Omit<T, K> {
  const { [k]: _drop, ...rest } = o;
  return rest;
}

describe('sensor integrity detectors (AQ 1029-2019 §4.9)', () => {
  it('no false alarm on a normal noisy signal over 30 minutes', () => {
    const field = new Field();
    const rnd = noise(42);
    field.run(1800, () => {
      field.set('CH4-T1', round2(0.3 + (rnd() - 0.5) * 0.06));
      field.set('CH4-T2', round2(0.35 + (rnd() - 0.5) * 0.06));
      field.set('CH4-FAN', round2(Math.max(0, 0.05 + (rnd() - 0.5) * 0.04)));
      field.set('FAN-AIR', Math.round(300 + (rnd() - 0.5) * 20));
    });
    expect(field.raised).toEqual([]);
  });

  it('flags a value frozen within its resolution while its neighbours move', () => {
    const field = new Field();
    const rnd = noise(7);
    const neighboursMove = () => {
      field.set('CH4-T2', round2(0.35 + (rnd() - 0.5) * 0.06));
      field.set('CH4-FAN', round2(0.1 + (rnd() - 0.5) * 0.04));
    };
    field.set('CH4-T1', 0.42);
    field.run(59, neighboursMove);
    expect(field.active()).toEqual([]);
    field.run(2, neighboursMove);
    expect(field.active()).toEqual(['integrity:frozen:CH4-T1']);
    // It moves again: the suspicion clears.
    field.set('CH4-T1', 0.45).step();
    expect(field.active()).toEqual([]);
  });

  it('does not flag a steady value when nothing around it moves either, nor clean air at zero', () => {
    const field = new Field();
    field.set('CH4-T1', 0.42).set('CH4-T2', 0.3);
    field.run(120);
    expect(field.raised).toEqual([]);
    const rnd = noise(9);
    field.set('CH4-FAN', 0);
    field.run(120, () => field.set('CH4-T2', round2(0.35 + (rnd() - 0.5) * 0.06)));
    expect(field.raised).toEqual(['integrity:frozen:CH4-T1']);
  });

  it('flags a sudden drop to near zero from a steady baseline with no ventilation change', () => {
    const field = new Field();
    const rnd = noise(3);
    field.run(90, () => field.set('CH4-T1', round2(0.6 + (rnd() - 0.5) * 0.04)));
    field.set('CH4-T1', 0.01).step();
    expect(field.active()).toContain('integrity:sudden-drop:CH4-T1');
  });

  it('a drop explained by a ventilation change is not flagged', () => {
    const field = new Field();
    const rnd = noise(3);
    field.run(90, () => field.set('CH4-T1', round2(0.6 + (rnd() - 0.5) * 0.04)));
    field.set('FAN-AIR', 450).step();
    field.set('CH4-T1', 0.01).step();
    expect(field.raised.filter((k) => k.includes('sudden-drop'))).toEqual([]);
  });

  it('a gradual decline to zero is not flagged', () => {
    const field = new Field();
    field.run(90, () => field.set('CH4-T1', 0.6));
    field.run(120, (s) => field.set('CH4-T1', round2(Math.max(0, 0.6 - s * 0.005))));
    expect(field.raised.filter((k) => k.includes('sudden-drop'))).toEqual([]);
  });

  it('flags calibration older than 15 days (catalytic CH4) and a missing calibration date', () => {
    const old = new Date(WALL0 - 16 * 86_400_000).toISOString().slice(0, 10);
    const calibrations = { ...fresh(), 'CH4-T1': old };
    delete (calibrations as Record<string, string>)['CH4-FAN'];
    const field = new Field({ integrity: { calibrations } });
    field.step();
    expect(field.active()).toEqual(['integrity:calibration-overdue:CH4-T1', 'integrity:calibration-unknown:CH4-FAN']);
  });

  it('records a calibration when a point leaves calibration mode, clearing the overdue alarm', () => {
    const old = new Date(WALL0 - 20 * 86_400_000).toISOString().slice(0, 10);
    const field = new Field({ integrity: { calibrations: { ...fresh(), 'CH4-T1': old } } });
    field.step();
    expect(field.active()).toEqual(['integrity:calibration-overdue:CH4-T1']);
    field.set('CH4-T1', 2.0, 'calibrating').run(30);
    field.set('CH4-T1', 0.3).step();
    expect(field.calibrated).toEqual(['CH4-T1']);
    expect(field.active()).toEqual([]);
  });

  it('flags a data gap longer than the patrol cycle and clears it when data returns', () => {
    const field = new Field();
    field.step();
    field.values.set('CH4-T2', undefined);
    field.run(30);
    expect(field.active()).toEqual([]);
    field.step();
    expect(field.active()).toEqual(['integrity:data-gap:CH4-T2']);
    field.set('CH4-T2', 0.3).step();
    expect(field.active()).toEqual([]);
  });

  it('in the engine: integrity findings are warning alarms that light the beacon and never touch power', () => {
    const rig = runningRig(headingConfig({ integrity: { frozenMs: 30_000, calibrations: fresh() } }));
    const rnd = noise(11);
    rig.set({ 'CH4-T1': 0.42 });
    for (let i = 0; i < 40; i++) rig.set({ 'CH4-T2': round2(0.35 + (rnd() - 0.5) * 0.06) }).step();
    const alarm = rig.last!.alarms.find((a) => a.key === 'integrity:frozen:CH4-T1');
    expect(alarm).toMatchObject({ kind: 'integrity', severity: 'warning', point: 'CH4-T1' });
    expect(rig.energized('beacon')).toBe(true);
    expect(rig.energized('heading-power')).toBe(true);
    expect(rig.engine.holds()).toEqual([]);
  });
});
