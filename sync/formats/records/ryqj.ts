// RYQJ 人员求救 (SOS from a card). National field list not available (domain.md §5.3):
// OUR DEFINITION — who, where (area, station, signed distance), when pressed and when cleared.
import { AREA_CODE, CARD_CODE, COORDINATE_DECIMALS, STATION_CODE } from '../patterns.js';
import { DATA_HEADER, decimal, defineRecordType, text, time } from '../record-type.js';

export interface RyqjRecord {
  cardCode: string;
  name: string;
  areaCode: string | null;
  stationCode: string | null;
  /** 距基站距离 in metres, signed. */
  distanceM: number | null;
  /** 求救时刻, ms epoch */
  sosTime: number;
  /** 解除时刻, ms epoch; null while unresolved. */
  clearTime: number | null;
  /** ms epoch */
  dataTime: number;
}

export const RYQJ = defineRecordType<RyqjRecord>({
  type: 'RYQJ',
  title: '人员求救',
  system: 'rydw',
  header: DATA_HEADER,
  ourDefinition: true,
  columns: [
    text('人员卡编码', { required: true, pattern: CARD_CODE }),
    text('姓名', { required: true }),
    text('区域编码', { pattern: AREA_CODE }),
    text('基站编码', { pattern: STATION_CODE }),
    decimal('距基站距离', COORDINATE_DECIMALS),
    time('求救时刻', { required: true }),
    time('解除时刻'),
    time('数据时间', { required: true }),
  ],
  values: (r) => [r.cardCode, r.name, r.areaCode, r.stationCode, r.distanceM, r.sosTime, r.clearTime, r.dataTime],
});
