// How the safety kernel process is scheduled: real-time round-robin at a low real-time priority
// where the box allows it, a high nice value otherwise. Measured with `npm run bench -- cutoff` on
// the shared 2-core VM, three interleaved runs each: at nice -14 the kernel still waited 500-730 ms
// for a CPU during the trials; at SCHED_RR 10 it waited 11-81 ms. Under CFS/EEVDF a woken task,
// however high its weight, may wait for the running task's slice; a real-time task runs at once.
// What is left of its stalls (3.4-26 ms) is mostly the VM: a bare 1 ms timer process at this priority
// stalls 7-20 ms in the same trials (the bench reports it).
// Why real time is safe here: the kernel's CPU use is small and bounded (polling and rules, one JS
// thread); a kernel stuck in a loop is throttled by Linux (sched_rt_runtime_us, 95 % by default),
// holds one CPU at most, stops toggling the heartbeat so the relay module's watchdog drops the
// outputs, and the gateway process sees its cycles stop. Priority 10 stays below the kernel's own
// interrupt threads (50). Node has no call for sched_setscheduler, so util-linux `chrt` sets it,
// on every thread (-a: V8's collector helpers wait on each other); threads started later inherit it.
import { execFile } from 'node:child_process';
import { setPriority } from 'node:os';

export const KERNEL_SCHEDULING_DEFAULTS = {
  /** SCHED_RR priority of the kernel process (1-99); 0 leaves it to the nice value alone. */
  realtimePriority: 10,
  /**
   * Nice value of the kernel process: -14 (os PRIORITY_HIGH), set first (it is what applies where
   * real time is refused, and what the kernel falls back to under RT throttling).
   */
  nice: -14,
  chrtTimeoutMs: 5_000,
} as const;

export interface SchedulingOutcome {
  policy: 'realtime' | 'nice' | 'normal';
  /** Why the better policy did not apply (EPERM without root or CAP_SYS_NICE, chrt missing …). */
  refused?: string;
}

/**
 * Raise `pid`: nice at once (synchronous, a syscall), then real time in the background (chrt is a
 * separate process; the kernel starts meanwhile at the nice value). Never throws; the promise says
 * what applied.
 */
export function raiseKernelScheduling(pid: number, opts: Partial<typeof KERNEL_SCHEDULING_DEFAULTS> = {}): Promise<SchedulingOutcome> {
  const { realtimePriority, nice, chrtTimeoutMs } = { ...KERNEL_SCHEDULING_DEFAULTS, ...opts };
  let base: SchedulingOutcome;
  try {
    setPriority(pid, nice);
    base = { policy: 'nice' };
  } catch (err) {
    base = { policy: 'normal', refused: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
  if (realtimePriority <= 0) return Promise.resolve(base);
  return new Promise((resolve) => {
    execFile('chrt', ['-a', '-r', '-p', String(realtimePriority), String(pid)], { timeout: chrtTimeoutMs }, (err, _stdout, stderr) => {
      if (!err) return resolve({ policy: 'realtime' });
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'chrt (util-linux) not installed' : (stderr.trim().split('\n').at(-1) ?? err.message);
      resolve({ ...base, refused: `real-time scheduling refused: ${why}${base.refused ? `; nice refused: ${base.refused}` : ''}` });
    });
  });
}
