// How fast an over-limit methane reading becomes a cut-off on the relay bus, measured on the wire.
// The gateway runs in a child process (its event loop is the one under test) with 64 points polled
// and its SQLite store kept busy; the simulated substation and two tapping TCP proxies run in this
// process and timestamp bytes as they pass:
//   - reply → cut: the Modbus TCP reply carrying the over-limit value leaves the sensor side, until
//     the write-single-coil request cutting the zone arrives from the gateway on the relay bus;
//   - end to end: the simulated value change until the simulated relay module's coil changes.
// Baseline (same run, same proxies): a bare loop on our Modbus master, read the sensor and write a
// coil at once — the floor of the transport path, without polling, rules or actuator.
// Usage: npm run bench -- cutoff [--trials 30] [--points 64] [--poll-ms 1000] [--store-rows 5000] [--baud 9600]
// (CUTOFF_DEBUG=1 prints every trial on stderr.) The store is kept busy by another writer on the
// gateway's database connection, in transactions of store-rows/10 rows every 100 ms.
// The kernel's event-loop stall has a same-run floor of its own (stall-floor.ts): a bare process
// scheduled as the kernel is, timing a 1 ms timer during the trials.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createMaster } from '../edge/bus-factory.js';
import { loadConfig } from '../edge/config/load-config.js';
import { Gateway } from '../edge/gateway.js';
import { createLogger } from '../edge/log.js';
import { parseScenario } from '../simulator/scenario.js';
import { SubstationSimulator } from '../simulator/substation-sim.js';
import { type BenchContext, percentiles } from './harness.js';
import { type StallFloor, startStallFloor } from './stall-floor.js';

const defaults = { trials: 30, points: 64, pollMs: 1000, storeRows: 5_000, baud: 9600, baselineSamples: 200 };

/** The over-limit value written into the trigger sensor (raw 160 at scale 0.01) and the normal one. */
const OVER_LIMIT = 1.6;
const NORMAL = 0.3;
const TRIGGER_UNIT = 1;
const CUT_COIL = 0;
const BASELINE_COIL = 7;

function arg(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`${name} must be a positive number, got ${args[i + 1]}`);
  return v;
}

// ---------------------------------------------------------------- wire taps

interface SensorReply {
  at: number;
  unit: number;
  firstWord: number;
}

interface CoilWrite {
  at: number;
  address: number;
  on: boolean;
}

