// A fault outside the safety kernel (issue 11 item 3): `minegate run` (the built CLI, its own
// process, the safety kernel a child of it) runs the scenario heading with a test-only capability
// (MINEGATE_FAULT_INJECT) that throws an uncaught exception, or leaves a rejection unhandled, when
// the process gets SIGUSR2. What the field sees: the power outputs go to the fail-safe state
// (heading and upstream cut, the local fan kept running, AQ 6201 §4 f), the evacuation relay on;
// the gateway exits 70 within 2 s so systemd restarts it, and its kernel process goes with it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { childPids, type GatewayProcess, isAlive, startGatewayProcess, storeQuery } from './helpers/gateway-process.js';
import { COIL, PIN, ScenarioRig } from './scenario-rig.js';

describe('a fault in a non-safety part of the gateway process (separate process, injected)', () => {
  let rig: ScenarioRig | undefined;
  let gw: GatewayProcess | undefined;
  afterEach(async () => {
    if (gw && gw.process.exitCode === null && gw.process.signalCode === null) gw.process.kill('SIGKILL');
    await gw?.exited;
    gw = undefined;
    await rig?.close();
    rig = undefined;
  });

  /** The gateway process running normally: it energised the heading itself after its start-up hold (the simulated coils start on, so the coils alone prove nothing). */
  async function startRunning(env: NodeJS.ProcessEnv = {}, watchdogMs?: number, group = false): Promise<{ g: GatewayProcess; kernelPid: number }> {
    rig = await ScenarioRig.start({ gateway: false, ...(watchdogMs !== undefined ? { watchdogMs } : {}) });
    const config = join(rig.dataDir, 'substation.yaml');
    writeFileSync(config, rig.configYaml);
    gw = startGatewayProcess(config, rig.dataDir, env, { group });
    const g = gw;
    // The store may not exist yet: waitFor retries.
    const energised = (): boolean => storeQuery(rig!.dataDir, "SELECT 1 FROM safety_events WHERE type = 'power-on' AND outputs LIKE '%\"heading-power\"%'").length > 0;
    await waitFor(() => energised() && rig!.coil(COIL.heading) && rig!.coil(COIL.fan) && rig!.coil(COIL.upstream), {
      timeoutMs: 20_000,
      what: `the gateway running (output so far: ${g.output().slice(-500)})`,
    });
    const [kernelPid] = childPids(g.process.pid!);
    expect(kernelPid, 'the safety kernel runs as a child process of the gateway').toBeDefined();
    return { g, kernelPid: kernelPid! };
  }

  it.each([
    ['an uncaught exception', 'uncaught'],
    ['an unhandled rejection', 'rejection'],
  ])('%s: outputs to the fail-safe state, exit 70 within 2 s, the kernel process ends too', async (_what, kind) => {
    const { g, kernelPid } = await startRunning({ MINEGATE_FAULT_INJECT: `${kind}:sigusr2` });
    const field = rig!;
    const changesBefore = field.coilChanges.length;

    const faultAt = performance.now();
    g.process.kill('SIGUSR2');
    // When the relay module received the coil-off write (not when this test noticed it).
    const cut = await waitFor(() => field.coilChanges.find((c) => c.coil === COIL.heading && !c.on && c.at > faultAt), {
      timeoutMs: 2_000,
      intervalMs: 5,
      what: `heading power cut after the fault (gateway output: ${g.output().slice(-800)})`,
    });
    const cutAt = cut.at;
    const exit = await g.exited;
    const exitMs = exit.at - faultAt;
    process.stdout.write(`${JSON.stringify({ figure: 'process-fault', kind, faultToCutMs: Math.round(cutAt - faultAt), faultToExitMs: Math.round(exitMs) })}\n`);

    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 70, signal: null });
    expect(exitMs).toBeLessThan(2_000);
    // The fail-safe state: power cut, the local fan never fault-locked, evacuation relay on.
    expect(field.coil(COIL.heading)).toBe(false);
    expect(field.coil(COIL.upstream)).toBe(false);
    expect(field.coil(COIL.fan)).toBe(true);
    expect(field.coilChanges.slice(changesBefore).filter((c) => c.coil === COIL.fan && !c.on)).toEqual([]);
    await field.waitPin(PIN.evacuation, 1, 1_000);
    expect(g.output()).toMatch(new RegExp(`${kind === 'uncaught' ? 'uncaughtException' : 'unhandledRejection'} in the gateway process: .*injected`));

    // The kernel process went with it (it fails safe on its own when the IPC channel closes).
    await waitFor(() => !isAlive(kernelPid), { timeoutMs: 3_000, what: `kernel process ${kernelPid} gone` });
    // On record: the fault in the store (engine-failure, reason "process fault") and in the log.
    const failures = storeQuery<{ message: string }>(field.dataDir, "SELECT message FROM safety_events WHERE type = 'engine-failure'");
    expect(failures.map((f) => f.message).join('\n')).toMatch(/process fault: .*injected/);
    const log = readFileSync(join(field.dataDir, 'logs', 'minegate.log'), 'utf8');
    expect(log).toMatch(/"level":60.*exiting after a fault/);
  });

  it('the gateway process killed outright (SIGKILL, no handler runs): its kernel process cuts power and ends', async () => {
    const { g, kernelPid } = await startRunning();
    const killedAt = performance.now();
    g.process.kill('SIGKILL');
    // kernel-process.ts: the IPC channel closing is a fault; it drives the fail-safe state itself.
    const cut = await waitFor(() => rig!.coilChanges.find((c) => c.coil === COIL.heading && !c.on && c.at > killedAt), {
      timeoutMs: 2_000,
      intervalMs: 5,
      what: 'heading power cut by the orphaned kernel',
    });
    await waitFor(() => !isAlive(kernelPid), { timeoutMs: 3_000, what: `kernel process ${kernelPid} gone` });
    process.stdout.write(`${JSON.stringify({ figure: 'parent-sigkill', killToCutMs: Math.round(cut.at - killedAt), killToKernelGoneMs: Math.round(performance.now() - killedAt) })}\n`);
    expect(rig!.coil(COIL.fan)).toBe(true);
    expect(rig!.coil(COIL.upstream)).toBe(false);
  });

  it('the kernel process killed (SIGKILL): the relay watchdog drops the zone, the gateway sees its kernel gone and exits non-zero within 2 s', async () => {
    const WATCHDOG_MS = 1_000;
    const { g, kernelPid } = await startRunning({}, WATCHDOG_MS);
    await waitFor(() => rig!.watchdog.state === 'armed', { what: 'the heartbeat arming the watchdog' });
    const killedAt = performance.now();
    process.kill(kernelPid, 'SIGKILL');
    // Nobody is left to write the coils: the module's own watchdog is the last line of defence.
    // (The module drops it itself, not a write on the wire: watch the coil.)
    await waitFor(() => !rig!.coil(COIL.heading), { timeoutMs: WATCHDOG_MS + 1_000, intervalMs: 5, what: `heading power dropped by the relay watchdog (watchdog ${rig!.watchdog.state}, trips ${rig!.watchdog.trips}; gateway output: ${g.output().slice(-600)})` });
    const cut = { at: performance.now() };
    const exit = await g.exited;
    process.stdout.write(`${JSON.stringify({ figure: 'kernel-sigkill', killToCutMs: Math.round(cut.at - killedAt), killToGatewayExitMs: Math.round(exit.at - killedAt) })}\n`);
    expect(cut.at - killedAt).toBeLessThanOrEqual(WATCHDOG_MS + 300);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exit.at - killedAt).toBeLessThan(2_000);
    expect(g.output()).toMatch(/safety kernel (process exited|lost)/);
    // Only the zone's power is guarded by the watchdog: the local fan keeps ventilating.
    expect(rig!.coil(COIL.fan)).toBe(true);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s to the whole process group (Ctrl-C, systemctl stop): the gateway stops its kernel itself and exits 0, not as a crash', async (signal) => {
    const { g, kernelPid } = await startRunning({}, undefined, true);
    process.kill(-g.process.pid!, signal);
    const exit = await g.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(g.output()).toMatch(/minegate: stopped cleanly/);
    expect(g.output()).not.toMatch(/kernel lost|exiting after a fault/);
    expect(isAlive(kernelPid)).toBe(false);
    // No fault on record either: a stop is not an engine failure.
    expect(storeQuery(rig!.dataDir, "SELECT 1 FROM safety_events WHERE type = 'engine-failure'")).toEqual([]);
  });
});
