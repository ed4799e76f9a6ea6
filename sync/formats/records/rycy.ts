// RYCY 区域超员报警 (area over-manning). National field list not available (domain.md §5.3):
// OUR DEFINITION. An empty area code means the whole mine (single-shift underground cap).
// The cards present are listed so a rescue team knows who is in the area.
import { AREA_CODE } from '../patterns.js';
import { DATA_HEADER, defineRecordType, integer, text, time } from '../record-type.js';

export interface RycyRecord {
  /** null = the whole mine underground. */
  areaCode: string | null;
  areaName: string;
  /** 核定人数 */
  ratedCount: number;
  /** 实际人数 */
  actualCount: number;
  /** 报警开始时间, ms epoch */
  alarmStart: number;
  /** 报警结束时间, ms epoch; null while ongoing. */
  alarmEnd: number | null;
  /** 人员卡编码 of the persons present, written comma-joined. */
  cardCodes: readonly string[];
  /** ms epoch */
  dataTime: number;
}

export const RYCY = defineRecordType<RycyRecord>({
  type: 'RYCY',
  title: '区域超员报警',
  system: 'rydw',
  header: DATA_HEADER,
  ourDefinition: true,
  columns: [
    text('区域编码', { pattern: AREA_CODE }),
    text('区域名称', { required: true }),
    integer('核定人数', { required: true, min: 0 }),
    integer('实际人数', { required: true, min: 0 }),
    time('报警开始时间', { required: true }),
    time('报警结束时间'),
    text('人员卡编码列表', { pattern: /^\d{17}(,\d{17})*$/ }),
    time('数据时间', { required: true }),
  ],
  values: (r) => [
    r.areaCode, r.areaName, r.ratedCount, r.actualCount, r.alarmStart, r.alarmEnd,
    r.cardCodes.join(','), r.dataTime,
  ],
});
