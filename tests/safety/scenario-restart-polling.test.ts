// Behaviour 8 over real Modbus: restart safety (holds come back from the store, outputs stay cut
// until their governing points are freshly read) and accelerated polling of points in alarm
// (AQ 6201 accelerated patrol). The SIGKILL variant is in restart-sigkill.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../core/readings.js';
import { waitFor } from '../helpers/wait-for.js';
import { COIL, FIELD, ScenarioRig } from './scenario-rig.js';

describe('scenario 8: restart safety and accelerated polling', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('a methane cut survives a gateway restart: the zone stays cut at 1.2 % and returns below 1.0 %', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t1, 1.6);
    await rig.waitCoil(COIL.heading, false);
    await waitFor(() => rig!.gateway.safety.store.loadHolds().some((h) => h.key === 'over-limit:T1'), { what: 'hold persisted' });
    await rig.stopGateway();

    rig.methane(FIELD.t1, 1.2);
    const restartedAt = performance.now();
    await rig.startGateway();
    // Every other power output comes back once its points are read; the heading does not.
    await rig.waitCoil(COIL.fan, true);
    await rig.waitReading('T1', 1.2);
    // Reloaded at start, before the first reading (journalled; the first cycle ran inside start()).
    expect(rig.gateway.safety.store.events({ types: ['restored'], sinceWall: Date.now() - 60_000 }).map((e) => e.key)).toContain('over-limit:T1');
    expect(rig.coilChanges.filter((c) => c.coil === COIL.heading && c.on && c.at >= restartedAt)).toEqual([]);
    // Once the start-up hold is gone (every governing point read), the reloaded cut still holds.
    await waitFor(() => rig!.holdsOn('heading-power').join() === 'over-limit:T1', { what: 'only the reloaded methane hold left' });
    expect(rig.coilChanges.filter((c) => c.coil === COIL.heading && c.on && c.at >= restartedAt)).toEqual([]);
    expect(rig.coil(COIL.heading)).toBe(false);

    rig.methane(FIELD.t1, 0.8);
    await rig.waitCoil(COIL.heading, true);
  });

  it('after a restart a zone is energised only once every point governing it has been read fresh', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    await rig.stopGateway();
    // The contactor dropped out while the gateway was down, and T2 answers slowly after the
    // restart: the heading must wait for every point that governs it.
    rig.relay.set(`coil${COIL.heading}`, false);
    rig.field(FIELD.t2).setResponseDelay(200);
    const firstRead = new Map<string, number>();
    const restartedAt = performance.now();
    await rig.startGateway((gateway) =>
      gateway.onReadings((readings: readonly Reading[]) => {
        for (const r of readings) if (r.quality === 'good' && !firstRead.has(r.point)) firstRead.set(r.point, performance.now());
      }),
    );
    const backOn = await rig.waitCoil(COIL.heading, true);
    const changes = rig.coilChanges.filter((c) => c.coil === COIL.heading && c.at >= restartedAt);
    expect(changes.map((c) => c.on)).toEqual([true]);
    for (const point of ['T1', 'T2', 'T3', 'FAN-RUN', 'FAN-AIR', 'FEED-H']) {
      expect(firstRead.get(point), point).toBeDefined();
      expect(firstRead.get(point)!, point).toBeLessThanOrEqual(backOn);
    }
  });

  it('polls the points in alarm, and their zone mates, at the alarm interval until the alarm clears', async () => {
    rig = await ScenarioRig.start({ pollMs: 500, alarmPollMs: 100 });
    await rig.waitRunning();
    const t1: number[] = [];
    rig.gateway.onReadings((readings) => {
      for (const r of readings) if (r.point === 'T1' && r.quality === 'good') t1.push(r.monoTime);
    });
    const interval = (device: string) => rig!.gateway.status().devices.find((d) => d.id === device)!.intervalMs;
    expect(interval('ch4-t1')).toBe(500);

    rig.methane(FIELD.t1, 1.1);
    await waitFor(() => interval('ch4-t1') === 100, { what: 'accelerated patrol of T1' });
    expect(interval('ch4-t2')).toBe(100);
    expect(interval('ch4-t3')).toBe(100);
    const from = t1.length;
    await waitFor(() => t1.length >= from + 6, { what: 'six accelerated polls' });
    const gaps = t1.slice(from + 1).map((t, i) => t - t1[from + i]!);
    expect(Math.max(...gaps)).toBeLessThan(250);

    rig.methane(FIELD.t1, 0.3);
    await waitFor(() => interval('ch4-t1') === 500, { what: 'normal patrol again' });
  });
});
