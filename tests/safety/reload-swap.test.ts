// Reload as a swap (issue 11 item 4): 20 reloads of the running substation through the real
// supervisor, with the safety kernel in its own process. What the field sees is asserted on the
// simulator side: the power coils never change, the heartbeat coil keeps its pace (the tick never
// pauses), a cut in place stays through a reload, and protection works after them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Capability } from '../../edge/capability.js';
import type { LoadedConfig } from '../../edge/config/load-config.js';
import { GatewaySupervisor } from '../../edge/gateway-supervisor.js';
import { createLogger } from '../../edge/log.js';
import { waitFor } from '../helpers/wait-for.js';
import { COIL, FIELD, ScenarioRig } from './scenario-rig.js';

let rig: ScenarioRig | undefined;
let supervisor: GatewaySupervisor | undefined;

afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  if (rig) rig.gateway = undefined as never;
  await rig?.close();
  rig = undefined;
});

const POWER = [COIL.heading, COIL.fan, COIL.upstream];
const TICK_MS = 250;

/** The rig's config, with a harmless edit that alternates (a device's poll interval and a point name). */
function variant(yaml: string, n: number): string {
  if (n % 2 === 0) return yaml;
  const edited = yaml.replace('{ id: feed-h, bus: relay, unit: 2, profile: feed-sensor, pollMs: 200 }', '{ id: feed-h, bus: relay, unit: 2, profile: feed-sensor, pollMs: 190 }');
  if (edited === yaml) throw new Error('the rig config changed: update the reload variant');
  return edited;
}

/** A capability that cannot start on the edited config (a broken optional part). */
function brokenOnEdit(loaded: LoadedConfig): Capability[] {
  const edited = loaded.config.devices.some((d) => d.id === 'feed-h' && d.pollMs === 190);
  return [
    {
      name: 'optional-part',
      start: async () => {
        if (edited) throw new Error('optional part cannot start on this config');
      },
      stop: async () => undefined,
    },
  ];
}

/** The relay module's hardware-style watchdog (simulator/relay-watchdog.ts): drops the heading and upstream coils after this long without a heartbeat toggle. */
const WATCHDOG_MS = 1000;

async function startSupervised(capabilities?: (loaded: LoadedConfig) => Capability[]): Promise<{ file: string }> {
  rig = await ScenarioRig.start({ gateway: false, watchdogMs: WATCHDOG_MS });
  const file = join(rig.dataDir, 'scenario-substation.yaml');
  writeFileSync(file, rig.configYaml);
  supervisor = new GatewaySupervisor(file, { dataDir: rig.dataDir, logger: createLogger({}), poller: { retryBackoffMs: 50, probeMs: 500 }, ...(capabilities ? { capabilities } : {}) });
  rig.gateway = await supervisor.start();
  rig.gateway.safety.onEvents((events) => rig!.events.push(...events));
  await rig.waitRunning();
  return { file };
}

