// Typed records that must encode to the hand-written golden files in sync/formats/golden/.
// Times are given as Beijing wall-clock strings and converted with Date.parse, independently
// of the module under test.
import type { Mt1201Header, Mt1201Type } from '../../../sync/formats/mt1201-file.js';
import type {
  CddyRecord,
  CdssRecord,
  FzdyRecord,
  FzssRecord,
  JzssRecord,
  RycsRecord,
  RycyRecord,
  RyjzRecord,
  RyqjRecord,
  RyqyRecord,
  RyssRecord,
  RyxxRecord,
  RyxzRecord,
  TjsjRecord,
  YcbjRecord,
} from '../../../sync/formats/records/index.js';

/** Beijing wall-clock time → ms epoch. */
export const bj = (wall: string): number => {
  const ms = Date.parse(`${wall.replace(' ', 'T')}+08:00`);
  if (Number.isNaN(ms)) throw new Error(`bad sample time ${wall}`);
  return ms;
};

export const MINE_CODE = '140121000001';
export const UPLOAD = bj('2024-03-15 08:30:00');
const DATA = bj('2024-03-15 08:29:50');

export const headerFor = (type: Mt1201Type): Mt1201Header => ({
  mineCode: MINE_CODE,
  mineName: '示范煤矿',
  uploadTime: UPLOAD,
  ...(type === 'CDDY' ? { extra: ['KJ95X', 'KJ95X煤矿安全监控系统', '示范仪器有限公司', '2026-12-31'] } : {}),
  ...(type === 'RYXX' ? { extra: ['320', 'KJ128A', 'KJ128A煤矿人员定位系统', '示范定位科技有限公司', '2027-06-30'] } : {}),
});

const cddy: CddyRecord[] = [
  {
    pointCode: 'S01A01', systemCode: '01', substationCode: 'S01', sensorTypeCode: '0001', valueType: 'MN', unit: '%CH4',
    rangeHigh: 4, rangeLow: 0, upperAlarm: 1, upperAlarmClear: 1, lowerAlarm: null, lowerAlarmClear: null,
    upperCutOff: 1.5, upperRestore: 1, lowerCutOff: null, lowerRestore: null, onDescription: null, offDescription: null,
    location: '1201掘进工作面T1', x: 3712.5, y: 1204.25, z: -356.8, relations: 'D-S01C01-1201掘进断电器:K-S01C01', dataTime: DATA,
  },
  {
    pointCode: 'S01K01', systemCode: '01', substationCode: 'S01', sensorTypeCode: '1001', valueType: 'KG', unit: '',
    rangeHigh: null, rangeLow: null, upperAlarm: null, upperAlarmClear: null, lowerAlarm: null, lowerAlarmClear: null,
    upperCutOff: null, upperRestore: null, lowerCutOff: null, lowerRestore: null, onDescription: '开', offDescription: '停',
    location: '1201掘进局部通风机', x: null, y: null, z: null, relations: null, dataTime: DATA,
  },
];

const cdss: CdssRecord[] = [
  { pointCode: 'S01A01', sensorTypeName: '环境瓦斯', location: '1201掘进工作面T1', value: 0.52, unit: '%CH4', status: 0, dataTime: DATA },
  { pointCode: 'S01A02', sensorTypeName: '环境瓦斯', location: '1201掘进回风流T2', value: 1.234, unit: '%CH4', status: 3, dataTime: DATA },
  { pointCode: 'S01A03', sensorTypeName: '一氧化碳', location: '1201掘进回风流', value: null, unit: 'ppm', status: 128, dataTime: DATA },
  { pointCode: 'S01K01', sensorTypeName: '局部通风机', location: '1201掘进局部通风机', value: '1', unit: '', status: 0, dataTime: DATA + 999 },
];

const ycbj: YcbjRecord[] = [
  {
    pointCode: 'S01A02', typeName: '环境瓦斯', location: '1201掘进回风流T2', unit: '%CH4', abnormalityType: '002',
    startTime: bj('2024-03-15 08:21:07'), endTime: null, maxValue: 1.62, maxTime: bj('2024-03-15 08:24:31'),
    minValue: 1.02, minTime: bj('2024-03-15 08:21:07'), averageValue: 1.3125, reason: null, measures: null,
    enteredAt: null, enteredBy: null, dataTime: DATA,
  },
  {
    pointCode: 'S01C01', typeName: '馈电', location: '1201掘进馈电', unit: '', abnormalityType: '003',
    startTime: bj('2024-03-15 07:55:00'), endTime: bj('2024-03-15 07:58:12'), maxValue: null, maxTime: null,
    minValue: null, minTime: null, averageValue: null, reason: '断电器触点粘连', measures: '更换断电器',
    enteredAt: bj('2024-03-15 08:10:00'), enteredBy: '张工', dataTime: DATA,
  },
];

const fzdy: FzdyRecord[] = [{ substationCode: 'S01', location: '1201掘进工作面分站', x: 3705, y: 1198.4, z: -355.9, dataTime: DATA }];

const fzss: FzssRecord[] = [
  { substationCode: 'S01', runStatus: '0', powerStatus: '1', dataTime: DATA },
  { substationCode: 'S02', runStatus: '1', powerStatus: '9', dataTime: DATA },
];

