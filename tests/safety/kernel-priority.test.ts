// The safety kernel's process is scheduled ahead of the rest of the gateway (kernel-scheduling.ts):
// real-time round-robin on every thread where the gateway may set it (root or CAP_SYS_NICE, and
// util-linux chrt), nice -14 where only that is allowed. On a loaded box its event loop stalls
// waiting for a CPU otherwise. Where raising is refused the kernel still starts, at normal priority.
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KERNEL_SCHEDULING_DEFAULTS } from '../../edge/kernel/kernel-scheduling.js';
import { COIL, FIELD, ScenarioRig } from './scenario-rig.js';

/** Scheduling policy (0 SCHED_OTHER, 2 SCHED_RR) and real-time priority of one thread, from /proc. */
function schedulingOf(pid: number, tid: number): { policy: number; rtPriority: number } {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after "(comm)": the 3rd field of stat is index 0 here; rt_priority is the 40th, policy the 41st.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rtPriority: Number(f[37]), policy: Number(f[38]) };
}

const threadsOf = (pid: number) => readdirSync(`/proc/${pid}/task`).map(Number);

describe('safety kernel scheduling priority', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it("the kernel process runs SCHED_RR 10 on every thread where the gateway may set it (root here), at the gateway's own priority otherwise; either way it protects", async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    const kernelPid = rig.gateway.status().kernel.pid!;
    expect(kernelPid).not.toBe(process.pid);
    const mayRaise = process.getuid?.() === 0;
    expect(KERNEL_SCHEDULING_DEFAULTS).toMatchObject({ realtimePriority: 10, nice: -14 });
    if (mayRaise) {
      // chrt runs in the background after the fork: wait until it has (a condition, not a time).
      await vi.waitFor(() => expect(threadsOf(kernelPid).map((t) => schedulingOf(kernelPid, t))).toEqual(threadsOf(kernelPid).map(() => ({ policy: 2, rtPriority: 10 }))), { timeout: 5_000, interval: 50 });
      expect(threadsOf(kernelPid).length).toBeGreaterThan(1);
      expect(getPriority(kernelPid)).toBe(-14);
    } else {
      expect(schedulingOf(kernelPid, kernelPid).policy).toBe(0);
      expect(getPriority(kernelPid)).toBe(getPriority(process.pid));
    }
    // The gateway process itself is not changed.
    expect(schedulingOf(process.pid, process.pid).policy).toBe(0);
    expect(getPriority(process.pid)).not.toBe(-14);
    // And it protects at that priority: over the limit cuts, a good reading below restore releases.
    await rig.waitCoil(COIL.heading, true);
    rig.methane(FIELD.t1, 1.6);
    await rig.waitCoil(COIL.heading, false, 2_000);
    rig.methane(FIELD.t1, 0.8);
    await rig.waitCoil(COIL.heading, true);
  });
});
