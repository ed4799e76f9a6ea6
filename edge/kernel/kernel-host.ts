// The gateway's end of the safety kernel: starts it (in its own process, or inline for tests
// that reach into the engine), feeds it what only the gateway process has (holds from the SQLite
// store, records written ahead by a killed predecessor), and turns its messages into the store's
// records, the point table's readings, the capabilities' events and the status mirror.
// Nothing the gateway process does can slow the kernel: it never waits for an answer from here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ChildProcess, fork } from 'node:child_process';
import { MessageChannel } from 'node:worker_threads';
import { pino } from 'pino';
import type { Clock } from '../../core/clock.js';
import { snapshotOf } from '../config/loaded-snapshot.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log.js';
import type { DeviceStatus, PollerOptions } from '../poller.js';
import type { Reading } from '../../core/readings.js';
import { SafetyCommandError, type SafetyCommandErrorCode } from '../safety/errors.js';
import { SafetyJournal } from '../safety/events.js';
import { SafetyStore } from '../safety/store.js';
import { WriteAheadJournal } from '../safety/write-ahead-journal.js';
import type Database from 'better-sqlite3';
import type { FromKernel, KernelReloadResult, KernelInit, KernelOp, KernelState, ToKernel } from './protocol.js';
import { SafetyClient } from './safety-client.js';
import { KERNEL_SCHEDULING_DEFAULTS, raiseKernelScheduling } from './kernel-scheduling.js';
import { SafetyKernel } from './safety-kernel.js';

/**
 * V8 flags of the kernel process. Its heap is small and steady (readings of one cycle, the plan):
 * a 1 MiB semi-space instead of V8's default 16 MiB keeps the young generation from growing into
 * memory the box needs elsewhere. Measured (`npm run bench -- rss`): kernel RSS 82-84 → 68-72 MiB;
 * `bench cutoff` p99 and kernel stall unchanged within this box's noise. No old-space cap: a cap
 * the kernel could hit would turn a memory spike into a fail-safe cut of the whole substation.
 */
const KERNEL_V8_FLAGS = ['--max-semi-space-size=1'];

export type KernelMode = 'process' | 'inline';

export interface KernelHostOptions {
  loaded: LoadedConfig;
  db: Database.Database;
  logger: Logger;
  mode: KernelMode;
  /** Only for mode 'inline' (the kernel process has its own system clock). */
  clock?: Clock;
  writeAheadPath?: string;
  warmStart?: { readings: Reading[] };
  confirmation?: { operator: string; reason: string };
  poller?: Partial<PollerOptions>;
  tickMs?: number;
  onReadings(readings: Reading[], device: DeviceStatus): void;
  /** The kernel process ended without being asked to: protection is gone from this process. */
  onKernelLost(why: string): void;
}

