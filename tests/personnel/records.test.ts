import { describe, expect, it } from 'vitest';
import { JZSS, RYCS, RYCY, RYJZ, RYQJ, RYQY, RYSS, RYXX, RYXZ } from '../../sync/formats/records/index.js';
import { alarmRecord, areaRecords, openAlarmRecords, personRecords, snapshotRecords, stationRecords, stationStatusRecords } from '../../edge/personnel/records.js';
import { exampleConfig, PersonnelRig, R, T, UP_FROM_FACE } from './rig.js';

describe('personnel records (MT/T 1201.3)', () => {
  it('RYQY, RYJZ and RYXX come from the config and encode', () => {
    const rig = new PersonnelRig();
    const areas = areaRecords(rig.engine.plan);
    expect(areas.map((a) => RYQY.encode(a))).toEqual([
      '井口区域;1402120000010001;;主井口',
      '其它区域;1402120000010002;60;井底车场',
      '重点区域;1402120000010003;20;3101掘进巷道',
      '重点区域;1402120000010004;12;3101掘进工作面',
      '限制区域;1402120000010005;2;井下爆炸物品库',
    ]);
    const stations = stationRecords(rig.engine.plan);
    expect(RYJZ.encode(stations[4]!)).toBe('1402120000010004000005;3101掘进工作面迎头;860.00;0.00;-405.00;迎头后方30m');
    const people = personRecords(rig.engine.plan);
    expect(people).toHaveLength(exampleConfig().personnel!.roster.length);
    expect(people.map((p) => RYXX.encode(p))[0]).toBe('14021200000100001;张建国;掘进机司机;班长;掘进一队;;;0;0');
    expect(RYXX.encode(people[6]!)).toBe('14021200000100007;孙立;;副矿长;矿领导;;;1;0');
  });

  it('RYSS is a full snapshot: an SOS underground, someone out with entry and exit, someone never seen', () => {
    const rig = new PersonnelRig();
    rig.toFace(T.li).see(T.li, R.face, { sos: true, distanceM: -12.5 });
    rig.toFace(T.wang).walk(T.wang, UP_FROM_FACE);
    const lines = snapshotRecords(rig.engine).map((r) => RYSS.encode(r));
    expect(lines).toHaveLength(8);
    expect(lines[1]).toBe(
      '14021200000100002;李明;1;2026-01-10 08:00:00;;1402120000010004;2026-01-10 08:06:35;1402120000010004000005;2026-01-10 08:06:35;三八制;-12.50;求救;0;0;' +
        '1402120000010001000001&2026-01-10 08:00:00,1402120000010001000002&2026-01-10 08:00:05,1402120000010002000003&2026-01-10 08:01:05,' +
        '1402120000010003000004&2026-01-10 08:01:35,1402120000010004000005&2026-01-10 08:06:35',
    );
    // 王强: down from 08:06:35 (395 s after 李明), out 790 s later at 08:19:45; no current area, station or distance.
    expect(lines[2]).toMatch(/^14021200000100003;王强;2;2026-01-10 08:06:35;2026-01-10 08:19:45;;;;;三八制;;正常;0;0;1402120000010001000001&2026-01-10 08:06:35,/);
    expect(lines[2]!.endsWith(',1402120000010001000002&2026-01-10 08:19:40,1402120000010001000001&2026-01-10 08:19:45')).toBe(true);
    expect(lines[6]).toBe('14021200000100007;孙立;2;;;;;;;三八制;;正常;1;0;');
    // Underground headcount as the platform computes it.
    expect(snapshotRecords(rig.engine).filter((r) => r.inOutFlag === '1')).toHaveLength(rig.engine.headcount().underground);
  });

  it('JZSS reports each station as online, interrupted or unknown', () => {
    const rig = new PersonnelRig();
    rig.engine.onReaderState(R.face, true, 'ac');
    rig.engine.onReaderState(R.store, false);
    const lines = stationStatusRecords(rig.engine, rig.clock.wall()).map((r) => JZSS.encode(r));
    expect(lines).toEqual([
      '1402120000010001000001;9;9;2026-01-10 08:00:00',
      '1402120000010001000002;9;9;2026-01-10 08:00:00',
      '1402120000010002000003;9;9;2026-01-10 08:00:00',
      '1402120000010003000004;9;9;2026-01-10 08:00:00',
      '1402120000010004000005;0;1;2026-01-10 08:00:00',
      '1402120000010005000006;1;9;2026-01-10 08:00:00',
    ]);
  });

  it('alarm records: RYCS overtime, RYCY over-manning, RYXZ restricted area, RYQJ SOS; others have no national file', () => {
    const rig = new PersonnelRig({ alarms: { overtimeMs: 600_000 }, personnel: { ratedUnderground: 1 } });
    rig.toFace(T.li).see(T.li, R.face, { sos: true, distanceM: 3 });
    rig.walk(T.gasInspector, [[R.shaftOuter, 0], [R.shaftInner, 5_000], [R.shaftBottom, 60_000], [R.store, 120_000]]);
    // 李明 at the face from 08:06:35; 赵磊 enters at 08:06:35 (flag 1 at the collar 08:06:40) and reaches the store at 08:09:40.
    rig.advance(300_000);
    const now = rig.clock.wall();
    expect(now).toBe(Date.UTC(2026, 0, 10, 0, 14, 40));
    const open = openAlarmRecords(rig.engine, now);
    // The overtime tick came at 08:14:40 (600 s allowed, entry 08:00:00): written as 10 minutes.
    expect(open.RYCS.map((r) => RYCS.encode(r))).toEqual([
      '14021200000100002;李明;2026-01-10 08:00:00;10;2026-01-10 08:14:40;;1402120000010004;1402120000010004000005;2026-01-10 08:14:40',
    ]);
    // Mine level (empty area code), rated 1, two underground since 赵磊 passed the collar.
    expect(open.RYCY.map((r) => RYCY.encode(r))).toEqual([';示范煤矿;1;2;2026-01-10 08:06:40;;14021200000100002,14021200000100004;2026-01-10 08:14:40']);
    expect(open.RYXZ.map((r) => RYXZ.encode(r))).toEqual([
      '14021200000100004;赵磊;1402120000010005;井下爆炸物品库;1402120000010005000006;2026-01-10 08:09:40;;2026-01-10 08:14:40',
    ]);
    expect(open.RYQJ.map((r) => RYQJ.encode(r))).toEqual(['14021200000100002;李明;1402120000010004;1402120000010004000005;3.00;2026-01-10 08:06:35;;2026-01-10 08:14:40']);

    // An ended alarm carries its end time.
    rig.engine.clearAlarm('sos:1002', 'dispatch-zhang');
    const ended = rig.alarmEvents('sos', 'alarm-end')[0]!;
    expect(RYQJ.encode(alarmRecord(rig.engine, ended, now)!.record as never)).toBe(
      '14021200000100002;李明;1402120000010004;1402120000010004000005;3.00;2026-01-10 08:06:35;2026-01-10 08:14:40;2026-01-10 08:14:40',
    );
    rig.see(T.li, R.face, { lowBattery: true });
    expect(alarmRecord(rig.engine, rig.open('low-battery')[0]!, now)).toBeNull();
  });
});
