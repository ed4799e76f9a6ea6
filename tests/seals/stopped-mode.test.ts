// 明停暗开 over real Modbus: in stopped mode any person or vehicle crossing raises the alarm at once,
// and a production load (the hoist) working above idle for the sustain time raises it too.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAIN_CAM, type SealRig, startSealRig } from './rig.js';

let rig: SealRig;
beforeEach(async () => {
  rig = await startSealRig();
  await rig.step();
});
afterEach(async () => {
  await rig.close();
});

const stop = (mouth = 'main') => rig.engine.setMode(mouth, 'stopped', { operator: '调度员 王', reason: '停产整顿 (煤安监〔2026〕1号)' });

describe('stopped shaft mouth: crossings', () => {
  it('raises 明停暗开 on the first crossing, with camera, position, count and rule', async () => {
    stop();
    expect(rig.of('mode-changed')[0]).toMatchObject({ shaftMouth: 'main', operator: '调度员 王', reason: expect.stringContaining('停产整顿') });
    rig.mainCam.personIn(1);
    await rig.step();
    const on = rig.of('alarm-on', 'stopped-crossing');
    expect(on).toHaveLength(1);
    expect(on[0]).toMatchObject({ cameraId: MAIN_CAM, position: '主井口 井口房', shaftMouth: 'main', count: 1, alarmId: expect.stringMatching(/^stopped-crossing:main@/) });
    expect(on[0]!.message).toMatch(/明停暗开.*1 person entered at 主井口/);
    // When the stop was declared, in mine time with its zone (not UTC ISO).
    expect(on[0]!.message).toMatch(/declared stopped since 2026-01-05 10:00:\d\d\+08:00$/);
  });

  it('adds further crossings (vehicles too) to the open alarm and ends it after a quiet period', async () => {
    stop();
    rig.mainCam.personIn(1);
    await rig.step();
    rig.mainCam.vehicleOut(1);
    await rig.step();
    const [update] = rig.of('alarm-update', 'stopped-crossing');
    expect(update).toMatchObject({ count: 2 });
    await rig.step(119_000);
    expect(rig.of('alarm-off', 'stopped-crossing')).toEqual([]);
    await rig.step(1_000);
    const [off] = rig.of('alarm-off', 'stopped-crossing');
    expect(off).toMatchObject({ alarmId: rig.of('alarm-on', 'stopped-crossing')[0]!.alarmId, count: 2 });
    expect(rig.engine.activeAlarms()).toEqual([]);
  });

  it('ends the alarm when an operator declares the mouth producing, and does not alarm in production', async () => {
    stop();
    rig.mainCam.personIn(2);
    await rig.step();
    rig.engine.setMode('main', 'producing', { operator: '矿长 李', reason: '复产验收通过' });
    expect(rig.of('alarm-off', 'stopped-crossing')).toHaveLength(1);
    rig.mainCam.personIn(30);
    await rig.step();
    expect(rig.of('alarm-on')).toHaveLength(1);
  });

  it('alarms only at the stopped mouth', async () => {
    stop('aux');
    rig.mainCam.personIn(4);
    await rig.step();
    expect(rig.of('alarm-on', 'stopped-crossing')).toEqual([]);
  });

  it('refuses a mode change without operator or reason', () => {
    expect(() => rig.engine.setMode('main', 'stopped', { operator: ' ', reason: 'x' })).toThrow(/operator's name/);
    expect(() => rig.engine.setMode('main', 'stopped', { operator: 'a', reason: '' })).toThrow(/needs a reason/);
    expect(() => rig.engine.setMode('nope', 'stopped', { operator: 'a', reason: 'b' })).toThrow(RangeError);
  });
});

describe('stopped shaft mouth: power-use monitoring (用电监测)', () => {
  it('raises 明停暗开 when the hoist draws above idle for the sustain time while stopped, and ends it back at idle', async () => {
    rig.hoistMeter.setPower(180);
    await rig.step();
    expect(rig.of('alarm-on')).toEqual([]);
    stop();
    await rig.step(5_000);
    await rig.step(4_000);
    expect(rig.of('alarm-on', 'stopped-power')).toEqual([]);
    await rig.step(1_000);
    const on = rig.of('alarm-on', 'stopped-power');
    expect(on).toHaveLength(1);
    expect(on[0]).toMatchObject({ load: 'hoist', value: 180, shaftMouth: 'main', cameraId: MAIN_CAM, position: '主提升机' });
    expect(on[0]!.message).toMatch(/明停暗开.*主提升机 draws 180\.0 kW \(idle ≤ 15 kW\)/);
    // The readings themselves flow like any other point: power and the integrated energy.
    const hoist = rig.engine.state().loads.find((l) => l.id === 'hoist')!;
    expect(hoist).toMatchObject({ powerKw: 180, powerQuality: 'good' });
    expect(hoist.energyKwh).toBeGreaterThan(12_000);

    // Back at idle from the next reading on; the alarm ends once that has lasted the sustain time.
    rig.hoistMeter.setPower(8);
    await rig.step(1_000);
    await rig.step(9_000);
    expect(rig.of('alarm-off', 'stopped-power')).toEqual([]);
    await rig.step(1_000);
    expect(rig.of('alarm-off', 'stopped-power')).toHaveLength(1);
  });

  it('does not alarm on a short surge or on an auxiliary load (main fan) running while stopped', async () => {
    stop();
    rig.fanMeter.setPower(400);
    rig.hoistMeter.setPower(100);
    await rig.step(5_000);
    rig.hoistMeter.setPower(10);
    await rig.step(5_000);
    rig.hoistMeter.setPower(100);
    // The 5 s surge and this second one are not added up: the dip to idle restarted the clock.
    await rig.step(5_000);
    await rig.step(9_000);
    expect(rig.of('alarm-on', 'stopped-power')).toEqual([]);
    await rig.step(1_000);
    expect(rig.of('alarm-on', 'stopped-power').map((e) => e.load)).toEqual(['hoist']);
    await rig.step(60_000);
    expect(rig.of('alarm-on').some((e) => e.load === 'fan')).toBe(false);
  });

  it('ignores a faulty meter reading instead of taking it as idle', async () => {
    stop();
    rig.hoistMeter.setPower(150);
    // Above idle from this reading on (t+1 s).
    await rig.step(1_000);
    await rig.step(5_000);
    rig.hoistMeter.setMeterFault(true);
    await rig.step(2_000);
    expect(rig.engine.state().loads.find((l) => l.id === 'hoist')).toMatchObject({ powerKw: null, powerQuality: 'sensor-fault' });
    rig.hoistMeter.setMeterFault(false);
    // t+11 s: 10 s above idle, the fault in between did not restart the clock.
    await rig.step(3_000);
    expect(rig.of('alarm-on', 'stopped-power')).toHaveLength(1);
  });
});
