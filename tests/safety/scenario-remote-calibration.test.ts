// Behaviours 6 and 7 over real Modbus: remote cut (异地断电) with reason, expiry and same-authority
// release; calibration never suppresses protection.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { COIL, FIELD, PIN, ScenarioRig } from './scenario-rig.js';

describe('scenario 6: remote cut', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('cuts the zone with its reason recorded; only the ordering authority releases it', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    await rig.gateway.safety.remoteCut({ id: 'RC-7', zones: ['heading'], authority: 'dispatch', operator: 'chen.dispatch', reason: 'gas spreading from 3102 face', durationMs: 600_000 });
    await rig.waitCoil(COIL.heading, false);
    expect(rig.coil(COIL.fan)).toBe(true);
    const cut = rig.events.find((e) => e.type === 'remote-cut')!;
    expect(cut).toMatchObject({ operator: 'chen.dispatch', authority: 'dispatch', reason: 'gas spreading from 3102 face', outputs: ['heading-power'] });
    // Durable: the journal writes it to SQLite off the safety path.
    const stored = await waitFor(() => rig!.gateway.safety.store.events({ types: ['remote-cut'] })[0], { what: 'remote cut in the store' });
    expect(stored).toMatchObject({ reason: 'gas spreading from 3102 face', authority: 'dispatch' });

    await expect(rig!.gateway.safety.remoteRelease({ id: 'RC-7', authority: 'safety-office', operator: 'wu' })).rejects.toThrow(expect.objectContaining({ code: 'WRONG_AUTHORITY' }));
    await rig.waitEvent((e) => e.type === 'remote-refused', 'refusal recorded');
    expect(rig.coil(COIL.heading)).toBe(false);

    await rig.gateway.safety.remoteRelease({ id: 'RC-7', authority: 'dispatch', operator: 'chen.dispatch' });
    await rig.waitCoil(COIL.heading, true);
  });

  it('expires on its own', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    await rig.gateway.safety.remoteCut({ id: 'RC-8', zones: ['heading'], authority: 'dispatch', operator: 'chen.dispatch', reason: 'ventilation change', durationMs: 1000 });
    const cutAt = await rig.waitCoil(COIL.heading, false);
    const backAt = await rig.waitCoil(COIL.heading, true, 5000, 'heading back after expiry');
    expect(backAt - cutAt).toBeGreaterThanOrEqual(1000 - 50);
    expect(await rig.waitEvent((e) => e.type === 'remote-expired', 'remote-expired event')).toMatchObject({ authority: 'dispatch' });
  });
});

describe('scenario 7: calibration never suppresses protection', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('test gas on a sensor flagged calibrating still alarms and cuts; leaving calibration records the date', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    rig.field(FIELD.t1).setStatus({ calibrating: true });
    rig.methane(FIELD.t1, 2.0);
    await rig.waitCoil(COIL.heading, false);
    await rig.waitPin(PIN.siren, 1);
    expect(rig.gateway.points.current('T1').quality).toBe('calibrating');
    await rig.waitHolds('heading-power', ['over-limit:T1']);

    rig.methane(FIELD.t1, 0.3);
    rig.field(FIELD.t1).setStatus({ calibrating: false });
    await rig.waitCoil(COIL.heading, true);
    const calibration = await rig.waitEvent((e) => e.type === 'calibration' && e.point === 'T1', 'calibration recorded');
    expect(calibration.message).toContain('calibration date recorded');
  });

  it('the technician\'s software calibration mark does not suppress protection either', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();
    await rig.gateway.safety.setCalibrating('T2', true);
    rig.methane(FIELD.t2, 1.2);
    await rig.waitCoil(COIL.heading, false);
    await rig.waitHolds('heading-power', ['over-limit:T2']);
    await rig.gateway.safety.setCalibrating('T2', false);
  });
});
