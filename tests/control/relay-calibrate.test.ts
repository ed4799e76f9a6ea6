// Relay test and calibration marks through the running gateway, as built CLI processes: the
// pulse goes through the safety loop's own actuator (seen on the wire), a held output is refused
// with its holds named, and a calibration's end feeds the engine's calibration date.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AuditAction, openAuditDatabase, queryAudit } from '../../edge/operators/audit.js';
import type { ChannelChange } from '../../simulator/virtual-device.js';
import { waitFor } from '../helpers/wait-for.js';
import { type ControlRig, startControlRig } from './rig.js';

function audit(rig: ControlRig, action: AuditAction) {
  const db = openAuditDatabase(rig.dataDir);
  try {
    return queryAudit(db, { action });
  } finally {
    db.close();
  }
}

describe('minegate relay test', () => {
  let rig: ControlRig;
  const changes: ChannelChange[] = [];
  const record = (c: ChannelChange): void => void changes.push(c);
  beforeAll(async () => {
    rig = await startControlRig();
    rig.devices.relay.on('change', record);
  });
  afterAll(async () => {
    await rig?.close();
  });
  afterEach(() => {
    changes.length = 0;
  });

  it('pulses a free output on the wire and hands it back; audited with who and why', async () => {
    await rig.settled();
    changes.length = 0;
    const r = await rig.cli(['relay', 'test', 'siren', '--reason', 'weekly siren check', '--pulse-ms', '300'], 'zhang');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/siren \(relay-1\.coil6\) energised for 300 ms: confirmed/);
    expect(r.stdout).toMatch(/handed back to the interlock engine \(off\): confirmed/);
    // What the relay module saw: coil 6 on, then off again, written over the wire.
    expect(changes.filter((c) => c.channel === 'coil6').map((c) => [c.value, c.source])).toEqual([
      [true, 'wire'],
      [false, 'wire'],
    ]);
    expect(audit(rig, 'relay-test')[0]).toMatchObject({
      operator: 'zhang',
      role: 'technician',
      target: 'relay-1.coil6',
      reason: 'weekly siren check',
      outcome: 'ok',
      before: { output: 'siren', energize: false },
      after: { pulsedTo: true, pulseMs: 300, pulseConfirmed: true, handBackConfirmed: true },
    });
  });

  it('a free power output is only ever pulsed off (a cut), and comes back on', async () => {
    await rig.settled();
    changes.length = 0;
    const r = await rig.cli(['relay', 'test', 'heading-power', '--reason', 'contactor check', '--pulse-ms', '200', '--json'], 'zhang');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ output: 'heading-power', engineState: true, pulsedTo: false, confirmed: true });
    expect(changes.filter((c) => c.channel === 'coil0').map((c) => c.value)).toEqual([false, true]);
  });

  it('refuses an output held cut by a rule, naming the holds; nothing is written', async () => {
    await rig.settled();
    rig.devices.t1.set('value', 1.8); // ≥ 1.5 %CH4: the heading face cut-off holds heading-power
    await waitFor(() => rig.gateway.safety.engine.holds().some((h) => h.output === 'heading-power'), { what: 'methane cut-off hold' });
    await waitFor(() => rig.devices.relay.get('coil0') === false, { what: 'heading power cut on the wire' });
    changes.length = 0;
    const r = await rig.cli(['relay', 'test', 'heading-power', '--reason', 'contactor check'], 'zhang');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused by the gateway \(OUTPUT_HELD\): heading-power is held cut by over-limit:F001A01 \(F001A01 1\.8 %CH4 ≥ cutoff 1\.5 %CH4\): a relay test never energises a held output/);
    expect(changes.filter((c) => c.channel === 'coil0')).toEqual([]);
    expect(rig.devices.relay.get('coil0')).toBe(false);
    expect(audit(rig, 'relay-test')[0]).toMatchObject({ operator: 'zhang', outcome: 'refused', target: 'relay-1.coil0', detail: expect.stringContaining('over-limit:F001A01') });
    rig.devices.t1.set('value', 0.2);
  });

  it('refuses the siren while it sounds for an alarm, an unknown output, and a viewer', async () => {
    await waitFor(() => rig.devices.relay.get('coil6') === true || rig.gateway.safety.engine.alarms().length === 0, { what: 'siren state settled' });
    rig.devices.t2.set('value', 1.2);
    await waitFor(() => rig.devices.relay.get('coil6') === true, { what: 'siren on' });
    const sounding = await rig.cli(['relay', 'test', 'siren', '--reason', 'check'], 'zhang');
    expect(sounding.code).toBe(1);
    expect(sounding.stderr).toMatch(/siren \(siren\) is on for an active alarm or evacuation: a relay test never silences it/);
    rig.devices.t2.set('value', 0.2);
    const unknown = await rig.cli(['relay', 'test', 'coil9', '--reason', 'check'], 'zhang');
    expect(unknown.stderr).toMatch(/no output "coil9" \(outputs: heading-power, fan-power, siren, beacon\)/);
    const viewer = await rig.cli(['relay', 'test', 'beacon', '--reason', 'check'], 'wang');
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/wang is a viewer; this needs a technician/);
    const noReason = await rig.cli(['relay', 'test', 'beacon'], 'zhang');
    expect(noReason.code).toBe(2);
  });
});

