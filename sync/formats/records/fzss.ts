// FZSS 分站实时数据. domain.md §5.2 gives the codes (run status B.8, power status B.9) but not the
// field order; OUR DEFINITION mirrors JZSS: 分站编码;运行状态;供电状态;数据时间.
import { POWER_STATUS_CODES, RUN_STATUS_CODES, type PowerStatus, type RunStatus } from '../../../core/mt1201-codes.js';
import { SUBSTATION_CODE } from '../patterns.js';
import { DATA_HEADER, defineRecordType, oneOf, text, time } from '../record-type.js';

export interface FzssRecord {
  substationCode: string;
  runStatus: RunStatus;
  powerStatus: PowerStatus;
  /** ms epoch */
  dataTime: number;
}

export const FZSS = defineRecordType<FzssRecord>({
  type: 'FZSS',
  title: '分站实时数据',
  system: 'aqjk',
  header: DATA_HEADER,
  ourDefinition: true,
  columns: [
    text('分站编码', { required: true, pattern: SUBSTATION_CODE }),
    oneOf('运行状态', RUN_STATUS_CODES, { required: true }),
    oneOf('供电状态', POWER_STATUS_CODES, { required: true }),
    time('数据时间', { required: true }),
  ],
  values: (r) => [r.substationCode, r.runStatus, r.powerStatus, r.dataTime],
});