export const KERNEL_HOST_DEFAULTS = {
  channelCapacity: 2_000,
  /** Tell the kernel what was handled after this many routine messages. */
  consumedEvery: 32,
  readyTimeoutMs: 15_000,
  callTimeoutMs: 10_000,
  stopTimeoutMs: 5_000,
  /** How the kernel process is scheduled (real time where allowed, else nice): kernel-scheduling.ts. */
  scheduling: KERNEL_SCHEDULING_DEFAULTS,
} as const;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Where the kernel's compiled entry is: beside this file in dist/, or in dist/ when run from the sources (vitest). */
export function kernelProcessFile(): string {
  const beside = fileURLToPath(new URL('./kernel-process.js', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../dist/edge/kernel/kernel-process.js', import.meta.url));
}

export class KernelHost {
  readonly store: SafetyStore;
  /** Commands and the mirror, for the config the kernel runs now (a new one after every swap). */
  client: SafetyClient;
  /** Inline mode only: the kernel object itself (tests reach into its engine). */
  inlineKernel: SafetyKernel | undefined;
  private readonly journal: SafetyJournal;
  private readonly log: Logger;
  private port: { postMessage(m: ToKernel): void; close?(): void } | undefined;
  private child: ChildProcess | undefined;

  /** The kernel's process id (mode 'process'), for the watchdog test and `status`; this process's own when inline. */
  get pid(): number {
    return this.child?.pid ?? process.pid;
  }
  private mirror: KernelState | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private routineHandled = 0;
  private recordsReceived = 0;
  private persistScheduled = false;
  private stopping = false;
  private readonly logStream: { write(line: string): unknown } | undefined;

  constructor(private opts: KernelHostOptions) {
    this.log = opts.logger.child({ module: 'kernel-host' });
    this.store = new SafetyStore(opts.db);
    this.journal = new SafetyJournal(this.store);
    this.logStream = (opts.logger as unknown as Record<symbol, { write(line: string): unknown } | undefined>)[pino.symbols.streamSym];
    this.client = this.clientFor(opts.loaded);
  }

  /**
   * Reload as a swap: the kernel builds `loaded` beside the running config and switches in one
   * turn (safety-kernel.ts reload). Rejects, with the running config untouched, when the kernel
   * refuses; afterwards readings and the lost-kernel alarm go to the new hooks.
   */
  async swap(loaded: LoadedConfig, confirmation: { operator: string; reason: string } | undefined, hooks: Pick<KernelHostOptions, 'onReadings' | 'onKernelLost'>): Promise<KernelReloadResult> {
    // The new config's plan is built here (the kernel gets it as data); one it cannot make is refused
    // as the kernel refused it before, with the running config untouched.
    let client: SafetyClient;
    try {
      client = this.clientFor(loaded);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error({ err: message }, 'reload refused: the safety plan of the new config cannot be built; the running config stays');
      throw new SafetyCommandError('INVALID_COMMAND', `the safety kernel could not build the new config: ${message}`);
    }
    const result = (await this.call('reload', [snapshotOf(loaded, client.engine.plan), confirmation])) as KernelReloadResult;
    this.opts = { ...this.opts, loaded, onReadings: hooks.onReadings, onKernelLost: hooks.onKernelLost };
    this.client = client;
    return result;
  }

  private clientFor(loaded: LoadedConfig): SafetyClient {
    return new SafetyClient(loaded, this.store, () => this.state(), (op, args) => this.call(op, args), (err) => this.log.error({ err: err.message }, 'safety event listener failed'));
  }

  state(): KernelState {
    if (!this.mirror) throw new Error('safety kernel not started');
    return this.mirror;
  }

  async start(): Promise<void> {
    const init = this.initMessage();
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`safety kernel did not start within ${KERNEL_HOST_DEFAULTS.readyTimeoutMs} ms`)), KERNEL_HOST_DEFAULTS.readyTimeoutMs);
      this.onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.onStartFailure = (err) => {
        clearTimeout(timer);
        reject(err);
      };
    });
    if (this.opts.mode === 'process') {
      // Structured clone over the IPC pipe ('advanced'), as between threads; stdout/stderr shared
      // with the gateway (its own log lines come over the channel).
      const child = fork(kernelProcessFile(), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: KERNEL_V8_FLAGS });
      this.child = child;
      this.raisePriority(child.pid);
      this.port = {
        postMessage: (m) => {
          if (child.connected) child.send(m);
        },
        close: () => child.disconnect(),
      };
      child.on('message', (m: FromKernel) => this.onMessage(m));
      child.on('error', (err) => this.lost(`safety kernel process failed: ${err.message}`));
      child.on('exit', (code, signal) => this.lost(`safety kernel process exited (${signal ?? `code ${code}`})`));
      child.send(init);
    } else {
      const { port1, port2 } = new MessageChannel();
      this.port = port1;
      port1.on('message', (m: FromKernel) => this.onMessage(m));
      const kernel = new SafetyKernel(init, port2, this.opts.clock ? { clock: this.opts.clock } : {});
      this.inlineKernel = kernel;
      await kernel.start();
    }
    await ready;
  }

  /** Best effort (kernel-scheduling.ts): a refusal (EPERM without root or CAP_SYS_NICE) is logged, never fatal. */
  private raisePriority(pid: number | undefined): void {
    if (pid === undefined) return;
    void raiseKernelScheduling(pid).then((outcome) => {
      const fields = { pid, ...outcome };
      if (outcome.policy === 'realtime') this.log.info(fields, `safety kernel process runs real-time (SCHED_RR ${KERNEL_SCHEDULING_DEFAULTS.realtimePriority})`);
      else if (outcome.policy === 'nice') this.log.warn(fields, `safety kernel process runs at nice ${KERNEL_SCHEDULING_DEFAULTS.nice}, not real-time (needs root or CAP_SYS_NICE, and chrt)`);
      else this.log.warn(fields, 'safety kernel process runs at normal scheduling priority: raising it was refused (needs root or CAP_SYS_NICE)');
    });
  }

  private onReady: () => void = () => {};
  private onStartFailure: (err: Error) => void = () => {};

  private initMessage(): KernelInit {
    // Records a killed predecessor wrote ahead but never stored come first.
    if (this.opts.writeAheadPath !== undefined) {
      const recovered = WriteAheadJournal.recover(this.opts.writeAheadPath);
      if (recovered.events.length > 0 || recovered.holds) {
        const imported = this.store.importWrittenAhead(recovered.events, recovered.holds);
        this.log.warn({ imported, found: recovered.events.length, torn: recovered.torn }, 'safety records written ahead before a crash were imported into the store');
      }
    }
    const o = this.opts;
    return {
      loaded: snapshotOf(o.loaded, this.client.engine.plan),
      restore: { holds: this.store.loadHolds(), calibrations: [...this.store.lastCalibrations()] },
      ...(o.warmStart ? { warmStart: o.warmStart } : {}),
      ...(o.writeAheadPath !== undefined ? { writeAheadPath: o.writeAheadPath } : {}),
      ...(o.confirmation ? { confirmation: o.confirmation } : {}),
      ...(o.poller ? { poller: o.poller } : {}),
      ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
      channelCapacity: KERNEL_HOST_DEFAULTS.channelCapacity,
      logLevel: o.logger.level,
    };
  }

  /** Ask the kernel to do something; rejects with the kernel's SafetyCommandError when refused. */
  call(op: KernelOp, args: unknown[]): Promise<unknown> {
    const port = this.port;
    if (!port || this.stopping) return Promise.reject(new SafetyCommandError('INVALID_COMMAND', 'the safety loop is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`safety kernel did not answer ${op} within ${KERNEL_HOST_DEFAULTS.callTimeoutMs} ms`));
      }, KERNEL_HOST_DEFAULTS.callTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      port.postMessage({ t: 'call', id, op, args });
    });
  }

  private onMessage(m: FromKernel): void {
    switch (m.t) {
      case 'readings':
        this.routine();
        return this.opts.onReadings(m.readings, m.device);
      case 'log':
        this.routine();
        try {
          this.logStream?.write(m.line);
        } catch {
          // The log file's trouble is the log's (edge/log.ts counts it); the kernel never hears of it.
        }
        return;
      case 'records':
        return this.persist(m);
      case 'events':
        return this.client.deliver(m.events);
      case 'state':
        this.mirror = m.state;
        this.port?.postMessage({ t: 'stateSeen' });
        return;
      case 'ready':
        this.mirror = m.state;
        return this.onReady();
      case 'reply': {
        this.mirror = m.state;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) return p.resolve(m.value);
        const err = m.error.code !== undefined ? new SafetyCommandError(m.error.code as SafetyCommandErrorCode, m.error.message) : Object.assign(new Error(m.error.message), { name: m.error.name });
        return p.reject(err);
      }
      case 'failed':
        this.log.error({ err: m.message }, 'safety kernel fault: outputs driven to the fail-safe state');
        return this.onStartFailure(new Error(m.message));
    }
  }

  private routine(): void {
    if (++this.routineHandled % KERNEL_HOST_DEFAULTS.consumedEvery === 0) this.port?.postMessage({ t: 'consumed', through: this.routineHandled });
  }

  /** Into the SQLite journal; the kernel hears "persisted" once the store has them (it then empties its write-ahead file). */
  private persist(m: Extract<FromKernel, { t: 'records' }>): void {
    if (m.events) this.journal.record(m.events);
    if (m.holds) this.journal.saveHolds(m.holds);
    this.recordsReceived = m.n;
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    const through = () => this.recordsReceived;
    void this.journal.flush().then(() => {
      this.persistScheduled = false;
      if (this.journal.settled()) this.port?.postMessage({ t: 'persisted', through: through() });
      else if (!this.stopping) setTimeout(() => this.persist({ t: 'records', n: this.recordsReceived }), 250).unref();
    });
  }

  /** Wait at most timeoutMs for the records received so far to be in the store; true when they are. */
  async settle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.journal.flush(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    return this.journal.settled();
  }

  private lost(why: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log.error(why);
    this.onStartFailure(new Error(why));
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
    this.pending.clear();
    this.opts.onKernelLost(why);
  }

  async stop(): Promise<void> {
    if (!this.port || this.stopping) {
      await this.journal.close();
      return;
    }
    const stopped = this.call('stop', []).catch((err: Error) => this.log.warn({ err: err.message }, 'safety kernel did not stop cleanly'));
    this.stopping = true;
    await Promise.race([stopped, new Promise((r) => setTimeout(r, KERNEL_HOST_DEFAULTS.stopTimeoutMs))]);
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const child = this.child;
      const exited = new Promise((r) => child.once('exit', r));
      if (child.connected) child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, KERNEL_HOST_DEFAULTS.stopTimeoutMs))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    } else this.port.close?.();
    this.port = undefined;
    await this.journal.close();
  }
}
