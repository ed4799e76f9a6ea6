// The floor under an event-loop stall figure: a bare process, scheduled as the safety kernel is
// (kernel-scheduling.ts), that does nothing but let a 1 ms timer measure its own delay. Started
// beside a measurement, it shows what this box gives any process at that priority in the same
// seconds (hypervisor steal, interrupts, other real-time work); a stall above it is the measured
// process's own. Used by `bench cutoff`; runs as its own child (`node stall-floor.js --child`).
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { raiseKernelScheduling } from '../edge/kernel/kernel-scheduling.js';

export interface StallFloor {
  maxStallMs: number;
  stallP99Ms: number;
  /** The scheduling that applied: the kernel's, or what was refused. */
  policy: string;
}

export interface RunningStallFloor {
  /** End the process; its figures since it was ready. */
  stop(): Promise<StallFloor>;
  kill(): void;
}

/** Start the bare timer process; resolves once it is scheduled as the kernel and measuring. */
export async function startStallFloor(timeoutMs = 10_000): Promise<RunningStallFloor> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const nextLine = async (what: string): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`bench stall floor: no ${what} within ${timeoutMs} ms`)), timeoutMs)));
    try {
      const next = await Promise.race([lines.next(), late]);
      if (next.done) throw new Error(`bench stall floor: the process ended before its ${what}`);
      return next.value;
    } finally {
      clearTimeout(timer);
    }
  };
  if ((await nextLine('ready line')) !== 'ready') throw new Error('bench stall floor: unexpected first line');
  return {
    async stop() {
      child.kill('SIGTERM');
      const figures = JSON.parse(await nextLine('figures')) as StallFloor;
      await exited;
      return figures;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function childMain(): Promise<void> {
  const outcome = await raiseKernelScheduling(process.pid);
  const stall = monitorEventLoopDelay({ resolution: 1 });
  stall.enable();
  // The histogram's own timer does not keep a process alive.
  const alive = setInterval(() => undefined, 60_000);
  process.stdout.write('ready\n');
  await new Promise<void>((done) => process.once('SIGTERM', () => done()));
  clearInterval(alive);
  stall.disable();
  const figures: StallFloor = {
    maxStallMs: stall.max / 1e6,
    stallP99Ms: stall.percentile(99) / 1e6,
    policy: outcome.refused ? `${outcome.policy} (${outcome.refused})` : outcome.policy,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  void childMain();
}
