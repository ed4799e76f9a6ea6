import { spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { benchLine, cpuShare, createBenchContext, percentiles, timeIt } from '../../bench/harness.js';
import { built, repoRoot } from '../helpers/built.js';

const KEYS = ['bench', 'figure', 'value', 'unit', 'baseline', 'ratio'];

describe('report lines', () => {
  it('prints exactly one JSON object per report, keys in the documented order, ratio computed', () => {
    const out: string[] = [];
    const ctx = createBenchContext('store', ['--rows', '10'], (line) => out.push(line));
    ctx.report({ figure: 'throughput', value: 750, unit: 'rows/s', baseline: 1000 });
    ctx.report({ figure: 'latency p99', value: 12.5, unit: 'ms', baseline: null });
    expect(out).toEqual([
      '{"bench":"store","figure":"throughput","value":750,"unit":"rows/s","baseline":1000,"ratio":0.75}',
      '{"bench":"store","figure":"latency p99","value":12.5,"unit":"ms","baseline":null,"ratio":null}',
    ]);
    expect(out.every((l) => !l.includes('\n'))).toBe(true);
    expect(ctx.args).toEqual(['--rows', '10']);
  });

  it('leaves ratio null without a usable baseline and keeps an explicit ratio', () => {
    expect(benchLine('b', { figure: 'f', value: 3, unit: 'u' })).toMatchObject({ baseline: null, ratio: null });
    expect(benchLine('b', { figure: 'f', value: 3, unit: 'u', baseline: 0 })).toMatchObject({ baseline: 0, ratio: null });
    // e.g. a latency where "times faster" is baseline / value
    expect(benchLine('b', { figure: 'f', value: 2, unit: 'ms', baseline: 8, ratio: 4 })).toMatchObject({ ratio: 4 });
    expect(benchLine('b', { figure: 'f', value: 2, unit: 'ms', baseline: 8, ratio: null })).toMatchObject({ ratio: null });
  });

  it('refuses values JSON cannot carry instead of printing null', () => {
    expect(() => benchLine('b', { figure: 'f', value: Number.NaN, unit: 'u' })).toThrow(/value of "f".*NaN/);
    expect(() => benchLine('b', { figure: 'f', value: 1, unit: 'u', baseline: Number.POSITIVE_INFINITY })).toThrow(/baseline/);
    expect(() => benchLine('b', { figure: '', value: 1, unit: 'u' })).toThrow(/figure/);
    expect(() => benchLine('b', { figure: 'f', value: 1, unit: '' })).toThrow(/unit/);
  });
});

describe('measurement helpers', () => {
  it('percentiles use nearest rank on unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentiles(samples, [50, 99, 100, 0])).toEqual([50, 99, 100, 1]);
    expect(percentiles([7], [50, 99])).toEqual([7, 7]);
    expect(percentiles([1, 1000], [50])).toEqual([1]);
    expect(() => percentiles([], [50])).toThrow(/no samples/);
    expect(() => percentiles([1], [101])).toThrow(/101/);
  });

  it('timeIt returns the result and the elapsed monotonic time', async () => {
    const { result, ms } = await timeIt(async () => {
      await delay(30);
      return 'done';
    });
    expect(result).toBe('done');
    expect(ms).toBeGreaterThanOrEqual(29);
    expect(ms).toBeLessThan(5_000);
  });

  it('cpuShare tells a busy loop from waiting', async () => {
    const busy = await cpuShare(() => {
      const start = process.cpuUsage();
      let x = 0;
      // Spin until 40 ms of CPU were really used (wall time would be flaky on a shared machine).
      while (process.cpuUsage(start).user < 40_000) x += Math.sqrt(x + 1);
      return x;
    });
    expect(busy.cpuMs).toBeGreaterThanOrEqual(40);
    expect(busy.share).toBeGreaterThan(0);
    expect(busy.share).toBeLessThanOrEqual(1.2);

    const idle = await cpuShare(() => delay(100));
    expect(idle.wallMs).toBeGreaterThanOrEqual(99);
    expect(idle.share).toBeLessThan(0.5);
    expect(idle.share).toBeLessThan(busy.share);
  });
});

describe('npm run bench runner', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [built('bench/run.js'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });

  it('lists the available benches and exits 2 when no name is given', () => {
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/available benches:\n(\s+\S+\n)*\s+store\n/);
    expect(r.stderr).not.toMatch(/^\s+(run|harness)$/m);
  });

  it('names an unknown bench and exits 2', () => {
    const r = run('no-such-bench');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown bench "no-such-bench"');
    expect(r.stderr).toContain('store');
  });

  it('runs the store bench: JSON lines only on stdout, writer compared with raw inserts', () => {
    const r = run('store', '--rows', '3000', '--rounds', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(4);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(KEYS);
      expect(l.bench).toBe('store');
      expect(typeof l.value).toBe('number');
    }
    const [throughput] = lines as { value: number; unit: string; baseline: number; ratio: number }[];
    expect(throughput!.unit).toBe('rows/s');
    expect(throughput!.value).toBeGreaterThan(0);
    expect(throughput!.baseline).toBeGreaterThan(0);
    expect(throughput!.ratio).toBeCloseTo(throughput!.value / throughput!.baseline, 12);
    // The segment layout's ingest, against the same raw-insert baseline.
    const segments = lines[1] as { figure: string; value: number; unit: string; baseline: number; ratio: number };
    expect(segments.figure).toContain("layout 'segments'");
    expect(segments.unit).toBe('rows/s');
    expect(segments.value).toBeGreaterThan(0);
    expect(segments.ratio).toBeCloseTo(segments.value / segments.baseline, 12);
    expect(lines.slice(2).map((l) => [l.unit, l.ratio])).toEqual([
      ['ns', null],
      ['ns', null],
    ]);
  });

  it('fails with exit 1 and a message when a bench throws', () => {
    const r = run('store', '--rows', 'many');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--rows needs a positive integer');
    expect(r.stdout).toBe('');
  });
});
