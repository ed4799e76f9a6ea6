// Resident memory of the demo gateway with a big upstream backlog (issue 11: "RSS of the whole
// gateway, kernel included, on the demo with a 1M-record backlog; goal ≤ 128 MB").
// `minegate demo` runs as it does for `npm start`, as real processes: the demo process (gateway,
// plus the simulated substation, the embedded broker and the demo receiver: what `npm start` runs)
// and its safety-kernel child. Measured side: the data dir's outbox holds N CDSS records sealed
// and signed with the demo's own substation key, as after an outage, which the gateway drains to
// the demo platform while it is sampled. Baseline (same run): the same demo on an empty data dir.
// RSS is sampled from /proc/<pid>/status every 100 ms; VmHWM (the kernel's own peak) is read just
// before the demo is stopped. PSS (/proc/<pid>/smaps_rollup, every second) counts the pages the two
// processes share (Node's own code, ~40 MiB each in RSS) once: what the pair takes from the box.
// Each process starts as it is started for real: `run` with the Node flags and environment of the
// systemd unit's ExecStart= (deploy/systemd/minegate.service), `demo` with those of `npm start`
// (package.json), both read from those files, so the bench cannot drift from them.
// Usage: npm run bench -- rss [records] [--seconds 40]   (default 1000000 records, 40 s per side)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../edge/config/load-config.js';
import { ensureDemoKeys } from '../sync/demo-platform.js';
import type { CdssRecord } from '../sync/formats/records/index.js';
import { loadPrivateKey } from '../sync/integrity.js';
import { Outbox } from '../sync/outbox.js';
import { cdssStream } from '../sync/streams/index.js';
import { openSyncDatabase } from '../sync/sync-database.js';
import type { BenchContext } from './harness.js';
import { startMosquitto } from './mosquitto.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cli = join(root, 'dist/edge/cli.js');
const demoConfig = join(root, 'board-configs/examples/demo-substation.yaml');
const MiB = 1024 * 1024;

interface Memory {
  /** Largest sampled sum of VmRSS over the demo process and its kernel child. */
  rssMax: number;
  /** The same, last 10 s of the run (settled: after start-up and the drain). */
  rssSettled: number;
  /** VmHWM of each process just before the stop (the kernel's own peak figure). */
  hwmDemo: number;
  hwmKernel: number;
  rssKernelMax: number;
  /** Largest sampled sum of Pss over both processes. */
  pssMax: number;
}

/** How a command line is started: Node's own flags and extra environment. */
interface Launch {
  nodeArgs: string[];
  env: Record<string, string>;
}

export default async function rss(ctx: BenchContext): Promise<void> {
  const positional = ctx.args.filter((a, i) => !a.startsWith('--') && ctx.args[i - 1] !== '--seconds');
  const n = Number(positional[0] ?? 1_000_000);
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`rss: record count must be a whole number, got ${String(positional[0])}`);
  const si = ctx.args.indexOf('--seconds');
  const seconds = si >= 0 ? Number(ctx.args[si + 1]) : 40;
  if (!Number.isFinite(seconds) || seconds < 15) throw new TypeError(`rss: --seconds must be ≥ 15, got ${String(ctx.args[si + 1])}`);

  const baseDir = mkdtempSync(join(tmpdir(), 'minegate-bench-rss-empty-'));
  const fullDir = mkdtempSync(join(tmpdir(), 'minegate-bench-rss-backlog-'));
  const aloneDir = mkdtempSync(join(tmpdir(), 'minegate-bench-rss-alone-'));
  try {
    const baseline = await measureDemo(baseDir, seconds);
    const t0 = Date.now();
    buildBacklog(fullDir, n);
    process.stderr.write(`rss: ${n} records buffered in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const measured = await measureDemo(fullDir, seconds);
    const mb = (b: number): number => Number((b / MiB).toFixed(1));
    const label = `demo process + safety kernel, ${n} records backlog drained meanwhile (goal ≤ 128 MB); baseline: empty data dir`;
    ctx.report({ figure: `RSS, largest sample: ${label}`, value: mb(measured.rssMax), unit: 'MiB', baseline: mb(baseline.rssMax) });
    ctx.report({ figure: `RSS, largest sample in the last 10 s: ${label}`, value: mb(measured.rssSettled), unit: 'MiB', baseline: mb(baseline.rssSettled) });
    ctx.report({ figure: `VmHWM sum (peak per process): ${label}`, value: mb(measured.hwmDemo + measured.hwmKernel), unit: 'MiB', baseline: mb(baseline.hwmDemo + baseline.hwmKernel) });
    ctx.report({ figure: 'RSS of the safety-kernel process alone, largest sample (with backlog; baseline: empty data dir)', value: mb(measured.rssKernelMax), unit: 'MiB', baseline: mb(baseline.rssKernelMax) });

    // The gateway alone, as installed: `minegate run` on the demo config with its sync section
    // pointed at a real Mosquitto (no receiver: the backlog stays, as on a link that is up but
    // whose platform does not receipt), the simulated substation in a process of its own.
    ctx.report({ figure: `PSS sum, largest sample (shared pages counted once): ${label}`, value: mb(measured.pssMax), unit: 'MiB', baseline: mb(baseline.pssMax) });
    // A backlog of its own: the demo above has drained most of the first one.
    buildBacklog(aloneDir, n);
    const alone = await measureGatewayAlone(aloneDir, baseDir, seconds);
    const aloneLabel = `\`minegate run\` (unit's Node flags: ${installedLaunch().nodeArgs.join(' ') || 'none'}) + safety kernel on the demo config, ${n} records backlog held (simulator and Mosquitto in their own processes; goal ≤ 128 MB); baseline: empty data dir`;
    ctx.report({ figure: `RSS, largest sample: ${aloneLabel}`, value: mb(alone.measured.rssMax), unit: 'MiB', baseline: mb(alone.baseline.rssMax) });
    ctx.report({ figure: `RSS, largest sample in the last 10 s: ${aloneLabel}`, value: mb(alone.measured.rssSettled), unit: 'MiB', baseline: mb(alone.baseline.rssSettled) });
    ctx.report({ figure: `VmHWM sum: \`minegate run\` + safety kernel, ${n} records backlog held; baseline: empty data dir`, value: mb(alone.measured.hwmDemo + alone.measured.hwmKernel), unit: 'MiB', baseline: mb(alone.baseline.hwmDemo + alone.baseline.hwmKernel) });
    ctx.report({ figure: `PSS sum, largest sample (shared pages counted once): \`minegate run\` + safety kernel, ${n} records backlog held; baseline: empty data dir`, value: mb(alone.measured.pssMax), unit: 'MiB', baseline: mb(alone.baseline.pssMax) });
    ctx.report({ figure: 'RSS of the safety-kernel process alone under `minegate run`, largest sample (with backlog; baseline: empty data dir)', value: mb(alone.measured.rssKernelMax), unit: 'MiB', baseline: mb(alone.baseline.rssKernelMax) });
  } finally {
    rmSync(baseDir, { recursive: true, force: true });
    rmSync(fullDir, { recursive: true, force: true });
    rmSync(aloneDir, { recursive: true, force: true });
  }
}

