// Camera tamper over real Modbus: each of video lost, occluded, displaced, blurred raises its alarm at
// the first read that shows it and ends at the first read that does not; a camera that stops
// answering raises camera-offline and ends it when it answers again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SealRuleId } from '../../edge/seals/events.js';
import type { SimTamper } from '../../simulator/seals/seal-camera.js';
import { AUX_CAM, MAIN_CAM, type SealRig, startSealRig } from './rig.js';

let rig: SealRig;
beforeEach(async () => {
  rig = await startSealRig({ responseTimeoutMs: 100 });
  rig.personnel.lastSighting = rig.clock.wall();
  await rig.step();
});
afterEach(async () => {
  await rig.close();
});

const cases: [keyof SimTamper, SealRuleId, RegExp][] = [
  ['videoLost', 'video-lost', /视频丢失: 主井口 井口房 \(主井口\) video lost/],
  ['occluded', 'occluded', /镜头遮挡: .*lens occluded/],
  ['displaced', 'displaced', /摄像机移位: .*camera displaced/],
  ['blurred', 'blurred', /画面模糊: .*image blurred/],
];

describe('camera tamper alarms', () => {
  it.each(cases)('%s: alarm at once, end on recovery', async (flag, rule, message) => {
    rig.mainCam.setTamper({ [flag]: true });
    await rig.step();
    const on = rig.of('alarm-on', rule);
    expect(on).toHaveLength(1);
    expect(on[0]).toMatchObject({ cameraId: MAIN_CAM, position: '主井口 井口房', shaftMouth: 'main' });
    expect(on[0]!.message).toMatch(message);
    expect(rig.engine.state().cameras.find((c) => c.id === MAIN_CAM)!.tamper![flag]).toBe(true);
    // Still on: no second start.
    await rig.step();
    expect(rig.of('alarm-on', rule)).toHaveLength(1);
    rig.mainCam.setTamper({ [flag]: false });
    await rig.step();
    const off = rig.of('alarm-off', rule);
    expect(off).toHaveLength(1);
    expect(off[0]!.alarmId).toBe(on[0]!.alarmId);
    expect(rig.engine.activeAlarms()).toEqual([]);
  });

  it('keeps alarms of two cameras and two flags apart', async () => {
    rig.mainCam.setTamper({ occluded: true, blurred: true });
    rig.auxCam.setTamper({ occluded: true });
    await rig.step();
    expect(rig.engine.activeAlarms().map((a) => a.key).sort()).toEqual([`blurred:${MAIN_CAM}`, `occluded:${AUX_CAM}`, `occluded:${MAIN_CAM}`]);
    rig.mainCam.setTamper({ occluded: false });
    await rig.step();
    expect(rig.engine.activeAlarms().map((a) => a.key).sort()).toEqual([`blurred:${MAIN_CAM}`, `occluded:${AUX_CAM}`]);
  });
});

describe('camera offline', () => {
  it('raises camera-offline after the configured failed reads and ends it when the camera answers again', async () => {
    rig.mainCam.setWireFault('no-response');
    await rig.step();
    expect(rig.of('alarm-on', 'camera-offline')).toEqual([]);
    await rig.step();
    const [on] = rig.of('alarm-on', 'camera-offline');
    expect(on).toMatchObject({ cameraId: MAIN_CAM, position: '主井口 井口房' });
    expect(on!.message).toMatch(/摄像机离线: .*not answering: .*/);
    expect(rig.engine.state().cameras.find((c) => c.id === MAIN_CAM)!.state).toBe('offline');
    // The other camera on the same bus keeps being read.
    rig.auxCam.personOut(1);
    await rig.step();
    expect(rig.of('crossing').map((e) => e.cameraId)).toEqual([AUX_CAM]);

    rig.mainCam.setWireFault(null);
    await rig.step();
    expect(rig.of('alarm-off', 'camera-offline')).toHaveLength(1);
    expect(rig.engine.state().cameras.find((c) => c.id === MAIN_CAM)!.state).toBe('online');
  });

  it('counts the crossings made while the camera was unreachable once it answers again', async () => {
    rig.mainCam.setWireFault('no-response');
    await rig.step();
    await rig.step();
    rig.mainCam.personIn(7);
    rig.mainCam.setWireFault(null);
    await rig.step();
    expect(rig.of('crossing').map((e) => e.count)).toEqual([7]);
  });
});
