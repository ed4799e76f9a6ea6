// RYXZ 进入限制区域报警 (restricted-area entry). National field list not available
// (domain.md §5.3): OUR DEFINITION — who, which area, entry (alarm start) and exit (alarm end).
import { AREA_CODE, CARD_CODE, STATION_CODE } from '../patterns.js';
import { DATA_HEADER, defineRecordType, text, time } from '../record-type.js';

export interface RyxzRecord {
  cardCode: string;
  name: string;
  areaCode: string;
  areaName: string;
  /** Station that saw the entry. */
  stationCode: string | null;
  /** 进入时刻 = alarm start, ms epoch */
  entryTime: number;
  /** 离开时刻 = alarm end, ms epoch; null while the person is still inside. */
  exitTime: number | null;
  /** ms epoch */
  dataTime: number;
}

export const RYXZ = defineRecordType<RyxzRecord>({
  type: 'RYXZ',
  title: '进入限制区域报警',
  system: 'rydw',
  header: DATA_HEADER,
  ourDefinition: true,
  columns: [
    text('人员卡编码', { required: true, pattern: CARD_CODE }),
    text('姓名', { required: true }),
    text('区域编码', { required: true, pattern: AREA_CODE }),
    text('区域名称', { required: true }),
    text('基站编码', { pattern: STATION_CODE }),
    time('进入时刻', { required: true }),
    time('离开时刻'),
    time('数据时间', { required: true }),
  ],
  values: (r) => [r.cardCode, r.name, r.areaCode, r.areaName, r.stationCode, r.entryTime, r.exitTime, r.dataTime],
});