/** A TCP proxy that lets bytes through unchanged and reports them, with the time, per direction. */
class TapProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly targetPort: number,
    private readonly onUpstream: (chunk: Buffer, at: number) => void,
    private readonly onDownstream: (chunk: Buffer, at: number) => void,
  ) {
    this.server = net.createServer((client) => {
      client.setNoDelay(true);
      const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
      upstream.setNoDelay(true);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      // Gateway → device: seen when it leaves the gateway; device → gateway: when it leaves the device.
      client.on('data', (chunk: Buffer) => {
        this.onUpstream(chunk, performance.now());
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        this.onDownstream(chunk, performance.now());
        client.write(chunk);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}

/** Modbus TCP replies (MBAP) of read-input/holding-register requests, reassembled across chunks. */
function mbapReplies(sink: SensorReply[]): (chunk: Buffer, at: number) => void {
  let buf = Buffer.alloc(0);
  return (chunk, at) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 7) {
      const length = buf.readUInt16BE(4);
      if (buf.length < 6 + length) break;
      const frame = buf.subarray(0, 6 + length);
      buf = buf.subarray(6 + length);
      const fc = frame[7];
      if ((fc === 0x03 || fc === 0x04) && frame.length >= 11) sink.push({ at, unit: frame[6]!, firstWord: frame.readUInt16BE(9) });
    }
  };
}

/** RTU write-single-coil requests (function 05) from the gateway; the master sends each in one write. */
function rtuCoilWrites(sink: CoilWrite[]): (chunk: Buffer, at: number) => void {
  return (chunk, at) => {
    for (let i = 0; i + 6 <= chunk.length; i++) {
      if (chunk[i] === 1 && chunk[i + 1] === 0x05 && (chunk[i + 4] === 0xff || chunk[i + 4] === 0x00) && chunk[i + 5] === 0x00) {
        sink.push({ at, address: chunk.readUInt16BE(i + 2), on: chunk[i + 4] === 0xff });
        i += 7;
      }
    }
  };
}

// ---------------------------------------------------------------- the substation

function scenarioText(points: number, baud: number): string {
  const sensors = Array.from({ length: points }, (_, i) => `      - { unit: ${i + 1}, profile: methane-sensor, initial: { value: ${NORMAL} } }`).join('\n');
  return `
name: cutoff-bench
buses:
  - id: field
    listen: { type: tcp, host: 127.0.0.1, port: 0 }
    devices:
${sensors}
  - id: relay
    listen: { type: rtu-over-tcp, host: 127.0.0.1, port: 0 }
    baudRate: ${baud}
    devices:
      - { unit: 1, profile: relay-module }
`;
}

function configText(points: number, pollMs: number, baud: number, fieldPort: number, relayPort: number): string {
  const devices = Array.from({ length: points }, (_, i) => `  - { id: ch4-${i + 1}, bus: field, unit: ${i + 1}, profile: methane-sensor, pollMs: ${pollMs}, alarmPollMs: 200 }`).join('\n');
  const pts = Array.from({ length: points }, (_, i) =>
    i === 0
      ? `  - { code: P1, sensorType: "0001", device: ch4-1, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: heading face, role: heading.T1, zones: [heading] }`
      : `  - { code: P${i + 1}, sensorType: "0001", device: ch4-${i + 1}, channel: value, unit: "%CH4", range: { low: 0, high: 4 }, location: "return ${i + 1}", role: main-return }`,
  ).join('\n');
  return `mine: { code: "140212000001", name: bench }
substation: { code: B01, name: cutoff bench }
buses:
  - { id: field, type: tcp, host: 127.0.0.1, port: ${fieldPort}, responseTimeoutMs: 300 }
  - { id: relay, type: rtu-over-tcp, host: 127.0.0.1, port: ${relayPort}, baudRate: ${baud}, responseTimeoutMs: 300 }
devices:
${devices}
  - { id: relay-1, bus: relay, unit: 1, profile: relay-module, pollMs: 1000 }
points:
${pts}
zones:
  - { id: heading, name: heading, outputs: [heading-power] }
outputs:
  - { id: heading-power, device: relay-1, channel: coil${CUT_COIL}, kind: power }
  - { id: heartbeat, device: relay-1, channel: coil5, kind: heartbeat }
`;
}

// ---------------------------------------------------------------- the child process (gateway side)

interface ChildStats {
  type: 'stats';
  storeRowsPerSec: number;
  storeTxMeanMs: number;
  storeTxMaxMs: number;
  readingsWritten: number;
  /** Longest event-loop stall of the safety kernel process during the trials, ms. */
  kernelMaxStallMs: number;
  /** The same for the gateway's main process (store load, capabilities), ms: what the kernel no longer shares. */
  mainMaxStallMs: number;
  /** Resident set of the gateway: main process and kernel process, bytes. */
  rssMainBytes: number;
  rssKernelBytes: number;
  /** Kernel process during the trials (/proc/<pid>/schedstat): ms on a CPU, and ms runnable but waiting for one. */
  kernelCpuMs: number;
  kernelCpuWaitMs: number;
  kernelStallP99Ms: number;
  /** The kernel's own work: its longest interlock cycle for a poll result during the trials, ms. */
  kernelLongestCycleMs: number;
  /** Time the hypervisor ran something else while this VM's CPUs had work (/proc/stat steal), ms over all CPUs. */
  stealMs: number;
}

/** /proc/stat steal time so far, ms over all CPUs (USER_HZ is 100 on Linux); 0 where /proc is not there. */
function stealOf(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    return Number(fields[8] ?? 0) * 10;
  } catch {
    return 0;
  }
}

/** VmRSS of a process from /proc (bytes); 0 where /proc is not there. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** [ms on a CPU, ms waiting on a run queue] of a process so far; zeros where /proc is not there. */
function schedOf(pid: number | null): [number, number] {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return [run! / 1e6, wait! / 1e6];
  } catch {
    return [0, 0];
  }
}

