// Behaviours 4 and 5 over real Modbus: fault lockout (故障闭锁, AQ 6201 clause f) with its
// stable-good hold, and feed verification (馈电, AQ 1029-2019 §7.12): a welded contactor is
// 馈电异常 and escalates to the upstream supply; a dead load side while power is permitted is reported.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { COIL, FIELD, RELAY, ScenarioRig } from './scenario-rig.js';

const HOLD_MS = 2000;

describe('scenario 4: fault lockout', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('a faulty sensor cuts its area; power returns only after the configured hold of continuous good readings (a relapse restarts it)', async () => {
    rig = await ScenarioRig.start({ faultLockoutHoldMs: HOLD_MS });
    await rig.waitRunning();
    rig.field(FIELD.t2).setStatus({ sensorFault: true });
    await rig.waitCoil(COIL.heading, false);
    // The kernel's state and events reach the gateway process after its turn: wait for them, not the coil.
    await rig.waitHolds('heading-power', ['fault-lockout:T2']);
    const lockout = await rig.waitEvent((e) => e.type === 'lockout' && e.key === 'fault-lockout:T2', 'lockout event');
    expect(lockout).toMatchObject({ abnormality: '004', point: 'T2' });

    // Good again for part of the hold (two more good polls), then a relapse: the count starts over.
    let goodPolls = 0;
    rig.gateway.onReadings((readings) => {
      for (const r of readings) if (r.point === 'T2' && r.quality === 'good') goodPolls++;
    });
    rig.field(FIELD.t2).setStatus({ sensorFault: false });
    await rig.waitReading('T2', 0.3);
    goodPolls = 0;
    await waitFor(() => goodPolls >= 2, { what: 'two more good polls of T2' });
    expect(rig.coil(COIL.heading)).toBe(false);
    rig.field(FIELD.t2).setStatus({ sensorFault: true });
    await waitQuality(rig, 'T2', 'sensor-fault');
    rig.field(FIELD.t2).setStatus({ sensorFault: false });
    await rig.waitReading('T2', 0.3);
    const goodAgain = performance.now();
    const on = await rig.waitCoil(COIL.heading, true, HOLD_MS + 3000);
    // Never before the hold has passed (allow the few ms between the gateway's reading and ours).
    expect(on - goodAgain).toBeGreaterThanOrEqual(HOLD_MS - 50);
    expect(on - goodAgain).toBeLessThan(HOLD_MS + 1500);
    const release = await rig.waitEvent((e) => e.type === 'release' && e.key === 'fault-lockout:T2', 'fault-lockout release event');
    expect(release.message).toContain(`read normally for ${HOLD_MS / 1000} s`);
  });

  it('a device that stops answering is a fault too (comm loss, abnormality 006)', async () => {
    rig = await ScenarioRig.start({ faultLockoutHoldMs: HOLD_MS });
    await rig.waitRunning();
    rig.field(FIELD.t1).setWireFault('no-response');
    await rig.waitCoil(COIL.heading, false, 8000);
    const lockout = await rig.waitEvent((e) => e.type === 'lockout' && e.key === 'fault-lockout:T1', 'T1 lockout');
    expect(lockout.abnormality).toBe('006');
    expect(rig.coil(COIL.fan)).toBe(true);
  });
});

describe('scenario 5: feed verification', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('a welded contactor (load side still live after the cut) is 馈电异常: alarm, event 003, and the upstream supply is cut', async () => {
    rig = await ScenarioRig.start({ feedTimeoutMs: 1000 });
    await rig.waitRunning();
    rig.sim.setStuck('relay', RELAY.feedHeading, true);
    rig.methane(FIELD.t1, 1.6);
    const cutAt = await rig.waitCoil(COIL.heading, false);
    const upstreamAt = await rig.waitCoil(COIL.upstream, false, 5000, 'upstream supply cut by escalation');
    expect(upstreamAt - cutAt).toBeGreaterThanOrEqual(1000 - 50);
    const abnormal = await rig.waitEvent((e) => e.type === 'feed-abnormal', 'feed-abnormal event');
    expect(abnormal).toMatchObject({ point: 'FEED-H', value: 1, outputs: ['heading-power'], abnormality: '003' });
    expect(rig.alarmKeys()).toContain('feed:heading-power');
    await rig.waitHolds('upstream-power', ['feed-escalation:heading-power']);

    // Gas gone and the contactor repaired: the heading is energised again, the escalation ends.
    rig.sim.setStuck('relay', RELAY.feedHeading, false);
    rig.methane(FIELD.t1, 0.4);
    await rig.waitCoil(COIL.heading, true);
    await rig.waitCoil(COIL.upstream, true);
    await rig.waitEvent((e) => e.type === 'feed-restored', 'feed abnormality over');
  });

  it('a dead load side while power is permitted is reported once and cuts nothing', async () => {
    rig = await ScenarioRig.start({ feedTimeoutMs: 1000 });
    await rig.waitRunning();
    rig.sim.setStuck('relay', RELAY.feedHeading, true);
    rig.relayBus(RELAY.feedHeading).set('state', 0);
    const dead = await rig.waitEvent((e) => e.type === 'feed-dead', 'feed-dead report');
    expect(dead).toMatchObject({ point: 'FEED-H', outputs: ['heading-power'] });
    expect(rig.coil(COIL.heading)).toBe(true);
    expect(rig.coil(COIL.upstream)).toBe(true);
    expect(rig.events.filter((e) => e.type === 'feed-dead')).toHaveLength(1);
  });
});

async function waitQuality(rig: ScenarioRig, point: string, quality: string): Promise<void> {
  await waitFor(() => rig.gateway.points.current(point).quality === quality, { timeoutMs: 5000, intervalMs: 5, what: `${point} ${quality}` });
}
