// What the technician and the regulator see: the status block (renderSeals) and the upstream alarm
// message in the AI-box field names.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toAlarmMessage } from '../../edge/seals/events.js';
import { renderSeals } from '../../edge/seals/render.js';
import { MAIN_CAM, type SealRig, startSealRig } from './rig.js';

let rig: SealRig;
beforeEach(async () => {
  rig = await startSealRig({ responseTimeoutMs: 100 });
  rig.personnel.lastSighting = rig.clock.wall();
  rig.personnel.underground = 0;
  await rig.step();
});
afterEach(async () => {
  await rig.close();
});

describe('renderSeals', () => {
  it('shows each mouth with mode and shift counts, each camera, the loads, the headcounts and no alarms', async () => {
    rig.mainCam.personIn(12);
    rig.mainCam.personOut(2);
    rig.hoistMeter.setPower(220.5);
    rig.personnel.underground = 10;
    await rig.step();
    const text = renderSeals(rig.engine.state());
    expect(text).toContain('seals — shift since 2026-01-05 08:00:00+08:00; headcount underground: seal 10 (baseline 0), positioning 10');
    expect(text).toMatch(/主井口 \(main\)\s+producing 生产\s+12\s+2\s+0\s+0\s+config/);
    expect(text).toMatch(/seal-main-1\s+主井口 井口房\s+online\s+ok\s+12\/2 \(0\/0\)\s+1\s+0s ago/);
    expect(text).toMatch(/主提升机 \(hoist\)\s+main\s+220\.5\s+15\s+12000\.\d\s+production/);
    expect(text).toMatch(/主要通风机 \(fan\)\s+main\s+0\.0\s+5\s+—\s+auxiliary/);
    expect(text).toContain('seal alarms: none');
  });

  it('shows a stopped mouth with who stopped it, an offline camera with its error, tamper flags and each alarm', async () => {
    rig.engine.setMode('main', 'stopped', { operator: '调度员 王', reason: '停产整顿' });
    rig.mainCam.personIn(1);
    rig.auxCam.setTamper({ occluded: true, blurred: true });
    await rig.step();
    rig.auxCam.setWireFault('no-response');
    await rig.step();
    await rig.step();
    const text = renderSeals(rig.engine.state());
    expect(text).toMatch(/主井口 \(main\)\s+STOPPED 停产\s+1\s+0\s+0\s+0\s+调度员 王, 2026-01-05 10:00:01\+08:00: 停产整顿/);
    expect(text).toMatch(/seal-aux-1\s+副井口 东侧\s+OFFLINE \(.+\)\s+OCCLUDED, BLURRED/);
    expect(text).toContain('seal alarms: 4');
    expect(text).toMatch(/! 明停暗开\(人员\/车辆出入\) \(stopped-crossing\) \[1\] since 2026-01-05 10:00:02/);
    expect(text).toMatch(/! 镜头遮挡 \(occluded\)/);
    expect(text).toMatch(/! 摄像机离线 \(camera-offline\)/);
  });
});

describe('toAlarmMessage', () => {
  it('maps an alarm event to the AI-box alarm fields, in mine time', async () => {
    rig.engine.setMode('main', 'stopped', { operator: 'op', reason: 'r' });
    rig.mainCam.personIn(2);
    await rig.step();
    const [on] = rig.of('alarm-on', 'stopped-crossing');
    expect(toAlarmMessage(on!)).toEqual({
      alarmId: on!.alarmId,
      state: 'start',
      cameraId: MAIN_CAM,
      position: '主井口 井口房',
      ruleId: 'stopped-crossing',
      ruleName: '明停暗开(人员/车辆出入)',
      alarmSeal: 1,
      time: '2026-01-05 10:00:02',
      alarmMsg: on!.message,
      alarmMsgCount: 2,
      alarmImage: '',
    });
    expect(toAlarmMessage(rig.of('crossing')[0]!)).toBeNull();
  });
});