/** Child: either the bare baseline loop, or the gateway with a busy store. Talks JSON lines on stdout. */
async function childMain(argv: string[]): Promise<void> {
  const [mode, configFile, dataDir, extra] = argv;
  const loaded = loadConfig(configFile!);
  const say = (msg: object) => process.stdout.write(`${JSON.stringify(msg)}\n`);
  if (mode === 'baseline') {
    const field = createMaster(loaded.busesById.get('field')!);
    const relay = createMaster(loaded.busesById.get('relay')!);
    await field.open();
    await relay.open();
    for (let i = 0; i < Number(extra); i++) {
      await field.read(TRIGGER_UNIT, 'input', 0, 2);
      await relay.write(1, 'coil', BASELINE_COIL, [i % 2], { priority: 'high' });
      await new Promise((r) => setTimeout(r, 5));
    }
    await field.close();
    await relay.close();
    say({ type: 'done' });
    return;
  }
  const gateway = new Gateway(loaded, { dataDir: dataDir!, logger: createLogger({}) });
  await gateway.start();
  // Keep the store busy: other components (upstream outbox, personnel) write to the same database.
  const rowsPerSec = Number(extra);
  const db = gateway.database;
  db.exec('CREATE TABLE IF NOT EXISTS bench_load (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO bench_load (payload) VALUES (?)');
  const perTx = Math.max(1, Math.round(rowsPerSec / 10));
  const tx = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run('{"point":"X","value":0.31,"quality":"good","raw":[31,0]}');
  });
  const txMs: number[] = [];
  let rows = 0;
  const started = performance.now();
  const load = setInterval(() => {
    const t0 = performance.now();
    tx(perTx);
    txMs.push(performance.now() - t0);
    rows += perTx;
  }, 100);
  const mainStall = monitorEventLoopDelay({ resolution: 1 });
  mainStall.enable();
  await gateway.safety.resetStallFigure();
  const kernelPid = gateway.status().kernel.pid;
  const schedAtReady = schedOf(kernelPid);
  const stealAtReady = stealOf();
  say({ type: 'ready' });
  await new Promise<void>((done) => process.once('SIGTERM', () => done()));
  clearInterval(load);
  mainStall.disable();
  await gateway.safety.sync();
  const seconds = (performance.now() - started) / 1000;
  const status = gateway.status();
  const schedAtEnd = schedOf(kernelPid);
  const kernelStall = gateway.safety.stallFigures();
  say({
    type: 'stats',
    storeRowsPerSec: Math.round((rows + status.store.written) / seconds),
    storeTxMeanMs: txMs.reduce((a, b) => a + b, 0) / Math.max(1, txMs.length),
    storeTxMaxMs: Math.max(0, ...txMs),
    readingsWritten: status.store.written,
    kernelMaxStallMs: status.kernel.maxStallMs,
    mainMaxStallMs: mainStall.max / 1e6,
    rssMainBytes: rssOf(process.pid),
    rssKernelBytes: status.kernel.pid !== null && status.kernel.pid !== process.pid ? rssOf(status.kernel.pid) : 0,
    kernelCpuMs: schedAtEnd[0] - schedAtReady[0],
    kernelCpuWaitMs: schedAtEnd[1] - schedAtReady[1],
    kernelStallP99Ms: kernelStall.stallP99Ms,
    kernelLongestCycleMs: kernelStall.longestReadingCycleMs,
    stealMs: stealOf() - stealAtReady,
  } satisfies ChildStats);
  await gateway.stop();
}

