// The dashboard on the demo, in headless Chromium: what a technician's laptop loads and how soon it
// shows the substation. Starts `minegate demo --dashboard-port 0` (simulator, broker, gateway — what
// `npm start` runs) as a child process and opens the printed URL in fresh browser contexts (no cache).
//   - page weight: bytes of every response the page loads, as the browser counts them (Resource
//     Timing: HTML, script, style, meta, history, session), plus one status frame of the stream. Budget 300 KB (issue 15).
//     Baseline: the control socket's status answer alone (/api/status), the least any live view
//     must carry; ratio = page / status.
//   - first render: navigation start until every point row of the overview shows a live value.
//     Budget 1 s. Baseline (same run, same browser): a one-line static page from a bare node:http
//     server, the browser's own floor; ratio = dashboard / blank page.
// Usage: npm run bench -- dashboard [--trials 10]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { type BenchContext, percentiles } from './harness.js';

const BUDGET = { pageBytes: 300 * 1024, firstRenderMs: 1000 } as const;

function arg(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new TypeError(`${name} must be a positive integer, got ${args[i + 1]}`);
  return v;
}

async function startDemo(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const cli = resolve(fileURLToPath(new URL('../edge/cli.js', import.meta.url)));
  const child = spawn(process.execPath, [cli, 'demo', '-d', dataDir, '--dashboard-port', '0', '--duration', '600'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the demo printed no dashboard URL within 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /dashboard on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        done({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`the demo exited (${String(code)}) before serving the dashboard:\n${out}`)));
  });
}

/** One visit in a fresh context: bytes loaded and ms until every point row shows a value. */
async function visit(browser: Browser, url: string, pointCount: number): Promise<{ bytes: number; ms: number }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(url);
  // Runs in the page (this package's TypeScript has no DOM types, hence the loose `doc`). A function,
  // not a string: the dashboard's Content-Security-Policy forbids eval, as it should.
  await page.waitForFunction((n: number) => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
    const rows = Array.from(doc.querySelectorAll('#points tbody tr td.value'));
    return rows.length >= n && rows.every((td) => td.textContent !== '—');
  }, pointCount, { polling: 50, timeout: 30_000 });
  const ms = Date.now() - t0;
  // The status frame as the page received it (what the stream carries once per second).
  const frameBytes = (await (await fetch(new URL('/api/status', url))).arrayBuffer()).byteLength;
  // The browser's own account (Resource Timing): the document and every resource it fetched. The
  // stream never completes, so it has no entry: its first frame is counted as frameBytes.
  const loaded = await page.evaluate(() => {
    const perf = (globalThis as unknown as { performance: { getEntriesByType(t: string): { encodedBodySize: number }[] } }).performance;
    return [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].reduce((n, e) => n + e.encodedBodySize, 0);
  });
  const bytes = loaded + frameBytes;
  await context.close();
  return { bytes, ms };
}

async function blankPage(browser: Browser, trials: number): Promise<number[]> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>blank</title><p id="ok">ok</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const samples: number[] = [];
  try {
    for (let i = 0; i < trials; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = Date.now();
      await page.goto(url);
      await page.waitForSelector('#ok');
      samples.push(Date.now() - t0);
      await context.close();
    }
  } finally {
    server.close();
  }
  return samples;
}

export default async function dashboardBench(ctx: BenchContext): Promise<void> {
  const trials = arg(ctx.args, '--trials', 10);
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-dashboard-'));
  let demo: { child: ChildProcess; url: string } | undefined;
  let browser: Browser | undefined;
  try {
    demo = await startDemo(join(dir, 'data'));
    browser = await launchChromium();
    const meta = (await (await fetch(new URL('/api/meta', demo.url))).json()) as { points: unknown[] };
    const statusBytes = (await (await fetch(new URL('/api/status', demo.url))).arrayBuffer()).byteLength;
    // One warm-up visit: the gateway's first history query and the browser's first process start.
    await visit(browser, demo.url, meta.points.length);
    const visits: { bytes: number; ms: number }[] = [];
    for (let i = 0; i < trials; i++) visits.push(await visit(browser, demo.url, meta.points.length));
    const blank = await blankPage(browser, trials);
    const [p50, worst] = percentiles(visits.map((v) => v.ms), [50, 100]);
    const [blank50, blankWorst] = percentiles(blank, [50, 100]);
    const bytes = Math.max(...visits.map((v) => v.bytes));
    ctx.report({ figure: 'page weight (everything the page loads, incl. first status frame)', value: bytes, unit: 'bytes', baseline: statusBytes });
    ctx.report({ figure: 'first render p50 (navigation → every point live)', value: p50!, unit: 'ms', baseline: blank50! });
    ctx.report({ figure: 'first render worst', value: worst!, unit: 'ms', baseline: blankWorst! });
    if (bytes > BUDGET.pageBytes) process.stderr.write(`dashboard: page weight ${bytes} B is over the ${BUDGET.pageBytes} B budget\n`);
    if (worst! > BUDGET.firstRenderMs) process.stderr.write(`dashboard: first render ${worst} ms is over the ${BUDGET.firstRenderMs} ms budget\n`);
  } finally {
    await browser?.close();
    if (demo) {
      const exited = new Promise((r) => demo!.child.once('exit', r));
      demo.child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
