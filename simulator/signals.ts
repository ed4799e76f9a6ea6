// Value programs for simulated channels: what a sensor reads at scenario time t (seconds).
// Pure functions of (signal, t, seed) so that a run is reproducible and a test can jump to any t.
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const seconds = finite.refine((n) => n >= 0, 'must be >= 0 seconds');

const PointSchema = z.strictObject({ at: seconds, value: finite });

/** Points of `steps` and `path`, strictly increasing in time. */
const PointListSchema = z
  .array(PointSchema)
  .min(1, 'needs at least one { at, value } point')
  .superRefine((points, ctx) => {
    for (let i = 1; i < points.length; i++) {
      if (points[i]!.at <= points[i - 1]!.at) {
        ctx.addIssue({ code: 'custom', path: [i, 'at'], message: `points must be in increasing time order (${points[i]!.at} after ${points[i - 1]!.at})` });
      }
    }
  });

const RampSchema = z.strictObject({
  from: finite,
  to: finite,
  /** Scenario second the ramp begins; `from` holds before it. */
  start: seconds.default(0),
  /** Seconds from `from` to `to`; `to` holds afterwards. */
  duration: finite.refine((n) => n > 0, 'must be > 0 seconds'),
});

const SineSchema = z.strictObject({
  mean: finite,
  amplitude: finite,
  period: finite.refine((n) => n > 0, 'must be > 0 seconds'),
  /** Seconds added to t before evaluation (shifts the wave left). */
  phase: finite.default(0),
});

const PROGRAM_KEYS = ['constant', 'ramp', 'steps', 'path', 'sine'] as const;

const SignalObjectSchema = z
  .strictObject({
    constant: finite.optional(),
    ramp: RampSchema.optional(),
    /** Hold each value from its `at` until the next point. */
    steps: PointListSchema.optional(),
    /** Straight lines between the points (piecewise linear). */
    path: PointListSchema.optional(),
    sine: SineSchema.optional(),
    /** Evaluate the program at t modulo this many seconds (periodic excursions). */
    repeat: finite.refine((n) => n > 0, 'must be > 0 seconds').optional(),
    /** Additive noise, uniform in [-noise, +noise], drawn from a seeded PRNG. */
    noise: finite.refine((n) => n >= 0, 'must be >= 0').default(0),
    /** PRNG seed for this signal; by default the simulator derives one per bus/unit/channel. */
    seed: z.number().int().optional(),
    /** Limits applied after noise (a real sensor's output saturates). */
    clamp: z
      .strictObject({ min: finite.optional(), max: finite.optional() })
      .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, 'clamp.min must not exceed clamp.max')
      .optional(),
  })
  .superRefine((s, ctx) => {
    const present = PROGRAM_KEYS.filter((k) => s[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a signal needs exactly one of ${PROGRAM_KEYS.join(', ')} (found ${present.length ? present.join(', ') : 'none'})`,
      });
    }
  });

/** A signal: a bare number (constant) or an object with one program plus noise/clamp/repeat. */
// preprocess (not a union) so that errors inside an object keep their exact field path.
export const SignalSchema = z.preprocess((v) => (typeof v === 'number' ? { constant: v } : v), SignalObjectSchema);
export type Signal = z.output<typeof SignalObjectSchema>;
export type SignalInput = number | z.input<typeof SignalObjectSchema>;

/** Noise is drawn once per slot of this many seconds: the same t always gives the same noise. */
export const NOISE_SLOT_SECONDS = 0.1;

/** The value of a signal at scenario time t (seconds). `seed` is used unless the signal has its own. */
export function evaluateSignal(signal: Signal, t: number, seed = 0): number {
  if (!Number.isFinite(t)) throw new TypeError(`evaluateSignal: t must be a finite number of seconds, got ${String(t)}`);
  const local = signal.repeat !== undefined ? positiveModulo(t, signal.repeat) : t;
  let value = evaluateProgram(signal, local);
  if (signal.noise > 0) {
    // The slot comes from the absolute t so that repeated excursions do not repeat their noise.
    value += signal.noise * noiseSample(signal.seed ?? seed, Math.floor(t / NOISE_SLOT_SECONDS));
  }
  if (signal.clamp?.min !== undefined && value < signal.clamp.min) value = signal.clamp.min;
  if (signal.clamp?.max !== undefined && value > signal.clamp.max) value = signal.clamp.max;
  return value;
}

function evaluateProgram(signal: Signal, t: number): number {
  if (signal.constant !== undefined) return signal.constant;
  if (signal.ramp) {
    const { from, to, start, duration } = signal.ramp;
    if (t <= start) return from;
    if (t >= start + duration) return to;
    return from + ((to - from) * (t - start)) / duration;
  }
  if (signal.steps) return stepValue(signal.steps, t);
  if (signal.path) return pathValue(signal.path, t);
  if (signal.sine) {
    const { mean, amplitude, period, phase } = signal.sine;
    return mean + amplitude * Math.sin((2 * Math.PI * (t + phase)) / period);
  }
  // Unreachable for schema-validated signals; a hand-built one without a program is a caller bug.
  throw new TypeError(`evaluateSignal: signal has no program (one of ${PROGRAM_KEYS.join(', ')}): ${JSON.stringify(signal)}`);
}

type Point = { at: number; value: number };

/** Index of the last point at or before t, or -1 when t precedes the first point. */
function lastPointAtOrBefore(points: readonly Point[], t: number): number {
  let i = -1;
  while (i + 1 < points.length && points[i + 1]!.at <= t) i++;
  return i;
}

function stepValue(points: readonly Point[], t: number): number {
  const i = lastPointAtOrBefore(points, t);
  // Before the first point the signal already sits at the first value (no implicit zero).
  return points[Math.max(i, 0)]!.value;
}

function pathValue(points: readonly Point[], t: number): number {
  const i = lastPointAtOrBefore(points, t);
  if (i < 0) return points[0]!.value;
  const a = points[i]!;
  const b = points[i + 1];
  if (!b) return a.value;
  return a.value + ((b.value - a.value) * (t - a.at)) / (b.at - a.at);
}

function positiveModulo(t: number, period: number): number {
  const m = t % period;
  return m < 0 ? m + period : m;
}

/** Deterministic sample in [-1, 1) for (seed, slot): a stateless hash, so any t can be evaluated first. */
export function noiseSample(seed: number, slot: number): number {
  // splitmix32-style avalanche of the two integers.
  let x = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(slot | 0, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  x = (x ^ (x >>> 15)) >>> 0;
  return x / 0x80000000 - 1;
}

/** A stable 32-bit seed from a name (e.g. "field-bus/1/value"), so each channel gets its own noise. */
export function seedFromName(name: string, base = 0): number {
  let h = (0x811c9dc5 ^ base) >>> 0; // FNV-1a
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h | 0;
}