function spawnChild(args: string[]): { child: ChildProcess; lines: unknown[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: unknown[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        // Not one of ours: ignore.
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, lines, exited };
}

async function until(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`bench cutoff: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now();
}

// ---------------------------------------------------------------- the bench (parent)

export default async function cutoffBench(ctx: BenchContext): Promise<void> {
  const trials = arg(ctx.args, '--trials', defaults.trials);
  const points = arg(ctx.args, '--points', defaults.points);
  const pollMs = arg(ctx.args, '--poll-ms', defaults.pollMs);
  const storeRows = arg(ctx.args, '--store-rows', defaults.storeRows);
  const baud = arg(ctx.args, '--baud', defaults.baud);

  const sim = new SubstationSimulator(parseScenario(scenarioText(points, baud), 'cutoff-bench.yaml'));
  const endpoints = await sim.start({ paused: true });
  const port = (id: string) => endpoints.find((e) => e.id === id)!.port!;
  const replies: SensorReply[] = [];
  const writes: CoilWrite[] = [];
  const fieldTap = new TapProxy(port('field'), () => undefined, mbapReplies(replies));
  const relayTap = new TapProxy(port('relay'), rtuCoilWrites(writes), () => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'minegate-bench-cutoff-'));
  const children: ChildProcess[] = [];
  try {
    const configFile = join(dir, 'bench.yaml');
    writeFileSync(configFile, configText(points, pollMs, baud, await fieldTap.listen(), await relayTap.listen()));
    const trigger = sim.device('field', TRIGGER_UNIT);
    const relay = sim.device('relay', 1);
    const baseline = await measureBaseline(configFile, dir, children, replies, writes);

    // The gateway with a busy store.
    const gw = spawnChild(['gateway', configFile, join(dir, 'data'), String(storeRows)]);
    children.push(gw.child);
    await until(() => gw.lines.some((l) => (l as { type?: string }).type === 'ready'), 'the gateway child to start', 30_000);
    await until(() => relay.get(`coil${CUT_COIL}`) === true, 'the zone energised', 15_000);
    const floor = await startStallFloor();
    let results: { replyToCut: number[]; endToEnd: number[] };
    let floorStats: StallFloor;
    try {
      results = await runTrials({ trials, pollMs, trigger, relay, replies, writes });
      gw.child.kill('SIGTERM');
      [floorStats] = await Promise.all([floor.stop(), gw.exited]);
    } finally {
      floor.kill();
    }
    const stats = gw.lines.find((l) => (l as { type?: string }).type === 'stats') as ChildStats | undefined;

    reportCutoff(ctx, { points, pollMs, baud }, { ...results, baseline }, stats, floorStats);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fieldTap.close();
    await relayTap.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Baseline: bare read → write on our master, through the same taps. */
async function measureBaseline(configFile: string, dir: string, children: ChildProcess[], replies: SensorReply[], writes: CoilWrite[]): Promise<number[]> {
  const base = spawnChild(['baseline', configFile, dir, String(defaults.baselineSamples)]);
  children.push(base.child);
  if ((await base.exited) !== 0) throw new Error('bench cutoff: the baseline child failed');
  const baseline: number[] = [];
  for (const w of writes.filter((x) => x.address === BASELINE_COIL)) {
    const reply = replies.filter((r) => r.unit === TRIGGER_UNIT && r.at <= w.at).at(-1);
    if (reply) baseline.push(w.at - reply.at);
  }
  replies.length = 0;
  writes.length = 0;
  return baseline;
}

interface TrialRig {
  trials: number;
  pollMs: number;
  trigger: { set(field: string, value: number): void };
  relay: { get(field: string): unknown };
  replies: SensorReply[];
  writes: CoilWrite[];
}

/** Over-limit, wait for the cut on the relay module, back to normal, wait for re-energising: `trials` times. */
async function runTrials(rig: TrialRig): Promise<{ replyToCut: number[]; endToEnd: number[] }> {
  const { trials, pollMs, trigger, relay, replies, writes } = rig;
  const rawOver = Math.round(OVER_LIMIT / 0.01);
  const replyToCut: number[] = [];
  const endToEnd: number[] = [];
  for (let i = 0; i < trials; i++) {
    // A random phase against the poll cycle, as a real gas change has.
    await new Promise((r) => setTimeout(r, Math.random() * pollMs));
    const changed = performance.now();
    trigger.set('value', OVER_LIMIT);
    const coilOff = await until(() => relay.get(`coil${CUT_COIL}`) === false, 'the cut on the relay module', pollMs + 5_000);
    endToEnd.push(coilOff - changed);
    const reply = replies.find((r) => r.at >= changed && r.unit === TRIGGER_UNIT && r.firstWord === rawOver);
    const cut = reply && writes.find((w) => w.at >= reply.at && w.address === CUT_COIL && !w.on);
    if (!reply || !cut) throw new Error(`bench cutoff: trial ${i}: the over-limit reply or the cut command was not seen on the wire`);
    replyToCut.push(cut.at - reply.at);
    if (process.env.CUTOFF_DEBUG) process.stderr.write(`trial ${i}: reply→cut ${(cut.at - reply.at).toFixed(2)} ms, e2e ${(coilOff - changed).toFixed(1)} ms\n`);
    trigger.set('value', NORMAL);
    await until(() => relay.get(`coil${CUT_COIL}`) === true, 'the zone energised again', 10_000);
    replies.length = 0;
    writes.length = 0;
  }
  return { replyToCut, endToEnd };
}

function reportCutoff(
  ctx: BenchContext,
  { points, pollMs, baud }: { points: number; pollMs: number; baud: number },
  { replyToCut, endToEnd, baseline }: { replyToCut: number[]; endToEnd: number[]; baseline: number[] },
  stats: ChildStats | undefined,
  floor: StallFloor,
): void {
  const [r50, r99] = percentiles(replyToCut, [50, 99]);
  const [b50, b99] = percentiles(baseline, [50, 99]);
  const [e50, e99] = percentiles(endToEnd, [50, 99]);
  const where = `${points} points polled every ${pollMs} ms, store busy (${stats?.storeRowsPerSec ?? '?'} rows/s)`;
  ctx.report({ figure: `cut-off p50: Modbus reply with the over-limit value → cut command on the relay bus (${where}; baseline: bare read→write on our master)`, value: round2(r50!), unit: 'ms', baseline: round2(b50!) });
  ctx.report({ figure: `cut-off p99: Modbus reply with the over-limit value → cut command on the relay bus (${where}; goal ≤ 20 ms)`, value: round2(r99!), unit: 'ms', baseline: round2(b99!) });
  ctx.report({ figure: 'first cut after start (trial 0): reply → cut command (baseline: the p50 of all trials)', value: round2(replyToCut[0]!), unit: 'ms', baseline: round2(r50!) });
  ctx.report({ figure: `end to end p50: simulated value change → simulated relay coil off (${baud} baud relay bus)`, value: round2(e50!), unit: 'ms', baseline: null });
  ctx.report({ figure: `end to end p99: simulated value change → simulated relay coil off (goal ≤ poll interval + 100 ms = ${pollMs + 100} ms; the standard allows 2000 ms)`, value: round2(e99!), unit: 'ms', baseline: null });
  ctx.report({ figure: 'end to end max over all trials', value: round2(Math.max(...endToEnd)), unit: 'ms', baseline: null });
  if (stats) {
    ctx.report({ figure: 'store load during the trials (readings + other writers, rows/s)', value: stats.storeRowsPerSec, unit: 'rows/s', baseline: null });
    ctx.report({ figure: 'longest store transaction blocking the gateway event loop', value: round2(stats.storeTxMaxMs), unit: 'ms', baseline: null });
    ctx.report({ figure: 'safety kernel event-loop max stall during the trials (goal ≤ 5 ms; baseline: the gateway main process with the busy store)', value: round2(stats.kernelMaxStallMs), unit: 'ms', baseline: round2(stats.mainMaxStallMs) });
    // The floor on this box: a process with nothing to do, at the kernel's priority, during the same trials.
    ctx.report({ figure: `safety kernel event-loop max stall during the trials (baseline: a bare 1 ms timer process scheduled as the kernel, ${floor.policy}, in the same trials)`, value: round2(stats.kernelMaxStallMs), unit: 'ms', baseline: round2(floor.maxStallMs) });
    ctx.report({ figure: 'safety kernel event-loop stall p99 during the trials (baseline: the bare timer process\'s p99)', value: round2(stats.kernelStallP99Ms), unit: 'ms', baseline: round2(floor.stallP99Ms) });
    // A stall with little CPU time and much run-queue wait is the box's load, not the kernel's work.
    ctx.report({ figure: 'safety kernel process: time runnable but waiting for a CPU during the trials (baseline: its time on a CPU)', value: round2(stats.kernelCpuWaitMs), unit: 'ms', baseline: round2(stats.kernelCpuMs) });
    // The kernel's own work on the cut path; a max stall far above it is garbage collection or the box.
    ctx.report({ figure: 'longest interlock cycle in the kernel for a poll result (rules + actuation) during the trials (baseline: the kernel max stall)', value: round2(stats.kernelLongestCycleMs), unit: 'ms', baseline: round2(stats.kernelMaxStallMs) });
    // On a virtual machine the host may not run a vCPU that has work (steal): no priority inside the guest helps then.
    ctx.report({ figure: 'steal time of this machine during the trials: its CPUs had work and the hypervisor ran something else (ms over all CPUs; baseline: the kernel\'s CPU wait)', value: round2(stats.stealMs), unit: 'ms', baseline: round2(stats.kernelCpuWaitMs) });
    ctx.report({ figure: 'RSS of the gateway: main + safety kernel process (baseline: the main process alone)', value: Math.round((stats.rssMainBytes + stats.rssKernelBytes) / 1e6), unit: 'MB', baseline: Math.round(stats.rssMainBytes / 1e6) });
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

// Run as the gateway / baseline child when started directly with --child.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  childMain(process.argv.slice(3)).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench cutoff child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