describe('minegate calibrate', () => {
  let rig: ControlRig;
  beforeAll(async () => {
    // T1 last calibrated long ago: the engine's integrity check raises "calibration overdue".
    rig = await startControlRig({ calibrations: { F001A01: '2020-01-01', F001A02: new Date().toISOString().slice(0, 10) } });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('start flags the point calibrating (still protecting); end records the date and clears the overdue alarm', async () => {
    const overdue = 'integrity:calibration-overdue:F001A01';
    await waitFor(() => rig.gateway.safety.engine.alarms().some((a) => a.key === overdue), { what: 'calibration overdue alarm' });

    const start = await rig.cli(['calibrate', 'F001A01', 'start', '--gas', '2.0% CH4', '--reason', '15-day calibration'], 'zhang');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/F001A01 marked calibrating with 2\.0% CH4; its values still drive protection/);
    const status = JSON.parse((await rig.cli(['status', '--json'])).stdout);
    expect(status.calibrating).toEqual(['F001A01']);
    expect(status.status.points.find((p: { code: string }) => p.code === 'F001A01').quality).toBe('calibrating');

    // Calibration gas above the cut-off still cuts the heading's power.
    rig.devices.t1.set('value', 2.0);
    await waitFor(() => rig.devices.relay.get('coil0') === false, { what: 'cut by calibration gas' });
    rig.devices.t1.set('value', 0.2);
    await waitFor(() => rig.gateway.points.current('F001A01').value === 0.2, { what: 'gas removed' });

    const again = await rig.cli(['calibrate', 'F001A01', 'start', '--gas', '2.0% CH4', '--reason', 'x'], 'zhang');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ALREADY_CALIBRATING/);

    const before = Date.now();
    const end = await rig.cli(['calibrate', 'F001A01', 'end', '--gas', '2.0% CH4', '--reason', '15-day calibration', '--json'], 'zhang');
    expect(end.stderr).toBe('');
    expect(end.code).toBe(0);
    const result = JSON.parse(end.stdout);
    expect(result).toMatchObject({ point: 'F001A01', phase: 'end', checkedByEngine: true });
    expect(result.calibratedAt).toBeGreaterThanOrEqual(before);
    // The date the engine reloads after a restart, and the alarm gone.
    await waitFor(() => (rig.gateway.safety.store.lastCalibrations().get('F001A01') ?? 0) >= before, { what: 'calibration event stored' });
    await waitFor(() => !rig.gateway.safety.engine.alarms().some((a) => a.key === overdue), { what: 'overdue alarm cleared' });
    expect(rig.gateway.safety.calibratingPoints()).toEqual([]);

    const rows = audit(rig, 'calibration');
    expect(rows.map((r) => [r.operator, r.outcome, r.reason])).toEqual([
      ['zhang', 'ok', '15-day calibration'],
      ['zhang', 'ok', '15-day calibration'],
    ]);
    expect(rows[0]!.after).toMatchObject({ calibrating: false, gas: '2.0% CH4' });
    expect(rows[1]).toMatchObject({ target: 'point:F001A01', before: { calibrating: false, lastCalibration: '2020-01-01T00:00:00.000Z' }, after: { calibrating: true, gas: '2.0% CH4' } });
  });

  it('end without start, a missing --gas and an unknown point are refused', async () => {
    const notStarted = await rig.cli(['calibrate', 'F001A02', 'end', '--gas', '2.0% CH4', '--reason', 'x'], 'zhang');
    expect(notStarted.code).toBe(1);
    expect(notStarted.stderr).toMatch(/NOT_CALIBRATING\): F001A02 is not being calibrated; start with: minegate calibrate F001A02 start/);
    const noGas = await rig.cli(['calibrate', 'F001A02', 'start', '--reason', 'x'], 'zhang');
    expect(noGas.code).toBe(2);
    expect(noGas.stderr).toMatch(/--gas is required/);
    const unknown = await rig.cli(['calibrate', 'X9', 'start', '--gas', 'g', '--reason', 'x'], 'zhang');
    expect(unknown.stderr).toMatch(/no point "X9"/);
    expect(rig.gateway.safety.calibratingPoints()).toEqual([]);
  });
});

