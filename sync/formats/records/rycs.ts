// RYCS 人员超时报警 (overtime underground). The national field list was not available
// (domain.md §5.3: "fields not read"): this is OUR DEFINITION, shaped like the other alarm files —
// who, since when allowed, alarm start/end (end empty while ongoing), last known place.
import { AREA_CODE, CARD_CODE, STATION_CODE } from '../patterns.js';
import { DATA_HEADER, defineRecordType, integer, text, time } from '../record-type.js';

export interface RycsRecord {
  cardCode: string;
  name: string;
  /** 入井时刻, ms epoch */
  entryTime: number;
  /** 规定时长: the allowed stay in minutes that was exceeded. */
  allowedMinutes: number;
  /** 报警开始时间, ms epoch */
  alarmStart: number;
  /** 报警结束时间, ms epoch; null while the person is still underground over time. */
  alarmEnd: number | null;
  /** Last known area and station. */
  areaCode: string | null;
  stationCode: string | null;
  /** ms epoch */
  dataTime: number;
}

export const RYCS = defineRecordType<RycsRecord>({
  type: 'RYCS',
  title: '人员超时报警',
  system: 'rydw',
  header: DATA_HEADER,
  ourDefinition: true,
  columns: [
    text('人员卡编码', { required: true, pattern: CARD_CODE }),
    text('姓名', { required: true }),
    time('入井时刻', { required: true }),
    integer('规定时长', { required: true, min: 1 }),
    time('报警开始时间', { required: true }),
    time('报警结束时间'),
    text('区域编码', { pattern: AREA_CODE }),
    text('基站编码', { pattern: STATION_CODE }),
    time('数据时间', { required: true }),
  ],
  values: (r) => [
    r.cardCode, r.name, r.entryTime, r.allowedMinutes, r.alarmStart, r.alarmEnd, r.areaCode, r.stationCode, r.dataTime,
  ],
});
