// RYSS 人员实时数据: a complete snapshot of everyone known to the system (15 fields, domain.md
// §5.3 [S] S16). Underground headcount = persons with flag 1 in the latest file.
import { IN_OUT_FLAG, WORK_STATES, type InOutFlag, type WorkState } from '../../../core/mt1201-codes.js';
import { AREA_CODE, CARD_CODE, COORDINATE_DECIMALS, STATION_CODE, YES_NO } from '../patterns.js';
import { DATA_HEADER, decimal, defineRecordType, oneOf, text, time, track, type TrackPoint } from '../record-type.js';

export interface RyssRecord {
  cardCode: string;
  name: string;
  inOutFlag: InOutFlag;
  /** 入井时刻, ms epoch */
  entryTime: number | null;
  /** 出井时刻, ms epoch; only when the flag is 2 (out). */
  exitTime: number | null;
  areaCode: string | null;
  areaEntryTime: number | null;
  stationCode: string | null;
  stationEntryTime: number | null;
  /** 劳动组织方式, e.g. 三八制 */
  labourOrganisation: string | null;
  /** 距基站距离 in metres, signed (direction relative to the station). */
  distanceM: number | null;
  workState: WorkState;
  isMineLeader: boolean;
  isSpecialWorker: boolean;
  /** 轨迹: stations passed, oldest first. */
  track: readonly TrackPoint[];
}

export const RYSS = defineRecordType<RyssRecord>({
  type: 'RYSS',
  title: '人员实时数据',
  system: 'rydw',
  header: DATA_HEADER,
  columns: [
    text('人员卡编码', { required: true, pattern: CARD_CODE }),
    text('姓名', { required: true }),
    oneOf('出入井标志', Object.values(IN_OUT_FLAG), { required: true }),
    time('入井时刻'),
    time('出井时刻'),
    text('区域编码', { pattern: AREA_CODE }),
    time('进入区域时刻'),
    text('基站编码', { pattern: STATION_CODE }),
    time('进入基站时刻'),
    text('劳动组织方式'),
    decimal('距基站距离', COORDINATE_DECIMALS),
    oneOf('人员工作状态', WORK_STATES, { required: true }),
    oneOf('是否矿领导', YES_NO, { required: true }),
    oneOf('是否特种人员', YES_NO, { required: true }),
    track('行进轨迹', STATION_CODE),
  ],
  values: (r) => [
    r.cardCode, r.name, r.inOutFlag, r.entryTime, r.exitTime, r.areaCode, r.areaEntryTime,
    r.stationCode, r.stationEntryTime, r.labourOrganisation, r.distanceM, r.workState,
    r.isMineLeader ? '1' : '0', r.isSpecialWorker ? '1' : '0', r.track,
  ],
});
