// JZSS 基站实时数据: positioning station status, every 1 min per protocol (4 fields, domain.md §5.3 [S] S16).
import { POWER_STATUS_CODES, RUN_STATUS_CODES, type PowerStatus, type RunStatus } from '../../../core/mt1201-codes.js';
import { STATION_CODE } from '../patterns.js';
import { DATA_HEADER, defineRecordType, oneOf, text, time } from '../record-type.js';

export interface JzssRecord {
  stationCode: string;
  runStatus: RunStatus;
  powerStatus: PowerStatus;
  /** ms epoch */
  dataTime: number;
}

export const JZSS = defineRecordType<JzssRecord>({
  type: 'JZSS',
  title: '基站实时数据',
  system: 'rydw',
  header: DATA_HEADER,
  columns: [
    text('基站编码', { required: true, pattern: STATION_CODE }),
    oneOf('运行状态', RUN_STATUS_CODES, { required: true }),
    oneOf('供电状态', POWER_STATUS_CODES, { required: true }),
    time('数据时间', { required: true }),
  ],
  values: (r) => [r.stationCode, r.runStatus, r.powerStatus, r.dataTime],
});