async function measureGatewayAlone(fullDir: string, emptyDir: string, seconds: number): Promise<{ measured: Memory; baseline: Memory }> {
  const broker = await startMosquitto(fullDir);
  await demoPortsFree();
  const sim = spawn(process.execPath, [cli, 'sim'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let simOut = '';
  sim.stdout!.on('data', (d: Buffer) => (simOut += d.toString()));
  sim.stderr!.on('data', (d: Buffer) => (simOut += d.toString()));
  const simExited = new Promise<unknown>((done) => sim.once('exit', done));
  try {
    await waitForOutput(() => simOut, /^personnel:/m, 30_000, simExited);
    const configFile = join(fullDir, 'demo-with-sync.yaml');
    writeFileSync(configFile, `${readFileSync(demoConfig, 'utf8')}\nsync:\n  brokerUrl: ${broker.url}\n`);
    const run = (dataDir: string): Promise<Memory> => {
      ensureDemoKeys(dataDir);
      return measure(installedLaunch(), [cli, 'run', '-c', configFile, '-d', dataDir], /data in/, seconds);
    };
    const baseline = await run(emptyDir);
    const measured = await run(fullDir);
    return { measured, baseline };
  } finally {
    await stop(sim, simExited);
    await broker.stop();
  }
}

/** N CDSS records of the demo's methane points, sealed into signed batches in <dataDir>/outbox.db. */
function buildBacklog(dataDir: string, n: number): void {
  if (n === 0) return;
  const { config } = loadConfig(demoConfig);
  const keys = ensureDemoKeys(dataDir);
  const db = openSyncDatabase(join(dataDir, 'outbox.db'));
  const outbox = new Outbox({
    db,
    mineCode: config.mine.code,
    mineName: config.mine.name,
    substation: config.substation.code,
    signingKey: loadPrivateKey(keys.substationKey),
    autoFlush: false,
  });
  // The last hours before now, 16 records a second: inside the outbox's age limit.
  const start = Date.now() - Math.ceil(n / 16) * 1000 - 60_000;
  const codes = config.points.filter((p) => p.unit === '%CH4').map((p) => p.code);
  const pointCodes = codes.length > 0 ? codes : config.points.map((p) => p.code);
  const flushAll = (): void => {
    while (outbox.stats().queued > 0) if (!outbox.flush().ok) throw new Error(`rss: flush failed: ${outbox.stats().lastError}`);
  };
  for (let i = 0; i < n; i++) {
    outbox.append(cdssStream, cdssRecord(pointCodes[i % pointCodes.length]!, start + Math.floor(i / 16) * 1000, i));
    if (i % 20_000 === 19_999) flushAll();
  }
  flushAll();
  const stored = outbox.stats().storedRecords;
  outbox.close();
  db.close();
  if (stored !== n) throw new Error(`rss: buffered ${stored} of ${n} records (outbox cap?)`);
}

function cdssRecord(pointCode: string, dataTime: number, i: number): CdssRecord {
  return { pointCode, sensorTypeName: '环境瓦斯', location: '3101掘进工作面', value: 0.3 + (i % 50) / 100, unit: '%CH4', status: 0, dataTime };
}

function measureDemo(dataDir: string, seconds: number): Promise<Memory> {
  return measure(npmStartLaunch(), [cli, 'demo', '-d', dataDir, '--dashboard-port', '0', '--refresh-ms', '1000'], /dashboard on http/, seconds);
}

/**
 * The unit's ExecStart= Node flags (the words between `node` and the script) and its Environment=
 * settings, PATH aside (the bench's own PATH finds Node here).
 */
function installedLaunch(): Launch {
  const unit = readFileSync(join(root, 'deploy/systemd/minegate.service'), 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  if (!exec) throw new Error('rss: deploy/systemd/minegate.service has no ExecStart= line');
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)) if (m[1] !== 'PATH') env[m[1]!] = m[2]!;
  return { nodeArgs: nodeFlags(exec.split(/\s+/), 'ExecStart='), env };
}

/** `npm start`'s Node flags and leading VAR=value assignments (package.json scripts.start, after its build step). */
function npmStartLaunch(): Launch {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = start.split('&&').at(-1)!.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) {
    const [k, ...v] = words.shift()!.split('=');
    env[k!] = v.join('=');
  }
  return { nodeArgs: nodeFlags(words, 'npm start'), env };
}

