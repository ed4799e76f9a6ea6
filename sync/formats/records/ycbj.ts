// YCBJ 测点异常数据: alarms, cut-offs, feed abnormalities, faults (17 fields, domain.md §5.2 [S] S17, S18).
// An ongoing abnormality is sent with an empty end time and sent again once it ends.
import { ABNORMALITY_TYPES, type AbnormalityType } from '../../../core/mt1201-codes.js';
import { POINT_CODE, VALUE_DECIMALS } from '../patterns.js';
import { DATA_HEADER, decimal, defineRecordType, oneOf, text, time } from '../record-type.js';

export interface YcbjRecord {
  pointCode: string;
  /** 类型名称: the point's sensor type name. */
  typeName: string;
  location: string;
  unit: string;
  abnormalityType: AbnormalityType;
  /** ms epoch */
  startTime: number;
  /** ms epoch; null while the abnormality is ongoing. */
  endTime: number | null;
  maxValue: number | null;
  maxTime: number | null;
  minValue: number | null;
  minTime: number | null;
  averageValue: number | null;
  /** 异常原因 */
  reason: string | null;
  /** 处理措施 */
  measures: string | null;
  /** 录入时间: when a person entered reason/measures. */
  enteredAt: number | null;
  /** 录入人 */
  enteredBy: string | null;
  /** ms epoch */
  dataTime: number;
}

const v = (name: string) => decimal(name, VALUE_DECIMALS);

export const YCBJ = defineRecordType<YcbjRecord>({
  type: 'YCBJ',
  title: '测点异常数据',
  system: 'aqjk',
  header: DATA_HEADER,
  columns: [
    text('测点编码', { required: true, pattern: POINT_CODE }),
    text('类型名称', { required: true }),
    text('安装位置', { required: true }),
    text('单位'),
    oneOf('异常类型', Object.keys(ABNORMALITY_TYPES), { required: true }),
    time('开始时间', { required: true }),
    time('结束时间'),
    v('最大值'),
    time('最大值时刻'),
    v('最小值'),
    time('最小值时刻'),
    v('平均值'),
    text('异常原因'),
    text('处理措施'),
    time('录入时间'),
    text('录入人'),
    time('数据时间', { required: true }),
  ],
  values: (r) => [
    r.pointCode, r.typeName, r.location, r.unit, r.abnormalityType, r.startTime, r.endTime,
    r.maxValue, r.maxTime, r.minValue, r.minTime, r.averageValue,
    r.reason, r.measures, r.enteredAt, r.enteredBy, r.dataTime,
  ],
});
