import { describe, expect, it } from 'vitest';
import { evaluateSignal, noiseSample, seedFromName, type Signal, SignalSchema } from '../../simulator/signals.js';

const signal = (input: unknown): Signal => SignalSchema.parse(input);

describe('signal programs', () => {
  it('a bare number is a constant', () => {
    expect(evaluateSignal(signal(0.35), 0)).toBe(0.35);
    expect(evaluateSignal(signal(0.35), 12345.6)).toBe(0.35);
  });

  it('ramp holds `from` before start, interpolates, then holds `to`', () => {
    const s = signal({ ramp: { from: 0.2, to: 1.2, start: 10, duration: 60 } });
    expect(evaluateSignal(s, 0)).toBe(0.2);
    expect(evaluateSignal(s, 10)).toBe(0.2);
    expect(evaluateSignal(s, 40)).toBeCloseTo(0.7, 12);
    expect(evaluateSignal(s, 70)).toBe(1.2);
    expect(evaluateSignal(s, 500)).toBe(1.2);
  });

  it('steps hold each value from its time until the next; before the first point the first value', () => {
    const s = signal({ steps: [{ at: 5, value: 1 }, { at: 10, value: 0 }, { at: 20, value: 3 }] });
    expect(evaluateSignal(s, 0)).toBe(1);
    expect(evaluateSignal(s, 9.99)).toBe(1);
    expect(evaluateSignal(s, 10)).toBe(0);
    expect(evaluateSignal(s, 19.9)).toBe(0);
    expect(evaluateSignal(s, 20)).toBe(3);
    expect(evaluateSignal(s, 1e6)).toBe(3);
  });

  it('path draws straight lines between points', () => {
    const s = signal({ path: [{ at: 0, value: 0.35 }, { at: 100, value: 1.2 }, { at: 120, value: 1.2 }, { at: 160, value: 0.4 }] });
    expect(evaluateSignal(s, 50)).toBeCloseTo(0.775, 12);
    expect(evaluateSignal(s, 110)).toBe(1.2);
    expect(evaluateSignal(s, 140)).toBeCloseTo(0.8, 12);
    expect(evaluateSignal(s, 999)).toBe(0.4);
  });

  it('repeat makes any program periodic', () => {
    const s = signal({ path: [{ at: 0, value: 0 }, { at: 10, value: 10 }], repeat: 20 });
    expect(evaluateSignal(s, 5)).toBe(5);
    expect(evaluateSignal(s, 25)).toBe(5);
    expect(evaluateSignal(s, 45)).toBe(5);
    expect(evaluateSignal(s, 35)).toBe(10);
  });

  it('sine oscillates around its mean with the given period and phase', () => {
    const s = signal({ sine: { mean: 24, amplitude: 2, period: 60 } });
    expect(evaluateSignal(s, 0)).toBeCloseTo(24, 12);
    expect(evaluateSignal(s, 15)).toBeCloseTo(26, 12);
    expect(evaluateSignal(s, 45)).toBeCloseTo(22, 12);
    const shifted = signal({ sine: { mean: 24, amplitude: 2, period: 60, phase: 15 } });
    expect(evaluateSignal(shifted, 0)).toBeCloseTo(26, 12);
  });

  it('clamp limits the output, noise included', () => {
    const s = signal({ ramp: { from: -1, to: 5, duration: 6 }, noise: 0.5, clamp: { min: 0, max: 4 } });
    for (let t = 0; t <= 6; t += 0.1) {
      const v = evaluateSignal(s, t, 7);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(4);
    }
    expect(evaluateSignal(s, 0, 7)).toBe(0);
    expect(evaluateSignal(s, 6, 7)).toBe(4);
  });
});

describe('seeded noise', () => {
  const noisy = signal({ constant: 0.35, noise: 0.01 });

  it('stays within ±noise and is not constant', () => {
    const values = Array.from({ length: 2000 }, (_, i) => evaluateSignal(noisy, i * 0.1, 42));
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0.34);
      expect(v).toBeLessThanOrEqual(0.36);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0.35, 3);
    expect(new Set(values.map((v) => v.toFixed(6))).size).toBeGreaterThan(1000);
    // Spread over the band rather than stuck near the centre.
    expect(Math.max(...values)).toBeGreaterThan(0.359);
    expect(Math.min(...values)).toBeLessThan(0.341);
  });

  it('is a pure function of (seed, t): same inputs, same value, in any order', () => {
    const forward = [1, 2, 3, 50].map((t) => evaluateSignal(noisy, t, 42));
    const backward = [50, 3, 2, 1].map((t) => evaluateSignal(noisy, t, 42)).reverse();
    expect(backward).toEqual(forward);
  });

  it('differs between seeds, and a signal seed overrides the caller seed', () => {
    const a = Array.from({ length: 20 }, (_, i) => evaluateSignal(noisy, i, 1));
    const b = Array.from({ length: 20 }, (_, i) => evaluateSignal(noisy, i, 2));
    expect(a).not.toEqual(b);
    const own = signal({ constant: 0.35, noise: 0.01, seed: 9 });
    expect(evaluateSignal(own, 3, 1)).toBe(evaluateSignal(own, 3, 2));
  });

  it('per-channel seeds from names are stable and distinct', () => {
    expect(seedFromName('field-bus/1/value')).toBe(seedFromName('field-bus/1/value'));
    expect(seedFromName('field-bus/1/value')).not.toBe(seedFromName('field-bus/2/value'));
    expect(noiseSample(1, 1)).toBeGreaterThanOrEqual(-1);
    expect(noiseSample(1, 1)).toBeLessThan(1);
  });
});

describe('signal validation', () => {
  const problem = (input: unknown): string => {
    const r = SignalSchema.safeParse(input);
    expect(r.success).toBe(false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };

  it('needs exactly one program', () => {
    expect(problem({ noise: 0.1 })).toMatch(/exactly one of constant, ramp, steps, path, sine \(found none\)/);
    expect(problem({ constant: 1, sine: { mean: 0, amplitude: 1, period: 1 } })).toMatch(/found constant, sine/);
  });

  it('names the bad field', () => {
    expect(problem({ ramp: { from: 0, to: 1, duration: 0 } })).toMatch(/^ramp\.duration: must be > 0/);
    expect(problem({ steps: [{ at: 5, value: 1 }, { at: 5, value: 2 }] })).toMatch(/^steps\.1\.at: .*increasing/);
    expect(problem({ constant: 1, nosie: 0.1 })).toMatch(/nosie/);
    expect(problem({ constant: 1, clamp: { min: 2, max: 1 } })).toMatch(/^clamp: clamp.min must not exceed/);
  });

  it('refuses a non-finite t', () => {
    expect(() => evaluateSignal(signal(1), Number.NaN)).toThrow(TypeError);
  });
});