describe('reload as a swap', () => {
  it('20 reloads: power coils never change (a 1 s relay watchdog never trips), the heartbeat keeps its pace, the kernel process and its cycles carry on', async () => {
    const { file } = await startSupervised();
    const kernelPid = rig!.gateway.status().kernel.pid;
    const changesBefore = rig!.coilChanges.length;
    const cyclesBefore = rig!.gateway.status().kernel.cycles;
    const began = performance.now();
    for (let n = 1; n <= 20; n++) {
      writeFileSync(file, variant(rig!.configYaml, n));
      const result = await supervisor!.reload();
      expect(result, `reload ${n}`).toMatchObject({ applied: true, swap: { holds: [], reopened: [] } });
      // The kernel built and started the new loop in one turn: that is all protection waited.
      expect(result.swap!.swapMs).toBeLessThan(100);
      rig!.gateway = supervisor!.current;
      // Spread the reloads over the ticks: the next one after the heartbeat moved again.
      const beatsSoFar = rig!.coilChanges.filter((c) => c.coil === COIL.heartbeat).length;
      await waitFor(() => rig!.coilChanges.filter((c) => c.coil === COIL.heartbeat).length > beatsSoFar, { what: `a heartbeat after reload ${n}` });
    }
    const elapsed = performance.now() - began;
    const during = rig!.coilChanges.slice(changesBefore);
    // What the field sees: no power coil moved at all.
    expect(during.filter((c) => POWER.includes(c.coil as never))).toEqual([]);
    expect(POWER.map((c) => rig!.coil(c))).toEqual([true, true, true]);
    // The heartbeat kept toggling at the tick: no gap anywhere near a stop-then-start.
    const beats = during.filter((c) => c.coil === COIL.heartbeat).map((c) => c.at);
    expect(beats.length).toBeGreaterThanOrEqual(20);
    expect(beats.length).toBeGreaterThan(elapsed / TICK_MS / 2);
    const gaps = beats.slice(1).map((t, i) => t - beats[i]!);
    expect(Math.max(...gaps)).toBeLessThan(3 * TICK_MS);
    const status = rig!.gateway.status();
    expect(status.kernel.pid).toBe(kernelPid);
    expect(status.kernel.alive).toBe(true);
    expect(status.kernel.cycles).toBeGreaterThan(cyclesBefore);
    expect(status.kernel.maxTickGapMs).toBeLessThan(3 * TICK_MS);
    // The module's watchdog saw the heartbeat the whole time: armed, never tripped.
    expect(rig!.sim.watchdog('relay', 1)).toMatchObject({ state: 'armed', trips: 0 });
    // Still protecting, on the last config: a methane excursion cuts, a good reading below restore releases.
    rig!.methane(FIELD.t1, 1.6);
    await rig!.waitCoil(COIL.heading, false, 2000, 'methane cut after 20 reloads');
    rig!.methane(FIELD.t1, 0.4);
    await rig!.waitCoil(COIL.heading, true, 5000, 'power back below restore');
  }, 120_000);

  it('a cut in place stays through a reload; an invalid file changes nothing and the gateway runs on', async () => {
    const { file } = await startSupervised();
    rig!.methane(FIELD.t1, 1.6);
    await rig!.waitCoil(COIL.heading, false);
    const changesBefore = rig!.coilChanges.length;
    writeFileSync(file, variant(rig!.configYaml, 1));
    expect(await supervisor!.reload()).toMatchObject({ applied: true });
    rig!.gateway = supervisor!.current;
    expect(rig!.holdsOn('heading-power')).toContain('over-limit:T1');
    // Above the limit still: the reload must not release it, not even for a moment.
    expect(rig!.coilChanges.slice(changesBefore).filter((c) => c.coil === COIL.heading)).toEqual([]);
    const old = supervisor!.current;
    writeFileSync(file, 'buses: [');
    const refused = await supervisor!.reload();
    expect(refused.applied).toBe(false);
    expect(refused.refused).toMatch(/invalid config/);
    expect(supervisor!.current).toBe(old);
    expect(old.status().kernel.alive).toBe(true);
    // Only a good reading below restore releases, after reloads as before.
    rig!.methane(FIELD.t1, 1.2);
    await rig!.waitReading('T1', 1.2);
    await rig!.gateway.safety.sync();
    expect(rig!.coil(COIL.heading)).toBe(false);
    rig!.methane(FIELD.t1, 0.4);
    await rig!.waitCoil(COIL.heading, true, 5000, 'power back below restore');
    await waitFor(() => rig!.holdsOn('heading-power').length === 0, { what: 'hold released' });
  }, 60_000);

  it('a new config whose optional part fails to start is swapped back: the previous config runs on, protection never stopped', async () => {
    const { file } = await startSupervised(brokenOnEdit);
    const pid = rig!.gateway.status().kernel.pid;
    const changesBefore = rig!.coilChanges.length;
    writeFileSync(file, variant(rig!.configYaml, 1));
    const result = await supervisor!.reload();
    expect(result.applied).toBe(false);
    expect(result.refused).toMatch(/new config failed to start: optional-part: optional part cannot start/);
    rig!.gateway = supervisor!.current;
    expect(rig!.gateway.isStarted).toBe(true);
    expect(rig!.gateway.loaded.config.devices.find((d) => d.id === 'feed-h')?.pollMs).toBe(200);
    expect(rig!.gateway.capabilityList().map((c) => c.name)).toEqual(['optional-part']);
    expect(rig!.gateway.status().kernel).toMatchObject({ alive: true, pid });
    expect(rig!.coilChanges.slice(changesBefore).filter((c) => POWER.includes(c.coil as never))).toEqual([]);
    rig!.methane(FIELD.t1, 1.6);
    await rig!.waitCoil(COIL.heading, false, 2000, 'methane cut after the swap back');
  }, 60_000);
});
