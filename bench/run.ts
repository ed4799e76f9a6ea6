// Benchmark runner: `npm run bench -- <name> [args...]` runs dist/bench/<name>.js.
// stdout carries only the JSON result lines; usage and errors go to stderr.
// Exit codes: 0 done, 1 the bench failed, 2 no such bench.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchContext } from './harness.js';

/** Modules in bench/ that are tooling, not benches. */
const NOT_BENCHES = new Set(['run', 'harness', 'chromium', 'mosquitto', 'stall-floor']);
const BENCH_NAME = /^[a-z0-9][a-z0-9-]*$/;

function availableBenches(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -'.js'.length))
    .filter((name) => BENCH_NAME.test(name) && !NOT_BENCHES.has(name))
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const benches = availableBenches(dirname(fileURLToPath(import.meta.url)));
  if (name === undefined || !benches.includes(name)) {
    const why = name === undefined ? 'no bench named' : `unknown bench "${name}"`;
    process.stderr.write(
      `${why}\nusage: npm run bench -- <name> [args...]\navailable benches:\n${benches.map((b) => `  ${b}`).join('\n') || '  (none built)'}\n`,
    );
    return 2;
  }
  const mod = (await import(`./${name}.js`)) as { default?: unknown };
  if (typeof mod.default !== 'function') {
    process.stderr.write(`bench/${name}.ts must export a default async function (ctx: BenchContext)\n`);
    return 2;
  }
  await (mod.default as (ctx: ReturnType<typeof createBenchContext>) => Promise<void>)(createBenchContext(name, args));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
