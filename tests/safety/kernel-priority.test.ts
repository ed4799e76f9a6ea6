// The safety kernel's process is scheduled ahead of the rest of the gateway (KERNEL_HOST_DEFAULTS
// .kernelNice): on a loaded box its event loop stalls waiting for a CPU otherwise. Where raising
// the priority is refused (no root, no CAP_SYS_NICE) the kernel still starts, at normal priority.
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { KERNEL_HOST_DEFAULTS } from '../../edge/kernel/kernel-host.js';
import { ScenarioRig } from './scenario-rig.js';

describe('safety kernel scheduling priority', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('the kernel process runs at nice -14 where the gateway may raise it (root here), at the gateway\'s own otherwise; either way it protects', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    const kernelPid = rig.gateway.status().kernel.pid!;
    expect(kernelPid).not.toBe(process.pid);
    const mayRaise = process.getuid?.() === 0;
    expect(getPriority(kernelPid)).toBe(mayRaise ? KERNEL_HOST_DEFAULTS.kernelNice : getPriority(process.pid));
    expect(KERNEL_HOST_DEFAULTS.kernelNice).toBe(-14);
    // The gateway process itself is not changed.
    expect(getPriority(process.pid)).not.toBe(-14);
  });
});