function nodeFlags(words: string[], where: string): string[] {
  const node = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
  const script = words.findIndex((w) => w.endsWith('edge/cli.js'));
  if (node < 0 || script < node) throw new Error(`rss: cannot find \`node … edge/cli.js\` in ${where}: ${words.join(' ')}`);
  return words.slice(node + 1, script);
}

/** The processes of one command line (the process and its safety-kernel child), sampled for `seconds`. */
async function measure(launch: Launch, args: string[], ready: RegExp, seconds: number): Promise<Memory> {
  if (args[1] === 'demo') await demoPortsFree();
  const child = spawn(process.execPath, [...launch.nodeArgs, ...args], { cwd: root, env: { ...process.env, ...launch.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    await waitForOutput(() => output, ready, 60_000, exited);
    if (/EADDRINUSE/.test(output)) throw new Error(`rss: the demo's simulator ports are taken (another demo or test running?):\n${output}`);
    const started = Date.now();
    const end = started + seconds * 1000;
    let rssMax = 0;
    let rssSettled = 0;
    let rssKernelMax = 0;
    let pssMax = 0;
    let kernelPid: number | undefined;
    for (let i = 0; Date.now() < end; i++) {
      kernelPid ??= childPids(child.pid!)[0];
      const demo = status(child.pid!);
      const kernel = kernelPid ? status(kernelPid) : undefined;
      if (!demo) throw new Error(`rss: ${args[1]} ended early:\n${output}`);
      const sum = demo.rss + (kernel?.rss ?? 0);
      rssMax = Math.max(rssMax, sum);
      rssKernelMax = Math.max(rssKernelMax, kernel?.rss ?? 0);
      if (end - Date.now() <= 10_000) rssSettled = Math.max(rssSettled, sum);
      if (i % 10 === 0) pssMax = Math.max(pssMax, pss(child.pid!) + (kernelPid ? pss(kernelPid) : 0));
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!kernelPid) throw new Error(`rss: no safety-kernel child process found:\n${output}`);
    const hwmDemo = status(child.pid!)?.hwm ?? 0;
    const hwmKernel = status(kernelPid)?.hwm ?? 0;
    return { rssMax, rssSettled, hwmDemo, hwmKernel, rssKernelMax, pssMax };
  } finally {
    await stop(child, exited);
  }
}


/** VmRSS and VmHWM of a process in bytes, or undefined once it is gone. */
function status(pid: number): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Pss of a process in bytes (its share of each page), 0 once it is gone. */
function pss(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function waitForOutput(output: () => string, re: RegExp, timeoutMs: number, exited: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!re.test(output())) {
    if (gone) throw new Error(`rss: the demo ended before it was up:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`rss: the demo did not come up in ${timeoutMs / 1000} s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** The demo's simulator listens on fixed ports (15020-15024): wait (≤ 2 min) while a test or another demo holds them. */
async function demoPortsFree(): Promise<void> {
  const free = (): Promise<boolean> =>
    new Promise((done) => {
      const srv = net.createServer();
      srv.once('error', () => done(false));
      srv.listen(15020, '127.0.0.1', () => srv.close(() => done(true)));
    });
  const deadline = Date.now() + 120_000;
  while (!(await free())) {
    if (Date.now() > deadline) throw new Error('rss: port 15020 (the demo simulator) stayed taken for 2 min: another demo or test is running');
    await new Promise((r) => setTimeout(r, 500));
  }
}