const tjsj: TjsjRecord[] = [
  {
    pointCode: 'S01A01', typeName: '环境瓦斯', location: '1201掘进工作面T1', unit: '%CH4',
    startTime: bj('2024-03-15 08:20:00'), endTime: bj('2024-03-15 08:25:00'), maxValue: 0.61, maxTime: bj('2024-03-15 08:23:14'),
    minValue: 0.48, minTime: bj('2024-03-15 08:20:03'), averageValue: 0.5333333333, dataTime: bj('2024-03-15 08:25:00'),
  },
  {
    pointCode: 'S01A03', typeName: '一氧化碳', location: '1201掘进回风流', unit: 'ppm',
    startTime: bj('2024-03-15 08:20:00'), endTime: bj('2024-03-15 08:25:00'), maxValue: null, maxTime: null,
    minValue: null, minTime: null, averageValue: null, dataTime: bj('2024-03-15 08:25:00'),
  },
];

const ryqy: RyqyRecord[] = [
  { areaType: '井口区域', areaCode: '1401210000010001', ratedCount: 0, areaName: '主井口' },
  { areaType: '重点区域', areaCode: '1401210000010002', ratedCount: 30, areaName: '1201掘进工作面' },
  { areaType: '限制区域', areaCode: '1401210000010003', ratedCount: null, areaName: '废弃巷道' },
];

const ryjz: RyjzRecord[] = [
  { stationCode: '1401210000010001000001', name: '主井口基站', x: 0, y: 0, z: 0, locationNote: '主井井口入口处' },
  { stationCode: '1401210000010002000001', name: '1201掘进基站1', x: 3700, y: 1190.5, z: -355, locationNote: null },
];

const ryxx: RyxxRecord[] = [
  {
    cardCode: '14012100000100001', name: '张三', trade: '采煤工', position: '班长', team: '综采一队', birth: '1985-06',
    education: '高中', isMineLeader: false, isSpecialWorker: true,
  },
  {
    cardCode: '14012100000100002', name: '李四', trade: null, position: '矿长', team: '矿领导', birth: null,
    education: null, isMineLeader: true, isSpecialWorker: false,
  },
];

const ryss: RyssRecord[] = [
  {
    cardCode: '14012100000100001', name: '张三', inOutFlag: '1', entryTime: bj('2024-03-15 07:40:12'), exitTime: null,
    areaCode: '1401210000010002', areaEntryTime: bj('2024-03-15 07:58:40'), stationCode: '1401210000010002000001',
    stationEntryTime: bj('2024-03-15 07:58:40'), labourOrganisation: '三八制', distanceM: -12.5, workState: '正常',
    isMineLeader: false, isSpecialWorker: true,
    track: [
      { stationCode: '1401210000010001000001', time: bj('2024-03-15 07:40:12') },
      { stationCode: '1401210000010002000001', time: bj('2024-03-15 07:58:40') },
    ],
  },
  {
    cardCode: '14012100000100002', name: '李四', inOutFlag: '2', entryTime: bj('2024-03-15 06:10:00'),
    exitTime: bj('2024-03-15 08:05:33'), areaCode: null, areaEntryTime: null, stationCode: null, stationEntryTime: null,
    labourOrganisation: '三八制', distanceM: null, workState: '正常', isMineLeader: true, isSpecialWorker: false, track: [],
  },
];

const jzss: JzssRecord[] = [
  { stationCode: '1401210000010001000001', runStatus: '0', powerStatus: '1', dataTime: DATA },
  { stationCode: '1401210000010002000001', runStatus: '1', powerStatus: '0', dataTime: DATA },
];

const rycs: RycsRecord[] = [
  {
    cardCode: '14012100000100001', name: '张三', entryTime: bj('2024-03-14 23:50:00'), allowedMinutes: 480,
    alarmStart: bj('2024-03-15 07:50:00'), alarmEnd: null, areaCode: '1401210000010002',
    stationCode: '1401210000010002000001', dataTime: DATA,
  },
];

const rycy: RycyRecord[] = [
  {
    areaCode: '1401210000010002', areaName: '1201掘进工作面', ratedCount: 2, actualCount: 3,
    alarmStart: bj('2024-03-15 08:12:45'), alarmEnd: null,
    cardCodes: ['14012100000100001', '14012100000100002', '14012100000100003'], dataTime: DATA,
  },
  {
    areaCode: null, areaName: '全矿井下', ratedCount: 320, actualCount: 321, alarmStart: bj('2024-03-15 08:15:00'),
    alarmEnd: bj('2024-03-15 08:18:30'), cardCodes: [], dataTime: DATA,
  },
];

const ryxz: RyxzRecord[] = [
  {
    cardCode: '14012100000100002', name: '李四', areaCode: '1401210000010003', areaName: '废弃巷道',
    stationCode: '1401210000010003000001', entryTime: bj('2024-03-15 08:02:10'), exitTime: bj('2024-03-15 08:06:55'),
    dataTime: DATA,
  },
];

const ryqj: RyqjRecord[] = [
  {
    cardCode: '14012100000100001', name: '张三', areaCode: '1401210000010002', stationCode: '1401210000010002000001',
    distanceM: 8, sosTime: bj('2024-03-15 08:27:31'), clearTime: null, dataTime: DATA,
  },
];

/** One entry per MT/T 1201 type: the typed records behind its golden file. */
export const SAMPLES: Record<Mt1201Type, readonly object[]> = {
  CDDY: cddy, CDSS: cdss, YCBJ: ycbj, FZDY: fzdy, FZSS: fzss, TJSJ: tjsj, RYQY: ryqy, RYJZ: ryjz,
  RYXX: ryxx, RYSS: ryss, JZSS: jzss, RYCS: rycs, RYCY: rycy, RYXZ: ryxz, RYQJ: ryqj,
};
