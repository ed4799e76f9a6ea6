// Behaviour 3 over real Modbus: the methane-wind-power interlock (甲烷风电闭锁, AQ 6201 clauses d, e,
// f, g and the restart permit), asserted on the relay module's coils and the panel board's pins.
// The local fans run while their coil is on (the simulator's fan sensors follow the coils, as a
// contactor-fed fan does); a trip is a fan that stops although it is powered.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { COIL, FIELD, PIN, RELAY, ScenarioRig } from './scenario-rig.js';

describe('scenario 3: methane-wind-power interlock', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('clause d: a stopped local fan or low duct airflow cuts the ventilated heading; it returns when ventilation does', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.tripFan();
    await rig.waitCoil(COIL.heading, false);
    await rig.waitHolds('heading-power', ['fan-stopped:fan1']);
    // The fan's own supply stays on: it can be restarted.
    expect(rig.coil(COIL.fan)).toBe(true);
    rig.sim.setStuck('relay', RELAY.fan, false);
    rig.relayBus(RELAY.fan).set('state', 1);
    await rig.waitCoil(COIL.heading, true);

    rig.relayBus(RELAY.fan).set('airflow', 120);
    await rig.waitCoil(COIL.heading, false);
    await rig.waitHolds('heading-power', ['duct-airflow-low:fan1']);
    rig.relayBus(RELAY.fan).set('airflow', 200);
    await rig.waitCoil(COIL.heading, true);
  });

  it('clause e: fan stopped with T1 > 3.0 % locks the fan; the key switch unlocks only once the condition is gone', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t1, 3.2);
    rig.tripFan();
    await rig.waitCoil(COIL.fan, false, 5000, 'fan supply locked off');
    await rig.waitHolds('fan-power', ['fan-lock:fan1']);
    await rig.waitPin(PIN.evacuation, 1);
    rig.sim.setStuck('relay', RELAY.fan, false);

    // Key turned while the lock condition holds: refused, recorded, the fan stays locked.
    rig.press(PIN.unlockKey, 1);
    const refused = await rig.waitEvent((e) => e.type === 'unlock-refused', 'unlock refused');
    rig.press(PIN.unlockKey, 0);
    expect(refused).toMatchObject({ operator: 'key.fan1' });
    expect(refused.message).toContain('lock condition still holds');
    expect(rig.coil(COIL.fan)).toBe(false);

    // Below 3.0 % (still above the 1.5 % automatic release): the key unlocks; the fan restarts.
    rig.methane(FIELD.t1, 2.0);
    await rig.waitReading('T1', 2.0);
    rig.press(PIN.unlockKey, 1);
    await rig.waitCoil(COIL.fan, true, 5000, 'fan supply back after the key unlock');
    rig.press(PIN.unlockKey, 0);
    expect(await rig.waitEvent((e) => e.type === 'unlock', 'unlock event')).toMatchObject({ operator: 'key.fan1', outputs: ['fan-power'] });
    // T1 at 2.0 % still cuts the heading itself.
    expect(rig.coil(COIL.heading)).toBe(false);
  });

  it('clause e: manual unlock by an authorised operator (the CLI path), or automatic release below 1.5 %', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t2, 3.4);
    rig.tripFan();
    await rig.waitCoil(COIL.fan, false);
    rig.sim.setStuck('relay', RELAY.fan, false);
    rig.methane(FIELD.t2, 2.5);
    await rig.waitReading('T2', 2.5);
    await expect(rig!.gateway.safety.manualUnlock({ fan: 'fan1', operator: 'li.si' })).rejects.toThrow(expect.objectContaining({ code: 'NOT_AUTHORISED' }));
    await rig.gateway.safety.manualUnlock({ fan: 'fan1', operator: 'zhang.wei' });
    await rig.waitCoil(COIL.fan, true);

    // Lock again, then let the gas fall below 1.5 %: released without anyone.
    rig.methane(FIELD.t2, 3.4);
    rig.tripFan();
    await rig.waitCoil(COIL.fan, false);
    rig.sim.setStuck('relay', RELAY.fan, false);
    rig.methane(FIELD.t2, 1.4);
    await rig.waitCoil(COIL.fan, true);
    // The automatic release (not the earlier manual unlock) is recorded with its reason.
    await rig.waitEvent((e) => e.type === 'release' && e.rule === 'fan-lock' && e.message.includes('below 1.5 %'), 'automatic fan-lock release event');
    // 1.4 % is still over T2's own 1.0 % cut-off: the heading waits for that too.
    expect(rig.coil(COIL.heading)).toBe(false);
    rig.methane(FIELD.t2, 0.6);
    await rig.waitCoil(COIL.heading, true, 5000, 'heading back once the fan runs and T2 < 1.0 %');
  });

  it('restart permit: a stopped fan is restarted only with ≤ 0.5 % at the fan and its switch', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t3, 0.7);
    rig.tripFan();
    await rig.waitCoil(COIL.fan, false, 5000, 'restart withheld');
    await rig.waitHolds('fan-power', ['fan-restart:fan1']);
    rig.sim.setStuck('relay', RELAY.fan, false);
    rig.methane(FIELD.t3, 0.5);
    await rig.waitCoil(COIL.fan, true, 5000, 'restart permitted at 0.5 %');
    await rig.waitReading('FAN-RUN', 1);
  });

  it('clause f: sensor faults lock out the heading but never the local fan', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.field(FIELD.t1).setWireFault('no-response');
    rig.relayBus(RELAY.fan).setStatus({ sensorFault: true });
    await rig.waitCoil(COIL.heading, false, 8000, 'fault lockout of the heading');
    // The fan sensor's fault bit covers both its channels (run state and duct airflow).
    await waitFor(() => rig!.holdsOn('heading-power').join() === 'fault-lockout:FAN-AIR,fault-lockout:FAN-RUN,fault-lockout:T1', { what: 'every fault locking out the heading' });
    expect(rig.coil(COIL.fan)).toBe(true);
    await rig.waitHolds('fan-power', []);
  });

  it('heading T3 second stage: ≥ 1.5 % also cuts the local fan, restored below 0.5 %', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.methane(FIELD.t3, 0.6);
    await rig.waitCoil(COIL.heading, false);
    expect(rig.coil(COIL.fan)).toBe(true);
    rig.methane(FIELD.t3, 1.5);
    await rig.waitCoil(COIL.fan, false);
    await rig.waitHolds('fan-power', ['fan-cutoff:T3']);
    rig.methane(FIELD.t3, 0.6);
    await rig.waitReading('T3', 0.6);
    expect(rig.coil(COIL.fan)).toBe(false);
    rig.methane(FIELD.t3, 0.4);
    await rig.waitCoil(COIL.fan, true);
    await rig.waitCoil(COIL.heading, true, 5000, 'heading back once the fan runs again');
  });

  it('clause g: the standby fan starts when the running one trips; the heading is back once it runs', async () => {
    rig = await ScenarioRig.start({ standby: true });
    await rig.waitRunning();
    expect(rig.coil(COIL.standbyFan)).toBe(false);
    rig.tripFan();
    await rig.waitCoil(COIL.standbyFan, true, 5000, 'standby fan started');
    expect(rig.coil(COIL.fan)).toBe(false);
    await rig.waitReading('FAN2-RUN', 1);
    await rig.waitCoil(COIL.heading, true, 5000, 'heading back on the standby fan');
    expect(rig.gateway.safety.engine.activeFan('fan1')).toBe('standby');
    expect(rig.events.filter((e) => e.type === 'fan-switchover').map((e) => e.message)).toEqual([
      expect.stringContaining('switching from the main to the standby fan'),
      expect.stringContaining('running after the switchover'),
    ]);
    expect(rig.alarmKeys()).toEqual([]);
  });
});
