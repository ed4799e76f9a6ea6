// What every benchmark uses: one JSON line per measured figure (so results can be diffed and
// graphed by machine), percentiles, a monotonic clock and CPU accounting.
// A bench is one file bench/<name>.ts: `export default async function (ctx: BenchContext) {...}`,
// run with `npm run bench -- <name> [args...]`.

export interface BenchFigure {
  /** What was measured, e.g. 'ReadingWriter throughput'. */
  figure: string;
  value: number;
  /** e.g. 'rows/s', 'ms', 'ns', 'share of one core'. */
  unit: string;
  /** The same figure for the reference implementation measured in the same run; null when none. */
  baseline?: number | null;
  /** Defaults to value / baseline when baseline is given and non-zero. */
  ratio?: number | null;
}

/** The exact shape of one output line. */
export interface BenchLine {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

export interface BenchContext {
  readonly name: string;
  /** Command-line arguments after the bench name. */
  readonly args: readonly string[];
  /** Print one JSON line for this figure and return what was printed. */
  report(figure: BenchFigure): BenchLine;
}

export type Bench = (ctx: BenchContext) => Promise<void>;

/** Validate a figure and build its output line (ratio computed here). */
export function benchLine(bench: string, f: BenchFigure): BenchLine {
  if (typeof bench !== 'string' || bench === '') throw new TypeError(`bench name must be a non-empty string, got ${JSON.stringify(bench)}`);
  if (typeof f.figure !== 'string' || f.figure.trim() === '') throw new TypeError(`figure must be a non-empty string, got ${JSON.stringify(f.figure)}`);
  if (typeof f.unit !== 'string' || f.unit.trim() === '') throw new TypeError(`unit of "${f.figure}" must be a non-empty string, got ${JSON.stringify(f.unit)}`);
  // JSON has no NaN/Infinity: they would silently print as null and look like "no baseline".
  if (!isFiniteNumber(f.value)) throw new TypeError(`value of "${f.figure}" must be a finite number, got ${String(f.value)}`);
  const baseline = f.baseline ?? null;
  if (baseline !== null && !isFiniteNumber(baseline)) throw new TypeError(`baseline of "${f.figure}" must be a finite number or null, got ${String(f.baseline)}`);
  let ratio: number | null;
  if (f.ratio !== undefined && f.ratio !== null) {
    if (!isFiniteNumber(f.ratio)) throw new TypeError(`ratio of "${f.figure}" must be a finite number or null, got ${String(f.ratio)}`);
    ratio = f.ratio;
  } else if (f.ratio === null) {
    ratio = null;
  } else {
    ratio = baseline !== null && baseline !== 0 ? f.value / baseline : null;
  }
  return { bench, figure: f.figure, value: f.value, unit: f.unit, baseline, ratio };
}

export function createBenchContext(
  name: string,
  args: readonly string[] = [],
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): BenchContext {
  return {
    name,
    args,
    report(figure) {
      const line = benchLine(name, figure);
      write(JSON.stringify(line));
      return line;
    },
  };
}

/** Nearest-rank percentiles, e.g. percentiles(samples, [50, 99]) → [p50, p99]. */
export function percentiles(samples: readonly number[], ps: readonly number[]): number[] {
  if (samples.length === 0) throw new TypeError('percentiles: no samples');
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => {
    if (!isFiniteNumber(p) || p < 0 || p > 100) throw new TypeError(`percentiles: ${String(p)} is not between 0 and 100`);
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
    return sorted[rank - 1]!;
  });
}

/** Monotonic nanoseconds (immune to wall-clock steps). */
export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds elapsed since a nowNs() reading. */
export function elapsedMs(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e6;
}

/** Run fn once and time it on the monotonic clock. */
export async function timeIt<T>(fn: () => T | Promise<T>): Promise<{ result: T; ms: number }> {
  const start = nowNs();
  const result = await fn();
  return { result, ms: elapsedMs(start) };
}

/**
 * Run fn and report how much CPU this process used meanwhile, as a share of one core
 * (0.25 = a quarter of one core; above 1 means more than one thread was busy).
 */
export async function cpuShare<T>(fn: () => T | Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number; share: number }> {
  const cpuBefore = process.cpuUsage();
  const start = nowNs();
  const result = await fn();
  const wallMs = elapsedMs(start);
  const used = process.cpuUsage(cpuBefore);
  const cpuMs = (used.user + used.system) / 1000;
  return { result, wallMs, cpuMs, share: wallMs > 0 ? cpuMs / wallMs : 0 };
}

/** Median of a list of figures (for repeated rounds). */
export function median(values: readonly number[]): number {
  return percentiles(values, [50])[0]!;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A positive integer flag of a bench (`--rows 5000`), or the fallback when it is absent. */
export function intArg(args: readonly string[], flag: string, fallback: number): number {
  const at = args.indexOf(flag);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${flag} needs a positive integer, got ${JSON.stringify(args[at + 1])}`);
  return value;
}
