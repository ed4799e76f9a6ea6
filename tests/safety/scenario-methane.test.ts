// Behaviour 2 over real Modbus: methane over-limit alarm, cut-off, hold, and automatic release below
// the restore value only when no other hold remains (AQ 1029-2019 methane table; AQ 6201 clauses a/b).
import { afterEach, describe, expect, it } from 'vitest';
import { COIL, FIELD, PIN, ScenarioRig } from './scenario-rig.js';

describe('scenario 2: methane over-limit (relay coils and panel pins)', () => {
  let rig: ScenarioRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('alarms at 1.0 %, cuts at 1.5 %, holds above 1.0 %, and restores only when no other hold remains', async () => {
    rig = await ScenarioRig.start();
    await rig.waitRunning();

    // Alarm only: siren and beacon, power stays on.
    rig.methane(FIELD.t1, 1.2);
    await rig.waitPin(PIN.siren, 1);
    await rig.waitPin(PIN.beacon, 1);
    expect(rig.coil(COIL.heading)).toBe(true);

    // Cut-off: the heading coil drops, the evacuation relay closes; the fan keeps running.
    rig.methane(FIELD.t1, 1.6);
    await rig.waitCoil(COIL.heading, false);
    await rig.waitPin(PIN.evacuation, 1);
    expect(rig.coil(COIL.fan)).toBe(true);
    await rig.waitHolds('heading-power', ['over-limit:T1']);

    // Back to 1.2 %: above restore, the cut holds.
    rig.methane(FIELD.t1, 1.2);
    await rig.waitReading('T1', 1.2);
    expect(rig.coil(COIL.heading)).toBe(false);

    // A second hold (T2 at its 1.0 % cut-off), then T1 falls below restore: still cut.
    rig.methane(FIELD.t2, 1.0);
    await rig.waitReading('T2', 1.0);
    rig.methane(FIELD.t1, 0.6);
    await rig.waitReading('T1', 0.6);
    await rig.waitHolds('heading-power', ['over-limit:T2']);
    expect(rig.coil(COIL.heading)).toBe(false);
    const release = rig.events.find((e) => e.type === 'release' && e.key === 'over-limit:T1')!;
    expect(release.message).toContain('still held by other rules: heading-power');

    // The last hold goes: power returns, alarms clear, the siren and beacon go off.
    rig.methane(FIELD.t2, 0.4);
    await rig.waitCoil(COIL.heading, true);
    await rig.waitPin(PIN.siren, 0);
    await rig.waitPin(PIN.beacon, 0);
    await rig.waitPin(PIN.evacuation, 0);
    const cut = rig.events.find((e) => e.type === 'cut' && e.key === 'over-limit:T1')!;
    expect(cut).toMatchObject({ point: 'T1', value: 1.6, threshold: 1.5, outputs: ['heading-power'], abnormality: '002' });
    expect(cut.clause).toContain('heading.T1');
  });
});
